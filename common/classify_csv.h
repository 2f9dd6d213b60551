// The example classifier of issue 13 (the Wallaroo write-up's "black box"): one
// implementation shared by the worker function `example.classify_csv` (the parallel step of
// a streaming pipeline) and `weft classify-file` (the serial reference run). Both must
// produce the same bytes for the same rows, so both call ClassifyCsvBatch.
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace weft {

// Labels each data row of a CSV batch. The batch is rows separated by '\n' (a final '\n'
// is optional; blank rows are skipped, as pandas does); when `has_header`, its first row is
// the header, which sets the number of fields and is not copied to the output. Fields are
// split on ',' (no quoting: the rows are plain numbers).
//
// For each data row, after burning `burn_us` microseconds of CPU (a busy loop on the
// steady clock, not a sleep: the write-up's per-row cost), appends ",high" when the sum of
// the fields after the first (the index column) that parse as numbers (as Python's float()
// reads them; other fields are ignored) is greater than `threshold`, else ",low".
// Output: each labelled data row followed by '\n', in input order, no header.
//
// kInvalidArgument when a data row has another number of fields than the header: "row 3
// has 4 fields, the header has 11" (rows counted from 1 within the batch, the header and
// blank rows included, so for a whole file it is the line number).
absl::StatusOr<std::string> ClassifyCsvBatch(std::string_view batch, bool has_header,
                                             double threshold, int64_t burn_us);

}  // namespace weft
