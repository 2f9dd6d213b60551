// Scheduling on a real cluster: data locality (asserted with the bytes the workers
// fetched from peers), work spreading out to a worker that joins late, spilling under a
// small memory limit, and surviving `kill -9` and SIGSTOP of workers mid-graph.
#include <signal.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "tests/test_cluster.h"
#include "weft/client.h"

using weft::Arg;
using weft::Future;
using weft::Value;
using weft::testing::TestCluster;
using weft::testing::WaitForInfo;

namespace {

// Waits until `pred(info)` holds for the cluster's info (heartbeats arrive every second).
// The workers that hold the futures' results.
template <typename T>
std::set<std::string> HoldersOf(weft::Client& client, const std::vector<Future<T>>& futures) {
  std::set<std::string> holders;
  for (const auto& [key, where] : client.who_has(futures))
    holders.insert(where.begin(), where.end());
  return holders;
}

int64_t TotalFetched(const weft::ClusterInfo& info) {
  int64_t total = 0;
  for (const auto& w : info.worker_details) total += w.bytes_fetched;
  return total;
}

// A 3-stage graph: n slowinc leaves, pairwise adds, and a sum of those. Returns the graph
// and the key of the root; the answer is sum(i + 1 for i < n).
weft::Graph ThreeStages(int n, double delay, std::string* root) {
  weft::Graph g;
  std::vector<Arg> adds;
  for (int i = 0; i < n; ++i) {
    g["leaf-" + std::to_string(i)] = weft::GraphTask::Call("slowinc", {i, delay});
  }
  for (int i = 0; i < n; i += 2) {
    std::string key = "pair-" + std::to_string(i / 2);
    g[key] = weft::GraphTask::Call(
        "add", {Arg::Key("leaf-" + std::to_string(i)), Arg::Key("leaf-" + std::to_string(i + 1))});
    adds.push_back(Arg::Key(key));
  }
  *root = "total";
  g[*root] = weft::GraphTask::Call("sum", {Arg(adds)});
  return g;
}

}  // namespace

