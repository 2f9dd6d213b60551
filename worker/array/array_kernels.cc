// Highway compiles this file once per SIMD target (foreach_target.h re-includes it with
// HWY_TARGET set) and HWY_DYNAMIC_DISPATCH picks the best one at run time. Hot f64 ops
// and the sums use Highway vectors explicitly; the rest are plain loops over the block,
// which GCC vectorizes for each target (the library is built with -O3; the loops sit
// inside HWY_BEFORE_NAMESPACE, so they get the target's instruction set). Elements are
// read with memcpy: operands may be unaligned slices of a received message.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "worker/array/array_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// Must come after foreach_target.h.
#include <cmath>
#include <cstring>
#include <limits>

#include "common/floor_divide.h"
#include "hwy/highway.h"
#include "worker/array/array_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace weft::array::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <typename T>
HWY_INLINE T Ld(const void* p, size_t i) {
  T v;
  std::memcpy(&v, static_cast<const char*>(p) + i * sizeof(T), sizeof(T));
  return v;
}

template <typename T>
HWY_INLINE void St(void* p, size_t i, T v) {
  std::memcpy(static_cast<char*>(p) + i * sizeof(T), &v, sizeof(T));
}

template <typename T, typename R = T, typename F>
HWY_INLINE void Map1(const void* a, void* out, size_t n, F f) {
  for (size_t i = 0; i < n; ++i) St<R>(out, i, f(Ld<T>(a, i)));
}

template <typename T, typename R = T, typename F>
HWY_INLINE void Map2(const void* a, const void* b, void* out, size_t n, F f) {
  for (size_t i = 0; i < n; ++i) St<R>(out, i, f(Ld<T>(a, i), Ld<T>(b, i)));
}

// f(d, x, y) over full vectors, then over one lane at a time for the tail.
template <typename F>
HWY_INLINE void SimdF64(const void* a, const void* b, void* out, size_t n, F f) {
  const hn::ScalableTag<double> d;
  const hn::CappedTag<double, 1> d1;
  const size_t lanes = hn::Lanes(d);
  const auto* pa = static_cast<const double*>(a);
  const auto* pb = static_cast<const double*>(b);
  auto* po = static_cast<double*>(out);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(f(d, hn::LoadU(d, pa + i), hn::LoadU(d, pb + i)), d, po + i);
  }
  for (; i < n; ++i) hn::StoreU(f(d1, hn::LoadU(d1, pa + i), hn::LoadU(d1, pb + i)), d1, po + i);
}

