// bench/scheduler_sim: SchedulerState alone, no network: simulated workers run a large
// graph on a simulated clock (no sleeping), so what is measured is the scheduler's own
// cost per task — graph submission, transitions, placement, queuing, stealing ticks.
//
// Graph: many small trees, as a bag pipeline makes them: per tree, `width` roots
// (load), one map per root (parse, 1 dependency), then a binary tree reduction (sum,
// 2 dependencies) to one output per tree. Submitted stage by stage, like a collection.
// Each task takes --duration simulated seconds; results are --nbytes bytes.
//
// Prints: tasks, workers, wall seconds (total, of which graph building), tasks/s,
// microseconds per task, peak RSS and RSS bytes per task (and the RSS once the input graph
// is built, and after UpdateGraph: the graph message itself is most of the peak), steals;
// and last, one line `sim <us per task>` for bench/run_scheduler_sim.sh.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <queue>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A "<field>: N kB" line of /proc/self/status, in bytes; -1 if absent.
int64_t StatusBytes(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stoll(line.substr(std::strlen(field))) * 1024;
  }
  return -1;
}

// Peak resident set size in bytes (VmHWM), or getrusage's maxrss.
int64_t PeakRss() {
  int64_t peak = StatusBytes("VmHWM:");
  if (peak >= 0) return peak;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return int64_t{usage.ru_maxrss} * 1024;
}

// "<prefix>-<32 hex>-<index>", as weft::MakeKey names the partitions of a collection.
std::string Key(const char* prefix, int64_t index) {
  return absl::StrCat(prefix, "-5e3c0a1f9b2d4e6f8a7c6b5d4e3f2a1b-", index);
}

proto::TaskSpec* AddTask(proto::UpdateGraph* graph, std::string key, const char* function,
                         std::vector<const std::string*> deps) {
  proto::TaskSpec* spec = graph->add_tasks();
  spec->set_key(std::move(key));
  spec->set_function(function);
  for (const std::string* dep : deps) {
    spec->add_dependencies(*dep);
    spec->add_args()->set_key(*dep);
  }
  return spec;
}

// About `tasks` tasks in trees of `width` roots: 2 * width + (width - 1) tasks each.
proto::UpdateGraph BuildGraph(int64_t tasks, int width) {
  const int64_t per_tree = 3 * int64_t{width} - 1;
  const int64_t trees = std::max<int64_t>(1, tasks / per_tree);
  const int64_t roots = trees * width;
  proto::UpdateGraph graph;
  graph.mutable_tasks()->Reserve(static_cast<int>(trees * per_tree));
  std::vector<std::string> level;  // keys of the current stage
  level.reserve(roots);
  for (int64_t i = 0; i < roots; ++i) level.push_back(AddTask(&graph, Key("load", i), "load", {})->key());
  for (int64_t i = 0; i < roots; ++i) {
    level[i] = AddTask(&graph, Key("parse", i), "parse", {&level[i]})->key();
  }
  int64_t next_sum = 0;
  for (int64_t n = width; n > 1; n /= 2) {  // one reduction level across all trees
    std::vector<std::string> up;
    up.reserve(level.size() / 2);
    for (size_t i = 0; i + 1 < level.size(); i += 2) {
      up.push_back(AddTask(&graph, Key("sum", next_sum++), "sum", {&level[i], &level[i + 1]})->key());
    }
    level.swap(up);
  }
  for (const std::string& key : level) graph.add_wanted_keys(key);
  return graph;
}

struct SimWorker {
  std::string id;
  int nthreads = 2;
  int running = 0;
  // Tasks sent and not started, lowest priority number first; `queued` says which heap
  // entries are still live (a steal or a free takes a task out).
  std::priority_queue<std::pair<int64_t, std::string>, std::vector<std::pair<int64_t, std::string>>,
                      std::greater<>>
      ready;
  absl::flat_hash_map<std::string, int64_t> queued;
};

