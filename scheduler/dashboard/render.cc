#include "scheduler/dashboard/render.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"

namespace weft::scheduler::dashboard {
namespace {

using Json = nlohmann::ordered_json;  // fields in the order written, as documented

// A finite double, integral ones as integers (150, not 150.0); NaN and infinities, which
// JSON lacks, as null.
Json Number(double value) {
  if (!std::isfinite(value)) return nullptr;
  if (value == std::trunc(value) && std::abs(value) < 9.0e15) return static_cast<int64_t>(value);
  return value;
}

// A Unix time in seconds, to the microsecond (the start and stop of short tasks differ
// below the millisecond).
Json Time(double seconds) { return Number(std::round(seconds * 1e6) / 1e6); }

// {"a": 1, "b": 2} in key order (protobuf maps have none).
template <typename T>
Json SortedObject(const google::protobuf::Map<std::string, T>& map) {
  Json out = Json::object();
  for (const auto& [name, value] : std::map<std::string, T>(map.begin(), map.end())) {
    if constexpr (std::is_floating_point_v<T>) {
      out[name] = Number(value);
    } else {
      out[name] = value;
    }
  }
  return out;
}

// The text of `json`. Invalid UTF-8 in a string (keys and names come from users) becomes
// U+FFFD rather than an exception or invalid JSON. '<', which JSON text holds only inside
// strings, is written \u003c there, so that no "</script>" in a key or an error can close
// a script the JSON might be pasted into.
std::string Dump(const Json& json) {
  return absl::StrReplaceAll(json.dump(/*indent=*/-1, /*indent_char=*/' ', /*ensure_ascii=*/false,
                                       Json::error_handler_t::replace),
                             {{"<", "\\u003c"}});
}

struct Totals {
  int64_t threads = 0;
  int64_t memory_bytes = 0;
  int64_t memory_limit = 0;
  int64_t spilled_bytes = 0;
  int64_t processing = 0;
  int64_t keys_in_memory = 0;
  int64_t paused = 0;
};

Totals Sum(const proto::InfoReply& info) {
  Totals t;
  for (const proto::WorkerSummary& w : info.workers()) {
    t.threads += w.nthreads();
    t.memory_bytes += w.memory_bytes();
    t.memory_limit += w.memory_limit();
    t.spilled_bytes += w.spilled_bytes();
    t.processing += w.processing();
    t.keys_in_memory += w.keys_in_memory();
    t.paused += w.paused() ? 1 : 0;
  }
  return t;
}

int64_t Total(const google::protobuf::Map<std::string, int64_t>& counts) {
  int64_t total = 0;
  for (const auto& [name, n] : counts) total += n;
  return total;
}

// A Prometheus label value: backslash, double quote and newline escaped.
std::string LabelValue(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Writes Prometheus families: HELP and TYPE once, then the samples.
class MetricsWriter {
 public:
  void Family(const char* name, const char* type, const char* help) {
    absl::StrAppend(&out_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
  }
  void Sample(const char* name, const std::string& labels, double value) {
    absl::StrAppend(&out_, name, labels.empty() ? "" : "{", labels, labels.empty() ? "" : "}", " ",
                    std::isfinite(value) ? absl::StrFormat("%.15g", value) : "NaN", "\n");
  }
  void Gauge(const char* name, const char* help, double value) {
    Family(name, "gauge", help);
    Sample(name, "", value);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string WorkerLabel(const std::string& label) {
  return absl::StrCat("worker=\"", LabelValue(label), "\"");
}

// "3 memory, 1 processing" (states in name order).
std::string StateSummary(const std::map<std::string, int64_t>& counts) {
  std::string out;
  for (const auto& [state, n] : counts)
    absl::StrAppend(&out, out.empty() ? "" : ", ", n, " ", state);
  return out;
}

// A DOT string literal.
std::string DotQuote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// A counter a stage reports, or null.
Json Counter(std::optional<int64_t> value) {
  return value.has_value() ? Json(*value) : Json(nullptr);
}

struct Stage {
  const char* role;
  std::vector<std::string> workers;
  std::string address;  // source: where it listens; sink: where it writes; parallel: none
  std::optional<int64_t> batches_in, batches_out, rows_in, rows_out;
};

// The stages of `p` with what each reports: the source the batches it made, the sink the
// batches and records it wrote; the parallel stage nothing (null).
std::vector<Stage> Stages(const PipelineRecord& p) {
  auto workers = [](const std::string& id) {
    return id.empty() ? std::vector<std::string>() : std::vector<std::string>{id};
  };
  return {
      Stage{"source", workers(p.source_worker), p.source_address, std::nullopt, p.batches_in,
            std::nullopt, std::nullopt},
      Stage{"parallel", p.parallel_workers, "", std::nullopt, std::nullopt, std::nullopt,
            std::nullopt},
      Stage{"sink", workers(p.sink_worker), p.sink_address, std::nullopt, p.batches_out,
            std::nullopt, p.rows_out},
  };
}

Json Pipeline(const PipelineRecord& p) {
  Json stages = Json::array();
  for (const Stage& stage : Stages(p)) {
    stages.push_back({{"role", stage.role},
                      {"workers", stage.workers},
                      {"address", stage.address},
                      {"batches_in", Counter(stage.batches_in)},
                      {"batches_out", Counter(stage.batches_out)},
                      {"rows_in", Counter(stage.rows_in)},
                      {"rows_out", Counter(stage.rows_out)}});
  }
  return {{"id", p.id},
          {"name", p.name},
          {"client", p.client_id},
          {"state", p.state},
          {"error", p.error},
          {"function", p.function},
          {"batches_in", p.batches_in},
          {"batches_out", p.batches_out},
          {"rows_out", p.rows_out},
          {"backlog", p.backlog()},
          {"records_skipped", p.records_skipped},
          {"first_skipped", p.first_skipped},
          {"records_per_second", Number(p.records_per_second)},
          {"batches_per_second", Number(p.batches_per_second)},
          {"stages", std::move(stages)}};
}

}  // namespace

std::string RenderClusterJson(const DashboardSnapshot& s) {
  const Totals t = Sum(s.info);
  return Dump({{"time", Time(s.time)},
               {"uptime_seconds", Number(s.uptime_seconds)},
               {"workers", s.info.workers_size()},
               {"threads", t.threads},
               {"clients", s.clients},
               {"memory_bytes", t.memory_bytes},
               {"memory_limit", t.memory_limit},
               {"spilled_bytes", t.spilled_bytes},
               {"processing", t.processing},
               {"keys_in_memory", t.keys_in_memory},
               {"paused_workers", t.paused},
               {"tasks_total", s.info.tasks_total()},
               {"tasks_by_state", SortedObject(s.info.tasks_by_state())},
               {"tasks_finished_total", s.tasks_finished_total},
               {"tasks_failed_total", s.tasks_failed_total}});
}

std::vector<std::string> WorkerLabels(const proto::InfoReply& info) {
  std::map<std::string, int> names;
  std::map<std::pair<std::string, std::string>, int> names_and_addresses;
  auto name_of = [](const proto::WorkerSummary& w) {
    return w.name().empty() ? w.worker_id() : w.name();
  };
  for (const proto::WorkerSummary& w : info.workers()) {
    ++names[name_of(w)];
    ++names_and_addresses[{name_of(w), w.address()}];
  }
  std::vector<std::string> labels;
  for (const proto::WorkerSummary& w : info.workers()) {
    std::string label = name_of(w);
    if (names[label] > 1) {
      const bool same_address = names_and_addresses[{label, w.address()}] > 1;
      absl::StrAppend(&label, " (", w.address(), ")");
      if (same_address) absl::StrAppend(&label, " [", w.worker_id(), "]");
    }
    labels.push_back(std::move(label));
  }
  return labels;
}

std::string RenderWorkersJson(const DashboardSnapshot& s) {
  const std::vector<std::string> labels = WorkerLabels(s.info);
  Json workers = Json::array();
  for (int i = 0; i < s.info.workers_size(); ++i) {
    const proto::WorkerSummary& w = s.info.workers(i);
    workers.push_back({{"id", w.worker_id()},
                       {"name", w.name()},
                       {"label", labels[i]},
                       {"address", w.address()},
                       {"nthreads", w.nthreads()},
                       {"memory_bytes", w.memory_bytes()},
                       {"memory_limit", w.memory_limit()},
                       {"spilled_bytes", w.spilled_bytes()},
                       {"keys_in_memory", w.keys_in_memory()},
                       {"processing", w.processing()},
                       {"paused", w.paused()},
                       {"stuck", w.stuck()},
                       {"process_bytes", w.process_bytes()},
                       {"bytes_fetched", w.bytes_fetched()},
                       {"resources", SortedObject(w.resources())},
                       {"resources_used", SortedObject(w.resources_used())},
                       {"cpu_percent", Number(w.cpu_percent())},
                       {"occupancy_seconds", Number(w.occupancy_seconds())}});
  }
  return Dump({{"workers", std::move(workers)}});
}

std::string RenderProgressJson(const DashboardSnapshot& s) {
  Json prefixes = Json::array();
  for (const proto::PrefixProgress& p : s.info.prefixes()) {
    prefixes.push_back({{"prefix", p.prefix()},
                        {"total", Total(p.tasks_by_state())},
                        {"average_duration_seconds", Number(p.average_duration_seconds())},
                        {"tasks_by_state", SortedObject(p.tasks_by_state())}});
  }
  return Dump({{"prefixes", std::move(prefixes)}});
}

std::string RenderTaskStreamJson(const DashboardSnapshot& s, int64_t after_seq, size_t limit) {
  const std::vector<TaskRecord>& records = s.task_stream;
  // Records are in seq order: skip those already seen, then keep the last `limit`.
  auto first = std::upper_bound(records.begin(), records.end(), after_seq,
                                [](int64_t seq, const TaskRecord& r) { return seq < r.seq; });
  if (static_cast<size_t>(records.end() - first) > limit) first = records.end() - limit;
  Json tasks = Json::array();
  for (auto it = first; it != records.end(); ++it) {
    tasks.push_back({{"seq", it->seq},
                     {"worker", it->worker_id},
                     {"key", it->key},
                     {"prefix", it->prefix},
                     {"start", Time(it->start)},
                     {"stop", Time(it->stop)}});
  }
  return Dump({{"time", Time(s.time)},
               {"tasks_finished_total", s.tasks_finished_total},
               {"tasks", std::move(tasks)}});
}

std::vector<int> GraphLayers(const PrefixGraph& graph) {
  const size_t n = graph.nodes.size();
  std::vector<int> layer(n, 0);
  std::vector<int> pending(n, 0);  // dependencies on other prefixes not yet placed
  std::vector<std::vector<int>> dependents(n);
  for (const PrefixGraph::Edge& e : graph.edges) {
    if (e.from == e.to) continue;
    ++pending[e.to];
    dependents[e.from].push_back(e.to);
  }
  std::vector<int> ready;
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push_back(static_cast<int>(i));
  }
  size_t placed = 0;
  int deepest = 0;
  while (!ready.empty()) {
    const int node = ready.back();
    ready.pop_back();
    ++placed;
    deepest = std::max(deepest, layer[node]);
    for (int next : dependents[node]) {
      layer[next] = std::max(layer[next], layer[node] + 1);
      if (--pending[next] == 0) ready.push_back(next);
    }
  }
  if (placed < n) {
    for (size_t i = 0; i < n; ++i) {
      if (pending[i] > 0) layer[i] = deepest + 1;
    }
  }
  return layer;
}

std::string RenderGraphJson(const DashboardSnapshot& s) {
  const PrefixGraph& g = s.graph;
  const std::vector<int> layers = GraphLayers(g);
  Json nodes = Json::array();
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const PrefixGraph::Node& node = g.nodes[i];
    int64_t total = 0;
    Json counts = Json::object();
    for (const auto& [state, n] : node.tasks_by_state) {
      total += n;
      counts[state] = n;
    }
    nodes.push_back({{"prefix", node.prefix},
                     {"layer", layers[i]},
                     {"total", total},
                     {"tasks_by_state", std::move(counts)}});
  }
  Json edges = Json::array();
  for (const PrefixGraph::Edge& e : g.edges) {
    edges.push_back({{"from", e.from}, {"to", e.to}, {"dependencies", e.dependencies}});
  }
  return Dump({{"tasks_seen", g.tasks_seen},
               {"truncated", g.truncated},
               {"nodes", std::move(nodes)},
               {"edges", std::move(edges)}});
}

std::string RenderGraphDot(const DashboardSnapshot& s) {
  const PrefixGraph& g = s.graph;
  std::string out = absl::StrCat(
      "// The live task graphs of a weft scheduler, by key prefix",
      g.truncated ? absl::StrCat(" (partial: the first ", g.tasks_seen, " tasks)") : "",
      ".\ndigraph weft {\n  rankdir=LR;\n"
      "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eaeef2\", "
      "fontname=\"sans-serif\"];\n");
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const PrefixGraph::Node& node = g.nodes[i];
    absl::StrAppend(&out, "  n", i, " [label=",
                    DotQuote(absl::StrCat(node.prefix, "\n", StateSummary(node.tasks_by_state))),
                    "];\n");
  }
  for (const PrefixGraph::Edge& e : g.edges) {
    absl::StrAppend(&out, "  n", e.from, " -> n", e.to, " [label=\"", e.dependencies, "\"];\n");
  }
  return out + "}\n";
}

std::string RenderPipelinesJson(const DashboardSnapshot& s) {
  Json pipelines = Json::array();
  for (const PipelineRecord& p : s.pipelines) pipelines.push_back(Pipeline(p));
  return Dump({{"time", Time(s.time)}, {"pipelines", std::move(pipelines)}});
}

std::string RenderMetrics(const DashboardSnapshot& s) {
  const Totals t = Sum(s.info);
  MetricsWriter m;
  m.Gauge("weft_workers", "Workers connected to the scheduler.", s.info.workers_size());
  m.Gauge("weft_threads", "Worker threads in the cluster.", t.threads);
  m.Gauge("weft_clients", "Clients connected to the scheduler.", s.clients);
  m.Gauge("weft_memory_bytes", "Bytes held by all workers' data stores.", t.memory_bytes);
  m.Gauge("weft_paused_workers", "Workers paused near their memory limit.", t.paused);
  m.Gauge("weft_uptime_seconds", "Seconds since the scheduler started.", s.uptime_seconds);

  m.Family("weft_tasks", "gauge", "Tasks the scheduler knows, by state.");
  std::map<std::string, int64_t> by_state(s.info.tasks_by_state().begin(),
                                          s.info.tasks_by_state().end());
  for (const auto& [state, n] : by_state) {
    m.Sample("weft_tasks", absl::StrCat("state=\"", LabelValue(state), "\""), n);
  }
  m.Family("weft_tasks_finished_total", "counter", "Task runs finished on workers.");
  m.Sample("weft_tasks_finished_total", "", s.tasks_finished_total);
  m.Family("weft_tasks_failed_total", "counter", "Task runs that failed on workers.");
  m.Sample("weft_tasks_failed_total", "", s.tasks_failed_total);

  struct PerWorker {
    const char* name;
    const char* help;
    double (*value)(const proto::WorkerSummary&);
  };
  const PerWorker per_worker[] = {
      {"weft_worker_memory_bytes", "Bytes held by the worker's data store.",
       [](const proto::WorkerSummary& w) { return double(w.memory_bytes()); }},
      {"weft_worker_memory_limit_bytes", "The worker's memory limit (0: none).",
       [](const proto::WorkerSummary& w) { return double(w.memory_limit()); }},
      {"weft_worker_spilled_bytes", "Bytes the worker spilled to disk.",
       [](const proto::WorkerSummary& w) { return double(w.spilled_bytes()); }},
      {"weft_worker_threads", "The worker's executor threads.",
       [](const proto::WorkerSummary& w) { return double(w.nthreads()); }},
      {"weft_worker_processing", "Tasks sent to the worker and not finished.",
       [](const proto::WorkerSummary& w) { return double(w.processing()); }},
      {"weft_worker_keys", "Results the worker holds.",
       [](const proto::WorkerSummary& w) { return double(w.keys_in_memory()); }},
      {"weft_worker_paused", "1 while the worker is paused.",
       [](const proto::WorkerSummary& w) { return w.paused() ? 1.0 : 0.0; }},
      {"weft_worker_cpu_percent", "The worker process's CPU use (100: one core busy).",
       [](const proto::WorkerSummary& w) { return w.cpu_percent(); }},
      {"weft_worker_occupancy_seconds", "Estimated run time of the tasks sent to the worker.",
       [](const proto::WorkerSummary& w) { return w.occupancy_seconds(); }},
  };
  const std::vector<std::string> labels = WorkerLabels(s.info);
  for (const PerWorker& metric : per_worker) {
    m.Family(metric.name, "gauge", metric.help);
    for (int i = 0; i < s.info.workers_size(); ++i) {
      m.Sample(metric.name, WorkerLabel(labels[i]), metric.value(s.info.workers(i)));
    }
  }

  m.Family("weft_prefix_tasks", "gauge", "Tasks per key prefix and state.");
  for (const proto::PrefixProgress& p : s.info.prefixes()) {
    std::map<std::string, int64_t> counts(p.tasks_by_state().begin(), p.tasks_by_state().end());
    for (const auto& [state, n] : counts) {
      m.Sample(
          "weft_prefix_tasks",
          absl::StrCat("prefix=\"", LabelValue(p.prefix()), "\",state=\"", LabelValue(state), "\""),
          n);
    }
  }
  m.Family("weft_prefix_duration_seconds", "gauge",
           "Average run time of a task of the prefix (0 until measured).");
  for (const proto::PrefixProgress& p : s.info.prefixes()) {
    m.Sample("weft_prefix_duration_seconds",
             absl::StrCat("prefix=\"", LabelValue(p.prefix()), "\""), p.average_duration_seconds());
  }
  return m.Take();
}

}  // namespace weft::scheduler::dashboard
