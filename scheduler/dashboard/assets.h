// The dashboard page, compiled into the binary: no build step, no files to install, nothing
// fetched from the internet. index.html loads dashboard.css and dashboard.js, which polls the
// JSON API every 500 ms and redraws (see dashboard.h for the routes).
//
// Elements a test (or a person) can look for: #status ("live" once data arrived),
// #workers-count, #threads-count, #memory-total, #tasks-processing, #tasks-memory,
// #tasks-finished, #tasks-failed, #clients-count, #uptime; #workers-body (a row per worker,
// data-worker=ID); #progress (a row per prefix, data-prefix); #memory (a bar per worker);
// #task-stream (an SVG with a rect.task per finished run, data-prefix, data-worker).
#pragma once

namespace weft::scheduler::dashboard {

extern const char kIndexHtml[];
extern const char kDashboardCss[];
extern const char kDashboardJs[];

}  // namespace weft::scheduler::dashboard
