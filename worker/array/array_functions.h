// The array functions a weft worker runs for the client's chunked arrays (weft::Array,
// client/include/weft/array.h): array.fused, array.combine, array.assemble, array.matmul
// and array.from_items, registered with the raw signature
//   absl::StatusOr<Value> F(const ValueList& args, const TaskContext& context)
// args[0] is the spec (a Record), the rest are chunks or partials. Errors are task errors:
// kInvalidArgument naming the place (instruction index and op, input/piece index), and
// kCancelled once the task's key is released (the kernels check every few blocks).
//
// Threading: every function is reentrant (no shared state).
//
// Choices where the contract below leaves room (NumPy's answer where there is one):
//   - Uniform bits: bits = (w1 << 32) | w0 of the Philox output words, u = (bits >> 11) *
//     2^-53. Normal: u1 from (w1:w0) as ((bits >> 11) + 1) * 2^-53, u2 from (w3:w2).
//     Normals use SIMD log/sin/cos: equal bitwise for any chunking on one machine; workers
//     with different SIMD targets may differ in the last bit (array_random.h).
//   - Empty chunks: sum/mean/var/std/any/all/count_nonzero give the identity partial
//     with one entry per slot; min/max/arg* give length-0 arrays (the "empty" marker),
//     which combine skips. If every partial is empty, final min/max/arg* is the error
//     "zero-size array to reduction operation OP which has no identity", other ops give
//     length-0 arrays.
//   - var/std divide by max(count - ddof, 0) (NumPy: m2/0 is nan or inf, no error).
//   - f64 → i64 casts truncate; NaN and out-of-range values give INT64_MIN (NumPy on x86).
//     Any value → bool is `!= 0` (NaN is true). i64 x // -1 wraps at INT64_MIN.
//   - "scalar" of dtype i64 accepts an integral double; "input"/generator broadcast flags
//     accept 0/1 or false/true.
//   - array.from_items with dtype i64 truncates double items toward zero (astype).
//   - array.matmul with dtype bool is an error (the client casts to i64 first).
//   - min2/max2 of f64 propagate NaN from either operand (np.minimum/np.maximum).
//   - arg* ties between partials keep the smaller global index (the earliest partial when
//     partials come in index order, and NumPy's first occurrence for any grid order).
//   - var/std partials hold (count, mean, m2) as the contract says; on data whose mean is
//     ~1e6 standard deviations from zero, the mean's rounding limits the merged variance
//     to ~1e-11 relative (two-pass NumPy does better there); at mean/std ~1e3, 1e-12 holds.
//
// ---- The contract (the client builds these specs; this is the document of record) ----
//
// # Weft arrays: the worker functions' contract (client builds, worker runs)
//
// Chunks are flat row-major buffers in ordinary Values:
//   float64 → DoubleArray, int64 → Int64Array, bool → BoolArray (NEW ValueKind kBoolArray = 11:
//   one byte per element, 0 or 1; `struct BoolArray { Buffer data; size_t size() const; bool
//   operator[](size_t) const; }`, with codec, nbytes, DebugString ("bool_array"), equality,
//   same as the other two arrays).
// dtype names in specs: "f64", "i64", "bool".
//
// Every kernel works in rank 2: a chunk is `rows × cols` (the client maps a 0-d array to 1×1
// and a 1-d array of n to 1×n). Integers in specs are int64 Values, floats double Values.
//
// ## array.fused(spec, inputs...)
// One pass over the output chunk, in blocks (e.g. 1024 elements of a row at a time, so every
// temporary lives in L1), evaluating a straight-line program; optionally reduces the result.
//
// spec (Record):
//   "shape":  [rows, cols]                 the output chunk (before any reduction)
//   "code":   [instr, ...]                 register i = result of instr i; the last is the output
//   "reduce": (optional) Record {"op": OP, "axis": "all" | "rows" | "cols",
//              "index_offset": [r0, c0], "index_cols": C}
//   inputs:   args[1..]: chunk Values (input k is args[1 + k])
//
// Instructions (each a list; first item op name, second the dtype of the RESULT unless noted):
//   ["input", dt, k, brow, bcol]   leaf: input chunk k, of dtype dt. brow/bcol (0/1): 1 when
//                                  the leaf has a single row/col broadcast over the output's
//                                  rows/cols. Its element count is (brow?1:rows)*(bcol?1:cols);
//                                  a mismatch or wrong kind is an error naming input k.
//   ["scalar", dt, v]              constant (v int, double or bool Value)
//   Generators (leaf over a *global* array of shape [grows, gcols]; this chunk's top-left
//   element is at global [r0, c0]; brow/bcol as for input; the global flat index of local
//   element (r, c) is g = (r0 + (brow?0:r)) * gcols + (c0 + (bcol?0:c)) ):
//   ["arange", dt, start, step, gcols, r0, c0, brow, bcol]      start + g*step (f64 or i64)
//   ["linspace", "f64", start, step, stop, num, gcols, r0, c0, brow, bcol]
//                                  g*step + start, and exactly `stop` when g == num-1 (NumPy's)
//   ["uniform", "f64", seed, low, high, gcols, r0, c0, brow, bcol]
//   ["normal", "f64", seed, loc, scale, gcols, r0, c0, brow, bcol]
//       Counter-based: Random123 philox4x32-10 (librandom123-dev, <Random123/philox.h>), key =
//       seed (uint64 split lo/hi), counter = {g_lo32, g_hi32, 0, 0} for uniform
//       (u = 53-bit double in [0,1) from two output words; value low + (high-low)*u), and for
//       normal: counter = {p_lo, p_hi, 1, 0} with p = g / 2, Box–Muller on two 53-bit
//       uniforms (u1 in (0,1]), g even → r*cos(θ), g odd → r*sin(θ); value loc + scale*z.
//       So element g depends only on (seed, g): any chunking, any worker, same array.
//   Unary, operand register a (dt = result dtype):
//   ["neg"|"abs", f64|i64, a], ["sqrt"|"exp"|"log"|"sin"|"cos", "f64", a] (operand f64),
//   ["invert", i64|bool, a] (~: bitwise for i64, logical not for bool),
//   ["cast", to_dt, a] (from the operand's dtype: bool→i64/f64, i64→f64, f64→i64 (trunc),
//                       i64/f64→bool (!= 0))
//   Binary, operands a, b of the SAME dtype `dt` (the client inserts casts):
//   ["add"|"sub"|"mul", f64|i64, a, b]  (i64 wraps as NumPy)
//   ["div", "f64", a, b]                 (IEEE: x/0 = ±inf or nan)
//   ["floordiv"|"mod", f64|i64, a, b]    NumPy semantics: result sign of the divisor for mod;
//                                         for i64, x // 0 = 0 and x % 0 = 0 (NumPy's, no error)
//   ["pow", f64|i64, a, b]               i64 with a negative exponent: task error
//                                         "Integers to negative integer powers are not allowed."
//   ["max2"|"min2", f64|i64, a, b]
//   ["and"|"or"|"xor", i64|bool, a, b]   bitwise for i64, logical for bool
//   ["lt"|"le"|"gt"|"ge"|"eq"|"ne", dt, a, b]   dt = the OPERANDS' dtype; result is bool
//   ["where", dt, c, a, b]               c bool, a and b of dtype dt
//
// Reductions (spec "reduce"), over the value of the last register; the result of the task is
// then a PARTIAL: a ValueList of arrays, each of length 1 ("all"), cols ("rows": reduce over
// the rows, one entry per column) or rows ("cols": one per row):
//   "sum":           [acc]  f64 input → DoubleArray; i64/bool input → Int64Array (wraps)
//   "min" | "max":   [acc]  same dtype as the input (BoolArray for bool). NaN propagates (NumPy)
//   "any" | "all":   [BoolArray]
//   "count_nonzero": [Int64Array]
//   "mean":          [sum DoubleArray, count Int64Array]
//   "var" | "std":   [count Int64Array, mean DoubleArray, m2 DoubleArray]  (Chan/Welford merge:
//                    numerically stable, a block's mean and m2 by two passes over the L1 block)
//   "argmin" | "argmax": [value (input dtype), index Int64Array]; the index is GLOBAL:
//                    "all": (r0 + r) * C + (c0 + c) with [r0, c0] = index_offset, C = index_cols;
//                    "rows": r0 + r;  "cols": c0 + c.  Ties: the smallest index; NaN wins first.
// An empty chunk (0 elements) gives the identity partial (sum 0, count 0, min/max/arg*: count-0
// marker — use an extra convention: a partial of length 0 arrays is "empty" and combine skips it).
//
// ## array.combine(spec, partials...)
// spec Record {"op": OP, "final": bool, "ddof": int (var/std, default 0)}.
// Merges partials of the same op and length entry by entry (in argument order, so ties in
// arg* keep the earliest partial). final=false: returns the merged partial (same format).
// final=true: returns the result chunk: sum/min/max/any/all/count_nonzero → the array;
// mean → DoubleArray sum/count; var → m2/(count-ddof); std → sqrt of that;
// argmin/argmax → the Int64Array of indices. (min/max/arg* of zero elements: task error
// "zero-size array to reduction operation min which has no identity", as NumPy.)
//
// ## array.assemble(spec, sources...)
// Builds one output chunk from strided pieces of source chunks (slicing with steps,
// rechunk, concatenate, transpose).
// spec Record {"dtype": dt, "shape": [rows, cols], "pieces": [piece, ...]}
// piece = [k, src_rows, src_cols, r0, rstep, c0, cstep, dst_r0, dst_c0, nr, nc, transpose]
//   k: source index (args[1 + k]); the source is src_rows × src_cols.
//   transpose 0: out[dst_r0 + i][dst_c0 + j] = src[r0 + i*rstep][c0 + j*cstep]
//   transpose 1: out[dst_r0 + i][dst_c0 + j] = src[r0 + j*rstep][c0 + i*cstep]
//   for i < nr, j < nc; steps may be negative. Out-of-range source indices: task error.
//   Elements no piece covers are an error (the client always covers the chunk).
//
// ## array.matmul(spec, a_0..a_{t-1}, b_0..b_{t-1})
// spec {"dtype": f64|i64, "m": M, "n": N, "k": [k_0, ..., k_{t-1}]}: the sum over i of
// A_i (M × k_i) @ B_i (k_i × N), both of `dtype`; a cache-blocked kernel (f64 vectorised).
//
// ## array.from_items(partition, spec)   (partition first, as Bag::map_partitions calls)
// spec {"dtype": dt}: a Bag partition (whatever the Bag functions produce after pluck:
// ValueList of numbers/bools/null, or an array) → a chunk of dt. A null or non-number item is a
// task error naming its index. (bool item → 1/0 for numeric dtypes.)

#pragma once

#include "absl/status/statusor.h"
#include "weft/function.h"
#include "weft/value.h"

namespace weft::array {

// The registered functions, callable directly (tests, benchmarks).
absl::StatusOr<Value> FusedFunction(const ValueList& args, const TaskContext& context);
absl::StatusOr<Value> CombineFunction(const ValueList& args, const TaskContext& context);
absl::StatusOr<Value> AssembleFunction(const ValueList& args, const TaskContext& context);
absl::StatusOr<Value> MatmulFunction(const ValueList& args, const TaskContext& context);
absl::StatusOr<Value> FromItemsFunction(const ValueList& args, const TaskContext& context);

}  // namespace weft::array
