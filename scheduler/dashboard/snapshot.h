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

struct DashboardSnapshot {
  double time = 0;            // Unix time, seconds, when taken
  double uptime_seconds = 0;  // since the scheduler started
  // Workers (join order), task counts by state, progress per key prefix: as the weft
  // CLI's `info` sees them (SchedulerState::FillInfo).
  proto::InfoReply info;
  int64_t clients = 0;
  int64_t tasks_finished_total = 0;     // TaskFinished messages received
  int64_t tasks_failed_total = 0;       // TaskFailed messages received (not missing inputs)
  std::vector<TaskRecord> task_stream;  // the most recent finished runs, oldest first
};

// Builds a snapshot of `state` and the last `stream_limit` records of `stream`.
// Call on the thread that owns `state`. O(workers + prefixes + stream_limit).
DashboardSnapshot MakeSnapshot(const SchedulerState& state, const TaskStream& stream,
                               int64_t tasks_failed_total, absl::Time started, absl::Time now,
                               size_t stream_limit = 2'000);

}  // namespace weft::scheduler::dashboard
