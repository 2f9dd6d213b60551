// Task restrictions on a real cluster (weft::SubmitOptions, `weft-worker --resources` and
// `--name`): a GPU task waits in no-worker until a GPU worker joins and runs there; GPU
// tasks share a worker's GPUs one at a time; workers=NAME runs on that worker; retries
// re-run a failing task and then report its error.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "tests/test_cluster.h"
#include "weft/client.h"

using weft::Arg;
using weft::Future;
using weft::FutureStatus;
using weft::testing::TasksIn;
using weft::testing::TestCluster;
using weft::testing::WaitForInfo;

namespace {

// The address of the worker started with `--name name`; empty if it is not connected.
std::string AddressOf(weft::Client& client, const std::string& name) {
  auto info = client.info();
  if (!info.ok()) return "";
  for (const auto& w : info->worker_details) {
    if (w.name == name) return w.address;
  }
  return "";
}

template <typename T>
std::vector<std::string> WhereIs(weft::Client& client, const Future<T>& f) {
  return client.who_has(std::vector<Future<T>>{f})[f.key()];
}

weft::SubmitOptions Gpu() {
  weft::SubmitOptions options;
  options.resources = {{"GPU", 1}};
  return options;
}

}  // namespace

TEST_CASE("a GPU task waits in no-worker until a GPU worker joins, then runs there") {
  TestCluster cluster(1);  // "w0", without resources
  auto client = cluster.Connect();
  Future<int64_t> f = client->submit<int64_t>("inc", {41}, Gpu());
  REQUIRE(WaitForInfo(*client, [](const weft::ClusterInfo& info) {
    if (TasksIn(info, "no-worker") != 1) return false;
    for (const auto& p : info.prefixes) {
      if (p.prefix == "inc") return p.tasks_by_state.at("no-worker") == 1;
    }
    return false;
  }));
  CHECK(f.status() == FutureStatus::kPending);

  cluster.AddWorker({"--resources", "GPU=1"});  // "w1"
  REQUIRE(cluster.WaitForWorkers(2));
  REQUIRE(f.wait(absl::Seconds(30)).ok());
  CHECK(f.result() == 42);
  const std::string gpu_worker = AddressOf(*client, "w1");
  REQUIRE(!gpu_worker.empty());
  CHECK(WhereIs(*client, f) == std::vector<std::string>{gpu_worker});

  auto info = client->info();
  REQUIRE(info.ok());
  CHECK(TasksIn(*info, "no-worker") == 0);
  for (const auto& w : info->worker_details) {
    if (w.name == "w1") CHECK(w.resources == std::map<std::string, double>{{"GPU", 1}});
    if (w.name == "w0") CHECK(w.resources.empty());
  }
}

TEST_CASE("two GPU=1 tasks on a GPU=1 worker run one at a time") {
  TestCluster cluster(1, {"--resources", "GPU=1", "--nthreads", "2"});
  auto client = cluster.Connect();
  auto first = client->submit<double>("sleep", {1.0}, Gpu());
  auto second = client->submit<double>("sleep", {1.5}, Gpu());
  // One holds the GPU; the other waits for it on the scheduler, not on a second thread.
  CHECK(WaitForInfo(*client, [](const weft::ClusterInfo& info) {
    return TasksIn(info, "processing") == 1 && TasksIn(info, "queued") == 1 &&
           info.worker_details.size() == 1 && info.worker_details[0].processing == 1 &&
           info.worker_details[0].resources_used.count("GPU") == 1 &&
           info.worker_details[0].resources_used.at("GPU") == 1;
  }));
  REQUIRE(client->wait(std::vector<Future<double>>{first, second}, absl::Seconds(30)).ok());
  CHECK(first.result() == 1.0);
  CHECK(second.result() == 1.5);
}

TEST_CASE("workers=NAME runs on the named worker") {
  TestCluster cluster(2);  // "w0" and "w1"
  auto client = cluster.Connect();
  const std::string w1 = AddressOf(*client, "w1");
  REQUIRE(!w1.empty());

  weft::SubmitOptions on_w1;
  on_w1.workers = {"w1"};
  std::vector<Arg> items;
  for (int i = 0; i < 20; ++i) items.emplace_back(i);
  auto futures = client->map<int64_t>("inc", items, on_w1);
  REQUIRE(client->wait(futures, absl::Seconds(30)).ok());
  for (const auto& [key, where] : client->who_has(futures)) {
    CHECK(where == std::vector<std::string>{w1});
  }
  // By address as well.
  weft::SubmitOptions by_address;
  by_address.workers = {w1};
  auto f = client->submit<int64_t>("inc", {100}, by_address);
  CHECK(f.result() == 101);
  CHECK(WhereIs(*client, f) == std::vector<std::string>{w1});

  SECTION("a worker that is not there yet: the task waits for it") {
    weft::SubmitOptions on_w2;
    on_w2.workers = {"w2"};
    auto later = client->submit<int64_t>("inc", {200}, on_w2);
    REQUIRE(WaitForInfo(
        *client, [](const weft::ClusterInfo& info) { return TasksIn(info, "no-worker") == 1; }));
    cluster.AddWorker();  // "w2"
    CHECK(later.result() == 201);
    CHECK(WhereIs(*client, later) == std::vector<std::string>{AddressOf(*client, "w2")});
  }
  SECTION("allow_other_workers: a missing worker is only a preference") {
    weft::SubmitOptions preferred;
    preferred.workers = {"nobody"};
    preferred.allow_other_workers = true;
    CHECK(client->submit<int64_t>("inc", {300}, preferred).result() == 301);
  }
}

TEST_CASE("retries re-run a failing task, then report its error") {
  TestCluster cluster(1);
  auto client = cluster.Connect();
  weft::SubmitOptions retry;
  retry.retries = 2;
  auto bad = client->submit("raise", {"always broken"}, retry);
  absl::StatusOr<weft::Value> value = bad.get();
  REQUIRE_FALSE(value.ok());
  CHECK(absl::StrContains(value.status().message(), "always broken"));
  CHECK(bad.status() == FutureStatus::kError);
  // The worker that ran (and freed) it three times still works.
  CHECK(client->submit<int64_t>("inc", {1}, retry).result() == 2);
}
