// FakeClock: a Clock whose time moves only when a test calls Advance().
//
// A thread waiting in AwaitWithDeadline wakes when its condition holds (as with a real
// clock) or when Advance() takes the time to its deadline. Deadlines() shows what the
// waiting threads wait for, so a test can make sure a thread is waiting (and until
// when) before it moves time: no sleeps, no timing assertions.
//
// Threading: thread-safe. Advance() must not be called with a waiter's mutex held.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace weft::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'000'000'000));

  absl::Time Now() override;
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& condition, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) override;

  // Moves time forward by `step` (>= 0); waiters whose deadline it reaches wake up.
  void Advance(absl::Duration step);
  // The deadlines the threads in AwaitWithDeadline wait for, in no particular order.
  std::vector<absl::Time> Deadlines();

 private:
  struct Waiter {
    absl::Mutex* mu;
    absl::Time deadline;
  };

  std::atomic<int64_t> now_ns_;  // read inside waiters' conditions: no lock

  absl::Mutex waiters_mu_;  // ordered before any waiter's mutex
  std::vector<Waiter*> waiters_ ABSL_GUARDED_BY(waiters_mu_);
};

}  // namespace weft::testing
