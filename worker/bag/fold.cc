// The accumulators of foldby and reduce_by_key, shared by the tree reductions
// (bag_reduce.cc) and the shuffle (bag_shuffle.cc).
#include "worker/bag/fold.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "worker/bag/value_order.h"

namespace weft::bag {

// [a, b] without the copies an initializer list makes.
Value MakePair(Value a, Value b) {
  ValueList pair;
  pair.reserve(2);
  pair.push_back(std::move(a));
  pair.push_back(std::move(b));
  return Value(std::move(pair));
}

absl::StatusOr<FoldOp> ParseFoldOp(const std::string& op, const char* function) {
  if (op == "count") return FoldOp::kCount;
  if (op == "sum") return FoldOp::kSum;
  if (op == "min") return FoldOp::kMin;
  if (op == "max") return FoldOp::kMax;
  return absl::InvalidArgumentError(
      absl::StrCat(function, "(): op must be count, sum, min or max, got \"", op, "\""));
}

Value InitialAccumulator(FoldOp op) {
  return op == FoldOp::kCount || op == FoldOp::kSum ? Value(int64_t{0}) : Value();
}

// Folds `v` into `acc`: counts and sums add (ints stay ints until they overflow or meet a
// double), min and max keep the extreme non-null value.
absl::Status Accumulate(FoldOp op, const Value& v, Value* acc, const char* function) {
  if (v.is_null()) return absl::OkStatus();
  if (op == FoldOp::kMin || op == FoldOp::kMax) {
    const int c = acc->is_null() ? 0 : CompareValues(v, *acc);
    if (acc->is_null() || (op == FoldOp::kMin ? c < 0 : c > 0)) *acc = v;
    return absl::OkStatus();
  }
  if (!v.is_int() && !v.is_double()) {
    return absl::InvalidArgumentError(
        absl::StrCat(function, "(): cannot add a ", v.kind_name(), " (", v.DebugString(40), ")"));
  }
  int64_t sum;
  if (acc->is_int() && v.is_int() && !__builtin_add_overflow(acc->as_int(), v.as_int(), &sum)) {
    *acc = Value(sum);
    return absl::OkStatus();
  }
  auto as_double = [](const Value& x) {
    return x.is_int() ? static_cast<double>(x.as_int()) : x.as_double();
  };
  *acc = Value(as_double(*acc) + as_double(v));
  return absl::OkStatus();
}

// [[key, acc], ...] sorted by key.
Value SortedByKey(std::vector<std::pair<Value, Value>> pairs) {
  std::sort(pairs.begin(), pairs.end(),
            [](const auto& a, const auto& b) { return CompareValues(a.first, b.first) < 0; });
  ValueList out;
  out.reserve(pairs.size());
  for (auto& [key, acc] : pairs) out.push_back(MakePair(std::move(key), std::move(acc)));
  return Value(std::move(out));
}

}  // namespace weft::bag
