// Philox4x32-10 over SIMD lanes: each u32 lane runs one counter. A 32x32→64 multiply is
// MulEven on the even lanes plus MulEven on the odd lanes shifted down; OddEven puts the
// high and low halves back into lane order. Highway compiles this file once per target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "worker/array/array_random.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// Must come after foreach_target.h.
#include <Random123/philox.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "worker/array/array_random.h"

#ifndef WEFT_ARRAY_RANDOM_CONSTANTS_
#define WEFT_ARRAY_RANDOM_CONSTANTS_
namespace weft::array::internal_random {
constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // PHILOX_M4x32_0/1
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // PHILOX_W32_0/1
constexpr double kTwoPow53 = 1.0 / 9007199254740992.0;    // 2^-53
constexpr double kTwoPi = 6.283185307179586;
// Pairs (normals) or elements (uniforms) computed per stack buffer.
constexpr size_t kChunk = 256;
constexpr size_t kMaxLanes32 = 64;  // u32 lanes of the widest vector on any target
}  // namespace weft::array::internal_random
#endif

HWY_BEFORE_NAMESPACE();
namespace weft::array {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using namespace internal_random;  // NOLINT(build/namespaces): the constants above

using D32 = hn::ScalableTag<uint32_t>;
using V32 = hn::Vec<D32>;

HWY_INLINE void MulHiLo(D32 d, V32 x, uint32_t m, V32* hi, V32* lo) {
#if HWY_TARGET == HWY_SCALAR
  // One lane: there are no odd lanes to shuffle.
  const uint64_t product = uint64_t{hn::GetLane(x)} * m;
  *hi = hn::Set(d, static_cast<uint32_t>(product >> 32));
  *lo = hn::Set(d, static_cast<uint32_t>(product));
#else
  const hn::RepartitionToWide<D32> dw;
  const V32 mv = hn::Set(d, m);
  const auto even = hn::MulEven(x, mv);
  const auto odd = hn::MulEven(hn::BitCast(d, hn::ShiftRight<32>(hn::BitCast(dw, x))), mv);
  *lo = hn::OddEven(hn::BitCast(d, hn::ShiftLeft<32>(odd)), hn::BitCast(d, even));
  *hi = hn::OddEven(hn::BitCast(d, odd), hn::BitCast(d, hn::ShiftRight<32>(even)));
#endif
}

HWY_INLINE void Philox10(D32 d, V32* c0, V32* c1, V32* c2, V32* c3, uint32_t k0, uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    V32 hi0, lo0, hi1, lo1;
    MulHiLo(d, *c0, kM0, &hi0, &lo0);
    MulHiLo(d, *c2, kM1, &hi1, &lo1);
    *c0 = hn::Xor(hn::Xor(hi1, *c1), hn::Set(d, k0));
    *c1 = lo1;
    *c2 = hn::Xor(hn::Xor(hi0, *c3), hn::Set(d, k1));
    *c3 = lo0;
    k0 += kW0;
    k1 += kW1;
  }
}

// Counters base + lane as {lo32, hi32}: the high word carries where the low one wraps.
HWY_INLINE void Counters(D32 d, uint64_t base, V32* lo, V32* hi) {
  const auto lo_base = static_cast<uint32_t>(base);
  const auto hi_base = static_cast<uint32_t>(base >> 32);
  *lo = hn::Add(hn::Set(d, lo_base), hn::Iota(d, 0));
  *hi = hn::Set(d, hi_base);
  const uint64_t until_wrap = (uint64_t{1} << 32) - lo_base;
  if (until_wrap < hn::Lanes(d)) {
    const hn::RebindToSigned<D32> di;
    const auto wrapped = hn::Lt(hn::Set(di, static_cast<int32_t>(until_wrap) - 1), hn::Iota(di, 0));
    *hi = hn::IfThenElse(hn::RebindMask(d, wrapped), hn::Set(d, hi_base + 1), *hi);
  }
}

// Lanes j .. j + Lanes(df) of two word arrays as doubles (hi:lo >> 11) * 2^-53 + offset.
template <class DF>
HWY_INLINE hn::Vec<DF> Unit(DF df, const uint32_t* lo, const uint32_t* hi, double offset) {
  const hn::RebindToUnsigned<DF> d64;
  const hn::RebindToSigned<DF> di64;
  const hn::Rebind<uint32_t, DF> dh32;
  const auto bits = hn::Or(hn::ShiftLeft<32>(hn::PromoteTo(d64, hn::LoadU(dh32, hi))),
                           hn::PromoteTo(d64, hn::LoadU(dh32, lo)));
  const auto top53 = hn::ConvertTo(df, hn::BitCast(di64, hn::ShiftRight<11>(bits)));
  return hn::Mul(hn::Add(top53, hn::Set(df, offset)), hn::Set(df, kTwoPow53));
}

