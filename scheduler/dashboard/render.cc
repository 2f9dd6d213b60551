#include "scheduler/dashboard/render.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace weft::scheduler::dashboard {
namespace {

// A finite double as JSON (integers without a fraction); NaN and infinities as null.
std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  return absl::StrFormat("%.15g", value);
}

// A Unix time in seconds, to the microsecond (%g would drop the fraction of short tasks).
std::string JsonTime(double seconds) {
  if (!std::isfinite(seconds)) return "null";
  return absl::StrFormat("%.6f", seconds);
}

std::string JsonBool(bool value) { return value ? "true" : "false"; }

// {"a": 1, "b": 2} in key order (protobuf maps have none).
std::string JsonCounts(const google::protobuf::Map<std::string, int64_t>& counts) {
  std::map<std::string, int64_t> sorted(counts.begin(), counts.end());
  std::string out = "{";
  for (const auto& [name, n] : sorted) {
    absl::StrAppend(&out, out.size() > 1 ? "," : "", JsonQuote(name), ":", n);
  }
  return out + "}";
}

// Resource amounts (name → amount) as a JSON object, sorted by name.
std::string JsonAmounts(const google::protobuf::Map<std::string, double>& amounts) {
  std::map<std::string, double> sorted(amounts.begin(), amounts.end());
  std::string out = "{";
  for (const auto& [name, amount] : sorted) {
    absl::StrAppend(&out, out.size() > 1 ? "," : "", JsonQuote(name), ":", JsonNumber(amount));
  }
  return out + "}";
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
std::string JsonCounter(std::optional<int64_t> value) {
  return value.has_value() ? absl::StrCat(*value) : "null";
}

std::string JsonStrings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const std::string& item : items) {
    absl::StrAppend(&out, out.size() > 1 ? "," : "", JsonQuote(item));
  }
  return out + "]";
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

std::string RenderPipeline(const PipelineRecord& p) {
  std::string stages = "[";
  for (const Stage& stage : Stages(p)) {
    absl::StrAppend(&stages, stages.size() > 1 ? "," : "", "{\"role\":", JsonQuote(stage.role),
                    ",\"workers\":", JsonStrings(stage.workers),
                    ",\"address\":", JsonQuote(stage.address),
                    ",\"batches_in\":", JsonCounter(stage.batches_in),
                    ",\"batches_out\":", JsonCounter(stage.batches_out),
                    ",\"rows_in\":", JsonCounter(stage.rows_in),
                    ",\"rows_out\":", JsonCounter(stage.rows_out), "}");
  }
  stages += "]";
  return absl::StrCat(
      "{\"id\":", JsonQuote(p.id), ",\"name\":", JsonQuote(p.name),
      ",\"client\":", JsonQuote(p.client_id), ",\"state\":", JsonQuote(p.state),
      ",\"error\":", JsonQuote(p.error), ",\"function\":", JsonQuote(p.function),
      ",\"batches_in\":", p.batches_in, ",\"batches_out\":", p.batches_out,
      ",\"rows_out\":", p.rows_out, ",\"backlog\":", p.backlog(),
      ",\"records_skipped\":", p.records_skipped, ",\"first_skipped\":", JsonQuote(p.first_skipped),
      ",\"records_per_second\":", JsonNumber(p.records_per_second),
      ",\"batches_per_second\":", JsonNumber(p.batches_per_second), ",\"stages\":", stages, "}");
}

}  // namespace

