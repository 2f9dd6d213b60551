#include "worker/bag/expr_functions.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "worker/bag/value_order.h"

namespace weft::bag::internal {
namespace {

// <0, 0, >0 between two numbers, ints exactly, otherwise as doubles.
int CompareNumeric(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) {
    return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  }
  const double x = ToDouble(a), y = ToDouble(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

// Strings as they are, anything else as JSON text.
std::string ToText(const Value& v) {
  return v.is_string() ? v.as_string() : v.DebugString(std::numeric_limits<size_t>::max());
}

}  // namespace

bool IsNumber(const Value& v) { return v.is_int() || v.is_double(); }

double ToDouble(const Value& v) {
  return v.is_int() ? static_cast<double>(v.as_int()) : v.as_double();
}

bool Equal(const Value& a, const Value& b) {
  if (IsNumber(a) && IsNumber(b)) return CompareNumeric(a, b) == 0;
  return CompareValues(a, b) == 0;
}

bool Ordered(const Value& a, const Value& b, int* cmp) {
  if (IsNumber(a) && IsNumber(b)) {
    *cmp = CompareNumeric(a, b);
    return true;
  }
  if (a.is_string() && b.is_string()) {
    *cmp = a.as_string().compare(b.as_string());
    return true;
  }
  return false;
}

std::string Describe(const Value& v) {
  if (v.is_null()) return "null";
  return absl::StrCat(v.kind_name(), " (", v.DebugString(60), ")");
}

namespace {

// ---------------------------------------------------------------------------
// Functions. Each takes its arguments, already checked in number; all but the
// predicates are only called when no argument is null.

absl::Status ArgumentError(absl::string_view function, absl::string_view wanted, const Value& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(function, "() needs ", wanted, ", got ", Describe(got)));
}

absl::StatusOr<Value> StartsWith(const ValueList& a) {
  return Value(a[0].is_string() && a[1].is_string() &&
               absl::StartsWith(a[0].as_string(), a[1].as_string()));
}

absl::StatusOr<Value> EndsWith(const ValueList& a) {
  return Value(a[0].is_string() && a[1].is_string() &&
               absl::EndsWith(a[0].as_string(), a[1].as_string()));
}

absl::StatusOr<Value> Contains(const ValueList& a) {
  if (a[0].is_string() && a[1].is_string()) {
    return Value(absl::StrContains(a[0].as_string(), a[1].as_string()));
  }
  if (!a[0].is_list()) return Value(false);
  const ValueList& list = a[0].as_list();
  return Value(
      std::any_of(list.begin(), list.end(), [&](const Value& item) { return Equal(item, a[1]); }));
}

absl::StatusOr<Value> Exists(const ValueList& a) { return Value(!a[0].is_null()); }

absl::StatusOr<Value> Lower(const ValueList& a) {
  if (!a[0].is_string()) return ArgumentError("lower", "a string", a[0]);
  return Value(absl::AsciiStrToLower(a[0].as_string()));
}

absl::StatusOr<Value> Upper(const ValueList& a) {
  if (!a[0].is_string()) return ArgumentError("upper", "a string", a[0]);
  return Value(absl::AsciiStrToUpper(a[0].as_string()));
}

absl::StatusOr<Value> Substr(const ValueList& a) {
  if (!a[0].is_string()) return ArgumentError("substr", "a string", a[0]);
  if (!a[1].is_int()) return ArgumentError("substr", "an int start", a[1]);
  const std::string& s = a[0].as_string();
  const int64_t size = static_cast<int64_t>(s.size());
  const int64_t start =
      std::clamp<int64_t>(a[1].as_int() < 0 ? a[1].as_int() + size : a[1].as_int(), 0, size);
  int64_t length = size - start;
  if (a.size() == 3) {
    if (!a[2].is_int() || a[2].as_int() < 0) {
      return ArgumentError("substr", "a non-negative int length", a[2]);
    }
    length = std::min(length, a[2].as_int());
  }
  return Value(s.substr(start, length));
}

absl::StatusOr<Value> Split(const ValueList& a) {
  if (!a[0].is_string()) return ArgumentError("split", "a string", a[0]);
  if (!a[1].is_string() || a[1].as_string().empty()) {
    return ArgumentError("split", "a non-empty string separator", a[1]);
  }
  ValueList out;
  for (absl::string_view piece : absl::StrSplit(a[0].as_string(), a[1].as_string())) {
    out.push_back(Value(std::string(piece)));
  }
  return Value(std::move(out));
}

absl::StatusOr<Value> Concat(const ValueList& a) {
  std::string out;
  for (const Value& v : a) out += ToText(v);
  return Value(std::move(out));
}

absl::StatusOr<Value> Length(const ValueList& a) {
  const Value& x = a[0];
  if (x.is_string()) return Value(static_cast<int64_t>(x.as_string().size()));
  if (x.is_list()) return Value(static_cast<int64_t>(x.as_list().size()));
  if (x.is_record()) return Value(static_cast<int64_t>(x.as_record().size()));
  return ArgumentError("length", "a string, list or record", x);
}

// The n digits at s[pos] as a number, or -1.
int Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!absl::ascii_isdigit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

bool ValidDate(int year, int month, int day) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month != 2 || day <= 28 || leap;
}

// "", "Z", "+HH:MM", "-HHMM", ...
bool ValidZone(std::string_view z) {
  if (z.empty() || z == "Z" || z == "z") return true;
  if (z[0] != '+' && z[0] != '-') return false;
  const int hours = Digits(z, 1, 2);
  int minutes = -1;
  if (z.size() == 6 && z[3] == ':') minutes = Digits(z, 4, 2);
  if (z.size() == 5) minutes = Digits(z, 3, 2);
  return hours >= 0 && hours <= 23 && minutes >= 0 && minutes <= 59;
}

// Validates "YYYY-MM-DD[(T| )HH:MM[:SS[.frac]][zone]]"; *hour is -1 without a time.
bool ParseTimestamp(std::string_view s, int* hour) {
  *hour = -1;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' ||
      !ValidDate(Digits(s, 0, 4), Digits(s, 5, 2), Digits(s, 8, 2))) {
    return false;
  }
  if (s.size() == 10) return true;
  const int h = Digits(s, 11, 2), m = Digits(s, 14, 2);
  if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s.size() < 16 || s[13] != ':' || h < 0 ||
      h > 23 || m < 0 || m > 59) {
    return false;
  }
  size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    const int sec = Digits(s, 17, 2);
    if (sec < 0 || sec > 60) return false;
    pos = 19;
    if (pos < s.size() && s[pos] == '.') {
      const size_t digits = ++pos;
      while (pos < s.size() && absl::ascii_isdigit(s[pos])) ++pos;
      if (pos == digits) return false;
    }
  }
  *hour = h;
  return ValidZone(s.substr(pos));
}

