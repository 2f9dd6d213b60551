// libexample_funcs.so: task functions for weft workers, built outside the weft tree
// against an installed weft (`pkg-config weft-plugin`). Load it into every worker:
//
//   weft-worker SCHEDULER:8786 --preload /path/to/libexample_funcs.so
//
// WEFT_FUNCTION registers each C++ function under a name when the worker loads the
// library; arguments and results convert to and from weft Values by their C++ types.
// Functions run on several executor threads at once: keep them free of shared state.
#include <cctype>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "weft/function.h"

namespace example_funcs {

int64_t Cube(int64_t x) { return x * x * x; }

std::string Shout(const std::string& word) {
  std::string out;
  for (char c : word) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out + "!";
}

// Errors as values: the task errs with this message; the worker carries on.
absl::StatusOr<int64_t> Factorial(int64_t n) {
  if (n < 0 || n > 20) return absl::OutOfRangeError("factorial(): n must be in [0, 20]");
  int64_t out = 1;
  for (int64_t i = 2; i <= n; ++i) out *= i;
  return out;
}

}  // namespace example_funcs

WEFT_FUNCTION("cube", example_funcs::Cube);
WEFT_FUNCTION("shout", example_funcs::Shout);
WEFT_FUNCTION("factorial", example_funcs::Factorial);
