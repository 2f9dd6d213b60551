#include "scheduler/dashboard/snapshot.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/container/flat_hash_map.h"
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

namespace {

bool InLiveGraph(TaskStatus status) {
  return status != TaskStatus::kReleased && status != TaskStatus::kForgotten;
}

}  // namespace

PrefixGraph MakePrefixGraph(const SchedulerState& state, size_t max_tasks) {
  // Work with prefix pointers on the loop thread (cheap), names only for the result.
  absl::flat_hash_map<const TaskPrefix*, std::array<int64_t, kNumTaskStatuses>> counts;
  absl::flat_hash_map<std::pair<const TaskPrefix*, const TaskPrefix*>, int64_t> edges;
  PrefixGraph graph;
  state.ForEachTask([&](const TaskState& ts) {
    if (static_cast<size_t>(graph.tasks_seen) >= max_tasks) {
      graph.truncated = true;
      return false;
    }
    ++graph.tasks_seen;
    if (!InLiveGraph(ts.status)) return true;
    ++counts.try_emplace(ts.prefix).first->second[static_cast<int>(ts.status)];
    for (const TaskState* dep : ts.dependencies) {
      if (InLiveGraph(dep->status)) ++edges[{dep->prefix, ts.prefix}];
    }
    return true;
  });
  // A dependency outside the tasks looked at (truncated) still names its prefix.
  for (const auto& [pair, n] : edges) {
    counts.try_emplace(pair.first);
    counts.try_emplace(pair.second);
  }
  std::vector<const TaskPrefix*> prefixes;
  for (const auto& [prefix, n] : counts) prefixes.push_back(prefix);
  std::sort(prefixes.begin(), prefixes.end(),
            [](const TaskPrefix* a, const TaskPrefix* b) { return a->name < b->name; });
  absl::flat_hash_map<const TaskPrefix*, int> index;
  for (const TaskPrefix* prefix : prefixes) {
    index[prefix] = static_cast<int>(graph.nodes.size());
    PrefixGraph::Node& node = graph.nodes.emplace_back();
    node.prefix = prefix->name;
    const auto& by_status = counts[prefix];
    for (int i = 0; i < kNumTaskStatuses; ++i) {
      if (by_status[i] > 0)
        node.tasks_by_state[TaskStatusName(static_cast<TaskStatus>(i))] = by_status[i];
    }
  }
  for (const auto& [pair, n] : edges) {
    graph.edges.push_back(PrefixGraph::Edge{index[pair.first], index[pair.second], n});
  }
  std::sort(graph.edges.begin(), graph.edges.end(),
            [](const PrefixGraph::Edge& a, const PrefixGraph::Edge& b) {
              return std::make_pair(a.from, a.to) < std::make_pair(b.from, b.to);
            });
  return graph;
}

DashboardSnapshot MakeSnapshot(const SchedulerState& state, const TaskStream& stream,
                               int64_t tasks_failed_total, absl::Time started, absl::Time now,
                               size_t stream_limit, size_t graph_task_limit) {
  DashboardSnapshot snapshot;
  snapshot.time = absl::ToDoubleSeconds(now - absl::UnixEpoch());
  snapshot.uptime_seconds = absl::ToDoubleSeconds(now - started);
  state.FillInfo(&snapshot.info);
  snapshot.clients = static_cast<int64_t>(state.num_clients());
  snapshot.tasks_finished_total = stream.total();
  snapshot.tasks_failed_total = tasks_failed_total;
  snapshot.task_stream = stream.Recent(stream_limit);
  snapshot.graph = MakePrefixGraph(state, graph_task_limit);
  return snapshot;
}

void AddPipelineRates(const DashboardSnapshot* previous, DashboardSnapshot* snapshot) {
  const double now = snapshot->time;
  for (PipelineRecord& p : snapshot->pipelines) {
    p.rate_since = now;
    p.rows_at_rate_since = p.rows_out;
    p.batches_at_rate_since = p.batches_out;
    if (previous == nullptr || p.state != "running") continue;
    // Both lists are sorted by id.
    auto it = std::lower_bound(
        previous->pipelines.begin(), previous->pipelines.end(), p.id,
        [](const PipelineRecord& record, const std::string& id) { return record.id < id; });
    if (it == previous->pipelines.end() || it->id != p.id) continue;
    const double elapsed = now - it->rate_since;
    // Stages report every 500 ms and snapshots come every few hundred: a short window
    // would see a burst, then nothing. Keep the last rate until the window is long enough.
    if (elapsed < PipelineRecord::kRateWindowSeconds) {
      p.rate_since = it->rate_since;
      p.rows_at_rate_since = it->rows_at_rate_since;
      p.batches_at_rate_since = it->batches_at_rate_since;
      p.records_per_second = it->records_per_second;
      p.batches_per_second = it->batches_per_second;
      continue;
    }
    p.records_per_second =
        static_cast<double>(std::max<int64_t>(0, p.rows_out - it->rows_at_rate_since)) / elapsed;
    p.batches_per_second =
        static_cast<double>(std::max<int64_t>(0, p.batches_out - it->batches_at_rate_since)) /
        elapsed;
  }
}

}  // namespace weft::scheduler::dashboard
