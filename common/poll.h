// PollUntil: waiting for a condition that nothing signals (a file to appear, a child to
// exit, the scheduler's view to reach a state), the one way weft code and tests do it.
//
//   bool ready = PollUntil([&] { return std::filesystem::exists(path); },
//                          absl::Now() + absl::Seconds(30));
//
// Checks `done()` at once, then every `interval` until it holds (true) or `deadline`
// passes (false, after one last check). For conditions that can be awaited directly (a
// Notification, a Mutex condition, a future), wait on those instead.
//
// Threading: runs on the calling thread; `done` is called there only.
#pragma once

#include <algorithm>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace weft {

template <typename Done>
bool PollUntil(Done&& done, absl::Time deadline, absl::Duration interval = absl::Milliseconds(10)) {
  while (true) {
    if (done()) return true;
    const absl::Time now = absl::Now();
    if (now >= deadline) return false;
    absl::SleepFor(std::min(interval, deadline - now));
  }
}

}  // namespace weft