void UniformBlockImpl(uint64_t seed, uint64_t g0, double low, double high, double* out, size_t n) {
  const D32 d;
  const hn::ScalableTag<double> df;
  const size_t lanes = hn::Lanes(d), lanes64 = hn::Lanes(df);
  const auto k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const auto vlow = hn::Set(df, low), vscale = hn::Set(df, high - low);
  HWY_ALIGN uint32_t w0[kMaxLanes32], w1[kMaxLanes32];
  HWY_ALIGN double tail[kMaxLanes32];
  for (size_t i = 0; i < n; i += lanes) {
    V32 c0, c1, c2 = hn::Zero(d), c3 = hn::Zero(d);
    Counters(d, g0 + i, &c0, &c1);
    Philox10(d, &c0, &c1, &c2, &c3, k0, k1);
    hn::Store(c0, d, w0);
    hn::Store(c1, d, w1);
    const bool full = i + lanes <= n;
    double* dst = full ? out + i : tail;
    for (size_t j = 0; j < lanes; j += lanes64) {
      hn::StoreU(hn::Add(vlow, hn::Mul(vscale, Unit(df, w0 + j, w1 + j, 0.0))), df, dst + j);
    }
    if (!full) std::copy(tail, tail + (n - i), out + i);
  }
}

// The normal pairs p0 .. p0 + count (rounded up to whole vectors): z0 = r cos θ, z1 = r sin θ.
void NormalPairs(uint64_t seed, uint64_t p0, size_t count, double* z0, double* z1) {
  const D32 d;
  const hn::ScalableTag<double> df;
  const size_t lanes = hn::Lanes(d), lanes64 = hn::Lanes(df);
  const auto k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  HWY_ALIGN uint32_t w[4][kMaxLanes32];
  for (size_t i = 0; i < count; i += lanes) {
    V32 c0, c1, c2 = hn::Set(d, 1), c3 = hn::Zero(d);
    Counters(d, p0 + i, &c0, &c1);
    Philox10(d, &c0, &c1, &c2, &c3, k0, k1);
    hn::Store(c0, d, w[0]);
    hn::Store(c1, d, w[1]);
    hn::Store(c2, d, w[2]);
    hn::Store(c3, d, w[3]);
    for (size_t j = 0; j < lanes; j += lanes64) {
      const auto u1 = Unit(df, w[0] + j, w[1] + j, 1.0);  // (0, 1]: log is finite
      const auto u2 = Unit(df, w[2] + j, w[3] + j, 0.0);
      const auto r = hn::Sqrt(hn::Mul(hn::Set(df, -2.0), hn::Log(df, u1)));
      const auto theta = hn::Mul(hn::Set(df, kTwoPi), u2);
      hn::Store(hn::Mul(r, hn::Cos(df, theta)), df, z0 + i + j);
      hn::Store(hn::Mul(r, hn::Sin(df, theta)), df, z1 + i + j);
    }
  }
}

void NormalBlockImpl(uint64_t seed, uint64_t g0, double loc, double scale, double* out, size_t n) {
  HWY_ALIGN double z0[kChunk + kMaxLanes32], z1[kChunk + kMaxLanes32];
  size_t j = 0;
  while (j < n) {
    const uint64_t first_pair = (g0 + j) / 2;
    const uint64_t last_pair = (g0 + n - 1) / 2;
    const size_t pairs =
        static_cast<size_t>(std::min<uint64_t>(last_pair - first_pair + 1, kChunk));
    NormalPairs(seed, first_pair, pairs, z0, z1);
    const uint64_t end = std::min<uint64_t>(g0 + n, 2 * (first_pair + pairs));
    for (uint64_t g = g0 + j; g < end; ++g, ++j) {
      const size_t k = static_cast<size_t>(g / 2 - first_pair);
      out[j] = loc + scale * ((g & 1) ? z1[k] : z0[k]);
    }
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace weft::array
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace weft::array {

HWY_EXPORT(UniformBlockImpl);
HWY_EXPORT(NormalBlockImpl);

void UniformBlock(uint64_t seed, uint64_t g0, double low, double high, double* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(UniformBlockImpl)(seed, g0, low, high, out, n);
}

void NormalBlock(uint64_t seed, uint64_t g0, double loc, double scale, double* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(NormalBlockImpl)(seed, g0, loc, scale, out, n);
}

namespace {

r123::Philox4x32::ctr_type Philox(uint64_t seed, uint64_t counter, uint32_t word2) {
  r123::Philox4x32 rng;
  const r123::Philox4x32::ctr_type ctr = {
      {static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), word2, 0}};
  const r123::Philox4x32::key_type key = {
      {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)}};
  return rng(ctr, key);
}

double Unit53(uint32_t lo, uint32_t hi, double offset) {
  const uint64_t bits = (uint64_t{hi} << 32) | lo;
  return (static_cast<double>(bits >> 11) + offset) * internal_random::kTwoPow53;
}

}  // namespace

double UniformReference(uint64_t seed, uint64_t g, double low, double high) {
  const auto words = Philox(seed, g, 0);
  return low + (high - low) * Unit53(words[0], words[1], 0.0);
}

double NormalReference(uint64_t seed, uint64_t g, double loc, double scale) {
  const auto words = Philox(seed, g / 2, 1);
  const double r = std::sqrt(-2.0 * std::log(Unit53(words[0], words[1], 1.0)));
  const double theta = internal_random::kTwoPi * Unit53(words[2], words[3], 0.0);
  const double z = r * ((g & 1) ? std::sin(theta) : std::cos(theta));
  return loc + scale * z;
}

}  // namespace weft::array
#endif  // HWY_ONCE
