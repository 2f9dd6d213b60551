// bench/shuffle: weft's shuffle on a running cluster (bench/run_shuffle.sh starts it: one
// weft-scheduler, 2 weft-workers x 1 thread with a --memory-limit, so that the workers'
// PIDs are known and their memory can be watched). Two workloads:
//
//   shuffle_bench ADDRESS WORKER_PIDS sort INPUT_PATTERN OUTPUT_PATTERN NOUT
//     read_text(INPUT).parse_json().sort_by("k", true, NOUT).to_textfiles(OUTPUT): the
//     sort benchmark's records, disk to disk (the workers write; nothing reaches the
//     client). Prints `sort_seconds S` and `sort_records N`.
//   shuffle_bench ADDRESS WORKER_PIDS actors FILE...
//     events per actor.login, gathered to the client, two ways, up to 3 rounds each:
//     to_pairs + reduce_by_key("sum") (combined map-side: dask's foldby) and
//     groupby("actor.login") + map_values("length(_)") (every record shuffled: dask's bag
//     groupby). Prints `<way>_seconds`, `<way>_status`, `<way>_keys`, `<way>_total` and
//     `<way>_checksum` (sum over keys of FNV-1a64(key) * count, mod 2^64: shuffle_dask.py
//     computes the same, so equal checksums mean equal answers).
//
// WORKER_PIDS is "PID,PID": before each step their peak RSS is reset (clear_refs 5) and
// after it `<step>_peak_rss <pid> <VmHWM bytes> <max polled VmRSS bytes>` (the kernel's
// peak, and the largest of 10 samples a second, in case a worker dies) and
// `<step>_cpu_seconds <pid> <user + system>` are printed. A progress line per 2 s (task
// prefixes by state, the workers' store, spill and RSS) goes to stderr during the sort.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "weft/bag.h"
#include "weft/client.h"

namespace {

template <typename T>
T Check(absl::StatusOr<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "shuffle_bench: %s: %s\n", what, r.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(r);
}

// A field of /proc/PID/status in bytes ("VmRSS", "VmHWM"); -1 when the process is gone.
int64_t ProcStatusBytes(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    // "VmRSS:\t  1234 kB"
    std::vector<std::string> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    int64_t kb = 0;
    if (words.size() >= 2 && absl::SimpleAtoi(words[1], &kb)) return kb * 1024;
  }
  return -1;
}

