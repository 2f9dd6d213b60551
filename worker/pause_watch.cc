#include "worker/pause_watch.h"

namespace weft {

bool PauseWatch::Observe(bool paused, bool can_shed, absl::Time now) {
  if (!paused || can_shed) {
    since_ = absl::InfiniteFuture();
    stuck_ = false;
    return false;
  }
  if (since_ == absl::InfiniteFuture()) since_ = now;
  if (stuck_ || now - since_ < timeout_) return false;
  stuck_ = true;
  return true;
}

}  // namespace weft
