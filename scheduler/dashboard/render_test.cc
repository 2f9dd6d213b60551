// The dashboard's data path without sockets: a real SchedulerState driven through a small
// workload, its snapshot, and the JSON / Prometheus text rendered from it.
#include "scheduler/dashboard/render.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/key.h"
#include "scheduler/dashboard/dashboard.h"
#include "scheduler/dashboard/snapshot.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler::dashboard {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

std::string AddWorker(SchedulerState* state, const std::string& name, int nthreads,
                      int64_t memory_limit, double gpus = 0) {
  proto::RegisterWorker reg;
  if (gpus > 0) (*reg.mutable_info()->mutable_resources())["GPU"] = gpus;
  reg.mutable_info()->set_name(name);
  reg.mutable_info()->set_address(name + ":1234");
  reg.mutable_info()->set_nthreads(nthreads);
  reg.mutable_info()->set_memory_limit(memory_limit);
  return state->AddWorker(reg, kT0);
}

proto::TaskSpec Task(const std::string& key, const std::vector<std::string>& deps = {}) {
  proto::TaskSpec spec;
  spec.set_key(key);
  spec.set_function("f");
  for (const std::string& dep : deps) {
    spec.add_dependencies(dep);
    spec.add_args()->set_key(dep);
  }
  return spec;
}

// Two workers (heartbeats: 1000 and 500 bytes held), three inc tasks finished (0.5 s each, on the
// workers they were sent to), a sum over them processing, one task failed on a worker; snapshot at
// kT0 + 10 s.
struct Workload {
  SchedulerState state{SchedulerOptions{}};
  TaskStream stream;
  std::vector<std::string> incs;
  std::string sum;
  std::string alpha, beta, client;

  Workload() {
    alpha = AddWorker(&state, "alpha", 2, 1 << 30);
    beta = AddWorker(&state, "beta", 1, 0, /*gpus=*/2);
    proto::Heartbeat hb;
    hb.set_memory_bytes(1000);
    hb.set_spilled_bytes(200);
    hb.set_cpu_percent(150);
    REQUIRE(state.Heartbeat(alpha, hb, kT0).ok());
    hb.set_memory_bytes(500);
    hb.set_spilled_bytes(0);
    hb.set_cpu_percent(25);
    REQUIRE(state.Heartbeat(beta, hb, kT0).ok());
    client = state.AddClient("me");
    proto::UpdateGraph graph;
    for (int i = 0; i < 3; ++i) {
      incs.push_back(MakeKey("inc", absl::Cord("token"), i));
      *graph.add_tasks() = Task(incs.back());
    }
    sum = MakeKey("sum", absl::Cord("token"));
    *graph.add_tasks() = Task(sum, incs);
    graph.add_wanted_keys(sum);
    REQUIRE(state.UpdateGraph(client, graph).ok());
    for (const std::string& key : incs) {
      const TaskState* ts = state.GetTask(key);
      REQUIRE(ts->status == TaskStatus::kProcessing);
      std::string worker = ts->processing_on->id;
      proto::TaskFinished done;
      done.set_key(key);
      done.set_nbytes(8);
      done.set_duration_seconds(0.5);
      stream.Add(worker, key, 0.5, kT0 + absl::Seconds(2));
      REQUIRE(state.TaskFinished(worker, done).ok());
    }
    REQUIRE(state.GetStatus(sum) == TaskStatus::kProcessing);
    REQUIRE(state.Validate().ok());
  }

  DashboardSnapshot Snapshot() const {
    return MakeSnapshot(state, stream, /*tasks_failed_total=*/1, kT0, kT0 + absl::Seconds(10));
  }
};

