#include "common/testing/fake_clock.h"

#include <algorithm>

namespace weft::testing {

FakeClock::FakeClock(absl::Time start) : now_ns_(absl::ToUnixNanos(start)) {}

absl::Time FakeClock::Now() { return absl::FromUnixNanos(now_ns_.load()); }

// The waiter registers itself with `mu` released: Advance() takes waiters_mu_ and then
// each waiter's mutex, so taking waiters_mu_ while holding `mu` could deadlock.
bool FakeClock::AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& condition,
                                  absl::Time deadline) {
  if (condition.Eval() || Now() >= deadline) return condition.Eval();
  Waiter waiter{mu, deadline};
  mu->Unlock();
  {
    absl::MutexLock lock(&waiters_mu_);
    waiters_.push_back(&waiter);
  }
  mu->Lock();
  struct Wake {
    FakeClock* clock;
    const absl::Condition* condition;
    absl::Time deadline;
    bool operator()() const { return condition->Eval() || clock->Now() >= deadline; }
  } wake{this, &condition, deadline};
  mu->Await(absl::Condition(&wake));
  mu->Unlock();
  {
    absl::MutexLock lock(&waiters_mu_);
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &waiter));
  }
  mu->Lock();
  return condition.Eval();
}

void FakeClock::Advance(absl::Duration step) {
  now_ns_ += absl::ToInt64Nanoseconds(std::max(step, absl::ZeroDuration()));
  absl::MutexLock lock(&waiters_mu_);
  // Releasing a waiter's mutex makes it evaluate its condition against the new time.
  for (Waiter* waiter : waiters_) {
    waiter->mu->Lock();
    waiter->mu->Unlock();
  }
}

std::vector<absl::Time> FakeClock::Deadlines() {
  absl::MutexLock lock(&waiters_mu_);
  std::vector<absl::Time> deadlines;
  for (const Waiter* waiter : waiters_) deadlines.push_back(waiter->deadline);
  return deadlines;
}

}  // namespace weft::testing
