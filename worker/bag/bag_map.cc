// Element-wise functions with expressions or plugin functions: map, flatten, to_pairs,
// map_values (shuffle_ops.h).
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/bag/expr.h"
#include "worker/bag/fold.h"
#include "worker/bag/partition.h"
#include "worker/bag/shuffle_ops.h"

namespace weft::bag {

namespace {

absl::StatusOr<ValueList> Evaluate(const Value& part, const std::string& expression,
                                   const char* function) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, function));
  absl::StatusOr<Expr> expr = Expr::Parse(expression);
  absl::StatusOr<ValueList> values =
      expr.ok() ? expr->EvaluatePartition(part) : absl::StatusOr<ValueList>(expr.status());
  if (!values.ok()) {
    return absl::Status(values.status().code(),
                        absl::StrCat(function, "(): ", values.status().message()));
  }
  return values;
}

}  // namespace

absl::StatusOr<Value> Map(const Value& part, const std::string& expression) {
  WEFT_ASSIGN_OR_RETURN(ValueList values, Evaluate(part, expression, "bag.map"));
  return Value(std::move(values));
}

absl::StatusOr<Value> MapFunction(const TaskContext& context, const Value& part,
                                  const std::string& function, const ValueList& args) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, "bag.map_function"));
  ValueList out;
  out.reserve(NumItems(part));
  ValueList call_args(args.size() + 1);
  std::copy(args.begin(), args.end(), call_args.begin() + 1);
  for (size_t i = 0; i < NumItems(part); ++i) {
    WEFT_ASSIGN_OR_RETURN(call_args[0], ItemAt(part, i));
    absl::StatusOr<Value> result = context.CallFunction(function, call_args);
    if (!result.ok()) {
      return absl::Status(result.status().code(), absl::StrCat("bag.map_function(): item ", i + 1,
                                                               ": ", result.status().message()));
    }
    out.push_back(*std::move(result));
  }
  return Value(std::move(out));
}

absl::StatusOr<Value> Flatten(const Value& part) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, "bag.flatten"));
  ValueList out;
  for (size_t i = 0; i < NumItems(part); ++i) {
    WEFT_ASSIGN_OR_RETURN(Value item, ItemAt(part, i));
    if (!item.is_list()) {
      return absl::InvalidArgumentError(absl::StrCat("bag.flatten(): item ", i + 1, " is a ",
                                                     item.kind_name(),
                                                     ", not a list: ", item.DebugString(80)));
    }
    out.insert(out.end(), item.as_list().begin(), item.as_list().end());
  }
  return Value(std::move(out));
}

absl::StatusOr<Value> ToPairs(const Value& part, const std::string& key_expression,
                              const std::string& value_expression) {
  WEFT_ASSIGN_OR_RETURN(ValueList keys, Evaluate(part, key_expression, "bag.to_pairs"));
  WEFT_ASSIGN_OR_RETURN(ValueList values, Evaluate(part, value_expression, "bag.to_pairs"));
  ValueList out;
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    out.push_back(MakePair(std::move(keys[i]), std::move(values[i])));
  }
  return Value(std::move(out));
}

absl::StatusOr<Value> MapValues(const Value& part, const std::string& expression) {
  constexpr const char* kName = "bag.map_values";
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, kName));
  WEFT_ASSIGN_OR_RETURN(Expr expr, Expr::Parse(expression));
  if (!part.is_list()) return PairAt(part, 0, kName).status();  // records, even none
  ValueList out;
  out.reserve(NumItems(part));
  for (size_t i = 0; i < NumItems(part); ++i) {
    WEFT_ASSIGN_OR_RETURN(const ValueList* pair, PairAt(part, i, kName));
    absl::StatusOr<Value> value = expr.Evaluate((*pair)[1]);
    if (!value.ok()) {
      return absl::Status(value.status().code(),
                          absl::StrCat(kName, "(): item ", i + 1, ": ", value.status().message()));
    }
    out.push_back(MakePair((*pair)[0], *std::move(value)));
  }
  return Value(std::move(out));
}

}  // namespace weft::bag
