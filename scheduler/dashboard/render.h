// The dashboard's data as text: the JSON of /api/... and the Prometheus text of /metrics.
// Pure functions of a DashboardSnapshot, so they are tested without sockets or a cluster.
// The JSON is nlohmann::json's: fields in the order below, integral numbers without a
// fraction, times to the microsecond, NaN as null, invalid UTF-8 replaced by U+FFFD.
//
//   /api/cluster        {"time", "uptime_seconds", "workers", "threads", "clients",
//                        "memory_bytes", "memory_limit", "spilled_bytes", "processing",
//                        "keys_in_memory", "paused_workers", "tasks_total",
//                        "tasks_by_state": {state: n}, "tasks_finished_total",
//                        "tasks_failed_total"}
//   /api/workers        {"workers": [{"id", "name", "label", "address", "nthreads",
//                        "memory_bytes", "memory_limit", "spilled_bytes", "keys_in_memory",
//                        "processing", "paused", "stuck" (why, or ""), "process_bytes",
//                        "bytes_fetched", "resources",
//                        "resources_used", "cpu_percent", "occupancy_seconds"}]}
//                        (the connected workers, join order; "label": see WorkerLabels)
//   /api/progress       {"prefixes": [{"prefix", "total", "average_duration_seconds",
//                        "tasks_by_state": {state: n}}]}                   (by name)
//   /api/tasks/stream   {"time", "tasks_finished_total", "tasks": [{"seq", "worker", "key",
//                        "prefix", "start", "stop"}]}     (oldest first; times: Unix seconds)
//   /api/graph          {"tasks_seen", "truncated", "nodes": [{"prefix", "layer", "total",
//                        "tasks_by_state": {state: n}}], "edges": [{"from", "to",
//                        "dependencies"}]}   (from/to: indexes into nodes; layer: see below)
//   /graph.dot          the same graph in Graphviz's DOT language
//   /api/pipelines      {"time", "pipelines": [{"id", "name", "client", "state", "error",
//                        "function", "batches_in", "batches_out", "rows_out", "backlog",
//                        "records_skipped", "first_skipped",
//                        "records_per_second", "batches_per_second", "stages": [{"role",
//                        "workers": [id], "address", "batches_in", "batches_out",
//                        "rows_in", "rows_out"}]}]}
//                        (by id; stages: source (with BatchRows), parallel, sink; a counter
//                        the stage does not report is null; backlog: batches made by the
//                        source and not yet written by the sink; rates: see PipelineRecord)
//
// Threading: free functions, no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scheduler/dashboard/snapshot.h"

namespace weft::scheduler::dashboard {

std::string RenderClusterJson(const DashboardSnapshot& snapshot);
std::string RenderWorkersJson(const DashboardSnapshot& snapshot);
std::string RenderProgressJson(const DashboardSnapshot& snapshot);
// Only the records with seq > after_seq, at most the last `limit` of them.
std::string RenderTaskStreamJson(const DashboardSnapshot& snapshot, int64_t after_seq = 0,
                                 size_t limit = SIZE_MAX);
// The prefix graph (PrefixGraph): each node gets a layer, 0 for prefixes that depend on no
// other, else one more than the deepest prefix it depends on; prefixes on a cycle (a
// prefix graph may have one, though the task graph has none) go one past the deepest.
std::string RenderGraphJson(const DashboardSnapshot& snapshot);
std::string RenderGraphDot(const DashboardSnapshot& snapshot);
std::string RenderPipelinesJson(const DashboardSnapshot& snapshot);
// Prometheus text exposition format 0.0.4.
std::string RenderMetrics(const DashboardSnapshot& snapshot);

// A label per worker of `info` (same order) that tells them apart: its name (its id when
// it has none), with " (ADDRESS)" when another worker has the same name, and " [ID]" when
// that is not enough either.
std::vector<std::string> WorkerLabels(const proto::InfoReply& info);

// Layers of the nodes of `graph`, as RenderGraphJson describes them.
std::vector<int> GraphLayers(const PrefixGraph& graph);

}  // namespace weft::scheduler::dashboard
