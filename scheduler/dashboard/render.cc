#include "scheduler/dashboard/render.h"

#include <algorithm>
#include <cmath>
#include <map>

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

std::string WorkerLabel(const proto::WorkerSummary& w) {
  return absl::StrCat("worker=\"", LabelValue(w.name().empty() ? w.worker_id() : w.name()), "\"");
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

std::string RenderWorkersJson(const DashboardSnapshot& s) {
  std::string out = "{\"workers\":[";
  for (int i = 0; i < s.info.workers_size(); ++i) {
    const proto::WorkerSummary& w = s.info.workers(i);
    absl::StrAppend(&out, i > 0 ? "," : "", "{\"id\":", JsonQuote(w.worker_id()),
                    ",\"name\":", JsonQuote(w.name()), ",\"address\":", JsonQuote(w.address()),
                    ",\"nthreads\":", w.nthreads(), ",\"memory_bytes\":", w.memory_bytes(),
                    ",\"memory_limit\":", w.memory_limit(),
                    ",\"spilled_bytes\":", w.spilled_bytes(),
                    ",\"keys_in_memory\":", w.keys_in_memory(), ",\"processing\":", w.processing(),
                    ",\"paused\":", JsonBool(w.paused()), ",\"bytes_fetched\":", w.bytes_fetched(),
                    ",\"resources\":", JsonAmounts(w.resources()),
                    ",\"resources_used\":", JsonAmounts(w.resources_used()), "}");
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
  };
  for (const PerWorker& metric : per_worker) {
    m.Family(metric.name, "gauge", metric.help);
    for (const proto::WorkerSummary& w : s.info.workers()) {
      m.Sample(metric.name, WorkerLabel(w), metric.value(w));
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
