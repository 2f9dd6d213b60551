// Reducer: folds the blocks of a fused program's output into a Partial (array_partial.h).
//
//   Reducer reducer(spec, DType::kF64, rows, cols);
//   reducer.Add(values, row, col, n);  // elements (row, col) .. (row, col + n - 1)
//   Value partial = std::move(reducer).Finish();
//
// Axis "all" reduces each block to one summary (SIMD sums; var/std by two passes over the
// L1-resident block, merged with Chan's formula), "cols" does the same into the row's
// slot, "rows" folds each element into its column's slot (Welford for var/std). Blocks
// may arrive in any order, but within a slot in increasing (row, col) order — arg* ties
// keep the first index seen. A block may also be a run of a flattened chunk (row 0, col
// up to rows*cols) when the axis is "all": indices are computed from the flat position.
//
// Threading: single-threaded; one Reducer per task.
#pragma once

#include <cstdint>

#include "weft/value.h"
#include "worker/array/array_partial.h"
#include "worker/array/array_program.h"

namespace weft::array {

class Reducer {
 public:
  // `rows` x `cols`: the chunk being reduced (before any flattening).
  Reducer(const ReduceSpec& spec, DType input, int64_t rows, int64_t cols);

  // REQUIRES: the elements of `values` (of the input dtype, any alignment) are local
  // elements (row, col + j) for j < n, in a row, or flat positions when the axis is "all".
  void Add(const void* values, int64_t row, int64_t col, size_t n);

  // The partial Value; a chunk with no elements gives the identity, or for min/max/arg*
  // length-0 arrays (the "empty" marker).
  Value Finish() &&;

 private:
  void AddToSlot(size_t slot, const void* values, size_t n, int64_t first_position);
  void AddElementwise(size_t first_slot, const void* values, size_t n, int64_t row);
  void AddMoments(size_t slot, const void* values, size_t n);
  template <typename T>
  void AddBestElementwise(size_t first_slot, const void* values, size_t n, int64_t row);
  template <typename T>
  void AddBestToSlot(size_t slot, const void* values, size_t n, int64_t first_position);

  // Constant after construction.
  const ReduceSpec spec_;
  const DType input_;
  const int64_t rows_, cols_;

  Partial partial_;
};

}  // namespace weft::array
