// For tests: one registry of every function linked into the test binary (built-ins, bag
// functions, the test's own WEFT_FUNCTIONs), made once, and calls through it as a worker
// makes them (a TaskContext naming the function, its caller set by the registry).
//
// Threading: LinkedFunctions() is safe to call from any thread; the registry is never
// destroyed.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "weft/function.h"
#include "weft/value.h"
#include "worker/function_registry.h"

namespace weft::testing {

inline FunctionRegistry& LinkedFunctions() {
  static FunctionRegistry* registry = [] {
    auto* r = new FunctionRegistry();
    REQUIRE(r->AddBuiltins().ok());
    return r;
  }();
  return *registry;
}

inline absl::StatusOr<Value> CallLinked(const std::string& name, ValueList args) {
  return LinkedFunctions().Call(name, args, TaskContext("k-1", name));
}

}  // namespace weft::testing
