#include "scheduler/dashboard/dashboard.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "scheduler/dashboard/assets.h"
#include "scheduler/dashboard/render.h"

namespace weft::scheduler::dashboard {
namespace {

constexpr char kJson[] = "application/json";
constexpr char kText[] = "text/plain; charset=utf-8";

HttpResponse Respond(int status, const char* content_type, std::string body) {
  return HttpResponse{status, content_type, std::move(body)};
}

// The value of `name` in a query string "a=1&b=2" parsed as an integer, else `fallback`.
int64_t QueryInt(absl::string_view query, absl::string_view name, int64_t fallback) {
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    int64_t value;
    if (kv.first == name && absl::SimpleAtoi(kv.second, &value)) return value;
  }
  return fallback;
}

}  // namespace

HttpResponse ServeDashboard(const HttpRequest& request, const DashboardSnapshot* snapshot) {
  if (request.method != "GET") return Respond(405, kText, "only GET\n");
  absl::string_view target = request.target;
  absl::string_view path = target.substr(0, target.find('?'));
  absl::string_view query =
      path.size() < target.size() ? target.substr(path.size() + 1) : absl::string_view();

  if (path == "/" || path == "/index.html") {
    return Respond(200, "text/html; charset=utf-8", kIndexHtml);
  }
  if (path == "/dashboard.js") return Respond(200, "text/javascript; charset=utf-8", kDashboardJs);
  if (path == "/dashboard.css") return Respond(200, "text/css; charset=utf-8", kDashboardCss);
  if (path == "/health") return Respond(200, kText, "ok\n");

  const bool data_route = path == "/api/cluster" || path == "/api/workers" ||
                          path == "/api/progress" || path == "/api/tasks/stream" ||
                          path == "/metrics";
  if (!data_route) return Respond(404, kText, "not found\n");
  if (snapshot == nullptr) return Respond(503, kText, "the scheduler is starting\n");
  const DashboardSnapshot& s = *snapshot;
  if (path == "/api/cluster") return Respond(200, kJson, RenderClusterJson(s));
  if (path == "/api/workers") return Respond(200, kJson, RenderWorkersJson(s));
  if (path == "/api/progress") return Respond(200, kJson, RenderProgressJson(s));
  if (path == "/api/tasks/stream") {
    int64_t after = QueryInt(query, "after", 0);
    int64_t limit = QueryInt(query, "limit", INT64_MAX);
    return Respond(200, kJson,
                   RenderTaskStreamJson(s, after, limit < 0 ? 0 : static_cast<size_t>(limit)));
  }
  return Respond(200, "text/plain; version=0.0.4; charset=utf-8", RenderMetrics(s));
}

HttpHandler MakeDashboardHandler(SnapshotSource source) {
  return [source = std::move(source)](const HttpRequest& request) {
    std::shared_ptr<const DashboardSnapshot> snapshot = source();
    return ServeDashboard(request, snapshot.get());
  };
}

}  // namespace weft::scheduler::dashboard