TEST_CASE("the task stream keeps the most recent runs, oldest first") {
  TaskStream stream(/*capacity=*/3);
  for (int i = 0; i < 5; ++i) {
    stream.Add("w1", MakeKey("inc", absl::Cord("x"), i), 0.25, kT0 + absl::Seconds(i));
  }
  CHECK(stream.total() == 5);
  std::vector<TaskRecord> recent = stream.Recent(10);
  REQUIRE(recent.size() == 3);
  CHECK(recent[0].seq == 3);
  CHECK(recent[2].seq == 5);
  CHECK(recent[2].prefix == "inc");
  CHECK(recent[2].stop == 1'700'000'004.0);
  CHECK(recent[2].start == 1'700'000'003.75);
  std::vector<TaskRecord> last_two = stream.Recent(2);
  REQUIRE(last_two.size() == 2);
  CHECK(last_two[0].seq == 4);
  CHECK(last_two[1].seq == 5);
}

TEST_CASE("a snapshot carries workers, per-prefix progress and the task stream") {
  Workload w;
  DashboardSnapshot s = w.Snapshot();
  CHECK(s.time == 1'700'000'010.0);
  CHECK(s.uptime_seconds == 10.0);
  CHECK(s.clients == 1);
  CHECK(s.tasks_finished_total == 3);
  REQUIRE(s.info.workers_size() == 2);
  CHECK(s.info.workers(0).name() == "alpha");
  CHECK(s.info.workers(0).memory_bytes() == 1000);
  REQUIRE(s.info.prefixes_size() == 2);
  CHECK(s.info.prefixes(0).prefix() == "inc");
  CHECK(s.info.prefixes(0).tasks_by_state().at("memory") == 3);
  CHECK(s.info.prefixes(0).tasks_by_state().at("processing") == 0);
  CHECK(s.info.prefixes(0).average_duration_seconds() == 0.5);
  CHECK(s.info.prefixes(1).prefix() == "sum");
  CHECK(s.info.prefixes(1).tasks_by_state().at("processing") == 1);
  CHECK(s.info.prefixes(1).average_duration_seconds() == 0);
  CHECK(s.task_stream.size() == 3);
}

TEST_CASE("prefixes whose tasks are all forgotten leave the progress") {
  Workload w;
  // The client goes: every task is released and forgotten.
  REQUIRE(w.state.RemoveClient(w.client).ok());
  REQUIRE(w.state.Validate().ok());
  CHECK(w.state.num_tasks() == 0);
  CHECK(w.Snapshot().info.prefixes_size() == 0);
}

TEST_CASE("/api/progress and /api/workers render the snapshot as JSON") {
  Workload w;
  DashboardSnapshot s = w.Snapshot();
  CHECK(RenderProgressJson(s) ==
        "{\"prefixes\":["
        "{\"prefix\":\"inc\",\"total\":3,\"average_duration_seconds\":0.5,\"tasks_by_state\":"
        "{\"erred\":0,\"memory\":3,\"no-worker\":0,\"processing\":0,\"queued\":0,"
        "\"released\":0,\"waiting\":0}},"
        "{\"prefix\":\"sum\",\"total\":1,\"average_duration_seconds\":0,\"tasks_by_state\":"
        "{\"erred\":0,\"memory\":0,\"no-worker\":0,\"processing\":1,\"queued\":0,"
        "\"released\":0,\"waiting\":0}}]}");
  std::string workers = RenderWorkersJson(s);
  CHECK(
      absl::StartsWith(workers,
                       "{\"workers\":[{\"id\":\"w1\",\"name\":\"alpha\",\"label\":"
                       "\"alpha\",\"address\":\"alpha:1234\",\"nthreads\":2,\"memory_bytes\":1000,"
                       "\"memory_limit\":1073741824,\"spilled_bytes\":200,"));
  CHECK(absl::StrContains(workers, "{\"id\":\"w2\",\"name\":\"beta\""));
  CHECK(absl::StrContains(workers, "\"resources\":{},\"resources_used\":{},\"cpu_percent\":150,"));
  CHECK(absl::StrContains(workers,
                          "\"resources\":{\"GPU\":2},\"resources_used\":{},\"cpu_percent\":25,"));
  CHECK(absl::EndsWith(workers, "}]}"));
}

TEST_CASE("/api/cluster renders the totals") {
  Workload w;
  std::string cluster = RenderClusterJson(w.Snapshot());
  CHECK(absl::StartsWith(cluster,
                         "{\"time\":1700000010,\"uptime_seconds\":10,\"workers\":2,"
                         "\"threads\":3,\"clients\":1,"));
  CHECK(absl::StrContains(cluster,
                          "\"memory_limit\":1073741824,\"spilled_bytes\":200,"
                          "\"processing\":1,\"keys_in_memory\":3,\"paused_workers\":0,"
                          "\"tasks_total\":4,"));
  CHECK(absl::StrContains(cluster, "\"memory\":3,"));
  CHECK(absl::EndsWith(cluster, "\"tasks_finished_total\":3,\"tasks_failed_total\":1}"));
}

TEST_CASE("/api/tasks/stream returns the records after a sequence number") {
  Workload w;
  DashboardSnapshot s = w.Snapshot();
  std::string all = RenderTaskStreamJson(s);
  CHECK(absl::StrContains(all, "\"tasks_finished_total\":3,\"tasks\":[{\"seq\":1,\"worker\":"));
  CHECK(absl::StrContains(all,
                          "\"prefix\":\"inc\",\"start\":1700000001.5,"
                          "\"stop\":1700000002}"));
  std::string after_two = RenderTaskStreamJson(s, /*after_seq=*/2);
  CHECK_FALSE(absl::StrContains(after_two, "\"seq\":2"));
  CHECK(absl::StrContains(after_two, "\"seq\":3"));
  CHECK(absl::StrContains(RenderTaskStreamJson(s, /*after_seq=*/3), "\"tasks\":[]}"));
  std::string last_one = RenderTaskStreamJson(s, /*after_seq=*/0, /*limit=*/1);
  CHECK_FALSE(absl::StrContains(last_one, "\"seq\":1"));
  CHECK(absl::StrContains(last_one, "\"seq\":3"));
}

TEST_CASE("JSON strings are escaped, and invalid UTF-8 is replaced") {
  DashboardSnapshot s;
  s.info.add_workers()->set_name("a\"b\\c\nd\x01</script>");
  s.info.add_workers()->set_name("caf\xc3\xa9 \xff!");
  const std::string json = RenderWorkersJson(s);
  INFO(json);
  CHECK(absl::StrContains(json, "\"name\":\"a\\\"b\\\\c\\nd\\u0001\\u003c/script>\""));
  CHECK(absl::StrContains(json, "\"name\":\"caf\xc3\xa9 \xef\xbf\xbd!\""));  // U+FFFD
}

TEST_CASE("/metrics renders the Prometheus text format") {
  Workload w;
  std::string metrics = RenderMetrics(w.Snapshot());
  for (const char* line : {
           "# TYPE weft_workers gauge\nweft_workers 2\n",
           "weft_threads 3\n",
           "weft_clients 1\n",
           "weft_memory_bytes 1500\n",
           "weft_tasks{state=\"memory\"} 3\n",
           "weft_tasks{state=\"processing\"} 1\n",
           "# TYPE weft_tasks_finished_total counter\nweft_tasks_finished_total 3\n",
           "weft_tasks_failed_total 1\n",
           "weft_worker_memory_bytes{worker=\"alpha\"} 1000\n",
           "weft_worker_memory_bytes{worker=\"beta\"} 500\n",
           "weft_worker_memory_limit_bytes{worker=\"alpha\"} 1073741824\n",
           "weft_worker_spilled_bytes{worker=\"alpha\"} 200\n",
           "weft_worker_threads{worker=\"alpha\"} 2\n",
           "weft_worker_keys{worker=\"alpha\"}",
           "weft_prefix_tasks{prefix=\"inc\",state=\"memory\"} 3\n",
           "weft_prefix_duration_seconds{prefix=\"inc\"} 0.5\n",
           "weft_worker_cpu_percent{worker=\"alpha\"} 150\n",
           "weft_worker_cpu_percent{worker=\"beta\"} 25\n",
           "# TYPE weft_worker_occupancy_seconds gauge\n",
       }) {
    INFO(line);
    CHECK(absl::StrContains(metrics, line));
  }
  // Each family is declared once.
  CHECK(metrics.find("# TYPE weft_tasks gauge") == metrics.rfind("# TYPE weft_tasks gauge"));
}

TEST_CASE("Prometheus label values are escaped") {
  DashboardSnapshot s;
  proto::WorkerSummary* worker = s.info.add_workers();
  worker->set_name("a\"b\\c\nd");
  worker->set_memory_bytes(5);
  CHECK(absl::StrContains(RenderMetrics(s),
                          "weft_worker_memory_bytes{worker=\"a\\\"b\\\\c\\nd\"} 5\n"));
}

TEST_CASE("routes: page, API, 404, 405 and 503 before the first snapshot") {
  Workload w;
  DashboardSnapshot s = w.Snapshot();
  auto get = [](const std::string& target, const DashboardSnapshot* snapshot) {
    return ServeDashboard(HttpRequest{"GET", target}, snapshot);
  };
  HttpResponse page = get("/", nullptr);
  CHECK(page.status == 200);
  CHECK(absl::StartsWith(page.content_type, "text/html"));
  CHECK(absl::StrContains(page.body, "id=\"workers-count\""));
  CHECK(absl::StrContains(get("/dashboard.js", nullptr).body, "fetch("));
  CHECK(get("/dashboard.css", nullptr).status == 200);
  CHECK(get("/api/workers", nullptr).status == 503);

  HttpResponse workers = get("/api/workers", &s);
  CHECK(workers.status == 200);
  CHECK(workers.content_type == "application/json");
  CHECK(workers.body == RenderWorkersJson(s));
  CHECK(get("/api/tasks/stream?after=2&limit=5", &s).body == RenderTaskStreamJson(s, 2, 5));
  CHECK(get("/api/tasks/stream?after=x", &s).body == RenderTaskStreamJson(s));
  HttpResponse metrics = get("/metrics", &s);
  CHECK(absl::StartsWith(metrics.content_type, "text/plain; version=0.0.4"));
  CHECK(metrics.body == RenderMetrics(s));
  CHECK(get("/api/cluster?x=1", &s).body == RenderClusterJson(s));
  CHECK(get("/api/progress", &s).body == RenderProgressJson(s));
  CHECK(get("/api/graph", &s).body == RenderGraphJson(s));
  HttpResponse dot = get("/graph.dot", &s);
  CHECK(absl::StartsWith(dot.content_type, "text/vnd.graphviz"));
  CHECK(dot.body == RenderGraphDot(s));
  CHECK(get("/api/graph", nullptr).status == 503);

  CHECK(get("/nope", &s).status == 404);
  CHECK(get("/api/workers/extra", &s).status == 404);
  CHECK(ServeDashboard(HttpRequest{"POST", "/api/workers"}, &s).status == 405);
}

TEST_CASE("workers carry their CPU use and occupancy") {
  Workload w;
  DashboardSnapshot s = w.Snapshot();
  const WorkerState* running_sum = w.state.GetTask(w.sum)->processing_on;
  REQUIRE(running_sum != nullptr);
  double occupancy = -1;
  for (const proto::WorkerSummary& worker : s.info.workers()) {
    if (worker.worker_id() == running_sum->id) occupancy = worker.occupancy_seconds();
    if (worker.worker_id() != running_sum->id) CHECK(worker.occupancy_seconds() == 0);
  }
  CHECK(occupancy > 0);
  CHECK(occupancy == w.state.EstimateDuration(*w.state.GetTask(w.sum)));
  CHECK(s.info.workers(0).cpu_percent() == 150);
  CHECK(s.info.workers(1).cpu_percent() == 25);
  CHECK(absl::StrContains(RenderWorkersJson(s), "\"occupancy_seconds\":"));
}

TEST_CASE("worker labels are unique: the name, then the address, then the id") {
  proto::InfoReply info;
  auto add = [&info](const std::string& id, const std::string& name, const std::string& address) {
    proto::WorkerSummary* worker = info.add_workers();
    worker->set_worker_id(id);
    worker->set_name(name);
    worker->set_address(address);
  };
  add("w1", "a", "10.0.0.1:1");
  add("w2", "a", "10.0.0.2:1");
  add("w3", "b", "10.0.0.3:1");
  add("w4", "c", "10.0.0.4:1");
  add("w5", "c", "10.0.0.4:1");
  add("w6", "", "10.0.0.6:1");
  CHECK(WorkerLabels(info) == std::vector<std::string>{"a (10.0.0.1:1)", "a (10.0.0.2:1)", "b",
                                                       "c (10.0.0.4:1) [w4]", "c (10.0.0.4:1) [w5]",
                                                       "w6"});
  DashboardSnapshot s;
  s.info = info;
  CHECK(absl::StrContains(RenderWorkersJson(s), "\"label\":\"a (10.0.0.2:1)\""));
  CHECK(absl::StrContains(RenderMetrics(s), "weft_worker_threads{worker=\"a (10.0.0.1:1)\"} 0\n"));
}

TEST_CASE("the task graph groups the live tasks by prefix, with layers") {
  Workload w;
  // A third layer: a task waiting on the sum that is still processing.
  proto::UpdateGraph more;
  const std::string total = MakeKey("total", absl::Cord("token"));
  *more.add_tasks() = Task(total, {w.sum});
  more.add_wanted_keys(total);
  REQUIRE(w.state.UpdateGraph(w.client, more).ok());
  REQUIRE(w.state.GetStatus(total) == TaskStatus::kWaiting);

  DashboardSnapshot s = w.Snapshot();
  CHECK(RenderGraphJson(s) ==
        "{\"tasks_seen\":5,\"truncated\":false,\"nodes\":["
        "{\"prefix\":\"inc\",\"layer\":0,\"total\":3,\"tasks_by_state\":{\"memory\":3}},"
        "{\"prefix\":\"sum\",\"layer\":1,\"total\":1,\"tasks_by_state\":{\"processing\":1}},"
        "{\"prefix\":\"total\",\"layer\":2,\"total\":1,\"tasks_by_state\":{\"waiting\":1}}],"
        "\"edges\":[{\"from\":0,\"to\":1,\"dependencies\":3},"
        "{\"from\":1,\"to\":2,\"dependencies\":1}]}");
  const std::string dot = RenderGraphDot(s);
  CHECK(absl::StrContains(dot, "digraph weft {"));
  CHECK(absl::StrContains(dot, "  n0 [label=\"inc\\n3 memory\"];\n"));
  CHECK(absl::StrContains(dot, "  n0 -> n1 [label=\"3\"];\n"));
  CHECK(absl::StrContains(dot, "  n1 -> n2 [label=\"1\"];\n"));

  // A cap on the tasks looked at: partial counts, said so.
  PrefixGraph capped = MakePrefixGraph(w.state, /*max_tasks=*/2);
  CHECK(capped.tasks_seen == 2);
  CHECK(capped.truncated);
  DashboardSnapshot partial;
  partial.graph = capped;
  CHECK(absl::StrContains(RenderGraphDot(partial), "(partial"));

  // Forgotten graphs leave it.
  REQUIRE(w.state.RemoveClient(w.client).ok());
  CHECK(w.Snapshot().graph.nodes.empty());
}

TEST_CASE("graph layers: dependencies first, self-loops ignored, cycles last") {
  PrefixGraph g;
  for (const char* name : {"a", "b", "c", "d"}) g.nodes.push_back({name, {}});
  g.edges = {{0, 1, 1}, {1, 0, 1}, {2, 2, 5}, {2, 3, 1}};
  CHECK(GraphLayers(g) == std::vector<int>{2, 2, 0, 1});
}

}  // namespace
}  // namespace weft::scheduler::dashboard