std::string JsonQuote(const std::string& text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        // Control characters, and '<' so that no "</script>" can close an inline script.
        if (c < 0x20 || c == '<') {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string RenderClusterJson(const DashboardSnapshot& s) {
  const Totals t = Sum(s.info);
  return absl::StrCat("{\"time\":", JsonTime(s.time),
                      ",\"uptime_seconds\":", JsonNumber(s.uptime_seconds),
                      ",\"workers\":", s.info.workers_size(), ",\"threads\":", t.threads,
                      ",\"clients\":", s.clients, ",\"memory_bytes\":", t.memory_bytes,
                      ",\"memory_limit\":", t.memory_limit, ",\"spilled_bytes\":", t.spilled_bytes,
                      ",\"processing\":", t.processing, ",\"keys_in_memory\":", t.keys_in_memory,
                      ",\"paused_workers\":", t.paused, ",\"tasks_total\":", s.info.tasks_total(),
                      ",\"tasks_by_state\":", JsonCounts(s.info.tasks_by_state()),
                      ",\"tasks_finished_total\":", s.tasks_finished_total,
                      ",\"tasks_failed_total\":", s.tasks_failed_total, "}");
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
  std::string out = "{\"workers\":[";
  for (int i = 0; i < s.info.workers_size(); ++i) {
    const proto::WorkerSummary& w = s.info.workers(i);
    absl::StrAppend(
        &out, i > 0 ? "," : "", "{\"id\":", JsonQuote(w.worker_id()),
        ",\"name\":", JsonQuote(w.name()), ",\"label\":", JsonQuote(labels[i]),
        ",\"address\":", JsonQuote(w.address()), ",\"nthreads\":", w.nthreads(),
        ",\"memory_bytes\":", w.memory_bytes(), ",\"memory_limit\":", w.memory_limit(),
        ",\"spilled_bytes\":", w.spilled_bytes(), ",\"keys_in_memory\":", w.keys_in_memory(),
        ",\"processing\":", w.processing(), ",\"paused\":", JsonBool(w.paused()),
        ",\"stuck\":", JsonQuote(w.stuck()), ",\"process_bytes\":", w.process_bytes(),
        ",\"bytes_fetched\":", w.bytes_fetched(), ",\"resources\":", JsonAmounts(w.resources()),
        ",\"resources_used\":", JsonAmounts(w.resources_used()),
        ",\"cpu_percent\":", JsonNumber(w.cpu_percent()),
        ",\"occupancy_seconds\":", JsonNumber(w.occupancy_seconds()), "}");
  }
  return out + "]}";
}

std::string RenderProgressJson(const DashboardSnapshot& s) {
  std::string out = "{\"prefixes\":[";
  for (int i = 0; i < s.info.prefixes_size(); ++i) {
    const proto::PrefixProgress& p = s.info.prefixes(i);
    absl::StrAppend(&out, i > 0 ? "," : "", "{\"prefix\":", JsonQuote(p.prefix()),
                    ",\"total\":", Total(p.tasks_by_state()),
                    ",\"average_duration_seconds\":", JsonNumber(p.average_duration_seconds()),
                    ",\"tasks_by_state\":", JsonCounts(p.tasks_by_state()), "}");
  }
  return out + "]}";
}

std::string RenderTaskStreamJson(const DashboardSnapshot& s, int64_t after_seq, size_t limit) {
  const std::vector<TaskRecord>& records = s.task_stream;
  // Records are in seq order: skip those already seen, then keep the last `limit`.
  auto first = std::upper_bound(records.begin(), records.end(), after_seq,
                                [](int64_t seq, const TaskRecord& r) { return seq < r.seq; });
  if (static_cast<size_t>(records.end() - first) > limit) first = records.end() - limit;
  std::string out =
      absl::StrCat("{\"time\":", JsonTime(s.time),
                   ",\"tasks_finished_total\":", s.tasks_finished_total, ",\"tasks\":[");
  for (auto it = first; it != records.end(); ++it) {
    absl::StrAppend(&out, it != first ? "," : "", "{\"seq\":", it->seq,
                    ",\"worker\":", JsonQuote(it->worker_id), ",\"key\":", JsonQuote(it->key),
                    ",\"prefix\":", JsonQuote(it->prefix), ",\"start\":", JsonTime(it->start),
                    ",\"stop\":", JsonTime(it->stop), "}");
  }
  return out + "]}";
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
  std::string out = absl::StrCat("{\"tasks_seen\":", g.tasks_seen,
                                 ",\"truncated\":", JsonBool(g.truncated), ",\"nodes\":[");
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const PrefixGraph::Node& node = g.nodes[i];
    int64_t total = 0;
    std::string counts = "{";
    for (const auto& [state, n] : node.tasks_by_state) {
      total += n;
      absl::StrAppend(&counts, counts.size() > 1 ? "," : "", JsonQuote(state), ":", n);
    }
    absl::StrAppend(&out, i > 0 ? "," : "", "{\"prefix\":", JsonQuote(node.prefix),
                    ",\"layer\":", layers[i], ",\"total\":", total, ",\"tasks_by_state\":", counts,
                    "}}");
  }
  absl::StrAppend(&out, "],\"edges\":[");
  for (size_t i = 0; i < g.edges.size(); ++i) {
    const PrefixGraph::Edge& e = g.edges[i];
    absl::StrAppend(&out, i > 0 ? "," : "", "{\"from\":", e.from, ",\"to\":", e.to,
                    ",\"dependencies\":", e.dependencies, "}");
  }
  return out + "]}";
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
  std::string out = absl::StrCat("{\"time\":", JsonTime(s.time), ",\"pipelines\":[");
  for (size_t i = 0; i < s.pipelines.size(); ++i) {
    absl::StrAppend(&out, i > 0 ? "," : "", RenderPipeline(s.pipelines[i]));
  }
  return out + "]}";
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
