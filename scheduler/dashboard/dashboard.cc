#include "scheduler/dashboard/dashboard.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "scheduler/dashboard/assets.h"
#include "scheduler/dashboard/auth.h"
#include "scheduler/dashboard/render.h"

namespace weft::scheduler::dashboard {
namespace {

constexpr char kJson[] = "application/json";
constexpr char kText[] = "text/plain; charset=utf-8";

HttpResponse Respond(int status, const char* content_type, std::string body) {
  return HttpResponse{status, content_type, std::move(body)};
}

// A request target "/path?query" cut in two (query empty when there is none).
struct Target {
  absl::string_view path;
  absl::string_view query;
};

Target SplitTarget(absl::string_view target) {
  const size_t q = target.find('?');
  if (q == absl::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

// The value of `name` in a query string "a=1&b=2", percent-decoded; "" if absent.
std::string QueryString(absl::string_view query, absl::string_view name) {
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (kv.first == name) return PercentDecode(kv.second);
  }
  return "";
}

// QueryString parsed as an integer, else `fallback`.
int64_t QueryInt(absl::string_view query, absl::string_view name, int64_t fallback) {
  int64_t value;
  return absl::SimpleAtoi(QueryString(query, name), &value) ? value : fallback;
}

HttpResponse ServeWorkerLog(absl::string_view query, const WorkerLogSource& logs) {
  const std::string worker = QueryString(query, "worker");
  if (worker.empty()) return Respond(400, kText, "say which worker: /worker-log?worker=ADDRESS\n");
  const int64_t n = std::clamp<int64_t>(QueryInt(query, "n", 200), 0, 100000);
  absl::StatusOr<std::vector<std::string>> lines = logs(worker, static_cast<int>(n));
  if (!lines.ok()) {
    const int status = absl::IsNotFound(lines.status()) ? 404 : 504;
    return Respond(status, kText, absl::StrCat(lines.status().message(), "\n"));
  }
  std::string body = absl::StrCat("# the last ", lines->size(), " lines of ", worker, "'s log\n");
  for (const std::string& line : *lines) absl::StrAppend(&body, line, "\n");
  return Respond(200, kText, body);
}

}  // namespace

HttpResponse ServeDashboard(const HttpRequest& request, const DashboardSnapshot* snapshot) {
  if (request.method != "GET") return Respond(405, kText, "only GET\n");
  const auto [path, query] = SplitTarget(request.target);

  if (path == "/" || path == "/index.html") {
    return Respond(200, "text/html; charset=utf-8", kIndexHtml);
  }
  if (path == "/dashboard.js") return Respond(200, "text/javascript; charset=utf-8", kDashboardJs);
  if (path == "/dashboard.css") return Respond(200, "text/css; charset=utf-8", kDashboardCss);
  if (path == "/health") return Respond(200, kText, "ok\n");

  const bool data_route = path == "/api/cluster" || path == "/api/workers" ||
                          path == "/api/progress" || path == "/api/tasks/stream" ||
                          path == "/api/graph" || path == "/graph.dot" || path == "/metrics" ||
                          path == "/api/pipelines";
  if (!data_route) return Respond(404, kText, "not found\n");
  if (snapshot == nullptr) return Respond(503, kText, "the scheduler is starting\n");
  const DashboardSnapshot& s = *snapshot;
  if (path == "/api/cluster") return Respond(200, kJson, RenderClusterJson(s));
  if (path == "/api/workers") return Respond(200, kJson, RenderWorkersJson(s));
  if (path == "/api/progress") return Respond(200, kJson, RenderProgressJson(s));
  if (path == "/api/graph") return Respond(200, kJson, RenderGraphJson(s));
  if (path == "/api/pipelines") return Respond(200, kJson, RenderPipelinesJson(s));
  if (path == "/graph.dot")
    return Respond(200, "text/vnd.graphviz; charset=utf-8", RenderGraphDot(s));
  if (path == "/api/tasks/stream") {
    int64_t after = QueryInt(query, "after", 0);
    int64_t limit = QueryInt(query, "limit", INT64_MAX);
    return Respond(200, kJson,
                   RenderTaskStreamJson(s, after, limit < 0 ? 0 : static_cast<size_t>(limit)));
  }
  return Respond(200, "text/plain; version=0.0.4; charset=utf-8", RenderMetrics(s));
}

HttpHandler MakeDashboardHandler(SnapshotSource source, WorkerLogSource logs) {
  return [source = std::move(source), logs = std::move(logs)](const HttpRequest& request) {
    const Target target = SplitTarget(request.target);
    if (logs != nullptr && request.method == "GET" && target.path == "/worker-log") {
      return ServeWorkerLog(target.query, logs);
    }
    std::shared_ptr<const DashboardSnapshot> snapshot = source();
    return ServeDashboard(request, snapshot.get());
  };
}

}  // namespace weft::scheduler::dashboard
