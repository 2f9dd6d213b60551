// What the scheduler's dashboard shows, taken from the scheduler at one moment.
//
// The scheduler's state belongs to its event-loop thread; the dashboard's HTTP threads never
// touch it. Instead the loop records finished tasks in a TaskStream and, every so often,
// publishes an immutable DashboardSnapshot (MakeSnapshot) that the HTTP threads render
// (render.h). A snapshot is a plain value: copying it out of the state is all the loop pays.
//
// Threading: TaskStream is not thread-safe (the loop thread owns it). A DashboardSnapshot,
// once built, is immutable and shared freely (std::shared_ptr<const DashboardSnapshot>).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "proto/weft.pb.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler::dashboard {

// One finished run of a task on a worker, for the task stream.
struct TaskRecord {
  int64_t seq = 0;        // 1, 2, 3, ...: order of arrival at the scheduler
  std::string worker_id;  // "w1"
  std::string key;
  std::string prefix;  // KeyPrefix(key): "inc"
  double start = 0;    // Unix time, seconds (stop - the duration the worker measured)
  double stop = 0;     // Unix time, seconds (when the scheduler heard of it)
};

// A bounded ring of the most recent TaskRecords.
class TaskStream {
 public:
  explicit TaskStream(size_t capacity = 10'000);

  // Records one finished run at `now`; the oldest record goes once the ring is full.
  void Add(const std::string& worker_id, const std::string& key, double duration_seconds,
           absl::Time now);
  // The last `limit` records, oldest first.
  std::vector<TaskRecord> Recent(size_t limit) const;
  // Runs recorded since construction (including those the ring has dropped).
  int64_t total() const { return total_; }

 private:
  const size_t capacity_;
  std::vector<TaskRecord> ring_;  // grows to capacity_, then wraps at next_
  size_t next_ = 0;
  int64_t total_ = 0;
};

// The tasks of the live graphs (waiting, queued, no-worker, processing, in memory, erred)
// grouped by key prefix, for the task-graph view: a node per prefix with its tasks per
// state, an edge per pair of prefixes where a task of `to` depends on a task of `from`.
struct PrefixGraph {
  struct Node {
    std::string prefix;
    std::map<std::string, int64_t> tasks_by_state;  // TaskStatusName → tasks
  };
  struct Edge {
    int from = 0;  // indexes into nodes
    int to = 0;
    int64_t dependencies = 0;  // task-to-task dependencies between the two prefixes
  };
  std::vector<Node> nodes;  // by prefix
  std::vector<Edge> edges;  // by (from, to)
  int64_t tasks_seen = 0;   // tasks looked at (live or not), at most the cap
  bool truncated = false;   // the scheduler holds more tasks than the cap: counts are partial
};

// Groups the live tasks of `state` by prefix, looking at `max_tasks` tasks at most (in no
// particular order). Call on the thread that owns `state`. O(max_tasks + their dependencies).
PrefixGraph MakePrefixGraph(const SchedulerState& state, size_t max_tasks);

// One streaming pipeline (issue 13), copied from the scheduler's Pipelines on the loop
// thread. Counters are the largest the stages reported (every 500 ms at most): the source
// counts the batches it made, the sink the batches and records (rows) it wrote; the
// parallel stage reports none.
struct PipelineRecord {
  std::string id;
  std::string name;
  std::string client_id;
  std::string state;           // "submitted", "running", "done", "failed", "stopped"
  std::string error;           // failed: names the pipeline, the stage and the batch
  std::string function;        // the parallel stage's
  std::string source_address;  // host:port the source listens on
  std::string sink_address;    // host:port the sink writes to
  std::string source_worker;   // worker ids; empty before placement
  std::string sink_worker;
  std::vector<std::string> parallel_workers;  // the live ones
  int64_t batches_in = 0;                     // made by the source
  int64_t batches_out = 0;                    // written by the sink
  int64_t rows_out = 0;                       // records written by the sink
  int64_t records_skipped = 0;                // bad records skipped (skip_bad_records)
  std::string first_skipped;                  // the first of them: where and why

  // Filled by AddPipelineRates. Rates are of the sink's writes, averaged over a window of
  // at least kRateWindowSeconds that starts where the last one ended; 0 in the first
  // window and once the pipeline finished.
  double records_per_second = 0;
  double batches_per_second = 0;
  double rate_since = 0;  // Unix seconds: where the current window starts
  int64_t rows_at_rate_since = 0;
  int64_t batches_at_rate_since = 0;

  static constexpr double kRateWindowSeconds = 2;

  // Batches in flight: made by the source and not yet written by the sink.
  int64_t backlog() const { return batches_in > batches_out ? batches_in - batches_out : 0; }
};

struct DashboardSnapshot {
  double time = 0;            // Unix time, seconds, when taken
  double uptime_seconds = 0;  // since the scheduler started
  // Workers (join order), task counts by state, progress per key prefix: as the weft
  // CLI's `info` sees them (SchedulerState::FillInfo).
  proto::InfoReply info;
  int64_t clients = 0;
  int64_t tasks_finished_total = 0;       // TaskFinished messages received
  int64_t tasks_failed_total = 0;         // TaskFailed messages received (not missing inputs)
  std::vector<TaskRecord> task_stream;    // the most recent finished runs, oldest first
  PrefixGraph graph;                      // the live graphs by prefix
  std::vector<PipelineRecord> pipelines;  // by id, running and finished ones
};

// Builds a snapshot of `state`, the last `stream_limit` records of `stream` and the prefix
// graph of at most `graph_task_limit` tasks. Call on the thread that owns `state`.
// O(workers + prefixes + stream_limit + graph_task_limit).
DashboardSnapshot MakeSnapshot(const SchedulerState& state, const TaskStream& stream,
                               int64_t tasks_failed_total, absl::Time started, absl::Time now,
                               size_t stream_limit = 2'000, size_t graph_task_limit = 20'000);

// Fills the rates of `snapshot`'s pipelines (taken at snapshot->time) from those of
// `previous` (the snapshot published before it; null for the first), matched by id.
// REQUIRES: the pipelines of both are sorted by id.
void AddPipelineRates(const DashboardSnapshot* previous, DashboardSnapshot* snapshot);

}  // namespace weft::scheduler::dashboard
