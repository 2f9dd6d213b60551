// The scheduler's web dashboard as a person would look at it: a real weft-scheduler with
// its dashboard on a free port, two real workers, some work from a client; then the JSON
// API and /metrics over HTTP, and the page itself in headless Chromium (its DOM after the
// script ran, and a screenshot kept in $TEST_UNDECLARED_OUTPUTS_DIR/dashboard.png); then a
// worker is killed and the page forgets it (no table row, no task-stream lane).
// Chromium is required (./setup.sh installs it): without it the test fails.
#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/poll.h"
#include "tests/test_cluster.h"
#include "weft/client.h"
#include "weft/pipeline.h"

namespace {

namespace asio = boost::asio;
using weft::testing::HttpGet;
using weft::testing::HttpResponse;
using weft::testing::RunCommand;
using weft::testing::TestCluster;

struct Url {
  std::string host;
  std::string port;
  std::string base;  // http://HOST:PORT
};

// The address the scheduler announced: "Dashboard at: http://HOST:PORT/".
Url DashboardUrl(const std::string& logs) {
  std::smatch m;
  REQUIRE(std::regex_search(logs, m, std::regex(R"(Dashboard at: http://([0-9.]+):(\d+)/)")));
  return Url{m[1], m[2], absl::StrCat("http://", std::string(m[1]), ":", std::string(m[2]))};
}

// The integer after `"name":` in a JSON text (first occurrence), or -1.
int64_t JsonInt(const std::string& json, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + name + "\":(-?\\d+)"))) return -1;
  int64_t value = -1;
  return absl::SimpleAtoi(std::string(m[1]), &value) ? value : -1;
}

// The value of a Prometheus sample line "NAME VALUE" (NAME with its labels), or -1.
double Metric(const std::string& text, const std::string& name) {
  size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::atof(text.c_str() + at + name.size() + 2);
}

// The text of the element with id `id` in a DOM dump: <tag id="ID" ...>TEXT<.
std::string ElementText(const std::string& dom, const std::string& id) {
  std::smatch m;
  if (!std::regex_search(dom, m, std::regex("id=\"" + id + "\"[^>]*>([^<]*)<"))) return "";
  return m[1];
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

std::string Chromium() {
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

std::vector<std::string> ChromiumArgs(const std::string& chromium, const std::string& profile) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string home = tmp != nullptr ? tmp : "/tmp";
  return {"env",
          "HOME=" + home,
          chromium,
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-dev-shm-usage",
          "--user-data-dir=" + home + "/" + profile,
          "--virtual-time-budget=3000"};
}

// The number after `"name":` in a JSON text (first occurrence), or -1.
double JsonDouble(const std::string& json, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + name + "\":(-?[0-9.eE+-]+)"))) return -1;
  return std::atof(std::string(m[1]).c_str());
}

// A loopback port nobody listens on now (bound, then released).
int FreePort() {
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

// One framed record: a 4-byte big-endian length, then the bytes.
std::string Frame(const std::string& record) {
  const uint32_t n = record.size();
  std::string out = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)};
  return out + record;
}

constexpr int kTasks = 100;