TEST_CASE("a task runs where its large input lives") {
  TestCluster cluster;
  auto client = cluster.Connect();
  auto big = client->submit("make_bytes", {int64_t{50'000'000}});
  REQUIRE(big.wait(absl::Seconds(60)).ok());
  auto length = client->submit<int64_t>("len", {big});
  CHECK(length.result() == 50'000'000);
  auto where_big = client->who_has(std::vector<Future<Value>>{big})[big.key()];
  auto where_len = client->who_has(std::vector<Future<int64_t>>{length})[length.key()];
  REQUIRE(where_big.size() == 1);
  CHECK(where_len == where_big);
  // Heartbeats report what each worker fetched from peers: the 50 MB never moved. Wait for
  // the holder's heartbeat that counts len's result beside the 50 MB (so it came after).
  const std::string holder = where_big.front();
  weft::ClusterInfo after_len;
  REQUIRE(WaitForInfo(*client, [&](const weft::ClusterInfo& i) {
    after_len = i;
    for (const auto& w : i.worker_details) {
      if (w.address == holder && w.memory_bytes > 50'000'000) return true;
    }
    return false;
  }));
  CHECK(TotalFetched(after_len) < 1'000'000);

  // A task that needs inputs from both workers does fetch (the counter is live): half of
  // the blobs are made on each worker.
  std::vector<Future<Value>> blobs;
  for (int w = 0; w < 2; ++w) {
    std::vector<Arg> items;  // other sizes on each worker: other keys
    for (int i = 0; i < 20; ++i) items.emplace_back(int64_t{100'000 + 20 * w + i});
    weft::SubmitOptions there;
    there.workers = {"w" + std::to_string(w)};
    for (auto& b : client->map("make_bytes", items, there)) blobs.push_back(std::move(b));
  }
  std::vector<Arg> refs(blobs.begin(), blobs.end());
  auto all = client->submit("identity", {Arg(refs)});  // every blob on one worker
  REQUIRE(all.wait(absl::Seconds(60)).ok());
  REQUIRE(HoldersOf(*client, blobs).size() == 2);
  CHECK(WaitForInfo(*client, [](const weft::ClusterInfo& i) { return TotalFetched(i) > 100'000; }));
}

TEST_CASE("work spreads to a worker that joins late") {
  TestCluster cluster(1);
  auto client = cluster.Connect();
  std::vector<Future<int64_t>> futures;
  for (int i = 0; i < 30; ++i) futures.push_back(client->submit<int64_t>("slowinc", {i, 0.2}));
  REQUIRE(WaitForInfo(*client, [](const weft::ClusterInfo& i) {  // the first worker is busy
    return weft::testing::TasksIn(i, "processing") > 0;
  }));
  cluster.AddWorker();
  REQUIRE(cluster.WaitForWorkers(2));
  REQUIRE(client->wait(futures, absl::Seconds(60)).ok());
  CHECK(HoldersOf(*client, futures).size() == 2);
  for (int i = 0; i < 30; ++i) CHECK(futures[i].result() == i + 1);
}

TEST_CASE("stealing moves queued tasks to a worker that joins idle") {
  TestCluster cluster(1);
  auto client = cluster.Connect();
  // Every task depends on x, so all of them go to the one worker (no scheduler-side
  // queuing: only tasks without dependencies are queued); when a second worker joins
  // idle, the scheduler steals tasks that have not started.
  auto x = client->submit<int64_t>("inc", {0});
  REQUIRE(x.result() == 1);
  std::vector<Future<int64_t>> futures;
  for (int i = 0; i < 30; ++i)
    futures.push_back(client->submit<int64_t>("slowinc", {x, 0.2 + i * 1e-6}));
  REQUIRE(WaitForInfo(*client, [](const weft::ClusterInfo& i) {  // all sent to the one worker
    return weft::testing::TasksIn(i, "processing") == 30;
  }));
  cluster.AddWorker();
  REQUIRE(cluster.WaitForWorkers(2));
  REQUIRE(client->wait(futures, absl::Seconds(60)).ok());
  CHECK(HoldersOf(*client, futures).size() == 2);
  for (const auto& f : futures) CHECK(f.result() == 2);
}

TEST_CASE("an add submitted after its slowincs runs as soon as they exist, as dask's does") {
  // Issue 12's case: 40 slowincs, then 20 adds each of two of them, one submit per task.
  // Ordered by submission alone, every slowinc would run before any add, holding all 40
  // results; each add is placed right after its inputs instead, and frees them early.
  TestCluster cluster(1, {"--nthreads", "1"});
  auto client = cluster.Connect();
  // Both functions measured: a task of unknown duration counts as 0.5 s of work, which
  // alone would keep further slowincs from the worker.
  REQUIRE(client->submit<int64_t>("add", {1, 2}).result() == 3);
  REQUIRE(client->submit<int64_t>("slowinc", {-1, 0.05}).result() == 0);
  std::vector<Future<int64_t>> slow;
  for (int i = 0; i < 40; ++i) slow.push_back(client->submit<int64_t>("slowinc", {i, 0.05}));
  // The adds come in a later graph (the client sends submits made together as one).
  REQUIRE(slow[0].wait(absl::Seconds(60)).ok());
  std::vector<Future<int64_t>> adds;
  for (int i = 0; i < 20; ++i) {
    adds.push_back(client->submit<int64_t>("add", {Arg(slow[2 * i]), Arg(slow[2 * i + 1])}));
  }
  REQUIRE(adds[0].wait(absl::Seconds(60)).ok());
  int slow_done = 0;
  for (const auto& f : slow) slow_done += f.done() ? 1 : 0;
  INFO(slow_done << " of 40 slowincs were done when the first add was");
  CHECK(slow_done < 20);
  REQUIRE(client->wait(adds, absl::Seconds(60)).ok());
  for (int i = 0; i < 20; ++i) CHECK(adds[i].result() == (2 * i + 1) + (2 * i + 2));
}

TEST_CASE("spill and unspill under a small memory limit give correct results") {
  TestCluster cluster(2, {"--memory-limit", "200MB", "--memory-pause-fraction", "0.98"});
  auto client = cluster.Connect();
  std::vector<Arg> sizes;
  for (int i = 0; i < 16; ++i) sizes.emplace_back(int64_t{20'000'000 + i});
  auto blobs = client->map("make_bytes", sizes);  // 320 MB against 2 x 120 MB targets
  REQUIRE(client->wait(blobs, absl::Seconds(120)).ok());
  CHECK(WaitForInfo(*client, [](const weft::ClusterInfo& i) {
    int64_t spilled = 0;
    for (const auto& w : i.worker_details) spilled += w.spilled_bytes;
    return spilled > 0;
  }));
  // Every value comes back, from memory or disk, to tasks and to the client.
  std::vector<Future<int64_t>> lengths;
  for (const auto& b : blobs) lengths.push_back(client->submit<int64_t>("len", {b}));
  auto got = client->gather(lengths);
  REQUIRE(got.ok());
  for (int i = 0; i < 16; ++i) CHECK((*got)[i] == 20'000'000 + i);
  auto first = blobs.front().get();
  REQUIRE(first.ok());
  CHECK(first->as_bytes().size() == 20'000'000);
}

TEST_CASE("kill -9 of a worker in the middle of a multi-stage graph") {
  TestCluster cluster(3);
  auto client = cluster.Connect();
  std::string root;
  auto graph = ThreeStages(40, 0.05, &root);
  auto futures = client->persist(graph, {root});
  REQUIRE(WaitForInfo(*client, [](const weft::ClusterInfo& i) {  // in the middle of it
    return weft::testing::TasksIn(i, "memory") >= 10;
  }));
  cluster.SignalWorker(1, SIGKILL);
  REQUIRE(client->wait(futures, absl::Seconds(120)).ok());
  CHECK(futures[0].result() == Value(40 * 41 / 2));
  auto info = client->info();
  REQUIRE(info.ok());
  CHECK(info->workers == 2);
}

TEST_CASE("a silent worker (SIGSTOP) is detected and worked around") {
  TestCluster cluster(2, {"--heartbeat-interval", "0.2"}, {"--worker-timeout", "2"});
  auto client = cluster.Connect();
  cluster.SignalWorker(1, SIGSTOP);
  std::string root;
  auto graph = ThreeStages(20, 0.01, &root);
  auto futures = client->persist(graph, {root});
  REQUIRE(client->wait(futures, absl::Seconds(60)).ok());
  CHECK(futures[0].result() == Value(20 * 21 / 2));
  CHECK(WaitForInfo(*client, [](const weft::ClusterInfo& i) { return i.workers == 1; }));
}