struct Finish {
  double time;
  int64_t seq;
  int worker;
  std::string key;
  bool operator>(const Finish& other) const {
    return time != other.time ? time > other.time : seq > other.seq;
  }
};

class Simulation {
 public:
  Simulation(SchedulerState* state, int workers, int nthreads, double duration, int64_t nbytes)
      : state_(*state), duration_(duration), nbytes_(nbytes) {
    for (int i = 0; i < workers; ++i) {
      proto::RegisterWorker reg;
      reg.mutable_info()->set_name(absl::StrCat("sim-", i));
      reg.mutable_info()->set_address(absl::StrCat("10.0.", i / 250, ".", i % 250, ":9000"));
      reg.mutable_info()->set_nthreads(nthreads);
      SimWorker& w = workers_.emplace_back();
      w.id = state_.AddWorker(reg, Now());
      w.nthreads = nthreads;
      index_[w.id] = i;
    }
  }

  // Runs until no task is running or sent; returns the simulated seconds.
  double Run() {
    Drain();
    double next_tick = 0.1;
    while (!finishes_.empty()) {
      Finish f = finishes_.top();
      finishes_.pop();
      while (next_tick <= f.time) {  // the scheduler's periodic tick
        now_ = next_tick;
        for (const SimWorker& w : workers_) state_.Touch(w.id, Now());
        state_.Tick(Now());
        next_tick += 0.1;
        Drain();
      }
      now_ = f.time;
      SimWorker& w = workers_[f.worker];
      --w.running;
      proto::TaskFinished msg;
      msg.set_key(std::move(f.key));
      msg.set_nbytes(nbytes_);
      msg.set_duration_seconds(duration_);
      (void)state_.TaskFinished(w.id, msg);
      dirty_.push_back(f.worker);
      Drain();
    }
    return now_;
  }

 private:
  absl::Time Now() const { return absl::FromUnixSeconds(1'000'000) + absl::Seconds(now_); }

  // Carries out the scheduler's instructions (and answers steals) until it has nothing
  // more to say, then starts what the workers can start.
  void Drain() {
    while (true) {
      Instructions out = state_.TakeInstructions();
      if (out.to_workers.empty()) break;
      std::vector<std::pair<int, proto::StealResponse>> answers;
      for (WorkerMessage& m : out.to_workers) {
        int i = index_.at(m.worker_id);
        SimWorker& w = workers_[i];
        const proto::WorkerInstruction& in = m.instruction;
        if (in.has_compute()) {
          w.queued[in.compute().task().key()] = in.compute().priority();
          w.ready.emplace(in.compute().priority(), in.compute().task().key());
          dirty_.push_back(i);
        } else if (in.has_free_keys()) {
          for (const std::string& key : in.free_keys().keys()) w.queued.erase(key);
        } else if (in.has_steal()) {
          proto::StealResponse& answer = answers.emplace_back(i, proto::StealResponse()).second;
          answer.set_key(in.steal().key());
          answer.set_stolen(w.queued.erase(in.steal().key()) > 0);
        }
      }
      for (auto& [i, answer] : answers) (void)state_.StealResponse(workers_[i].id, answer);
    }
    for (int i : dirty_) StartTasks(i);
    dirty_.clear();
  }

  void StartTasks(int i) {
    SimWorker& w = workers_[i];
    while (w.running < w.nthreads && !w.ready.empty()) {
      auto [priority, key] = w.ready.top();
      w.ready.pop();
      auto it = w.queued.find(key);
      if (it == w.queued.end() || it->second != priority) continue;  // freed or stolen
      w.queued.erase(it);
      ++w.running;
      finishes_.push(Finish{now_ + duration_, next_seq_++, i, std::move(key)});
    }
  }

  SchedulerState& state_;
  const double duration_;
  const int64_t nbytes_;
  double now_ = 0;
  int64_t next_seq_ = 0;
  std::vector<SimWorker> workers_;
  absl::flat_hash_map<std::string, int> index_;
  std::vector<int> dirty_;
  std::priority_queue<Finish, std::vector<Finish>, std::greater<>> finishes_;
};

