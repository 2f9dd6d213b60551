// IdleTimer: when an idle scheduler should exit (weft-scheduler --idle-timeout), as
// dask-scheduler's --idle-timeout. The service decides what idle means (no client
// connected, no task waiting, queued, in no-worker or processing: workers alone do not
// keep a scheduler busy) and asks at every tick; this remembers since when.
//
// Pure: the time is a parameter. Not thread-safe (the service's loop thread owns it).
#pragma once

#include "absl/time/time.h"

namespace weft::scheduler {

class IdleTimer {
 public:
  // `timeout` zero (or negative): never expires.
  explicit IdleTimer(absl::Duration timeout) : timeout_(timeout) {}

  // Whether the scheduler has now been idle for the whole timeout: `idle` is its state at
  // `now`; any busy moment starts the count again. Once true, stays true.
  bool Expired(bool idle, absl::Time now) {
    if (timeout_ <= absl::ZeroDuration()) return false;
    if (expired_) return true;
    if (!idle) {
      idle_since_ = absl::InfiniteFuture();
      return false;
    }
    if (idle_since_ == absl::InfiniteFuture()) idle_since_ = now;
    expired_ = now - idle_since_ >= timeout_;
    return expired_;
  }

  absl::Duration timeout() const { return timeout_; }

 private:
  const absl::Duration timeout_;
  absl::Time idle_since_ = absl::InfiniteFuture();
  bool expired_ = false;
};

}  // namespace weft::scheduler
