#include "worker/array/array_random.h"

#include <cmath>
#include <cstring>

#include "worker/array/array_test_util.h"

namespace weft::array {
namespace {

using namespace testing;  // NOLINT(build/namespaces): the test helpers

// A 1 x cols chunk of `kind` ("uniform"/"normal") at global column c0 of a 1 x 1000 array.
std::vector<double> RandomChunk(const char* kind, int64_t seed, int64_t c0, int64_t cols) {
  absl::StatusOr<Value> out =
      Fused(Spec(1, cols, {I({kind, "f64", seed, 0.0, 1.0, 1000, 0, c0, 0, 0})}));
  REQUIRE(out.ok());
  return ToF64(*out);
}

bool BitwiseEqual(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 8) == 0;
}

TEST_CASE("random arrays are the same whatever the chunking") {
  for (const char* kind : {"uniform", "normal"}) {
    INFO(kind);
    const std::vector<double> whole = RandomChunk(kind, 42, 0, 1000);
    std::vector<double> pieces;
    for (auto [c0, cols] : {std::pair{0, 1}, {1, 332}, {333, 500}, {833, 167}}) {
      const std::vector<double> piece = RandomChunk(kind, 42, c0, cols);
      pieces.insert(pieces.end(), piece.begin(), piece.end());
    }
    CHECK(BitwiseEqual(whole, pieces));
    CHECK_FALSE(BitwiseEqual(whole, RandomChunk(kind, 43, 0, 1000)));
  }
  // The same elements as a 2-D chunk of a 10 x 100 array: g = r * 100 + c.
  absl::StatusOr<Value> grid =
      Fused(Spec(10, 100, {I({"uniform", "f64", 42, 0.0, 1.0, 100, 0, 0, 0, 0})}));
  REQUIRE(grid.ok());
  CHECK(BitwiseEqual(ToF64(*grid), RandomChunk("uniform", 42, 0, 1000)));
}

TEST_CASE("SIMD Philox matches Random123's scalar philox4x32-10") {
  const uint64_t seed = 0x123456789abcdefULL;
  // Counters that cross a 2^32 boundary exercise the carry into the high word.
  for (uint64_t g0 : {uint64_t{0}, (uint64_t{1} << 32) - 5}) {
    double block[37];
    UniformBlock(seed, g0, -1.0, 1.0, block, 37);
    bool all_equal = true;
    for (int j = 0; j < 37; ++j) all_equal &= block[j] == UniformReference(seed, g0 + j, -1, 1);
    CHECK(all_equal);
    NormalBlock(seed, g0, 3.0, 2.0, block, 37);
    double worst = 0;
    for (int j = 0; j < 37; ++j) {
      worst = std::max(worst, std::abs(block[j] - NormalReference(seed, g0 + j, 3.0, 2.0)));
    }
    CHECK(worst < 1e-12);
  }
}

TEST_CASE("uniform mean is 1/2, normal mean 0 and std 1, over 1e6 elements") {
  constexpr int64_t n = 1000000;
  auto moments = [](const char* kind, double p0, double p1) {
    absl::StatusOr<Value> out =
        Fused(Spec(1, n, {I({kind, "f64", 7, p0, p1, n, 0, 0, 0, 0})}, Reduce("var", "all")));
    REQUIRE(out.ok());
    const ValueList& partial = out->as_list();
    return std::pair{partial[1].as_double_array()[0],
                     std::sqrt(partial[2].as_double_array()[0] / n)};
  };
  auto [umean, ustd] = moments("uniform", 0.0, 1.0);
  CHECK(std::abs(umean - 0.5) < 0.002);
  CHECK(std::abs(ustd - std::sqrt(1.0 / 12)) < 0.002);
  auto [nmean, nstd] = moments("normal", 0.0, 1.0);
  CHECK(std::abs(nmean) < 0.005);
  CHECK(std::abs(nstd - 1.0) < 0.005);
  auto [smean, sstd] = moments("normal", 10.0, 3.0);
  CHECK(std::abs(smean - 10.0) < 0.015);
  CHECK(std::abs(sstd - 3.0) < 0.015);
}

TEST_CASE("pi from two uniform arrays") {
  constexpr int64_t n = 1000000;
  absl::StatusOr<Value> count =
      Fused(Spec(1, n,
                 {I({"uniform", "f64", 1, -1.0, 1.0, n, 0, 0, 0, 0}),
                  I({"uniform", "f64", 2, -1.0, 1.0, n, 0, 0, 0, 0}), I({"mul", "f64", 0, 0}),
                  I({"mul", "f64", 1, 1}), I({"add", "f64", 2, 3}), I({"scalar", "f64", 1.0}),
                  I({"lt", "f64", 4, 5})},
                 Reduce("sum", "all")));
  REQUIRE(count.ok());
  const double pi = 4.0 * count->as_list()[0].as_int64_array()[0] / n;
  CHECK(std::abs(pi - M_PI) < 0.01);
}

}  // namespace
}  // namespace weft::array