TEST_CASE("the dashboard shows the cluster, its work and its metrics") {
  TestCluster cluster(2, {"--nthreads", "2"}, {"--dashboard-address", "127.0.0.1:0"});
  const Url url = DashboardUrl(cluster.Logs());
  auto client = cluster.Connect();

  std::vector<weft::Arg> items;
  for (int i = 0; i < kTasks; ++i) items.emplace_back(i);
  auto futures = client->map<int64_t>("inc", items);  // held: "inc" stays in memory
  auto values = client->gather(futures);
  REQUIRE(values.ok());
  REQUIRE(values->size() == static_cast<size_t>(kTasks));
  auto failed = client->submit<int64_t>("raise", {"on purpose"});  // held: stays erred
  CHECK_FALSE(failed.get().ok());

  // Snapshots are published every 200 ms: wait until one has seen all the work.
  std::string cluster_json;
  weft::PollUntil(
      [&] {
        cluster_json = HttpGet(url.base, "/api/cluster").body;
        return JsonInt(cluster_json, "tasks_finished_total") >= kTasks &&
               JsonInt(cluster_json, "tasks_failed_total") >= 1;
      },
      absl::Now() + absl::Seconds(10), absl::Milliseconds(100));
  INFO(cluster_json);
  CHECK(JsonInt(cluster_json, "workers") == 2);
  CHECK(JsonInt(cluster_json, "threads") == 4);
  CHECK(JsonInt(cluster_json, "tasks_finished_total") >= kTasks);
  CHECK(JsonInt(cluster_json, "tasks_failed_total") == 1);
  CHECK(JsonInt(cluster_json, "memory") >= kTasks);

  {  // The JSON API.
    HttpResponse workers = HttpGet(url.base, "/api/workers");
    CHECK(workers.status == 200);
    CHECK(workers.content_type == "application/json");
    CHECK(Count(workers.body, "\"id\":") == 2);
    CHECK(absl::StrContains(workers.body, "\"name\":\"w0\""));
    CHECK(absl::StrContains(workers.body, "\"name\":\"w1\""));
    CHECK(Count(workers.body, "\"nthreads\":2,") == 2);
    CHECK(Count(workers.body, "\"paused\":false") == 2);

    std::string progress = HttpGet(url.base, "/api/progress").body;
    INFO(progress);
    CHECK(absl::StrContains(progress, absl::StrCat("{\"prefix\":\"inc\",\"total\":", kTasks)));
    CHECK(absl::StrContains(progress, absl::StrCat("\"memory\":", kTasks)));
    CHECK(absl::StrContains(progress, "{\"prefix\":\"raise\",\"total\":1,"));

    std::string stream = HttpGet(url.base, "/api/tasks/stream").body;
    CHECK(Count(stream, "\"prefix\":\"inc\"") == static_cast<size_t>(kTasks));
    CHECK(Count(HttpGet(url.base, "/api/tasks/stream?after=0&limit=7").body, "\"seq\":") == 7);

    CHECK(HttpGet(url.base, "/api/nothing").status == 404);
    CHECK(HttpGet(url.base, "/").status == 200);
  }

  {  // Prometheus.
    HttpResponse got = HttpGet(url.base, "/metrics");
    CHECK(got.status == 200);
    CHECK(absl::StartsWith(got.content_type, "text/plain; version=0.0.4"));
    const std::string& m = got.body;
    INFO(m);
    CHECK(Metric(m, "weft_workers") == 2);
    CHECK(Metric(m, "weft_threads") == 4);
    CHECK(Metric(m, "weft_clients") == 1);
    CHECK(Metric(m, "weft_tasks_finished_total") >= kTasks);
    CHECK(Metric(m, "weft_tasks_failed_total") == 1);
    CHECK(Metric(m, "weft_tasks{state=\"memory\"}") >= kTasks);
    CHECK(Metric(m, "weft_tasks{state=\"erred\"}") == 1);
    CHECK(Metric(m, "weft_prefix_tasks{prefix=\"inc\",state=\"memory\"}") == kTasks);
    CHECK(Metric(m, "weft_worker_threads{worker=\"w0\"}") == 2);
    CHECK(Metric(m, "weft_worker_memory_bytes{worker=\"w0\"}") >= 0);
    CHECK(Metric(m, "weft_worker_memory_bytes{worker=\"w1\"}") >= 0);
    CHECK(Metric(m, "weft_worker_keys{worker=\"w0\"}") +
              Metric(m, "weft_worker_keys{worker=\"w1\"}") >=
          kTasks);
  }

  // The page, in a browser.
  const std::string chromium = Chromium();
  INFO("chromium is not installed (./setup.sh installs it: apt-get install chromium)");
  REQUIRE_FALSE(chromium.empty());
  {
    std::vector<std::string> argv = ChromiumArgs(chromium, "dump");
    argv.push_back("--dump-dom");
    argv.push_back(url.base + "/");
    weft::testing::CommandResult dump = RunCommand(argv, /*timeout_seconds=*/120);
    const std::string& dom = dump.output;  // stderr mixed in; the DOM is what matters
    INFO(dom);
    REQUIRE(dump.exit_code == 0);
    CHECK(ElementText(dom, "status") == "live");
    CHECK(ElementText(dom, "workers-count") == "2");
    CHECK(ElementText(dom, "threads-count") == "4");
    int64_t finished = -1;
    CHECK(absl::SimpleAtoi(ElementText(dom, "tasks-finished"), &finished));
    CHECK(finished >= kTasks);
    CHECK(ElementText(dom, "tasks-failed") == "1");
    CHECK(ElementText(dom, "tasks-memory") == std::to_string(kTasks));
    // A table row and a memory bar per worker, a progress row per prefix.
    CHECK(Count(dom, "<tr data-worker=\"") == 2);
    CHECK(Count(dom, "class=\"row\" data-worker=\"") == 2);
    CHECK(absl::StrContains(dom, "class=\"row\" data-prefix=\"inc\""));
    CHECK(absl::StrContains(dom, "class=\"row\" data-prefix=\"raise\""));
    CHECK(absl::StrContains(dom, absl::StrCat(">", kTasks, " / ", kTasks, "<")));
    // The task stream: one rect per finished run, on both workers.
    CHECK(Count(dom, "class=\"task\" data-prefix=\"inc\"") == static_cast<size_t>(kTasks));
    CHECK(Count(dom, "data-worker=\"w1\" x=") + Count(dom, "data-worker=\"w2\" x=") ==
          static_cast<size_t>(kTasks));
    // CPU and occupancy per worker; the task graph: a box per prefix of the live graphs.
    CHECK(Count(dom, "class=\"num cpu\"") == 2);
    CHECK(Count(dom, "class=\"num occupancy\"") == 2);
    CHECK(Count(dom, "class=\"graph-prefix\"") == 2);
    CHECK(absl::StrContains(dom, "class=\"graph-prefix\" data-prefix=\"inc\""));
    CHECK(absl::StrContains(dom, absl::StrCat(kTasks, " memory<")));
    // No pipeline: no Pipelines panel.
    CHECK(absl::StrContains(dom, "<section id=\"pipelines-panel\" class=\"panel\" hidden=\"\">"));

    const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
    std::string png = absl::StrCat(outputs != nullptr ? outputs : ".", "/dashboard.png");
    argv = ChromiumArgs(chromium, "shot");
    argv.push_back("--screenshot=" + png);
    argv.push_back("--window-size=1280,900");
    argv.push_back(url.base + "/");
    weft::testing::CommandResult shot = RunCommand(argv, /*timeout_seconds=*/120);
    INFO(shot.output);
    REQUIRE(shot.exit_code == 0);
    std::ifstream in(png, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(bytes.size() > 10'000);
    CHECK(bytes.substr(0, 8) == "\x89PNG\r\n\x1a\n");

    // Worker "w0" dies: its results are computed again on the other one, and the page shows
    // the live worker only: one table row, task-stream lanes for its runs alone.
    std::smatch m;
    const std::string workers = HttpGet(url.base, "/api/workers").body;
    REQUIRE(std::regex_search(workers, m, std::regex(R"re("id":"(w\d+)","name":"w0")re")));
    const std::string dead = m[1];
    const std::string live = dead == "w1" ? "w2" : "w1";
    cluster.SignalWorker(0, SIGKILL);
    REQUIRE(weft::testing::WaitForInfo(*client, [](const weft::ClusterInfo& info) {
      return info.workers == 1 && weft::testing::TasksIn(info, "memory") == kTasks &&
             weft::testing::TasksIn(info, "processing") == 0;
    }));
    // Snapshots lag by up to 200 ms: wait until one has seen the worker go.
    REQUIRE(weft::PollUntil(
        [&] { return Count(HttpGet(url.base, "/api/workers").body, "\"id\":") == 1; },
        absl::Now() + absl::Seconds(5), absl::Milliseconds(50)));
    // ...and until the task stream has every recomputed run: two fetches a snapshot period
    // apart agree.
    std::string stream;
    size_t runs_on_live = std::string::npos;
    REQUIRE(weft::PollUntil(
        [&] {
          stream = HttpGet(url.base, "/api/tasks/stream").body;
          const size_t now = Count(stream, "\"worker\":\"" + live + "\"");
          const bool stable = now == runs_on_live;
          runs_on_live = now;
          return stable;
        },
        absl::Now() + absl::Seconds(10), absl::Milliseconds(300)));
    CHECK(Count(stream, "\"worker\":\"" + dead + "\"") > 0);  // its runs are still in the stream
    argv = ChromiumArgs(chromium, "after");
    argv.push_back("--dump-dom");
    argv.push_back(url.base + "/");
    weft::testing::CommandResult after = RunCommand(argv, /*timeout_seconds=*/120);
    INFO(after.output);
    REQUIRE(after.exit_code == 0);
    CHECK(ElementText(after.output, "workers-count") == "1");
    CHECK(Count(after.output, "<tr data-worker=\"") == 1);
    CHECK(Count(after.output, "data-worker=\"" + dead + "\" x=") == 0);
    CHECK(Count(after.output, "data-worker=\"" + live + "\" x=") == runs_on_live);
    CHECK(Count(after.output, ">w0 #") == 0);  // no lane label for the dead worker
    CHECK((runs_on_live == 0 || Count(after.output, ">w1 #0<") == 1));
  }
}

TEST_CASE("the dashboard lists a running pipeline, its stages, records/s and backlog") {
  TestCluster cluster(2, {"--nthreads", "2"}, {"--dashboard-address", "127.0.0.1:0"});
  const Url url = DashboardUrl(cluster.Logs());
  REQUIRE(weft::PollUntil([&] { return HttpGet(url.base, "/api/pipelines").status == 200; },
                          absl::Now() + absl::Seconds(10), absl::Milliseconds(50)));
  CHECK(absl::StrContains(HttpGet(url.base, "/api/pipelines").body, "\"pipelines\":[]"));

  // The sink connects to a socket that listens and never reads: the kernel accepts the
  // connection and buffers the few kilobytes of rows.
  asio::io_context ioc;
  asio::ip::tcp::acceptor receiver(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  const int source_port = FreePort();
  weft::Pipeline pipeline("dash");
  pipeline.source(weft::TcpSource{"127.0.0.1", source_port})
      .to_stateful(weft::BatchRows{10, /*header=*/true})
      .to_parallel("example.classify_csv")
      .to_sink(weft::TcpSink{"127.0.0.1", receiver.local_endpoint().port()});
  auto client = cluster.Connect();
  auto handle = client->run_pipeline(pipeline);
  REQUIRE(handle.ok());
  REQUIRE(weft::PollUntil([&] { return handle->status().state != weft::PipelineState::kSubmitted; },
                          absl::Now() + absl::Seconds(30)));
  INFO(handle->status().error);
  REQUIRE(handle->status().state == weft::PipelineState::kRunning);

  // Rows flow (a batch of 10 every 50 ms, no EOT) until the dashboard shows a rate: rates
  // are measured over windows of 2 s, from counters the stages report every 500 ms.
  asio::ip::tcp::socket source(ioc);
  source.connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(source_port)});
  asio::write(source, asio::buffer(Frame(",a,b")));
  int rows = 0;
  std::string json;
  const bool rated = weft::PollUntil(
      [&] {
        std::string batch;
        for (int i = 0; i < 10; ++i, ++rows) batch += Frame(absl::StrCat(rows, ",1.5,-0.5"));
        asio::write(source, asio::buffer(batch));
        json = HttpGet(url.base, "/api/pipelines").body;
        return JsonDouble(json, "records_per_second") > 0;
      },
      absl::Now() + absl::Seconds(30), absl::Milliseconds(50));
  INFO(json);
  REQUIRE(rated);
  CHECK(absl::StrContains(json, absl::StrCat("{\"id\":\"", handle->id(), "\",\"name\":\"dash\"")));
  CHECK(absl::StrContains(json, "\"state\":\"running\",\"error\":\"\""));
  CHECK(absl::StrContains(json, "\"function\":\"example.classify_csv\""));
  CHECK(JsonInt(json, "batches_in") > 0);
  CHECK(JsonInt(json, "batches_in") <= rows / 10);
  CHECK(JsonInt(json, "rows_out") > 0);
  CHECK(JsonInt(json, "rows_out") <= rows);
  CHECK(JsonInt(json, "backlog") >= 0);
  CHECK(JsonInt(json, "backlog") ==
        std::max<int64_t>(0, JsonInt(json, "batches_in") - JsonInt(json, "batches_out")));
  // Source on the first worker to join, sink on the second, parallel on both.
  std::smatch m;
  REQUIRE(std::regex_search(
      json, m,
      std::regex(R"re(\{"role":"source","workers":\["(w\d+)"\],"address":"127.0.0.1:\d+".*)re"
                 R"re(\{"role":"parallel","workers":\["(w\d+)","(w\d+)"\].*)re"
                 R"re(\{"role":"sink","workers":\["(w\d+)"\])re")));
  CHECK(m[1] == m[2]);
  CHECK(m[4] == m[3]);
  CHECK(m[1] != m[4]);

  {  // The page: a row per stage, the panel shown.
    const std::string chromium = Chromium();
    INFO("chromium is not installed (./setup.sh installs it: apt-get install chromium)");
    REQUIRE_FALSE(chromium.empty());
    std::vector<std::string> argv = ChromiumArgs(chromium, "pipelines");
    argv.push_back("--dump-dom");
    argv.push_back(url.base + "/");
    weft::testing::CommandResult dump = RunCommand(argv, /*timeout_seconds=*/120);
    const std::string& dom = dump.output;
    INFO(dom);
    REQUIRE(dump.exit_code == 0);
    CHECK(absl::StrContains(dom, "<section id=\"pipelines-panel\" class=\"panel\">"));
    const std::string row = absl::StrCat("<tr class=\"stage\" data-pipeline=\"", handle->id());
    CHECK(Count(dom, row + "\" data-role=\"") == 3);
    CHECK(absl::StrContains(dom, row + "\" data-role=\"sink\">"));
    CHECK(Count(dom, "class=\"num rate\"") == 1);
    CHECK(absl::StrContains(dom, "<td class=\"state-running\" rowspan=\"3\">running<"));
  }

  handle->stop();
  CHECK(absl::IsCancelled(handle->wait(absl::Seconds(30))));
  REQUIRE(weft::PollUntil(
      [&] {
        json = HttpGet(url.base, "/api/pipelines").body;
        return absl::StrContains(json, "\"state\":\"stopped\"");
      },
      absl::Now() + absl::Seconds(10), absl::Milliseconds(50)));
  CHECK(JsonDouble(json, "records_per_second") == 0);
}

TEST_CASE("--no-dashboard serves no dashboard") {
  TestCluster cluster(1, {}, {"--no-dashboard"});
  CHECK_FALSE(absl::StrContains(cluster.Logs(), "Dashboard at:"));
  auto client = cluster.Connect();
  CHECK(client->submit<int64_t>("inc", {1}).result() == 2);
}

}  // namespace
