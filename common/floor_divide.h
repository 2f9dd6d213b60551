// Floor division and modulo of doubles as Python and NumPy define them (CPython's
// float_divmod, NumPy's npy_divmod): the quotient rounded toward -inf, the remainder with
// the divisor's sign. One implementation for the shell's numbers and the array kernels.
//
// Threading: a pure function.
#pragma once

#include <cmath>

namespace weft {

// a // b, with *modulus = a % b. b == 0 gives a / b (±inf or nan) and fmod's nan, as NumPy
// does; callers with Python's rules refuse b == 0 before calling.
inline double FloorDivMod(double a, double b, double* modulus) {
  double mod = std::fmod(a, b);
  if (b == 0) {
    *modulus = mod;
    return a / b;
  }
  double div = (a - mod) / b;
  if (mod != 0) {
    if ((b < 0) != (mod < 0)) {
      mod += b;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, b);
  }
  *modulus = mod;
  if (div == 0) return std::copysign(0.0, a / b);
  double floordiv = std::floor(div);
  if (div - floordiv > 0.5) floordiv += 1.0;
  return floordiv;
}

}  // namespace weft
