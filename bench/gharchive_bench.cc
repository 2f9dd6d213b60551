// bench/gharchive: the GitHub Archive session on real hourly files, on a local cluster of
// 2 workers x 1 thread. Prints `step <seconds>` lines (the same steps as
// bench/dask_gharchive.py) and `memory <bytes held by the workers>`. The side-by-side run
// with dask and the ratios is bench/run_gharchive.sh.
//
//   gharchive_bench FILE...
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "weft/bag.h"
#include "weft/client.h"

namespace {

template <typename F>
auto Timed(const char* name, F&& fn) {
  auto start = std::chrono::steady_clock::now();
  auto result = fn();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s %.4f\n", name, s);
  std::fflush(stdout);
  return result;
}

template <typename T>
void Check(const absl::StatusOr<T>& r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "bench: %s: %s\n", what, std::string(r.status().message()).c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gharchive_bench FILE...\n");
    return 2;
  }
  std::vector<std::string> files(argv + 1, argv + argc);
  // The files are passed one by one: a glob of exactly these, as a brace-free pattern list
  // is not supported, so build the bag from one read_text per file and concatenate.
  weft::ClientOptions options;
  options.n_workers = 2;
  options.threads_per_worker = 1;
  auto client = weft::Client::Connect(options);
  Check(client, "connect");
  std::vector<weft::Bag> bags;
  for (const auto& f : files) {
    auto b = weft::Bag::read_text(**client, f);
    Check(b, "read_text");
    bags.push_back(*b);
  }
  weft::Bag records = weft::Bag::concat(bags).parse_json();

  auto streamed = Timed("stream_filter_count", [&] {
    return records.filter("type == \"PushEvent\"").count().compute();
  });
  Check(streamed, "stream");
  weft::Bag persisted = records;
  auto waited = Timed("persist", [&] {
    persisted = records.persist();
    return absl::StatusOr<bool>(persisted.wait().ok());
  });
  auto take = Timed("take1", [&] { return persisted.take(1); });
  Check(take, "take");
  auto count = Timed("count", [&] { return persisted.count().compute(); });
  Check(count, "count");
  Timed("count_warm", [&] { return persisted.count().compute(); });
  auto freq = Timed("frequencies", [&] { return persisted.pluck("type").frequencies().compute(); });
  Check(freq, "frequencies");
  Timed("frequencies_warm", [&] { return persisted.pluck("type").frequencies().compute(); });
  weft::Bag sub = persisted;
  Timed("filter_repartition_persist", [&] {
    sub = persisted.filter("starts_with(repo.name, \"jupyter/\")").repartition(10).persist();
    return absl::StatusOr<bool>(sub.wait().ok());
  });
  Timed("distinct", [&] { return sub.pluck("repo.name").distinct().compute(); });
  Timed("topk", [&] { return sub.pluck("actor.login").frequencies().topk(10, "1").compute(); });
  std::fprintf(stderr, "records: %s, push events: %s\n", count->DebugString().c_str(),
               streamed->DebugString().c_str());
  // Memory held by the workers' data stores (from their heartbeats).
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto info = (*client)->info();
  Check(info, "info");
  std::printf("memory_managed %lld\n", static_cast<long long>(info->memory_bytes));
  return 0;
}
