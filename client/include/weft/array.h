// weft::Array — a lazy, chunked, NumPy-like array on the cluster, as dask.array.
//
//   weft::Client client;
//   auto x = weft::Array::arange(client, 0, 15, 1, {5});
//   (x + 100).sum().compute()->item();                       // 1605
//   int64_t n = 100'000'000;
//   auto u = weft::Array::random_uniform(client, -1, 1, {n}, {5'000'000}, /*seed=*/1);
//   auto v = weft::Array::random_uniform(client, -1, 1, {n}, {5'000'000}, /*seed=*/2);
//   auto pi = 4 * ((u * u + v * v) < 1).sum() / n;            // a 0-d float64 array
//   pi.compute()->item();                                     // ≈ 3.1416
//
// An array is a grid of chunks (dask's `.chunks`: the chunk sizes along each axis), each
// chunk a task whose result is a flat row-major buffer in a worker's data store
// (DoubleArray, Int64Array or BoolArray values). Shapes, chunks and dtypes are known when
// the array is built, and so are the errors: shapes that do not broadcast, chunk sizes
// that do not add up, operations a dtype does not support, indices out of range. Such an
// Array is *failed*: status() says what went wrong, naming the operation and the shapes,
// every array built from it carries the same error, and compute()/persist() return it
// without running anything.
//
// Nothing runs until compute() or persist(). Chains of elementwise operations — and the
// creation functions and the reduction at their ends — fuse into one task per chunk that
// makes one pass over memory: `((x * x + y * y) < 1).sum()` over two random arrays is one
// task per chunk that generates, computes and counts, with no temporary arrays.
// Reductions combine per-chunk partial results in a tree (`split_every` inputs per combine
// task). Random arrays are counter-based (Random123's Philox): element i depends only on
// the seed and i, so the same seed gives the same array under any chunking on any worker.
//
// dtypes and NumPy's rules: float64, int64 and bool. Binary operations promote
// bool < int64 < float64 (a scalar takes the array's kind, as NumPy's value-based casting:
// `int_array * 2` is int64, `int_array * 2.5` float64); `/` always gives float64; `//` and
// `%` follow NumPy (the sign of the divisor; integer x // 0 and x % 0 are 0); `+` and `*` of
// two bools are `or` and `and`, `-` of bools is an error; `& | ^ ~` need int64 or bool;
// comparisons give bool; sqrt/exp/log/sin/cos give float64. Reductions: sum of int64 or
// bool is int64, mean/var/std float64, min/max keep the dtype, argmin/argmax int64 (a flat
// index without an axis), any/all bool, count_nonzero int64.
//
// Threading: Arrays are immutable values; copy them freely and use them from any thread.
// An Array must not outlive its Client's connection (compute reports kUnavailable then).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "weft/value.h"

namespace weft {

class Bag;
class Client;

namespace internal {
struct ArrayExpr;
class ClientCore;
}  // namespace internal

enum class DType { kBool, kInt64, kFloat64 };
// "bool", "int64", "float64" (NumPy's names).
const char* DTypeName(DType dtype);

using Shape = std::vector<int64_t>;
// Chunk sizes asked for, one per axis (one number for every axis; -1: the whole axis). The
// last chunk of an axis may be smaller, as in dask (15 in chunks of 4: 4, 4, 4, 3).
using ChunkSpec = std::vector<int64_t>;
// The chunk sizes along each axis (dask's `.chunks`).
using Chunks = std::vector<std::vector<int64_t>>;

// A computed array in the client's memory: `data` is a DoubleArray, Int64Array or
// BoolArray value holding the elements in row-major order.
struct LocalArray {
  DType dtype = DType::kFloat64;
  Shape shape;
  Value data;

  int64_t size() const;
  // Element i of the flat data as a Value (int, double or bool).
  Value at(int64_t i) const;
  // The only element of a 0-d (or one-element) array. REQUIRES: size() == 1.
  Value item() const;
  // The elements as doubles (bools 0/1, ints converted).
  std::vector<double> to_doubles() const;
};

// One axis of a subscript: an index (the axis is dropped) or a slice with optional start,
// stop and step (Python's rules: negative counts from the end, step may be negative).
struct Index {
  static Index At(int64_t i);
  static Index Slice(std::optional<int64_t> start = std::nullopt,
                     std::optional<int64_t> stop = std::nullopt,
                     std::optional<int64_t> step = std::nullopt);
  static Index All() { return Slice(); }

