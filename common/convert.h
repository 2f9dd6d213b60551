// Conversions from weft::Value to C++ types, used by typed futures
// (`Future<int64_t>::result()`) and by the parameters of typed task functions
// (weft/function.h). Included as "weft/convert.h".
//
//   ConvertValue<T>(value) → absl::StatusOr<T>   kInvalidArgument on a type mismatch
//
// Supported T: Value, bool, int64_t, int, double (an int converts), std::string, Buffer
// (bytes), ValueList, Record, std::vector<T> of any supported T.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "weft/value.h"

namespace weft {

template <typename T>
struct ValueConverter;  // specialised below

template <typename T>
absl::StatusOr<T> ConvertValue(const Value& value) {
  return ValueConverter<std::decay_t<T>>::From(value);
}

namespace internal {
inline absl::Status TypeMismatch(const char* expected, const Value& got) {
  return absl::InvalidArgumentError(
      absl::StrCat("expected ", expected, ", got ", got.kind_name()));
}
}  // namespace internal

template <>
struct ValueConverter<Value> {
  static constexpr const char* kName = "any";
  static absl::StatusOr<Value> From(const Value& v) { return v; }
};

template <>
struct ValueConverter<bool> {
  static constexpr const char* kName = "bool";
  static absl::StatusOr<bool> From(const Value& v) {
    if (!v.is_bool()) return internal::TypeMismatch(kName, v);
    return v.as_bool();
  }
};

template <>
struct ValueConverter<int64_t> {
  static constexpr const char* kName = "int";
  static absl::StatusOr<int64_t> From(const Value& v) {
    if (!v.is_int()) return internal::TypeMismatch(kName, v);
    return v.as_int();
  }
};

template <>
struct ValueConverter<int> {
  static constexpr const char* kName = "int (32-bit)";
  static absl::StatusOr<int> From(const Value& v) {
    if (!v.is_int() || v.as_int() < std::numeric_limits<int>::min() ||
        v.as_int() > std::numeric_limits<int>::max()) {
      return internal::TypeMismatch(kName, v);
    }
    return static_cast<int>(v.as_int());
  }
};

template <>
struct ValueConverter<double> {
  static constexpr const char* kName = "double";
  static absl::StatusOr<double> From(const Value& v) {
    if (v.is_double()) return v.as_double();
    if (v.is_int()) return static_cast<double>(v.as_int());
    return internal::TypeMismatch(kName, v);
  }
};

template <>
struct ValueConverter<std::string> {
  static constexpr const char* kName = "string";
  static absl::StatusOr<std::string> From(const Value& v) {
    if (!v.is_string()) return internal::TypeMismatch(kName, v);
    return v.as_string();
  }
};

template <>
struct ValueConverter<Buffer> {
  static constexpr const char* kName = "bytes";
  static absl::StatusOr<Buffer> From(const Value& v) {
    if (!v.is_bytes()) return internal::TypeMismatch(kName, v);
    return v.as_bytes();
  }
};

template <>
struct ValueConverter<ValueList> {
  static constexpr const char* kName = "list";
  static absl::StatusOr<ValueList> From(const Value& v) {
    if (!v.is_list()) return internal::TypeMismatch(kName, v);
    return v.as_list();
  }
};

template <>
struct ValueConverter<Record> {
  static constexpr const char* kName = "record";
  static absl::StatusOr<Record> From(const Value& v) {
    if (!v.is_record()) return internal::TypeMismatch(kName, v);
    return v.as_record();
  }
};

template <typename T>
struct ValueConverter<std::vector<T>> {
  static constexpr const char* kName = "list";
  static absl::StatusOr<std::vector<T>> From(const Value& v) {
    if (!v.is_list()) return internal::TypeMismatch(kName, v);
    std::vector<T> out;
    out.reserve(v.as_list().size());
    for (size_t i = 0; i < v.as_list().size(); ++i) {
      absl::StatusOr<T> item = ConvertValue<T>(v.as_list()[i]);
      if (!item.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("item ", i, ": ", item.status().message()));
      }
      out.push_back(*std::move(item));
    }
    return out;
  }
};

}  // namespace weft
