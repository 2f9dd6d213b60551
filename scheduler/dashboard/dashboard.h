// The dashboard's routes: the page and its assets, the JSON API and /metrics, rendered from
// the latest DashboardSnapshot (see render.h for the JSON shapes).
//
//   GET /                  the page (index.html); it polls /api/... every 500 ms
//   GET /dashboard.js, /dashboard.css
//   GET /api/cluster, /api/workers, /api/progress
//   GET /api/tasks/stream[?after=SEQ][&limit=N]   finished runs with seq > SEQ (last N)
//   GET /api/graph, /graph.dot   the live task graphs by key prefix (JSON, Graphviz DOT)
//   GET /api/pipelines     streaming pipelines, their stages, records/s and backlog
//   GET /worker-log?worker=ADDRESS[&n=N]   the last N (200) lines of that worker's log,
//                          as text, asked of the worker when the page is opened
//   GET /metrics           Prometheus text format
//   GET /health            "ok"
// Anything else is 404; a method other than GET is 405. Before the scheduler published its
// first snapshot, the data routes answer 503.
//
// With a cluster token, wrap the handler in RequireToken (auth.h).
//
// Threading: the handler is called on the HTTP server's threads; it only reads the
// immutable snapshot that `source` returns. `source` must be thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "scheduler/dashboard/http_server.h"
#include "scheduler/dashboard/snapshot.h"

namespace weft::scheduler::dashboard {

using SnapshotSource = std::function<std::shared_ptr<const DashboardSnapshot>()>;
// The last `n` log lines of the worker named `worker` (name or address), or why not.
using WorkerLogSource =
    std::function<absl::StatusOr<std::vector<std::string>>(const std::string& worker, int n)>;

// Answers one request from `snapshot` (null: not published yet).
HttpResponse ServeDashboard(const HttpRequest& request, const DashboardSnapshot* snapshot);

// A handler for HttpServer that serves the latest snapshot of `source`, and worker logs
// from `logs` (null: /worker-log is 404). `logs` may block (it asks the worker).
HttpHandler MakeDashboardHandler(SnapshotSource source, WorkerLogSource logs = nullptr);

}  // namespace weft::scheduler::dashboard
