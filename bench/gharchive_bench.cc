// bench/gharchive: the GitHub Archive session on real hourly files, on a local cluster of
// 2 workers x 1 thread. Prints `step <seconds>` lines (the same steps as
// bench/dask_gharchive.py), the answers (`answer_count`, ..., JSON), and the workers'
// memory (`memory_managed`: held by their data stores; `memory_process`: their RSS;
// `spilled`). The side-by-side run with dask and the ratios is bench/run_gharchive.sh; the
// month, bench/run_month.sh. WEFT_PERSIST_COMPRESSION=none persists raw text.
//
//   gharchive_bench FILE...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

// The median of `runs` more runs of `fn` (each checked): a warm figure, steadier than one
// run on a noisy machine. bench/dask_gharchive.py measures dask's the same way.
template <typename F>
void TimedWarm(const char* name, F&& fn, int runs = 5) {
  std::vector<double> seconds;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    Check(fn(), name);
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  std::printf("%s %.4f\n", name, seconds[seconds.size() / 2]);
  std::fflush(stdout);
}

// A persist step's outcome for Timed and Check: its wait()'s error, not a boolean that
// hides it.
absl::StatusOr<bool> Waited(const absl::Status& status) {
  if (!status.ok()) return status;
  return true;
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

  auto streamed = Timed("stream_filter_count",
                        [&] { return records.filter("type == \"PushEvent\"").count().compute(); });
  Check(streamed, "stream");
  weft::Bag persisted = records;
  const char* compression_env = std::getenv("WEFT_PERSIST_COMPRESSION");
  auto compression = weft::Bag::ParseCompression(compression_env ? compression_env : "zstd");
  Check(compression, "WEFT_PERSIST_COMPRESSION");
  auto waited = Timed("persist", [&] {
    persisted = records.persist(*compression);
    return Waited(persisted.wait());
  });
  Check(waited, "persist");
  auto take = Timed("take1", [&] { return persisted.take(1); });
  Check(take, "take");
  TimedWarm("take1_warm", [&] { return persisted.take(1); });
  auto count = Timed("count", [&] { return persisted.count().compute(); });
  Check(count, "count");
  TimedWarm("count_warm", [&] { return persisted.count().compute(); });
  auto freq = Timed("frequencies", [&] { return persisted.pluck("type").frequencies().compute(); });
  Check(freq, "frequencies");
  TimedWarm("frequencies_warm", [&] { return persisted.pluck("type").frequencies().compute(); });
  weft::Bag sub = persisted;
  Check(Timed("filter_repartition_persist",
              [&] {
                sub = persisted.filter("starts_with(repo.name, \"jupyter/\")")
                          .repartition(10)
                          .persist(*compression);
                return Waited(sub.wait());
              }),
        "filter + repartition + persist");
  auto distinct = Timed("distinct", [&] { return sub.pluck("repo.name").distinct().compute(); });
  Check(distinct, "distinct");
  auto topk =
      Timed("topk", [&] { return sub.pluck("actor.login").frequencies().topk(10, "1").compute(); });
  Check(topk, "topk");
  std::fprintf(stderr, "records: %s, push events: %s\n", count->DebugString().c_str(),
               streamed->DebugString().c_str());
  // The answers, for bench/run_month.sh to compare (JSON: DebugString prints it so).
  std::printf("answer_count %s\nanswer_push %s\n", count->DebugString().c_str(),
              streamed->DebugString().c_str());
  const size_t kAll = size_t{1} << 30;
  std::printf("answer_frequencies %s\n", weft::Value(*freq).DebugString(kAll).c_str());
  std::printf("answer_distinct %s\n", weft::Value(*distinct).DebugString(kAll).c_str());
  std::printf("answer_topk %s\n", weft::Value(*topk).DebugString(kAll).c_str());
  // Memory held by the workers' data stores and their processes' RSS (from heartbeats),
  // after the workers' idle release of freed memory (5 s).
  std::this_thread::sleep_for(std::chrono::milliseconds(7000));
  auto info = (*client)->info();
  Check(info, "info");
  int64_t rss = 0, spilled = 0;
  for (const auto& w : info->worker_details) rss += w.process_bytes, spilled += w.spilled_bytes;
  std::printf("memory_managed %lld\n", static_cast<long long>(info->memory_bytes));
  std::printf("memory_process %lld\n", static_cast<long long>(rss));
  std::printf("spilled %lld\n", static_cast<long long>(spilled));
  return 0;
}