int Main(int argc, char** argv) {
  CLI::App app("Simulates a large cluster against SchedulerState, without network");
  int64_t tasks = 1'000'000;
  int workers = 1000;
  int nthreads = 2;
  int width = 8;
  double duration = 0.01;
  int64_t nbytes = 1000;
  size_t log_length = 100'000;
  app.add_option("--tasks", tasks, "About this many tasks")->capture_default_str();
  app.add_option("--workers", workers, "Simulated workers")->capture_default_str();
  app.add_option("--threads", nthreads, "Threads per worker")->capture_default_str();
  app.add_option("--width", width, "Roots per tree (a power of 2)")->capture_default_str();
  app.add_option("--duration", duration, "Simulated seconds per task")->capture_default_str();
  app.add_option("--nbytes", nbytes, "Bytes per result")->capture_default_str();
  app.add_option("--transition-log", log_length, "Transitions kept for stories")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const Clock::time_point start = Clock::now();
  proto::UpdateGraph graph = BuildGraph(tasks, width);
  const int64_t n = graph.tasks_size();
  const double build_seconds = Since(start);
  const int64_t graph_rss = StatusBytes("VmRSS:");

  const Clock::time_point schedule_start = Clock::now();
  SchedulerOptions options;
  options.transition_log_length = log_length;
  SchedulerState state(options);
  Simulation sim(&state, workers, nthreads, duration, nbytes);
  const std::string client = state.AddClient("sim");
  absl::Status submitted = state.UpdateGraph(client, std::move(graph));
  if (!submitted.ok()) {
    std::fprintf(stderr, "scheduler_sim: %s\n", submitted.ToString().c_str());
    return 1;
  }
  const double submit_seconds = Since(schedule_start);
  const int64_t submitted_rss = StatusBytes("VmRSS:");
  const double simulated = sim.Run();
  const double schedule_seconds = Since(schedule_start);
  const double total = Since(start);

  const int64_t in_memory = state.CountInStatus(TaskStatus::kMemory);
  const int64_t peak = PeakRss();
  std::printf("tasks               %lld (%lld outputs in memory at the end)\n", (long long)n,
              (long long)in_memory);
  std::printf("workers             %d x %d threads\n", workers, nthreads);
  std::printf("simulated time      %.2f s (%.3f s per task)\n", simulated, duration);
  std::printf("wall time           %.2f s (graph building %.2f s, UpdateGraph %.2f s, run %.2f s)\n",
              total, build_seconds, submit_seconds, schedule_seconds - submit_seconds);
  std::printf("throughput          %.0f tasks/s (%.2f us per task, scheduler only)\n",
              n / schedule_seconds, 1e6 * schedule_seconds / n);
  std::printf("peak RSS            %.1f MB (%.0f bytes per task)\n", peak / 1e6,
              static_cast<double>(peak) / n);
  std::printf("RSS                 %.1f MB with the graph built, %.1f MB after UpdateGraph\n",
              graph_rss / 1e6, submitted_rss / 1e6);
  std::printf("steals              %lld requested, %lld done\n",
              (long long)state.steals_requested(), (long long)state.steals_done());
  std::printf("illegal transitions %lld\n", (long long)state.illegal_transitions());
  std::printf("sim %.3f\n", 1e6 * schedule_seconds / n);
  const bool ok = state.illegal_transitions() == 0 && in_memory == static_cast<int64_t>(
      state.num_tasks()) - state.CountInStatus(TaskStatus::kReleased);
  if (!ok || state.CountInStatus(TaskStatus::kProcessing) != 0) {
    std::fprintf(stderr, "scheduler_sim: the graph did not complete\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace weft::scheduler

int main(int argc, char** argv) { return weft::scheduler::Main(argc, argv); }
