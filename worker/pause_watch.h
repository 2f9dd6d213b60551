// PauseWatch: tells when a paused worker is stuck. Pure: the time is given.
//
// A paused worker gets its memory down by itself: running tasks finish, its data spills
// to disk, the memory it freed goes back to the system (worker/process_memory.h). When
// none of that is left to do — no task running, no data in memory it can spill — and it
// is still over its pause threshold, it will not resume by itself: the memory is held for
// no data of ours (a leak, fragmentation, a plugin's caches), or by data that cannot go
// to disk (the local directory is full or gone, or the worker does not spill). PauseWatch
// says so once it has been that way for `timeout` without a break: the Worker then
// reports it and, under a nanny, has itself restarted (worker.h).
//
// Threading: not thread-safe; the Worker's memory monitor thread owns it.
#pragma once

#include "absl/time/time.h"

namespace weft {

class PauseWatch {
 public:
  explicit PauseWatch(absl::Duration timeout) : timeout_(timeout) {}

  // One look at the worker at `now`: whether it is paused, and whether it can still get
  // its memory down (a task runs, or data it holds in memory can be spilled). True once per stuck
  // spell: at the first look that finds it stuck for `timeout`.
  bool Observe(bool paused, bool can_shed, absl::Time now);
  // Since that look, and until it resumes or can shed again.
  bool stuck() const { return stuck_; }

 private:
  const absl::Duration timeout_;
  absl::Time since_ = absl::InfiniteFuture();  // stuck-looking since; InfiniteFuture: not
  bool stuck_ = false;
};

}  // namespace weft
