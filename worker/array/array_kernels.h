// Block kernels of the fused evaluator: one op over `n` elements (a block of a row), SIMD
// with runtime dispatch (Highway: the best target this CPU supports is chosen at the first
// call; never -march=native).
//
// Pointers: operands may be unaligned (chunks decoded by the codec are slices at arbitrary
// offsets) and are read in place; `out` must not overlap an operand unless it is the same
// pointer. Elements are f64 (double), i64 (int64_t) or bool (uint8_t, 0 or 1) as `dtype`
// says. Semantics are NumPy's (array_functions.h lists them): i64 arithmetic wraps,
// i64 x // 0 == x % 0 == 0, mod takes the divisor's sign, min2/max2 propagate NaN.
// REQUIRES for kPow on i64: no negative exponent (the caller checks: that is a task error).
//
// Threading: pure functions; call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "worker/array/array_program.h"

namespace weft::array::kernels {

// The elementwise op `op` (unary, binary or compare; see the per-function REQUIRES).
// Unary: neg, abs, sqrt, exp, log, sin, cos, invert; `dtype` is the operand's (= result's).
void Unary(Op op, DType dtype, const void* a, void* out, size_t n);
// Binary arithmetic/logic: add ... xor, operands and result of `dtype`.
void Binary(Op op, DType dtype, const void* a, const void* b, void* out, size_t n);
// Comparisons lt ... ne of two `dtype` operands into bools.
void Compare(Op op, DType dtype, const void* a, const void* b, uint8_t* out, size_t n);
void Cast(DType from, DType to, const void* a, void* out, size_t n);
// out[i] = c[i] ? a[i] : b[i].
void Where(DType dtype, const uint8_t* c, const void* a, const void* b, void* out, size_t n);
// Fills out[0..n) with the element at `value` (one element of `dtype`).
void Fill(DType dtype, const void* value, void* out, size_t n);

// True when some b[i] < 0 (i64 pow's error check).
bool AnyNegative(const int64_t* b, size_t n);

// Block summaries for reductions (as double for f64, exact int64 otherwise).
double SumF64(const double* a, size_t n);
int64_t SumI64(const int64_t* a, size_t n);
int64_t CountTrue(const uint8_t* a, size_t n);
int64_t CountNonzero(DType dtype, const void* a, size_t n);
// sum((a[i] - mean)^2): the second pass of a block's variance.
double SumSquaredDeviations(const double* a, size_t n, double mean);

// y[i] += a * x[i] (matmul's inner loop); f64 may use fused multiply-adds.
void AxpyF64(double a, const double* x, double* y, size_t n);
void AxpyI64(int64_t a, const int64_t* x, int64_t* y, size_t n);  // wraps

}  // namespace weft::array::kernels
