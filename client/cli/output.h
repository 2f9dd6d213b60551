// Printing results for people: values as aligned tables or JSON (Value::ToJson), durations, and
// progress bars on stderr. Used by the `weft` command line.
//
// Threading: free functions, each blocking only the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "weft/client.h"
#include "weft/value.h"

namespace weft::cli {

// A list of [key, count]-like pairs, or a list of scalars, as an aligned table with the
// given column headers; anything else as JSON.
void PrintTable(std::ostream& out, const Value& value, const std::vector<std::string>& headers);

// "12.3 ms", "1.52 s".
std::string FormatSeconds(absl::Duration d);

// `weft info`: the client line, then where the dashboard is (when the scheduler serves
// one); with `verbose`, one line per worker under a header, columns aligned (as
// dask-scheduler's worker table): name, address, threads, memory its data store holds /
// limit, its process's memory (RSS), tasks processing, keys held, and running, paused
// or stuck; then, for each stuck worker, a line with its own account of it, and for each
// worker whose state machine refused transitions (a bug in weft), a line with how many
// (none when there were none: a column of zeros would say nothing).
std::string FormatClusterInfo(const ClusterInfo& info, bool verbose);

// Runs `work` — something that blocks until the cluster is done, such as Bag::compute() —
// with weft::progress bars on stderr: redrawn while it runs when stderr is a terminal;
// otherwise the final bars are appended to `*summary`, for the caller to print on stderr
// after the result (so that a pipe reads the result first). Returns what `work` returned.
absl::Status WithProgress(Client& client, const std::function<absl::Status()>& work,
                          std::string* summary);

}  // namespace weft::cli
