// bench/tasks: 10,000 trivial tasks (map inc, then gather) on a local cluster of 2
// workers x 1 thread. Prints one line: `weft <seconds> <tasks/s>`. The side-by-side run
// with dask is bench/run_tasks.sh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <vector>

#include "weft/client.h"

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  weft::ClientOptions options;
  options.n_workers = 2;
  options.threads_per_worker = 1;
  auto client = weft::Client::Connect(options);
  if (!client.ok()) {
    std::fprintf(stderr, "bench: %s\n", std::string(client.status().message()).c_str());
    return 1;
  }
  {  // warm up: connections to both workers
    std::vector<weft::Arg> items;
    for (int i = 0; i < 100; ++i) items.emplace_back(-1 - i);
    if (!(*client)->gather((*client)->map("inc", items)).ok()) return 1;
  }
  double best = 1e9;
  for (int round = 0; round < rounds; ++round) {
    // Fresh arguments each round so that no key is already known to the cluster.
    std::vector<weft::Arg> items;
    items.reserve(n);
    for (int i = 0; i < n; ++i) items.emplace_back(int64_t{round} * n * 10 + i);
    auto start = std::chrono::steady_clock::now();
    auto futures = (*client)->map<int64_t>("inc", items);
    auto results = (*client)->gather(futures);
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!results.ok()) {
      std::fprintf(stderr, "bench: %s\n", std::string(results.status().message()).c_str());
      return 1;
    }
    int64_t sum = std::accumulate(results->begin(), results->end(), int64_t{0});
    int64_t base = int64_t{round} * n * 10;
    int64_t expected = base * n + int64_t{n} * (n + 1) / 2;
    if (sum != expected) {
      std::fprintf(stderr, "bench: wrong sum %lld, expected %lld\n", (long long)sum,
                   (long long)expected);
      return 1;
    }
    if (elapsed < best) best = elapsed;
  }
  std::printf("weft %.4f %.0f\n", best, n / best);

  // One task's round trip, as an interactive query sees it: submit, wait until the
  // scheduler says it is done, then fetch its result. Median of 300.
  std::vector<double> waits, fetches;
  for (int i = 0; i < 300; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto future = (*client)->submit<int64_t>("inc", {int64_t{1000000000} + i});
    if (!future.wait(absl::Seconds(30)).ok()) return 1;
    auto done = std::chrono::steady_clock::now();
    auto result = future.get();
    auto fetched = std::chrono::steady_clock::now();
    if (!result.ok() || *result != 1000000001 + i) {
      std::fprintf(stderr, "bench: wrong single result\n");
      return 1;
    }
    waits.push_back(std::chrono::duration<double>(done - start).count() * 1e3);
    fetches.push_back(std::chrono::duration<double>(fetched - done).count() * 1e3);
  }
  std::sort(waits.begin(), waits.end());
  std::sort(fetches.begin(), fetches.end());
  std::printf("one_task_ms submit_to_done %.3f fetch %.3f\n", waits[waits.size() / 2],
              fetches[fetches.size() / 2]);
  return 0;
}