constexpr char kTimestampShape[] = "an ISO-8601 timestamp like \"2016-01-01T15:04:05Z\"";

absl::StatusOr<Value> Date(const ValueList& a) {
  int hour;
  if (!a[0].is_string() || !ParseTimestamp(a[0].as_string(), &hour)) {
    return ArgumentError("date", kTimestampShape, a[0]);
  }
  return Value(a[0].as_string().substr(0, 10));
}

absl::StatusOr<Value> Hour(const ValueList& a) {
  int hour;
  if (!a[0].is_string() || !ParseTimestamp(a[0].as_string(), &hour) || hour < 0) {
    return ArgumentError("hour", kTimestampShape, a[0]);
  }
  return Value(int64_t{hour});
}

absl::StatusOr<Value> Int(const ValueList& a) {
  const Value& v = a[0];
  int64_t i;
  if (v.is_int()) return v;
  if (v.is_bool()) return Value(int64_t{v.as_bool()});
  if (v.is_double()) {
    const double d = std::trunc(v.as_double());
    // 2^63 itself does not fit; NaN fails both comparisons.
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
      return Value(static_cast<int64_t>(d));
    }
  } else if (v.is_string() && absl::SimpleAtoi(v.as_string(), &i)) {
    return Value(i);
  }
  return ArgumentError("int", "a number, bool or decimal string in int64 range", v);
}

absl::StatusOr<Value> Float(const ValueList& a) {
  const Value& v = a[0];
  double d;
  if (IsNumber(v)) return Value(ToDouble(v));
  if (v.is_bool()) return Value(v.as_bool() ? 1.0 : 0.0);
  if (v.is_string() && absl::SimpleAtod(v.as_string(), &d)) return Value(d);
  return ArgumentError("float", "a number, bool or numeric string", v);
}

absl::StatusOr<Value> Str(const ValueList& a) { return Value(ToText(a[0])); }

constexpr BuiltinFunction kFunctions[] = {
    {"starts_with", 2, 2, true, StartsWith},
    {"ends_with", 2, 2, true, EndsWith},
    {"contains", 2, 2, true, Contains},
    {"exists", 1, 1, true, Exists},
    {"lower", 1, 1, false, Lower},
    {"upper", 1, 1, false, Upper},
    {"substr", 2, 3, false, Substr},
    {"split", 2, 2, false, Split},
    {"concat", 1, kManyArgs, false, Concat},
    {"length", 1, 1, false, Length},
    {"date", 1, 1, false, Date},
    {"hour", 1, 1, false, Hour},
    {"int", 1, 1, false, Int},
    {"float", 1, 1, false, Float},
    {"str", 1, 1, false, Str},
};

}  // namespace

const BuiltinFunction* FindFunction(std::string_view name) {
  for (const BuiltinFunction& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const std::string& FunctionNames() {
  static const std::string* const kNames = [] {
    auto* names = new std::string;
    for (const BuiltinFunction& f : kFunctions) {
      absl::StrAppend(names, names->empty() ? "" : ", ", f.name);
    }
    return names;
  }();
  return *kNames;
}

}  // namespace weft::bag::internal
