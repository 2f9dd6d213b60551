// The dashboard's routes: the page and its assets, the JSON API and /metrics, rendered from
// the latest DashboardSnapshot (see render.h for the JSON shapes).
//
//   GET /                  the page (index.html); it polls /api/... every 500 ms
//   GET /dashboard.js, /dashboard.css
//   GET /api/cluster, /api/workers, /api/progress
//   GET /api/tasks/stream[?after=SEQ][&limit=N]   finished runs with seq > SEQ (last N)
//   GET /metrics           Prometheus text format
//   GET /health            "ok"
// Anything else is 404; a method other than GET is 405. Before the scheduler published its
// first snapshot, the data routes answer 503.
//
// Threading: the handler is called on the HTTP server's threads; it only reads the
// immutable snapshot that `source` returns. `source` must be thread-safe.
#pragma once

#include <functional>
#include <memory>

#include "scheduler/dashboard/http_server.h"
#include "scheduler/dashboard/snapshot.h"

namespace weft::scheduler::dashboard {

using SnapshotSource = std::function<std::shared_ptr<const DashboardSnapshot>()>;

// Answers one request from `snapshot` (null: not published yet).
HttpResponse ServeDashboard(const HttpRequest& request, const DashboardSnapshot* snapshot);

// A handler for HttpServer that serves the latest snapshot of `source`.
HttpHandler MakeDashboardHandler(SnapshotSource source);

}  // namespace weft::scheduler::dashboard
