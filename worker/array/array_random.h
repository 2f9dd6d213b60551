// Counter-based random numbers for the "uniform" and "normal" generator leaves: Random123's
// philox4x32-10, so element g of a random array depends only on (seed, g) — the same array
// under any chunking, on any worker.
//
//   uniform element g: key = {seed_lo32, seed_hi32}, counter = {g_lo32, g_hi32, 0, 0};
//     with the output words w0..w3, bits = (w1 << 32) | w0, u = (bits >> 11) * 2^-53 in
//     [0, 1), value = low + (high - low) * u (a multiply then an add, never fused).
//   normal element g: p = g / 2, counter = {p_lo32, p_hi32, 1, 0}; u1 = ((w1:w0 >> 11) + 1)
//     * 2^-53 in (0, 1], u2 = (w3:w2 >> 11) * 2^-53; r = sqrt(-2 log u1), θ = 2π u2;
//     z = r cos θ for even g, r sin θ for odd g; value = loc + scale * z.
//
// The block functions are SIMD (Highway, runtime dispatch) and give bitwise the values of
// the scalar reference for uniforms on every target. Normals use Highway's vector log and
// sin/cos: identical on one machine whatever the chunking, but on workers with different
// SIMD targets (FMA or not) a value may differ in the last bit, as libm's would.
//
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace weft::array {

// out[j] = uniform element g0 + j, for j < n.
void UniformBlock(uint64_t seed, uint64_t g0, double low, double high, double* out, size_t n);
// out[j] = normal element g0 + j, for j < n.
void NormalBlock(uint64_t seed, uint64_t g0, double loc, double scale, double* out, size_t n);

// Scalar references (Random123's own philox4x32), for tests.
double UniformReference(uint64_t seed, uint64_t g, double low, double high);
double NormalReference(uint64_t seed, uint64_t g, double loc, double scale);

}  // namespace weft::array
