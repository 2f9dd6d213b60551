// ArrayExpr: the lazy form of a weft::Array (internal).
//
// An array is one of
//   - kScalar: a 0-d constant (a Value), bound to no cluster;
//   - kGenerator: a creation function evaluated inside whichever task needs its elements
//     (arange, linspace, full, uniform, normal), so creating an array costs no task of
//     its own when something consumes it;
//   - kBlocks: materialized chunks, one task node per chunk (row-major over the chunk
//     grid): the output of reductions, slicing, rechunking, matmul, or persisted chunks;
//   - kElementwise: an operation over operand arrays, with NumPy broadcasting.
// Generators and elementwise trees are lowered (array_lower.cc) to one `array.fused` task
// per output chunk: the whole tree, down to its kBlocks and generator leaves, becomes one
// straight-line program (worker/array/array_functions.h describes the instructions).
//
// Threading: immutable after construction; shared between Arrays by shared_ptr because
// arrays are values that share their operands.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/bag_node.h"
#include "weft/array.h"

namespace weft::internal {

class ClientCore;
struct ArrayExpr;
using ArrayExprPtr = std::shared_ptr<const ArrayExpr>;

struct ArrayExpr {
  enum class Kind { kScalar, kGenerator, kBlocks, kElementwise };

  Kind kind = Kind::kScalar;
  DType dtype = DType::kFloat64;
  Shape shape;
  Chunks chunks;
  std::shared_ptr<ClientCore> core;  // null for an unbound scalar
  // What identifies the array (hashed into its chunks' keys), and the name its keys and
  // the graph printout carry ("arange", "add", "sum-aggregate").
  std::string token;
  std::string name;

  Value scalar;                    // kScalar
  std::string generator;           // kGenerator: arange, linspace, full, uniform, normal
  std::vector<Value> params;       // kGenerator's parameters, in instruction order
  std::vector<BagNodePtr> blocks;  // kBlocks: row-major over the chunk grid
  std::string op;                  // kElementwise: the instruction ("add", "lt", "cast", ...)
  std::vector<ArrayExprPtr> operands;

  // An Array holding `expr`.
  static Array Wrap(ArrayExprPtr expr) { return Array(std::move(expr)); }
  static Array Fail(absl::Status status) { return Array(std::move(status)); }
};

// ---- Shapes and chunks (array_chunks.cc)

// "(3, 4)" and "(3,)" as Python prints shapes.
std::string ShapeString(const Shape& shape);
// "((5, 5, 5),)" as dask prints chunks.
std::string ChunksString(const Chunks& chunks);
// The chunk sizes of `shape` asked for by `spec`; kInvalidArgument naming `op` for a
// spec of the wrong length, a size of 0 or below -1, or a negative dimension.
absl::StatusOr<Chunks> NormalizeChunks(const Shape& shape, const ChunkSpec& spec,
                                       const std::string& op);
// Explicit chunks (rechunk to a dask-style tuple of tuples): each axis's sizes must add up
// to its length.
absl::Status CheckChunks(const Shape& shape, const Chunks& chunks, const std::string& op);
// Start offsets of each chunk along one axis (size n+1, last = the axis length).
std::vector<int64_t> ChunkStarts(const std::vector<int64_t>& sizes);
// The chunks whose boundaries are the union of `a`'s and `b`'s (same total).
std::vector<int64_t> RefineChunks(const std::vector<int64_t>& a, const std::vector<int64_t>& b);
int64_t NumElements(const Shape& shape);
// The kernels' name of a dtype: "f64", "i64", "bool" (worker/array/array_functions.h).
const char* KernelDType(DType dtype);
// NumPy's promotion for two operands: bool < int64 < float64.
inline DType Promote(DType a, DType b) { return a < b ? b : a; }
// A list of int Values.
Value IntList(std::initializer_list<int64_t> values);

// ---- Building (array_expr.cc)

// Binds a scalar or failed state: the core of whichever operand has one.
std::shared_ptr<ClientCore> CoreOf(const std::vector<ArrayExprPtr>& operands);
// A generator array.
Array MakeGenerator(std::shared_ptr<ClientCore> core, std::string generator, DType dtype,
                    const Shape& shape, const ChunkSpec& chunks, std::vector<Value> params);
// Chunks already on (or being computed by) the cluster.
ArrayExprPtr MakeBlocks(std::shared_ptr<ClientCore> core, std::string name, DType dtype,
                        Shape shape, Chunks chunks, std::vector<BagNodePtr> blocks);
// `op` over operands of one dtype (the caller casts); `dtype` is the result's. Checks that
// the shapes broadcast (kInvalidArgument naming `symbol` and the shapes otherwise).
absl::StatusOr<ArrayExprPtr> MakeElementwise(const std::string& op, const std::string& symbol,
                                             DType dtype, std::vector<ArrayExprPtr> operands);
// `e` converted to `dtype` (itself when it already is).
ArrayExprPtr Cast(const ArrayExprPtr& e, DType dtype);

// ---- Lowering to tasks (array_lower.cc)

// The array as chunk task nodes (kBlocks), fusing elementwise trees and generators.
absl::StatusOr<ArrayExprPtr> Materialize(const ArrayExprPtr& e);
// A reduction of `e` (op as in worker/array/array_functions.h) over every axis or one.
absl::StatusOr<ArrayExprPtr> Reduce(const ArrayExprPtr& e, const std::string& op,
                                    std::optional<int> axis, int ddof, int split_every);
// `e` with chunks `chunks` (same shape).
absl::StatusOr<ArrayExprPtr> Rechunk(const ArrayExprPtr& e, const Chunks& chunks);

// ---- Structure (array_structure.cc)

// Arrays as the kernels see them: rank 2, a 0-d array 1 x 1 and a 1-d array of n 1 x n.
using Dims2 = std::array<int64_t, 2>;
Dims2 Pad2(const Shape& shape);
std::array<std::vector<int64_t>, 2> PadChunks(const Chunks& chunks);

// One axis of a view (in rank-2 terms): output index o reads source axis `src_axis` at
// start + o * step; src_axis -1 for an axis the output has only as padding.
struct AxisMap {
  int src_axis = -1;
  int64_t start = 0;
  int64_t step = 1;
};
// A view of `src` (materialized first) with `shape` and `chunks`: output axis d (rank-2
// terms) reads as `axes[d]` says; a source axis no output axis reads is held at `fixed`'s
// index. One array.assemble task per output chunk — or, where an output chunk is exactly a
// source chunk, that chunk itself.
absl::StatusOr<ArrayExprPtr> ViewOf(const ArrayExprPtr& src, const std::string& name, Shape shape,
                                    Chunks chunks, std::array<AxisMap, 2> axes, Dims2 fixed);

absl::StatusOr<ArrayExprPtr> Subscript(const ArrayExprPtr& e, const std::vector<Index>& indices);
absl::StatusOr<ArrayExprPtr> Transpose(const ArrayExprPtr& e);
absl::StatusOr<ArrayExprPtr> Concatenate(const std::vector<ArrayExprPtr>& arrays, int axis);
absl::StatusOr<ArrayExprPtr> Matmul(const ArrayExprPtr& a, const ArrayExprPtr& b);

// ---- Printing (array_print.cc)

// The tasks of `e`'s graph, one per line, dask-style.
std::string GraphText(const ArrayExprPtr& e);
// The graph as Graphviz DOT.
std::string GraphDot(const ArrayExprPtr& e);

}  // namespace weft::internal