// User + system CPU seconds of a process; -1 when it is gone.
double CpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  // After "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
  std::vector<std::string> fields = absl::StrSplit(stat.substr(paren + 1), ' ', absl::SkipEmpty());
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return -1;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Watches the workers during one step: resets their peak RSS on construction, samples
// VmRSS 10 times a second, and prints both peaks and the CPU time the step took from
// Report(). Threading: one sampler thread of its own, stopped by Report() or the
// destructor; the other methods belong to the thread that made it.
class WorkerWatch {
 public:
  explicit WorkerWatch(const std::vector<int>& pids) : pids_(pids), polled_(pids.size(), 0) {
    for (int pid : pids_) {
      std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs") << "5";
      cpu_start_.push_back(CpuSeconds(pid));
    }
    sampler_ = std::thread([this] {
      while (!stop_.load()) {
        Sample();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  ~WorkerWatch() { Stop(); }

  void Report(const char* step) {
    Stop();
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < pids_.size(); ++i) {
      std::printf("%s_peak_rss %d %lld %lld\n", step, pids_[i],
                  static_cast<long long>(ProcStatusBytes(pids_[i], "VmHWM")),
                  static_cast<long long>(polled_[i]));
      std::printf("%s_cpu_seconds %d %.2f\n", step, pids_[i], CpuSeconds(pids_[i]) - cpu_start_[i]);
    }
    std::fflush(stdout);
  }

 private:
  void Sample() {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < pids_.size(); ++i) {
      polled_[i] = std::max(polled_[i], ProcStatusBytes(pids_[i], "VmRSS"));
    }
  }
  void Stop() {
    if (sampler_.joinable()) {
      stop_ = true;
      sampler_.join();
      Sample();
    }
  }

  // Constant after construction.
  const std::vector<int> pids_;
  std::vector<double> cpu_start_;

  absl::Mutex mu_;
  std::vector<int64_t> polled_ ABSL_GUARDED_BY(mu_);  // max VmRSS seen, per pid
  std::atomic<bool> stop_{false};
  std::thread sampler_;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

uint64_t Fnv1a64(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Diagnostics on stderr while a step runs: every 2 s, each live task prefix's tasks by
// state and mean duration, from the scheduler. Threading: a thread of its own, started by
// the constructor and joined by the destructor; the Client (thread-safe) outlives it.
class ProgressLog {
 public:
  ProgressLog(weft::Client& client, const std::vector<int>& pids) : client_(client), pids_(pids) {
    thread_ = std::thread([this] {
      const auto start = std::chrono::steady_clock::now();
      while (!stop_.WaitForNotificationWithTimeout(absl::Seconds(2))) {
        absl::StatusOr<weft::ClusterInfo> info = client_.info();
        if (!info.ok()) continue;
        std::string line = absl::StrFormat("[%6.1fs]", SecondsSince(start));
        for (const weft::PrefixInfo& p : info->prefixes) {
          std::string states;
          for (const auto& [state, n] : p.tasks_by_state) {
            if (n > 0 && state != "released")
              absl::StrAppend(&states, state.substr(0, 4), ":", n, " ");
          }
          if (states.empty()) continue;  // done
          absl::StrAppendFormat(&line, " %s{%s%.2fs}", p.prefix, states,
                                p.average_duration_seconds);
        }
        for (const weft::WorkerInfo& w : info->worker_details) {
          absl::StrAppendFormat(&line, " %s:mem=%dM,spilled=%dM%s", w.name, w.memory_bytes >> 20,
                                w.spilled_bytes >> 20, w.paused ? ",paused" : "");
        }
        for (int pid : pids_) {
          absl::StrAppendFormat(&line, " rss[%d]=%dM", pid, ProcStatusBytes(pid, "VmRSS") >> 20);
        }
        std::fprintf(stderr, "%s\n", line.c_str());
      }
    });
  }
  ~ProgressLog() {
    stop_.Notify();
    thread_.join();
  }

 private:
  weft::Client& client_;
  const std::vector<int> pids_;
  absl::Notification stop_;
  std::thread thread_;
};

int RunSort(weft::Client& client, const std::vector<int>& pids, const std::string& input,
            const std::string& output, int nout) {
  weft::Bag records = Check(weft::Bag::read_text(client, input), "read_text").parse_json();
  std::fprintf(stderr, "sort: %d input partitions -> %d\n", records.npartitions(), nout);
  WorkerWatch watch(pids);
  ProgressLog progress(client, pids);
  auto start = std::chrono::steady_clock::now();
  int64_t written = Check(records.sort_by("k", /*ascending=*/true, nout).to_textfiles(output),
                          "sort_by + to_textfiles");
  std::printf("sort_seconds %.4f\n", SecondsSince(start));
  std::printf("sort_records %lld\n", static_cast<long long>(written));
  watch.Report("sort");
  return 0;
}

// Prints the step's figures from [[login, count], ...].
void ReportCounts(const char* step, double seconds, const weft::ValueList& pairs) {
  int64_t total = 0;
  uint64_t checksum = 0;
  for (const weft::Value& pair : pairs) {
    const weft::ValueList& kv = pair.as_list();
    const std::string key = kv[0].is_string() ? kv[0].as_string() : kv[0].DebugString();
    total += kv[1].as_int();
    checksum += Fnv1a64(key) * static_cast<uint64_t>(kv[1].as_int());
  }
  std::printf("%s_seconds %.4f\n%s_status ok\n%s_keys %zu\n%s_total %lld\n%s_checksum %llu\n", step,
              seconds, step, step, pairs.size(), step, static_cast<long long>(total), step,
              static_cast<unsigned long long>(checksum));
  std::fflush(stdout);
}

// Up to kMaxRounds runs of `step`, none started once kRoundsSeconds have passed (as
// bench/shuffle_dask.py): one set of lines per round.
constexpr int kMaxRounds = 3;
constexpr double kRoundsSeconds = 60;

void RunRounds(const char* step, const std::vector<int>& pids, const weft::Bag& bag) {
  const auto first = std::chrono::steady_clock::now();
  for (int round = 0; round < kMaxRounds && SecondsSince(first) < kRoundsSeconds; ++round) {
    WorkerWatch watch(pids);
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<weft::ValueList> counts = bag.compute();
    const double seconds = SecondsSince(start);
    watch.Report(step);
    if (!counts.ok()) {
      std::printf("%s_seconds %.4f\n%s_status %s\n", step, seconds, step,
                  counts.status().ToString().c_str());
      return;
    }
    ReportCounts(step, seconds, *counts);
  }
}

int RunActors(weft::Client& client, const std::vector<int>& pids,
              const std::vector<std::string>& files) {
  std::vector<weft::Bag> bags;
  for (const auto& f : files) bags.push_back(Check(weft::Bag::read_text(client, f), "read_text"));
  weft::Bag records = weft::Bag::concat(bags).parse_json();
  // Combined map-side: one [login, partial count] per login and partition crosses.
  RunRounds("reduce_by_key", pids, records.to_pairs("actor.login", "1").reduce_by_key("sum"));
  // Every record shuffled to its login's partition, then counted: dask's bag groupby.
  RunRounds("groupby", pids, records.groupby("actor.login").map_values("length(_)"));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage =
      "usage: shuffle_bench ADDRESS PID,PID sort INPUT_PATTERN OUTPUT_PATTERN NOUT\n"
      "       shuffle_bench ADDRESS PID,PID actors FILE...\n";
  if (argc < 5) {
    std::fputs(usage.c_str(), stderr);
    return 2;
  }
  std::vector<int> pids;
  for (absl::string_view p : absl::StrSplit(argv[2], ',', absl::SkipEmpty())) {
    int pid = 0;
    if (!absl::SimpleAtoi(p, &pid)) {
      std::fputs(usage.c_str(), stderr);
      return 2;
    }
    pids.push_back(pid);
  }
  std::unique_ptr<weft::Client> client = Check(weft::Client::Connect(argv[1]), "connect");
  const std::string mode = argv[3];
  if (mode == "sort" && argc == 7)
    return RunSort(*client, pids, argv[4], argv[5], std::atoi(argv[6]));
  if (mode == "actors")
    return RunActors(*client, pids, std::vector<std::string>(argv + 4, argv + argc));
  std::fputs(usage.c_str(), stderr);
  return 2;
}
