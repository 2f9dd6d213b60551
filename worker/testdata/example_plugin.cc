// An example user plugin: a shared library that weft-worker loads with
// `--preload libexample_plugin.so`. It links //worker:function_api and registers typed
// C++ functions with WEFT_FUNCTION, exactly as code compiled into the worker does.
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "weft/function.h"

namespace example {

int64_t Square(int64_t x) { return x * x; }

std::string Greet(const std::string& name) { return "hello, " + name; }

absl::StatusOr<int64_t> CheckedDiv(int64_t a, int64_t b) {
  if (b == 0) return absl::InvalidArgumentError("division by zero");
  return a / b;
}

}  // namespace example

WEFT_FUNCTION("square", example::Square);
WEFT_FUNCTION("greet", example::Greet);
WEFT_FUNCTION("checked_div", example::CheckedDiv);
