// The scheduler file, as dask's --scheduler-file: a small JSON document,
// {"address": "HOST:PORT", "pid": N}, that weft-scheduler writes once it listens and that
// workers, local clusters and tests read to find it. Its format lives only here.
//
// Threading: free functions, no shared state.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace weft {

// Writes the file next to its final name, then renames it: readers never see half of it.
absl::Status WriteSchedulerFile(const std::string& path, const std::string& address);

// The "address" of the scheduler file at `path`. Waits (polling every 10 ms) for the file
// to appear and hold an address: kDeadlineExceeded after `deadline`, naming what was wrong
// with the file; kUnavailable as soon as `gave_up()` (optional) says there is no point
// waiting (for example, the scheduler process exited).
absl::StatusOr<std::string> ReadSchedulerFile(const std::string& path, absl::Time deadline,
                                              const std::function<bool()>& gave_up = nullptr);

}  // namespace weft
