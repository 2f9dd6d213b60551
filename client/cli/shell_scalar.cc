#include "client/cli/shell_scalar.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/floor_divide.h"

namespace weft::cli::shell {
namespace {

absl::Status Unsupported(const std::string& op, const Value& a, const Value& b) {
  return absl::InvalidArgumentError(absl::StrCat("unsupported operand types for ", op, ": ",
                                                 a.kind_name(), " and ", b.kind_name()));
}

absl::Status Overflow(const std::string& op) {
  return absl::InvalidArgumentError(
      absl::StrCat("integer overflow in ", op, " (the shell's ints are 64-bit)"));
}

absl::Status DivisionByZero() { return absl::InvalidArgumentError("division by zero"); }

int64_t AsInt(const Value& v) { return v.is_bool() ? int64_t{v.as_bool()} : v.as_int(); }
double AsDouble(const Value& v) {
  return v.is_double() ? v.as_double() : static_cast<double>(AsInt(v));
}

absl::StatusOr<Value> IntPower(int64_t base, int64_t exponent) {
  if (exponent < 0) {
    if (base == 0) return absl::InvalidArgumentError("0 cannot be raised to a negative power");
    return Value(std::pow(static_cast<double>(base), static_cast<double>(exponent)));
  }
  int64_t result = 1;
  while (exponent > 0) {
    if ((exponent & 1) && __builtin_mul_overflow(result, base, &result)) return Overflow("**");
    exponent >>= 1;
    if (exponent > 0 && __builtin_mul_overflow(base, base, &base)) return Overflow("**");
  }
  return Value(result);
}

// Python's int // and %: the quotient floored, the remainder with the divisor's sign.
absl::StatusOr<Value> IntDivision(const std::string& op, int64_t a, int64_t b) {
  if (b == 0) return DivisionByZero();
  if (a == INT64_MIN && b == -1) {
    if (op == "%") return Value(int64_t{0});
    return Overflow(op);
  }
  int64_t q = a / b, r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) {
    --q;
    r += b;
  }
  return Value(op == "//" ? q : r);
}

// Python's float // and % (Objects/floatobject.c: float_divmod).
absl::StatusOr<Value> FloatDivision(const std::string& op, double a, double b) {
  if (b == 0) return DivisionByZero();
  double mod = 0;
  double floordiv = FloorDivMod(a, b, &mod);
  return Value(op == "//" ? floordiv : mod);
}

absl::StatusOr<Value> IntArithmetic(const std::string& op, int64_t a, int64_t b) {
  int64_t r = 0;
  if (op == "+") {
    if (__builtin_add_overflow(a, b, &r)) return Overflow(op);
    return Value(r);
  }
  if (op == "-") {
    if (__builtin_sub_overflow(a, b, &r)) return Overflow(op);
    return Value(r);
  }
  if (op == "*") {
    if (__builtin_mul_overflow(a, b, &r)) return Overflow(op);
    return Value(r);
  }
  if (op == "//" || op == "%") return IntDivision(op, a, b);
  if (op == "**") return IntPower(a, b);
  if (op == "&") return Value(a & b);
  if (op == "|") return Value(a | b);
  if (op == "^") return Value(a ^ b);
  return absl::InternalError(op);
}

absl::StatusOr<Value> FloatArithmetic(const std::string& op, double a, double b) {
  if (op == "+") return Value(a + b);
  if (op == "-") return Value(a - b);
  if (op == "*") return Value(a * b);
  if (op == "//" || op == "%") return FloatDivision(op, a, b);
  if (op == "**") {
    if (a == 0 && b < 0)
      return absl::InvalidArgumentError("0.0 cannot be raised to a negative power");
    if (a < 0 && b != std::floor(b) && std::isfinite(b)) {
      return absl::InvalidArgumentError("a negative number to a fractional power is complex");
    }
    return Value(std::pow(a, b));
  }
  return absl::InternalError(op);
}

// -1, 0 or 1; nullopt when the two cannot be ordered (NaN).
std::optional<int> Compare(const Value& a, const Value& b) {
  if (a.is_double() || b.is_double()) {
    const double x = AsDouble(a), y = AsDouble(b);
    if (std::isnan(x) || std::isnan(y)) return std::nullopt;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const int64_t x = AsInt(a), y = AsInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

absl::StatusOr<Value> Comparison(const std::string& op, const Value& a, const Value& b) {
  std::optional<int> c;
  if (IsNumber(a) && IsNumber(b)) {
    c = Compare(a, b);
  } else if (a.is_string() && b.is_string()) {
    c = a.as_string().compare(b.as_string());
    c = *c < 0 ? -1 : *c > 0 ? 1 : 0;
  } else if (op == "==" || op == "!=") {
    return Value((a == b) == (op == "=="));
  } else {
    return Unsupported(op, a, b);
  }
  if (!c) return Value(op == "!=");  // NaN: only != holds
  if (op == "<") return Value(*c < 0);
  if (op == "<=") return Value(*c <= 0);
  if (op == ">") return Value(*c > 0);
  if (op == ">=") return Value(*c >= 0);
  if (op == "==") return Value(*c == 0);
  return Value(*c != 0);
}

}  // namespace

bool IsNumber(const Value& v) { return v.is_bool() || v.is_int() || v.is_double(); }

absl::StatusOr<Value> ScalarBinary(const std::string& op, const Value& a, const Value& b) {
  if (op == "<" || op == "<=" || op == ">" || op == ">=" || op == "==" || op == "!=") {
    return Comparison(op, a, b);
  }
  if (op == "+" && a.is_string() && b.is_string()) return Value(a.as_string() + b.as_string());
  if (!IsNumber(a) || !IsNumber(b) || op == "@") return Unsupported(op, a, b);
  if (op == "&" || op == "|" || op == "^") {
    if (a.is_double() || b.is_double()) return Unsupported(op, a, b);
    if (a.is_bool() && b.is_bool()) {
      const bool x = a.as_bool(), y = b.as_bool();
      return Value(op == "&" ? (x && y) : op == "|" ? (x || y) : (x != y));
    }
  }
  if (op == "/") {
    const double d = AsDouble(b);
    if (d == 0) return DivisionByZero();
    return Value(AsDouble(a) / d);
  }
  if (a.is_double() || b.is_double()) return FloatArithmetic(op, AsDouble(a), AsDouble(b));
  return IntArithmetic(op, AsInt(a), AsInt(b));
}

absl::StatusOr<Value> ScalarUnary(const std::string& op, const Value& a) {
  if (!IsNumber(a) || (op == "~" && a.is_double())) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad operand type for unary ", op, ": ", a.kind_name()));
  }
  if (a.is_double()) return Value(op == "-" ? -a.as_double() : a.as_double());
  const int64_t x = AsInt(a);
  if (op == "~") return Value(~x);
  if (op == "+") return Value(x);
  if (x == INT64_MIN) return Overflow("-");
  return Value(-x);
}

std::string PythonFloat(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char text[40];
  int digits = 1;  // the fewest significant digits that read back as d
  for (; digits < 17; ++digits) {
    std::snprintf(text, sizeof(text), "%.*e", digits - 1, d);
    if (std::strtod(text, nullptr) == d) break;
  }
  std::snprintf(text, sizeof(text), "%.*e", digits - 1, d);
  const int exponent = std::atoi(std::strchr(text, 'e') + 1);
  // As Python's repr: positional from 1e-4 up to 1e16, else with an exponent.
  if (exponent < -4 || exponent >= 16) {
    std::string out(text);  // "1.5e+16": Python writes at least two exponent digits too
    return out;
  }
  const int decimals = std::max(digits - 1 - exponent, 0);
  std::snprintf(text, sizeof(text), "%.*f", decimals, d);
  std::string out(text);
  if (out.find('.') == std::string::npos) out += ".0";
  return out;
}

std::string PythonRepr(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNull:
      return "None";
    case ValueKind::kBool:
      return v.as_bool() ? "True" : "False";
    case ValueKind::kInt:
      return absl::StrCat(v.as_int());
    case ValueKind::kDouble:
      return PythonFloat(v.as_double());
    case ValueKind::kString: {
      std::string out = "'";
      for (char c : v.as_string()) {
        if (c == '\\' || c == '\'') out.push_back('\\');
        out.push_back(c);
      }
      return out + "'";
    }
    case ValueKind::kList: {
      std::vector<std::string> items;
      for (const Value& item : v.as_list()) items.push_back(PythonRepr(item));
      return absl::StrCat("(", absl::StrJoin(items, ", "), items.size() == 1 ? ",)" : ")");
    }
    default:
      return absl::StrCat("<", v.kind_name(), ">");
  }
}

}  // namespace weft::cli::shell
