// Streaming pipelines on the dashboard: the records/s of successive snapshots
// (AddPipelineRates), /api/pipelines as JSON, and its route.
//
// The records are built by hand: the scheduler's Pipelines (//scheduler:pipelines) is
// private to its package, so its Summaries() -> PipelineRecord copy is covered by the
// cross-process tests/dashboard_test.cc instead.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "scheduler/dashboard/dashboard.h"
#include "scheduler/dashboard/render.h"
#include "scheduler/dashboard/snapshot.h"

namespace weft::scheduler::dashboard {
namespace {

constexpr double kT0 = 1'700'000'000;

// The classifier of issue 13 on three workers: source on w1, sink on w2, parallel on all.
PipelineRecord Classifier(const std::string& id, const std::string& state) {
  PipelineRecord p;
  p.id = id;
  p.name = "classifier";
  p.client_id = "c1";
  p.state = state;
  p.function = "example.classify_csv";
  p.source_address = "127.0.0.1:7000";
  p.sink_address = "127.0.0.1:7001";
  p.source_worker = "w1";
  p.sink_worker = "w2";
  p.parallel_workers = {"w1", "w2", "w3"};
  return p;
}

// A snapshot at kT0 + `at` of one pipeline with these counters, its rates from `previous`.
DashboardSnapshot At(double at, const DashboardSnapshot* previous, int64_t batches_in,
                     int64_t batches_out, int64_t rows_out, const std::string& state = "running") {
  DashboardSnapshot s;
  s.time = kT0 + at;
  PipelineRecord p = Classifier("classifier-1", state);
  p.batches_in = batches_in;
  p.batches_out = batches_out;
  p.rows_out = rows_out;
  s.pipelines.push_back(p);
  AddPipelineRates(previous, &s);
  return s;
}

TEST_CASE("records/s is the sink's rate over windows of at least two seconds") {
  DashboardSnapshot first = At(0, nullptr, 2, 0, 0);
  CHECK(first.pipelines[0].records_per_second == 0);  // nothing to compare with
  CHECK(first.pipelines[0].rate_since == kT0);

  // Half a second later: too short a window (stages report every 500 ms), no rate yet.
  DashboardSnapshot early = At(0.5, &first, 5, 3, 300);
  CHECK(early.pipelines[0].records_per_second == 0);
  CHECK(early.pipelines[0].rate_since == kT0);
  CHECK(early.pipelines[0].rows_at_rate_since == 0);

  // Two seconds after the window opened: 1,000 records and 10 batches in 2 s.
  DashboardSnapshot full = At(2, &early, 14, 10, 1000);
  CHECK(full.pipelines[0].records_per_second == 500);
  CHECK(full.pipelines[0].batches_per_second == 5);
  CHECK(full.pipelines[0].rate_since == kT0 + 2);
  CHECK(full.pipelines[0].rows_at_rate_since == 1000);

  // Within the next window the last rate stays; at its end, the new one.
  DashboardSnapshot carried = At(3, &full, 20, 16, 1600);
  CHECK(carried.pipelines[0].records_per_second == 500);
  CHECK(carried.pipelines[0].rate_since == kT0 + 2);
  DashboardSnapshot next = At(6, &carried, 20, 14 + 4, 1800);
  CHECK(next.pipelines[0].records_per_second == 200);  // 800 records in 4 s
  CHECK(next.pipelines[0].batches_per_second == 2);

  // Stalled: nothing written over a whole window.
  DashboardSnapshot stalled = At(8, &next, 20, 18, 1800);
  CHECK(stalled.pipelines[0].records_per_second == 0);

  // Finished: no rate, whatever came before.
  DashboardSnapshot done = At(9, &full, 20, 20, 2000, "done");
  CHECK(done.pipelines[0].records_per_second == 0);
  CHECK(done.pipelines[0].batches_per_second == 0);
}

TEST_CASE("pipelines are matched by id between snapshots") {
  DashboardSnapshot before;
  before.time = kT0;
  before.pipelines = {Classifier("a", "running"), Classifier("c", "running")};
  AddPipelineRates(nullptr, &before);

  DashboardSnapshot after;
  after.time = kT0 + 2;
  after.pipelines = {Classifier("a", "running"), Classifier("b", "running"),
                     Classifier("c", "running")};
  after.pipelines[0].rows_out = 100;
  after.pipelines[1].rows_out = 999;  // new: no rate yet
  after.pipelines[2].rows_out = 300;
  AddPipelineRates(&before, &after);
  CHECK(after.pipelines[0].records_per_second == 50);
  CHECK(after.pipelines[1].records_per_second == 0);
  CHECK(after.pipelines[1].rate_since == kT0 + 2);
  CHECK(after.pipelines[2].records_per_second == 150);
}

TEST_CASE("/api/pipelines lists each pipeline with its stages, backlog and rate") {
  DashboardSnapshot first = At(0, nullptr, 0, 0, 0);
  DashboardSnapshot s = At(2, &first, 12, 9, 900);
  CHECK(s.pipelines[0].backlog() == 3);
  s.pipelines[0].records_skipped = 2;
  s.pipelines[0].first_skipped = "parallel stage: batch 1, row 2 of it";
  CHECK(RenderPipelinesJson(s) ==
        "{\"time\":1700000002,\"pipelines\":[{\"id\":\"classifier-1\","
        "\"name\":\"classifier\",\"client\":\"c1\",\"state\":\"running\",\"error\":\"\","
        "\"function\":\"example.classify_csv\",\"batches_in\":12,\"batches_out\":9,"
        "\"rows_out\":900,\"backlog\":3,\"records_skipped\":2,"
        "\"first_skipped\":\"parallel stage: batch 1, row 2 of it\",\"records_per_second\":450,"
        "\"batches_per_second\":4.5,\"stages\":["
        "{\"role\":\"source\",\"workers\":[\"w1\"],\"address\":\"127.0.0.1:7000\","
        "\"batches_in\":null,\"batches_out\":12,\"rows_in\":null,\"rows_out\":null},"
        "{\"role\":\"parallel\",\"workers\":[\"w1\",\"w2\",\"w3\"],\"address\":\"\","
        "\"batches_in\":null,\"batches_out\":null,\"rows_in\":null,\"rows_out\":null},"
        "{\"role\":\"sink\",\"workers\":[\"w2\"],\"address\":\"127.0.0.1:7001\","
        "\"batches_in\":null,\"batches_out\":9,\"rows_in\":null,\"rows_out\":900}]}]}");

  DashboardSnapshot none;
  CHECK(RenderPipelinesJson(none) == "{\"time\":0,\"pipelines\":[]}");
}

TEST_CASE("a failed pipeline shows its error, escaped; an unplaced one has no workers") {
  DashboardSnapshot s;
  PipelineRecord failed = Classifier("f", "failed");
  failed.error = "pipeline f: sink stage: \"</script>\"\nbye";
  failed.batches_in = 2;
  failed.batches_out = 5;  // the sink's count ran ahead of the source's last report
  PipelineRecord unplaced = Classifier("u", "failed");
  unplaced.source_worker.clear();
  unplaced.sink_worker.clear();
  unplaced.parallel_workers.clear();
  s.pipelines = {failed, unplaced};
  AddPipelineRates(nullptr, &s);
  CHECK(s.pipelines[0].backlog() == 0);
  const std::string json = RenderPipelinesJson(s);
  INFO(json);
  CHECK(json.find("\"error\":\"pipeline f: sink stage: \\\"\\u003c/script>\\\"\\nbye\"") !=
        std::string::npos);
  CHECK(json.find("</script>") == std::string::npos);
  CHECK(json.find("\"id\":\"u\"") != std::string::npos);
  CHECK(json.find("{\"role\":\"source\",\"workers\":[],") != std::string::npos);
  CHECK(json.find("{\"role\":\"parallel\",\"workers\":[],") != std::string::npos);
}

TEST_CASE("the /api/pipelines route, and the page's Pipelines panel") {
  DashboardSnapshot s = At(0, nullptr, 1, 0, 0);
  HttpResponse got = ServeDashboard(HttpRequest{"GET", "/api/pipelines"}, &s);
  CHECK(got.status == 200);
  CHECK(got.content_type == "application/json");
  CHECK(got.body == RenderPipelinesJson(s));
  CHECK(ServeDashboard(HttpRequest{"GET", "/api/pipelines"}, nullptr).status == 503);
  const std::string page = ServeDashboard(HttpRequest{"GET", "/"}, nullptr).body;
  CHECK(page.find("<section id=\"pipelines-panel\" class=\"panel\" hidden>") != std::string::npos);
  const std::string script = ServeDashboard(HttpRequest{"GET", "/dashboard.js"}, nullptr).body;
  CHECK(script.find("getJson('/api/pipelines')") != std::string::npos);
}

}  // namespace
}  // namespace weft::scheduler::dashboard
