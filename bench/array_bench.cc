// weft's side of bench/run_arrays.sh: the same work as bench/array_dask.py on a running
// cluster (2 workers x 1 thread). Prints `name seconds answer` lines.
//
//   array_bench SCHEDULER_FILE SAMPLES ELEMENTS PERSISTED CHUNK
//   array_bench --triad N      one core's STREAM triad (a = b + s*c over N doubles): GB/s
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "weft/array.h"
#include "weft/client.h"

namespace {

double Seconds(const std::function<void()>& f) {
  auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// STREAM's triad on one core: the best of five passes, counting 24 bytes per element.
int Triad(int64_t n) {
  std::vector<double> a(n, 0.0), b(n, 1.0), c(n, 2.0);
  double best = 1e30;
  for (int pass = 0; pass < 5; ++pass) {
    double s = 3.0 + pass;
    best = std::min(best, Seconds([&] {
                      for (int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
                    }));
  }
  std::printf("triad %.3f %.2f\n", best, 24.0 * n / best / 1e9);
  return a[n / 2] > 0 ? 0 : 1;
}

double Item(const weft::Array& a) {
  auto r = a.compute();
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  weft::Value v = r->item();
  return v.is_double() ? v.as_double() : static_cast<double>(v.as_int());
}

void Timed(const char* name, const std::function<double()>& f) {
  double answer = 0;
  double s = Seconds([&] { answer = f(); });
  std::printf("%s %.3f %.17g\n", name, s, answer);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--triad") == 0) return Triad(std::atoll(argv[2]));
  if (argc != 6) {
    std::fprintf(stderr,
                 "usage: array_bench SCHEDULER_FILE SAMPLES ELEMENTS PERSISTED CHUNK\n"
                 "       array_bench --triad N\n");
    return 2;
  }
  weft::ClientOptions options;
  options.scheduler_file = argv[1];
  const int64_t samples = std::atoll(argv[2]), elements = std::atoll(argv[3]);
  const int64_t persisted = std::atoll(argv[4]), chunk = std::atoll(argv[5]);
  auto connected = weft::Client::Connect(options);
  if (!connected.ok()) {
    std::fprintf(stderr, "%s\n", connected.status().ToString().c_str());
    return 1;
  }
  weft::Client& c = **connected;
  if (auto ready = c.wait_for_workers(2); !ready.ok()) {
    std::fprintf(stderr, "%s\n", ready.ToString().c_str());
    return 1;
  }
  using weft::Array;
  Timed("pi", [&] {
    Array x = Array::random_uniform(c, -1, 1, {samples}, {chunk}, 1);
    Array y = Array::random_uniform(c, -1, 1, {samples}, {chunk}, 2);
    return Item(4 * ((pow(x, 2) + pow(y, 2)) < 1).sum() / samples);
  });
  Timed("xyz_sum", [&] {
    Array x = Array::ones(c, {elements}, {chunk});
    Array y = Array::arange(c, 0.0, static_cast<double>(elements), 1.0, {chunk});
    Array z = Array::ones(c, {elements}, {chunk});
    return Item((x * y + z).sum());
  });
  Array normal = Array::random_normal(c, 0, 1, {elements}, {chunk}, 1);
  Timed("normal_mean", [&] { return Item(normal.mean()); });
  Timed("normal_std", [&] { return Item(normal.std()); });
  // In memory: three persisted arrays, then the fused sum reads them.
  Array x = Array::ones(c, {persisted}, {chunk / 4}).persist();
  Array y = Array::arange(c, 0.0, static_cast<double>(persisted), 1.0, {chunk / 4}).persist();
  Array z = (Array::ones(c, {persisted}, {chunk / 4}) * 2).persist();
  for (const Array* a : {&x, &y, &z}) {
    if (auto s = a->wait(); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
  }
  Timed("persisted_xyz_sum", [&] { return Item((x * y + z).sum()); });
  Timed("persisted_y_sum", [&] { return Item(y.sum()); });
  return 0;
}
