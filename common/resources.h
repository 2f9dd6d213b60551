// Abstract resources, as dask's: "GPU=2 MEM=10e9" (entries separated by spaces, commas or
// tabs; NAME=AMOUNT, amount a number > 0). What a worker has (weft-worker --resources) and
// what a task asks for (weft submit --resources) are written the same way.
//
// Threading: a free function; thread-safe.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace weft {

// The resources `text` names (empty text: none). kInvalidArgument naming the bad entry.
absl::StatusOr<std::map<std::string, double>> ParseResources(const std::string& text);

}  // namespace weft
