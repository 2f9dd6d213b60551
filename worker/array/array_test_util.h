// Helpers for the array tests: chunks from initializer lists, specs, and calls.
#pragma once

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "weft/function.h"
#include "weft/value.h"
#include "worker/array/array_functions.h"

namespace weft::array::testing {

inline Value F64(const std::vector<double>& v) {
  std::string bytes(v.size() * 8, '\0');
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return Value(DoubleArray{Buffer(std::move(bytes))});
}

inline Value I64(const std::vector<int64_t>& v) {
  std::string bytes(v.size() * 8, '\0');
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return Value(Int64Array{Buffer(std::move(bytes))});
}

inline Value Bools(const std::vector<int>& v) {
  std::string bytes(v.size(), '\0');
  for (size_t i = 0; i < v.size(); ++i) bytes[i] = v[i] ? 1 : 0;
  return Value(BoolArray{Buffer(std::move(bytes))});
}

inline std::vector<double> ToF64(const Value& v) {
  REQUIRE(v.kind() == ValueKind::kDoubleArray);
  std::vector<double> out;
  for (size_t i = 0; i < v.as_double_array().size(); ++i) out.push_back(v.as_double_array()[i]);
  return out;
}

inline std::vector<int64_t> ToI64(const Value& v) {
  REQUIRE(v.kind() == ValueKind::kInt64Array);
  std::vector<int64_t> out;
  for (size_t i = 0; i < v.as_int64_array().size(); ++i) out.push_back(v.as_int64_array()[i]);
  return out;
}

inline std::vector<int> ToBools(const Value& v) {
  REQUIRE(v.kind() == ValueKind::kBoolArray);
  std::vector<int> out;
  for (size_t i = 0; i < v.as_bool_array().size(); ++i) out.push_back(v.as_bool_array()[i]);
  return out;
}

// An instruction: ["op", args...].
inline Value I(ValueList items) { return Value(std::move(items)); }

// A fused spec of shape rows x cols with `code` and an optional reduction.
inline Value Spec(int64_t rows, int64_t cols, ValueList code, Value reduce = Value()) {
  Record r{{"shape", ValueList{rows, cols}}, {"code", Value(std::move(code))}};
  if (!reduce.is_null()) r.emplace_back("reduce", std::move(reduce));
  return Value(std::move(r));
}

inline Value Reduce(const char* op, const char* axis, int64_t r0 = 0, int64_t c0 = 0,
                    int64_t index_cols = 0) {
  return Value(Record{
      {"op", op}, {"axis", axis}, {"index_offset", ValueList{r0, c0}}, {"index_cols", index_cols}});
}

inline absl::StatusOr<Value> Fused(const Value& spec, ValueList inputs = {}) {
  inputs.insert(inputs.begin(), spec);
  return FusedFunction(inputs, TaskContext());
}

inline absl::StatusOr<Value> Combine(const char* op, bool final, ValueList partials,
                                     int64_t ddof = 0) {
  partials.insert(partials.begin(), Value(Record{{"op", op}, {"final", final}, {"ddof", ddof}}));
  return CombineFunction(partials, TaskContext());
}

}  // namespace weft::array::testing
