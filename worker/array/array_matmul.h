// array.matmul: C (m x n) = sum over i of A_i (m x k_i) @ B_i (k_i x n), for one output
// chunk of a blocked matrix product (spec and layout in array_functions.h).
//
// Cache-blocked: panels of kBlockK rows of B and kBlockN columns stay in L2 while every
// row of A streams past them; the innermost loop is a SIMD axpy over a row of B
// (kernels::AxpyF64, fused multiply-adds where the CPU has them). i64 wraps.
//
// Threading: pure function; checks `context` for cancellation between panels.
#pragma once

#include "absl/status/statusor.h"
#include "weft/function.h"
#include "weft/value.h"

namespace weft::array {

// `operands` are the task's args after the spec: a_0 .. a_{t-1}, b_0 .. b_{t-1}.
absl::StatusOr<Value> Matmul(const Value& spec, const ValueList& operands,
                             const TaskContext& context);

}  // namespace weft::array
