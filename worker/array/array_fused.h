// The fused evaluator behind array.fused: one pass over the output chunk in blocks of up
// to kBlockElements elements of a row, every instruction a vectorised loop over the block
// (array_kernels.h), so all temporaries stay in L1. Non-broadcast "input" leaves are read
// in place (pointers into the input Buffers, no copy); scalars are filled once; each other
// register gets a block buffer, reused once its last reader has run. A chunk whose leaves
// are neither broadcast nor placed across rows (and whose reduction, if any, is over
// "all") is evaluated as one long row, so narrow chunks still get full blocks.
//
//   WEFT_ASSIGN_OR_RETURN(Program program, ParseFusedSpec(spec));
//   WEFT_ASSIGN_OR_RETURN(Value out, RunFused(program, inputs, context));
//
// Returns the output chunk (an array Value of rows*cols elements) or, with a reduction,
// the partial (array_partial.h). Errors: kInvalidArgument for inputs that do not match the
// program and for i64 pow with a negative exponent; kCancelled once context.cancelled().
//
// Threading: RunFused is reentrant; each call owns its buffers.
#pragma once

#include <cstddef>

#include "absl/status/statusor.h"
#include "weft/function.h"
#include "weft/value.h"
#include "worker/array/array_program.h"

namespace weft::array {

inline constexpr size_t kBlockElements = 1024;

// `inputs` are the task's args after the spec (input k is inputs[k]).
absl::StatusOr<Value> RunFused(const Program& program, const ValueList& inputs,
                               const TaskContext& context);

// An array Value of `dtype` taking ownership of `bytes` (uninitialized storage is fine).
Value MakeChunk(DType dtype, std::shared_ptr<char[]> bytes, size_t num_elements);
// The raw bytes of an array Value (DoubleArray, Int64Array or BoolArray), else nullptr.
const char* ChunkData(const Value& chunk);

}  // namespace weft::array
