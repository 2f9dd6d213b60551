// Clock: where code that waits on time reads it, so that tests can drive time by hand.
//
// Clock::Real() is absl's clock (absl::Now, Mutex::AwaitWithDeadline). Tests pass a
// FakeClock (common/testing/fake_clock.h), whose time moves only when the test advances
// it: code that reads the time with Now() and waits with AwaitWithDeadline() then runs
// the same under both, and its tests need no sleeps and no timing assertions.
//
// Ownership: users take a `Clock*` that must outlive them; Real() lives forever.
// Threading: implementations are thread-safe.
#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace weft {

class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() = 0;

  // As mu->AwaitWithDeadline(condition, deadline), with `deadline` on this clock: waits
  // until `condition` holds (true) or this clock reaches `deadline` (false unless the
  // condition holds by then). Like Mutex::Await, it may release `mu` while it waits.
  // REQUIRES: `mu` is held by the caller.
  virtual bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& condition,
                                 absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;

  // The process's real clock.
  static Clock* Real();
};

}  // namespace weft
