// The built-in functions of the value-expression language (expr.h gives each one's
// meaning), and the Value semantics they share with its evaluator (expr.cc) and with the
// filter language (filter_expr.cc): numeric equality, ordering, and how a Value is shown in
// an error message. Internal to worker/bag.
//
// Threading: pure functions and a constant table; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "weft/value.h"

namespace weft::bag::internal {

bool IsNumber(const Value& v);    // an int or a double
double ToDouble(const Value& v);  // REQUIRES: IsNumber(v)

// The languages' ==: numbers by numeric value (1 == 1.0, ints exactly), anything else by
// kind and value (value_order.h).
bool Equal(const Value& a, const Value& b);

// Whether a and b are ordered for <, <=, >, >=: both numbers (compared as Equal does) or
// both strings (bytewise). If so, *cmp is <0, 0 or >0.
bool Ordered(const Value& a, const Value& b, int* cmp);

// For messages: `int (1)`, `string ("x")`, `null`.
std::string Describe(const Value& v);

inline constexpr int kManyArgs = 1 << 20;  // BuiltinFunction::max_args without a limit

// A function the expression language calls by name. `call` gets between min_args and
// max_args arguments; unless `predicate`, it is called only when none is null (the answer
// is null otherwise). An argument of a kind the function does not take is an error
// (kInvalidArgument: "lower() needs a string, got int (1)").
struct BuiltinFunction {
  const char* name;
  int min_args;
  int max_args;
  bool predicate;  // a bool for any argument, null included; the first may be a path
  absl::StatusOr<Value> (*call)(const ValueList& args);
};

// The function called `name`, or null if there is none.
const BuiltinFunction* FindFunction(std::string_view name);

// The names of all functions, comma-separated, for messages.
const std::string& FunctionNames();

}  // namespace weft::bag::internal