  bool is_index = false;
  int64_t index = 0;
  std::optional<int64_t> start, stop, step;
};

class Array {
 public:
  // A 0-d array holding a scalar (int, double or bool Value), bound to no cluster until it
  // meets an array that is: so `4 * x.sum() / n` works as in NumPy.
  Array(int v) : Array(Value(v)) {}
  Array(int64_t v) : Array(Value(v)) {}
  Array(double v) : Array(Value(v)) {}
  Array(bool v) : Array(Value(v)) {}
  explicit Array(const Value& scalar);

  // ---- Creation (dask.array's names; chunks as ChunkSpec above)
  // [start, stop) by step; int64 when start, stop and step are ints, else float64.
  static Array arange(Client& client, const Value& start, const Value& stop, const Value& step,
                      const ChunkSpec& chunks);
  static Array arange(Client& client, const Value& stop, const ChunkSpec& chunks) {
    return arange(client, Value(int64_t{0}), stop, Value(int64_t{1}), chunks);
  }
  // num evenly spaced float64 values from start to stop (included when endpoint).
  static Array linspace(Client& client, double start, double stop, int64_t num,
                        const ChunkSpec& chunks, bool endpoint = true);
  static Array ones(Client& client, const Shape& shape, const ChunkSpec& chunks,
                    DType dtype = DType::kFloat64);
  static Array zeros(Client& client, const Shape& shape, const ChunkSpec& chunks,
                     DType dtype = DType::kFloat64);
  // Every element `fill` (its dtype: int → int64, double → float64, bool → bool).
  static Array full(Client& client, const Shape& shape, const Value& fill, const ChunkSpec& chunks);
  // Uniform in [low, high) / normal(loc, scale), counter-based by seed.
  static Array random_uniform(Client& client, double low, double high, const Shape& shape,
                              const ChunkSpec& chunks, uint64_t seed);
  static Array random_normal(Client& client, double loc, double scale, const Shape& shape,
                             const ChunkSpec& chunks, uint64_t seed);
  // A local buffer (a DoubleArray, Int64Array or BoolArray value, row-major) cut into
  // chunks and scattered to the workers (Client::scatter: content-addressed keys, spread
  // over the workers by threads). Runs now; the array is then persisted.
  static Array from_array(Client& client, const Value& data, const Shape& shape,
                          const ChunkSpec& chunks);
  static Array from_vector(Client& client, const std::vector<double>& data,
                           const ChunkSpec& chunks);
  // The numeric field at `path` ("" the items themselves) of every item of `bag`, one
  // chunk per partition. Runs now, to learn the partitions' lengths (as dask's
  // compute_chunk_sizes); the array is then persisted.
  static Array from_bag(const Bag& bag, const std::string& path, DType dtype);

  // ---- What it is
  const absl::Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }
  DType dtype() const;
  const Shape& shape() const;
  int ndim() const { return static_cast<int>(shape().size()); }
  int64_t size() const;
  int64_t nbytes() const;
  const Chunks& chunks() const;
  // Chunks along each axis (dask's numblocks).
  std::vector<int64_t> numblocks() const;
  // "weft.Array<name, shape=(15,), dtype=int64, chunksize=(5,), chunktype=...>"
  std::string ToString() const;

  // ---- Elementwise (also the operators and free functions below)
  Array astype(DType dtype) const;
  Array pow(const Array& exponent) const;