HWY_INLINE int64_t FloorDivI64(int64_t a, int64_t b) {
  if (b == 0) return 0;
  if (b == -1) return static_cast<int64_t>(0 - static_cast<uint64_t>(a));  // wraps at MIN
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

HWY_INLINE int64_t ModI64(int64_t a, int64_t b) {
  if (b == 0 || b == -1) return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

// REQUIRES: e >= 0. Wraps like NumPy's int64 power.
HWY_INLINE int64_t PowI64(int64_t base, int64_t e) {
  uint64_t result = 1, b = static_cast<uint64_t>(base);
  auto exponent = static_cast<uint64_t>(e);
  while (exponent != 0) {
    if (exponent & 1) result *= b;
    b *= b;
    exponent >>= 1;
  }
  return static_cast<int64_t>(result);
}

void UnaryImpl(Op op, DType dtype, const void* a, void* out, size_t n) {
  if (dtype == DType::kBool) {  // invert: logical not
    return Map1<uint8_t>(a, out, n, [](uint8_t x) -> uint8_t { return x ^ 1; });
  }
  if (dtype == DType::kI64) {
    switch (op) {
      case Op::kNeg:
        return Map1<uint64_t>(a, out, n, [](uint64_t x) { return 0 - x; });
      case Op::kAbs:
        return Map1<int64_t>(a, out, n, [](int64_t x) {
          return x < 0 ? static_cast<int64_t>(0 - static_cast<uint64_t>(x)) : x;
        });
      default:  // invert
        return Map1<uint64_t>(a, out, n, [](uint64_t x) { return ~x; });
    }
  }
  switch (op) {
    case Op::kNeg:
      return Map1<double>(a, out, n, [](double x) { return -x; });
    case Op::kAbs:
      return Map1<double>(a, out, n, [](double x) { return std::fabs(x); });
    case Op::kSqrt:
      return SimdF64(a, a, out, n, [](auto d, auto x, auto) { return hn::Sqrt(x); });
    case Op::kExp:
      return Map1<double>(a, out, n, [](double x) { return std::exp(x); });
    case Op::kLog:
      return Map1<double>(a, out, n, [](double x) { return std::log(x); });
    case Op::kSin:
      return Map1<double>(a, out, n, [](double x) { return std::sin(x); });
    default:  // cos
      return Map1<double>(a, out, n, [](double x) { return std::cos(x); });
  }
}

void BinaryF64(Op op, const void* a, const void* b, void* out, size_t n) {
  switch (op) {
    case Op::kAdd:
      return SimdF64(a, b, out, n, [](auto, auto x, auto y) { return hn::Add(x, y); });
    case Op::kSub:
      return SimdF64(a, b, out, n, [](auto, auto x, auto y) { return hn::Sub(x, y); });
    case Op::kMul:
      return SimdF64(a, b, out, n, [](auto, auto x, auto y) { return hn::Mul(x, y); });
    case Op::kDiv:
      return SimdF64(a, b, out, n, [](auto, auto x, auto y) { return hn::Div(x, y); });
    case Op::kMax2:  // NaN in either operand propagates (np.maximum)
      return SimdF64(a, b, out, n, [](auto, auto x, auto y) {
        return hn::IfThenElse(hn::IsNaN(x), x, hn::IfThenElse(hn::IsNaN(y), y, hn::Max(x, y)));
      });
    case Op::kMin2:
      return SimdF64(a, b, out, n, [](auto, auto x, auto y) {
        return hn::IfThenElse(hn::IsNaN(x), x, hn::IfThenElse(hn::IsNaN(y), y, hn::Min(x, y)));
      });
    case Op::kFloorDiv:
      return Map2<double>(a, b, out, n, [](double x, double y) {
        double mod;
        return FloorDivMod(x, y, &mod);
      });
    case Op::kMod:
      return Map2<double>(a, b, out, n, [](double x, double y) {
        double mod;
        FloorDivMod(x, y, &mod);
        return mod;
      });
    default:  // pow
      return Map2<double>(a, b, out, n, [](double x, double y) { return std::pow(x, y); });
  }
}

void BinaryI64(Op op, const void* a, const void* b, void* out, size_t n) {
  using U = uint64_t;
  switch (op) {
    case Op::kAdd:
      return Map2<U>(a, b, out, n, [](U x, U y) { return x + y; });
    case Op::kSub:
      return Map2<U>(a, b, out, n, [](U x, U y) { return x - y; });
    case Op::kMul:
      return Map2<U>(a, b, out, n, [](U x, U y) { return x * y; });
    case Op::kAnd:
      return Map2<U>(a, b, out, n, [](U x, U y) { return x & y; });
    case Op::kOr:
      return Map2<U>(a, b, out, n, [](U x, U y) { return x | y; });
    case Op::kXor:
      return Map2<U>(a, b, out, n, [](U x, U y) { return x ^ y; });
    case Op::kMax2:
      return Map2<int64_t>(a, b, out, n, [](int64_t x, int64_t y) { return x < y ? y : x; });
    case Op::kMin2:
      return Map2<int64_t>(a, b, out, n, [](int64_t x, int64_t y) { return y < x ? y : x; });
    case Op::kFloorDiv:
      return Map2<int64_t>(a, b, out, n, FloorDivI64);
    case Op::kMod:
      return Map2<int64_t>(a, b, out, n, ModI64);
    default:  // pow
      return Map2<int64_t>(a, b, out, n, PowI64);
  }
}

void BinaryImpl(Op op, DType dtype, const void* a, const void* b, void* out, size_t n) {
  switch (dtype) {
    case DType::kF64:
      return BinaryF64(op, a, b, out, n);
    case DType::kI64:
      return BinaryI64(op, a, b, out, n);
    case DType::kBool:
      using B = uint8_t;
      if (op == Op::kAnd) return Map2<B>(a, b, out, n, [](B x, B y) -> B { return x & y; });
      if (op == Op::kOr) return Map2<B>(a, b, out, n, [](B x, B y) -> B { return x | y; });
      return Map2<B>(a, b, out, n, [](B x, B y) -> B { return x ^ y; });
  }
}

template <typename T>
void CompareTyped(Op op, const void* a, const void* b, uint8_t* out, size_t n) {
  using B = uint8_t;
  switch (op) {
    case Op::kLt:
      return Map2<T, B>(a, b, out, n, [](T x, T y) -> B { return x < y; });
    case Op::kLe:
      return Map2<T, B>(a, b, out, n, [](T x, T y) -> B { return x <= y; });
    case Op::kGt:
      return Map2<T, B>(a, b, out, n, [](T x, T y) -> B { return x > y; });
    case Op::kGe:
      return Map2<T, B>(a, b, out, n, [](T x, T y) -> B { return x >= y; });
    case Op::kEq:
      return Map2<T, B>(a, b, out, n, [](T x, T y) -> B { return x == y; });
    default:  // ne
      return Map2<T, B>(a, b, out, n, [](T x, T y) -> B { return x != y; });
  }
}

void CompareImpl(Op op, DType dtype, const void* a, const void* b, uint8_t* out, size_t n) {
  switch (dtype) {
    case DType::kF64:
      return CompareTyped<double>(op, a, b, out, n);
    case DType::kI64:
      return CompareTyped<int64_t>(op, a, b, out, n);
    case DType::kBool:
      return CompareTyped<uint8_t>(op, a, b, out, n);
  }
}

// f64 → i64 truncates; NaN and out-of-range values give INT64_MIN (what NumPy gives on x86).
HWY_INLINE int64_t TruncToI64(double x) {
  if (!(std::fabs(x) < 9223372036854775808.0)) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(x);
}

void CastImpl(DType from, DType to, const void* a, void* out, size_t n) {
  using B = uint8_t;
  if (from == to) {
    std::memmove(out, a, n * ElementSize(from));
    return;
  }
  switch (from) {
    case DType::kF64:
      if (to == DType::kI64) return Map1<double, int64_t>(a, out, n, TruncToI64);
      return Map1<double, B>(a, out, n, [](double x) -> B { return x != 0; });
    case DType::kI64:
      if (to == DType::kF64) {
        return Map1<int64_t, double>(a, out, n, [](int64_t x) { return static_cast<double>(x); });
      }
      return Map1<int64_t, B>(a, out, n, [](int64_t x) -> B { return x != 0; });
    case DType::kBool:
      if (to == DType::kF64) return Map1<B, double>(a, out, n, [](B x) { return double{1.0} * x; });
      return Map1<B, int64_t>(a, out, n, [](B x) { return int64_t{x}; });
  }
}

template <typename T>
void WhereTyped(const uint8_t* c, const void* a, const void* b, void* out, size_t n) {
  for (size_t i = 0; i < n; ++i) St<T>(out, i, c[i] ? Ld<T>(a, i) : Ld<T>(b, i));
}

void WhereImpl(DType dtype, const uint8_t* c, const void* a, const void* b, void* out, size_t n) {
  switch (dtype) {
    case DType::kF64:
      return WhereTyped<double>(c, a, b, out, n);
    case DType::kI64:
      return WhereTyped<int64_t>(c, a, b, out, n);
    case DType::kBool:
      return WhereTyped<uint8_t>(c, a, b, out, n);
  }
}

template <typename T>
void FillTyped(const void* value, void* out, size_t n) {
  const T v = Ld<T>(value, 0);
  for (size_t i = 0; i < n; ++i) St<T>(out, i, v);
}

void FillImpl(DType dtype, const void* value, void* out, size_t n) {
  if (dtype == DType::kBool) return FillTyped<uint8_t>(value, out, n);
  return FillTyped<uint64_t>(value, out, n);
}

bool AnyNegativeImpl(const int64_t* b, size_t n) {
  uint64_t bits = 0;
  for (size_t i = 0; i < n; ++i) bits |= static_cast<uint64_t>(Ld<int64_t>(b, i));
  return (bits >> 63) != 0;
}

double SumF64Impl(const double* a, size_t n) {
  const hn::ScalableTag<double> d;
  const size_t lanes = hn::Lanes(d);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  size_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    s0 = hn::Add(s0, hn::LoadU(d, a + i));
    s1 = hn::Add(s1, hn::LoadU(d, a + i + lanes));
    s2 = hn::Add(s2, hn::LoadU(d, a + i + 2 * lanes));
    s3 = hn::Add(s3, hn::LoadU(d, a + i + 3 * lanes));
  }
  for (; i + lanes <= n; i += lanes) s0 = hn::Add(s0, hn::LoadU(d, a + i));
  double total = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; i < n; ++i) total += Ld<double>(a, i);
  return total;
}

