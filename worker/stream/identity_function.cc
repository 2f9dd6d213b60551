// Registers the no-op parallel step of streaming pipelines, for benchmarks and tests
// (bench/run_stream.sh measures the pipeline's own cost with it):
//
//   stream.identity(batch string|bytes, args record) -> the batch, unchanged
//
// A batch's rows each end with '\n' (BatchRows), which is what a parallel step must
// return, so the sink writes the input rows back out. `args` is ignored. The builtin
// `identity` takes one argument; a parallel step is called with two.
//
// Threading: reentrant (no shared state).
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "weft/function.h"
#include "weft/value.h"

namespace weft {
namespace {

absl::StatusOr<Value> StreamIdentity(const Value& batch, const Record& /*args*/) {
  if (!batch.is_string() && !batch.is_bytes()) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 1 (batch) must be string or bytes, got ", batch.kind_name()));
  }
  return batch;
}

}  // namespace
}  // namespace weft

WEFT_FUNCTION("stream.identity", weft::StreamIdentity);