  // ---- Reductions: over every axis (a 0-d array) or one; split_every: inputs per combine
  // task (0: 16).
  Array sum(std::optional<int> axis = std::nullopt, int split_every = 0) const;
  Array mean(std::optional<int> axis = std::nullopt, int split_every = 0) const;
  Array min(std::optional<int> axis = std::nullopt, int split_every = 0) const;
  Array max(std::optional<int> axis = std::nullopt, int split_every = 0) const;
  Array var(std::optional<int> axis = std::nullopt, int ddof = 0, int split_every = 0) const;
  Array std(std::optional<int> axis = std::nullopt, int ddof = 0, int split_every = 0) const;
  Array argmin(std::optional<int> axis = std::nullopt, int split_every = 0) const;
  Array argmax(std::optional<int> axis = std::nullopt, int split_every = 0) const;
  Array any(std::optional<int> axis = std::nullopt, int split_every = 0) const;
  Array all(std::optional<int> axis = std::nullopt, int split_every = 0) const;
  Array count_nonzero(std::optional<int> axis = std::nullopt, int split_every = 0) const;

  // ---- Structure
  // x[i], x[a:b:c], x[i, a:b] — one Index per axis, missing trailing axes taken whole.
  Array operator[](const std::vector<Index>& indices) const;
  Array operator[](const Index& index) const { return (*this)[std::vector<Index>{index}]; }
  Array rechunk(const ChunkSpec& chunks) const;
  Array transpose() const;
  Array T() const { return transpose(); }
  static Array concatenate(const std::vector<Array>& arrays, int axis = 0);
  // Blocked matrix product of two 2-d arrays (dask's a @ b); dot is the same here.
  Array matmul(const Array& other) const;
  Array dot(const Array& other) const { return matmul(other); }

  // ---- Running
  // Computes every chunk and assembles them here.
  absl::StatusOr<LocalArray> compute() const;
  // Starts computing every chunk on the cluster and returns at once: an array whose chunks
  // are those results (kept while it, or an array built from it, lives).
  Array persist() const;
  // Waits up to `timeout` for a persisted array's chunks (kDeadlineExceeded when some are
  // still running); then the first failed chunk's error, if any. An array that is not
  // persisted has nothing to wait for.
  absl::Status wait(absl::Duration timeout = absl::InfiniteDuration()) const;

  // ---- The graph
  // The tasks that compute this array, one per line, dask-style:
  //   ('add-sum-1f0c…', 0): fused(arange(0, 15, 1)[0:5] + 100 → sum)
  std::string graph() const;
  // The graph as Graphviz DOT at `path` (.dot), and rendered as SVG (same name, .svg) with
  // Graphviz's `dot`.
  absl::Status visualize(const std::string& path) const;

  // The expression (internal; used by the shell).
  const std::shared_ptr<const internal::ArrayExpr>& expr() const { return expr_; }

 private:
  friend struct internal::ArrayExpr;
  Array(absl::Status status);
  explicit Array(std::shared_ptr<const internal::ArrayExpr> expr);
  static Array Failed(absl::Status status) { return Array(std::move(status)); }

  absl::Status status_;
  std::shared_ptr<const internal::ArrayExpr> expr_;
};

// Elementwise with NumPy broadcasting; scalars convert to 0-d arrays.
Array operator+(const Array& a, const Array& b);
Array operator-(const Array& a, const Array& b);
Array operator*(const Array& a, const Array& b);
Array operator/(const Array& a, const Array& b);
Array operator%(const Array& a, const Array& b);
Array floor_divide(const Array& a, const Array& b);
Array operator<(const Array& a, const Array& b);
Array operator<=(const Array& a, const Array& b);
Array operator>(const Array& a, const Array& b);
Array operator>=(const Array& a, const Array& b);
Array operator==(const Array& a, const Array& b);
Array operator!=(const Array& a, const Array& b);
Array operator&(const Array& a, const Array& b);
Array operator|(const Array& a, const Array& b);
Array operator^(const Array& a, const Array& b);
Array operator-(const Array& a);
Array operator~(const Array& a);
Array pow(const Array& a, const Array& b);
Array maximum(const Array& a, const Array& b);
Array minimum(const Array& a, const Array& b);
Array where(const Array& condition, const Array& a, const Array& b);
Array abs(const Array& a);
Array sqrt(const Array& a);
Array exp(const Array& a);
Array log(const Array& a);
Array sin(const Array& a);
Array cos(const Array& a);

}  // namespace weft