int64_t SumI64Impl(const int64_t* a, size_t n) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) total += Ld<uint64_t>(a, i);
  return static_cast<int64_t>(total);
}

int64_t CountTrueImpl(const uint8_t* a, size_t n) {
  const hn::ScalableTag<uint8_t> d8;
  const hn::Repartition<uint64_t, decltype(d8)> d64;
  const size_t lanes = hn::Lanes(d8);
  auto acc = hn::Zero(d64);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) acc = hn::Add(acc, hn::SumsOf8(hn::LoadU(d8, a + i)));
  uint64_t total = hn::GetLane(hn::SumOfLanes(d64, acc));
  for (; i < n; ++i) total += a[i];
  return static_cast<int64_t>(total);
}

int64_t CountNonzeroImpl(DType dtype, const void* a, size_t n) {
  int64_t count = 0;
  switch (dtype) {
    case DType::kF64:
      for (size_t i = 0; i < n; ++i) count += Ld<double>(a, i) != 0;
      return count;
    case DType::kI64:
      for (size_t i = 0; i < n; ++i) count += Ld<int64_t>(a, i) != 0;
      return count;
    case DType::kBool:
      return CountTrueImpl(static_cast<const uint8_t*>(a), n);
  }
  return count;
}

double SumSquaredDeviationsImpl(const double* a, size_t n, double mean) {
  const hn::ScalableTag<double> d;
  const size_t lanes = hn::Lanes(d);
  const auto m = hn::Set(d, mean);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  size_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const auto x0 = hn::Sub(hn::LoadU(d, a + i), m);
    const auto x1 = hn::Sub(hn::LoadU(d, a + i + lanes), m);
    s0 = hn::MulAdd(x0, x0, s0);
    s1 = hn::MulAdd(x1, x1, s1);
  }
  double total = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
  for (; i < n; ++i) {
    const double x = Ld<double>(a, i) - mean;
    total += x * x;
  }
  return total;
}

