#include "scheduler/dashboard/snapshot.h"

#include <algorithm>

#include "common/key.h"

namespace weft::scheduler::dashboard {

TaskStream::TaskStream(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

void TaskStream::Add(const std::string& worker_id, const std::string& key, double duration_seconds,
                     absl::Time now) {
  TaskRecord record;
  record.seq = ++total_;
  record.worker_id = worker_id;
  record.key = key;
  record.prefix = KeyPrefix(key);
  record.stop = absl::ToDoubleSeconds(now - absl::UnixEpoch());
  record.start = record.stop - std::max(duration_seconds, 0.0);
  if (ring_.size() < capacity_) {
    ring_.push_back(std::move(record));
  } else {
    ring_[next_] = std::move(record);
    next_ = (next_ + 1) % capacity_;
  }
}

std::vector<TaskRecord> TaskStream::Recent(size_t limit) const {
  const size_t n = std::min(limit, ring_.size());
  std::vector<TaskRecord> out;
  out.reserve(n);
  // Oldest first: once full, the ring's oldest record is at next_.
  const size_t oldest = ring_.size() < capacity_ ? 0 : next_;
  for (size_t i = ring_.size() - n; i < ring_.size(); ++i) {
    out.push_back(ring_[(oldest + i) % ring_.size()]);
  }
  return out;
}

DashboardSnapshot MakeSnapshot(const SchedulerState& state, const TaskStream& stream,
                               int64_t tasks_failed_total, absl::Time started, absl::Time now,
                               size_t stream_limit) {
  DashboardSnapshot snapshot;
  snapshot.time = absl::ToDoubleSeconds(now - absl::UnixEpoch());
  snapshot.uptime_seconds = absl::ToDoubleSeconds(now - started);
  state.FillInfo(&snapshot.info);
  snapshot.clients = static_cast<int64_t>(state.num_clients());
  snapshot.tasks_finished_total = stream.total();
  snapshot.tasks_failed_total = tasks_failed_total;
  snapshot.task_stream = stream.Recent(stream_limit);
  return snapshot;
}

}  // namespace weft::scheduler::dashboard
