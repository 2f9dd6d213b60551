// Accumulators shared by foldby's tree reduction (bag_reduce.cc) and the shuffle's
// reduce_by_key (bag_shuffle.cc), so both add, count and compare the same way.
//
// Threading: free functions; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "weft/value.h"

namespace weft::bag {

enum class FoldOp { kCount, kSum, kMin, kMax };

// "count", "sum", "min", "max"; else kInvalidArgument naming `function`.
absl::StatusOr<FoldOp> ParseFoldOp(const std::string& op, const char* function);
// 0 for count and sum, null for min and max.
Value InitialAccumulator(FoldOp op);
// Folds `v` into `acc`: counts and sums add (ints stay ints until they overflow or meet a
// double), min and max keep the extreme non-null value; nulls are skipped. Adding a
// non-number is kInvalidArgument naming `function`.
absl::Status Accumulate(FoldOp op, const Value& v, Value* acc, const char* function);
// [a, b].
Value MakePair(Value a, Value b);
// [[key, acc], ...] sorted by key (value_order.h).
Value SortedByKey(std::vector<std::pair<Value, Value>> pairs);

}  // namespace weft::bag
