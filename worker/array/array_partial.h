// Partial results of array reductions: what array.fused returns with a "reduce" spec and
// what array.combine merges (formats in array_functions.h). A Partial holds `slots`
// independent reductions (1 for axis "all", one per column or row otherwise).
//
//   Partial p = ...;                       // from a Reducer (array_reduce.h) or FromValue
//   WEFT_RETURN_IF_ERROR(p.Merge(other));  // entry by entry; ties keep p's
//   Value partial = p.ToValue();  or  WEFT_ASSIGN_OR_RETURN(Value result, p.Finalize(ddof));
//
// Threading: a plain value; not synchronized.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "weft/value.h"
#include "worker/array/array_program.h"

namespace weft::array {

struct Partial {
  ReduceOp op = ReduceOp::kSum;
  // The dtype of the reduced values (sum: f64 or i64 accumulator; min/max/arg*: the
  // input's; other ops ignore it).
  DType dtype = DType::kF64;
  size_t slots = 0;
  // Per slot, by op: sum/min/max/arg value (f64 in f, i64 and bool in i); mean: sum in f,
  // count; var: count, mean in f, m2; any/all/count_nonzero: i; arg*: index.
  std::vector<double> f;
  std::vector<int64_t> i;
  std::vector<int64_t> count;
  std::vector<double> m2;
  std::vector<int64_t> index;
  // Length-0 arrays: a chunk with no elements (combine skips it).
  bool empty = false;

  // An identity partial of `slots` entries (sum 0, all true, count 0, ...). For min/max/
  // arg* there is no identity: the caller fills every slot (or marks the partial empty).
  static Partial Identity(ReduceOp op, DType dtype, size_t slots);
  // Parses a partial Value of `op`. kInvalidArgument naming `where` if it is malformed.
  static absl::StatusOr<Partial> FromValue(ReduceOp op, const Value& v, absl::string_view where);

  // Merges `other` (the same op, dtype and slots) into this, entry by entry; on ties in
  // arg* the smaller index wins (so also the earlier partial, when partials come in
  // index order).
  absl::Status Merge(const Partial& other);
  Value ToValue() const;
  // The reduction's result array; var/std divide by max(count - ddof, 0).
  absl::StatusOr<Value> Finalize(int64_t ddof) const;
};

// The partial's dtype when reducing values of `input` dtype with `op`.
DType PartialDType(ReduceOp op, DType input);

// Chan et al.'s pairwise merge of (count, mean, m2) statistics.
void MergeMoments(int64_t nb, double mean_b, double m2_b, int64_t* na, double* mean_a,
                  double* m2_a);

// Packs numbers into array Values.
Value DoubleArrayOf(const std::vector<double>& v);
Value Int64ArrayOf(const std::vector<int64_t>& v);
Value BoolArrayOf(const std::vector<int64_t>& v);  // nonzero → true

}  // namespace weft::array
