// Benchmarks of the array kernels on one core, printing ns/element and GB/s:
//   bazel run -c opt //worker/array:array_kernels_bench
// The fused x*y+z sum reads three inputs larger than the caches (its GB/s is to compare
// with the STREAM-like triad printed first); uniform/normal generate into an L1 block; pi
// is the whole fused task 4*mean(x*x + y*y < 1) over two uniform leaves.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "weft/function.h"
#include "worker/array/array_functions.h"
#include "worker/array/array_random.h"

namespace weft::array {
namespace {

// The best of `repeats` runs of `fn`, in seconds.
double BestSeconds(int repeats, const std::function<void()>& fn) {
  double best = 1e300;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count());
  }
  return best;
}

void Report(const char* name, double seconds, double elements, double bytes) {
  std::printf("%-34s %8.3f ns/elem  %7.2f GB/s\n", name, seconds * 1e9 / elements,
              bytes / seconds / 1e9);
}

// n doubles starting `skew` bytes into their allocation (decoded chunks sit at arbitrary
// offsets of their messages).
Value Doubles(size_t n, double value, size_t skew) {
  std::string bytes(n * 8 + skew, '\0');
  for (size_t i = 0; i < n; ++i) std::memcpy(bytes.data() + skew + 8 * i, &value, 8);
  return Value(DoubleArray{Buffer(std::move(bytes)).Slice(skew, n * 8)});
}

Value Instr(ValueList items) { return Value(std::move(items)); }

void Run() {
  constexpr size_t kN = size_t{1} << 23;  // 64 MB per f64 input
  std::vector<double> a(kN, 1.0), b(kN, 2.0), c(kN, 3.0);
  const double triad = BestSeconds(5, [&] {
    for (size_t i = 0; i < kN; ++i) a[i] = b[i] + 3.0 * c[i];
  });
  Report("STREAM-like triad a=b+s*c", triad, kN, 3.0 * 8 * kN);

  const Value x = Doubles(kN, 1.5, 0), y = Doubles(kN, 2.0, 1344), z = Doubles(kN, 0.25, 2752);
  const int64_t n = static_cast<int64_t>(kN);
  const Value fused_spec(
      Record{{"shape", ValueList{int64_t{1}, n}},
             {"code", ValueList{Instr({"input", "f64", 0, 0, 0}), Instr({"input", "f64", 1, 0, 0}),
                                Instr({"input", "f64", 2, 0, 0}), Instr({"mul", "f64", 0, 1}),
                                Instr({"add", "f64", 3, 2})}},
             {"reduce", Value(Record{{"op", "sum"}, {"axis", "all"}})}});
  double check = 0;
  const double fused = BestSeconds(5, [&] {
    check = FusedFunction({fused_spec, x, y, z}, TaskContext())->as_list()[0].as_double_array()[0];
  });
  Report("fused (x*y+z).sum() over inputs", fused, kN, 3.0 * 8 * kN);
  std::printf("  (fused / triad bandwidth: %.0f%%; sum %.1f)\n",
              100.0 * (3.0 * 8 * kN / fused) / (3.0 * 8 * kN / triad), check);

  const Value sum_spec(Record{{"shape", ValueList{int64_t{1}, n}},
                              {"code", ValueList{Instr({"input", "f64", 0, 0, 0})}},
                              {"reduce", Value(Record{{"op", "sum"}, {"axis", "all"}})}});
  const double sum1 = BestSeconds(5, [&] { (void)FusedFunction({sum_spec, x}, TaskContext()); });
  Report("fused x.sum() (one read stream)", sum1, kN, 8.0 * kN);

  constexpr size_t kBlock = 1024, kBlocks = 8192;
  std::vector<double> block(kBlock);
  const double uniform = BestSeconds(3, [&] {
    for (size_t i = 0; i < kBlocks; ++i) UniformBlock(1, i * kBlock, -1, 1, block.data(), kBlock);
  });
  Report("uniform generation (L1 block)", uniform, kBlock * kBlocks, 8.0 * kBlock * kBlocks);
  const double normal = BestSeconds(3, [&] {
    for (size_t i = 0; i < kBlocks; ++i) NormalBlock(1, i * kBlock, 0, 1, block.data(), kBlock);
  });
  Report("normal generation (L1 block)", normal, kBlock * kBlocks, 8.0 * kBlock * kBlocks);

  const int64_t samples = 20'000'000;
  const Value pi_spec(
      Record{{"shape", ValueList{int64_t{1}, samples}},
             {"code", ValueList{Instr({"uniform", "f64", 1, -1.0, 1.0, samples, 0, 0, 0, 0}),
                                Instr({"uniform", "f64", 2, -1.0, 1.0, samples, 0, 0, 0, 0}),
                                Instr({"mul", "f64", 0, 0}), Instr({"mul", "f64", 1, 1}),
                                Instr({"add", "f64", 2, 3}), Instr({"scalar", "f64", 1.0}),
                                Instr({"lt", "f64", 4, 5})}},
             {"reduce", Value(Record{{"op", "sum"}, {"axis", "all"}})}});
  int64_t inside = 0;
  const double pi = BestSeconds(3, [&] {
    inside = FusedFunction({pi_spec}, TaskContext())->as_list()[0].as_int64_array()[0];
  });
  Report("pi kernel (per sample, 2 uniforms)", pi, samples, 0);
  std::printf("  (pi ~ %.6f; 2e9 samples on one core: %.1f s)\n", 4.0 * inside / samples,
              pi / samples * 2e9);
}

}  // namespace
}  // namespace weft::array

int main() {
  weft::array::Run();
  return 0;
}