void AxpyF64Impl(double a, const double* x, double* y, size_t n) {
  const hn::ScalableTag<double> d;
  const size_t lanes = hn::Lanes(d);
  const auto va = hn::Set(d, a);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(hn::MulAdd(va, hn::LoadU(d, x + i), hn::LoadU(d, y + i)), d, y + i);
  }
  for (; i < n; ++i) St<double>(y, i, Ld<double>(y, i) + a * Ld<double>(x, i));
}

void AxpyI64Impl(int64_t a, const int64_t* x, int64_t* y, size_t n) {
  const auto ua = static_cast<uint64_t>(a);
  for (size_t i = 0; i < n; ++i) St<uint64_t>(y, i, Ld<uint64_t>(y, i) + ua * Ld<uint64_t>(x, i));
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace weft::array::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace weft::array::kernels {

HWY_EXPORT(UnaryImpl);
HWY_EXPORT(BinaryImpl);
HWY_EXPORT(CompareImpl);
HWY_EXPORT(CastImpl);
HWY_EXPORT(WhereImpl);
HWY_EXPORT(FillImpl);
HWY_EXPORT(AnyNegativeImpl);
HWY_EXPORT(SumF64Impl);
HWY_EXPORT(SumI64Impl);
HWY_EXPORT(CountTrueImpl);
HWY_EXPORT(CountNonzeroImpl);
HWY_EXPORT(SumSquaredDeviationsImpl);
HWY_EXPORT(AxpyF64Impl);
HWY_EXPORT(AxpyI64Impl);

void Unary(Op op, DType dtype, const void* a, void* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(UnaryImpl)(op, dtype, a, out, n);
}
void Binary(Op op, DType dtype, const void* a, const void* b, void* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(BinaryImpl)(op, dtype, a, b, out, n);
}
void Compare(Op op, DType dtype, const void* a, const void* b, uint8_t* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(CompareImpl)(op, dtype, a, b, out, n);
}
void Cast(DType from, DType to, const void* a, void* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(CastImpl)(from, to, a, out, n);
}
void Where(DType dtype, const uint8_t* c, const void* a, const void* b, void* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(WhereImpl)(dtype, c, a, b, out, n);
}
void Fill(DType dtype, const void* value, void* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(FillImpl)(dtype, value, out, n);
}
bool AnyNegative(const int64_t* b, size_t n) { return HWY_DYNAMIC_DISPATCH(AnyNegativeImpl)(b, n); }
double SumF64(const double* a, size_t n) { return HWY_DYNAMIC_DISPATCH(SumF64Impl)(a, n); }
int64_t SumI64(const int64_t* a, size_t n) { return HWY_DYNAMIC_DISPATCH(SumI64Impl)(a, n); }
int64_t CountTrue(const uint8_t* a, size_t n) { return HWY_DYNAMIC_DISPATCH(CountTrueImpl)(a, n); }
int64_t CountNonzero(DType dtype, const void* a, size_t n) {
  return HWY_DYNAMIC_DISPATCH(CountNonzeroImpl)(dtype, a, n);
}
double SumSquaredDeviations(const double* a, size_t n, double mean) {
  return HWY_DYNAMIC_DISPATCH(SumSquaredDeviationsImpl)(a, n, mean);
}

void AxpyF64(double a, const double* x, double* y, size_t n) {
  HWY_DYNAMIC_DISPATCH(AxpyF64Impl)(a, x, y, n);
}
void AxpyI64(int64_t a, const int64_t* x, int64_t* y, size_t n) {
  HWY_DYNAMIC_DISPATCH(AxpyI64Impl)(a, x, y, n);
}

}  // namespace weft::array::kernels
#endif  // HWY_ONCE
