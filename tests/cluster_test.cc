// Cross-process tests: a real weft-scheduler and two real weft-workers on loopback, and a
// client talking to them over gRPC. Expected answers are computed here independently.
#include <signal.h>

#include <catch2/catch.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "tests/test_cluster.h"
#include "weft/client.h"

using weft::Arg;
using weft::Future;
using weft::FutureStatus;
using weft::testing::TestCluster;

TEST_CASE("info reports the workers and threads of the cluster") {
  TestCluster cluster(2, {"--nthreads", "2"});
  auto client = cluster.Connect();
  auto info = client->info();
  REQUIRE(info.ok());
  CHECK(info->workers == 2);
  CHECK(info->threads == 4);
  CHECK(info->ToString() == "<Client: scheduler=" + cluster.address() + " workers=2 threads=4>");
}

TEST_CASE("submit, map and gather compute the right values") {
  TestCluster cluster;
  auto client = cluster.Connect();

  Future<int64_t> x = client->submit<int64_t>("inc", {41});
  CHECK(x.result() == 42);
  CHECK(x.status() == FutureStatus::kFinished);

  // Futures as arguments: add(inc(1), inc(2)) and sum([...]) over a list of futures.
  auto a = client->submit<int64_t>("inc", {1});
  auto b = client->submit<int64_t>("inc", {2});
  CHECK(client->submit<int64_t>("add", {a, b}).result() == 5);

  std::vector<Arg> items;
  for (int i = 0; i < 1000; ++i) items.emplace_back(i);
  auto futures = client->map<int64_t>("inc", items);
  auto values = client->gather(futures);
  REQUIRE(values.ok());
  REQUIRE(values->size() == 1000);
  for (int i = 0; i < 1000; ++i) CHECK((*values)[i] == i + 1);

  std::vector<Arg> refs(futures.begin(), futures.end());
  CHECK(client->submit<int64_t>("sum", {Arg(refs)}).result() == 1000 * 1001 / 2);

  // Strings, doubles and nested values survive the trip.
  CHECK(client->submit<std::string>("identity", {"héllo"}).result() == "héllo");
  CHECK(client->submit<double>("add", {1.5, 2.25}).result() == 3.75);
  weft::Value nested(weft::ValueList{1, "two", weft::ValueList{3.0, nullptr}});
  CHECK(client->submit("identity", {nested}).result() == nested);
}

TEST_CASE("identical work gets the same key; dropped futures are released") {
  TestCluster cluster;
  auto client = cluster.Connect();
  std::string key;
  {
    auto f1 = client->submit("inc", {10});
    auto f2 = client->submit("inc", {10});
    CHECK(f1.key() == f2.key());
    CHECK(absl::StartsWith(f1.key(), "inc-"));
    CHECK(client->submit("inc", {11}).key() != f1.key());
    CHECK(f1.result() == weft::Value(11));
    auto info = client->info();
    REQUIRE(info.ok());
    CHECK(info->tasks_total >= 1);
  }
  // Every future is gone: the scheduler forgets the keys.
  int64_t remaining = -1;
  weft::testing::WaitForInfo(*client, [&](const weft::ClusterInfo& info) {
    remaining = info.tasks_total;
    return remaining == 0;
  });
  CHECK(remaining == 0);
}

TEST_CASE("errors name the function and the key, and the worker keeps serving") {
  TestCluster cluster;
  auto client = cluster.Connect();

  auto unknown = client->submit("no_such_function", {1});
  try {
    unknown.result();
    FAIL("expected a TaskError");
  } catch (const weft::TaskError& e) {
    CHECK(e.function() == "no_such_function");
    CHECK(e.key() == unknown.key());
    CHECK_THAT(e.what(), Catch::Contains("no_such_function"));
    CHECK_THAT(e.what(), Catch::Contains(unknown.key()));
  }
  CHECK(unknown.status() == FutureStatus::kError);

  auto raised = client->submit("raise", {"boom at line 7"});
  auto status = raised.get().status();
  CHECK(status.code() == absl::StatusCode::kAborted);
  CHECK_THAT(std::string(status.message()), Catch::Contains("boom at line 7"));
  CHECK_THAT(std::string(status.message()), Catch::Contains("raise"));
  CHECK_THAT(std::string(status.message()), Catch::Contains(raised.key()));

  auto wrong_type = client->submit("inc", {"not a number"});
  try {
    wrong_type.result();
    FAIL("expected a TaskError");
  } catch (const weft::TaskError& e) {
    CHECK(e.function() == "inc");
    CHECK_THAT(e.what(), Catch::Contains("string"));
    CHECK_THAT(e.what(), Catch::Contains(wrong_type.key()));
  }

  // A task downstream of a failure fails too, naming the task that failed.
  auto downstream = client->submit("inc", {raised});
  try {
    downstream.result();
    FAIL("expected a TaskError");
  } catch (const weft::TaskError& e) {
    CHECK(e.erred_key() == raised.key());
    CHECK_THAT(e.what(), Catch::Contains("boom at line 7"));
  }

  // Gathering a mix fails with the first error; the healthy tasks are still fine.
  std::vector<Arg> items = {1, "x", 3};
  auto mixed = client->map<int64_t>("inc", items);
  CHECK_FALSE(client->gather(mixed).ok());
  CHECK(mixed[0].result() == 2);
  CHECK(mixed[2].result() == 4);

  // The cluster still has both workers and runs new work.
  CHECK(client->submit<int64_t>("inc", {99}).result() == 100);
  auto info = client->info();
  REQUIRE(info.ok());
  CHECK(info->workers == 2);
}

TEST_CASE("a plugin preloaded by the workers registers typed functions") {
  TestCluster cluster(2, {"--preload", weft::testing::Runfile("worker/libexample_plugin.so")});
  auto client = cluster.Connect();
  CHECK(client->submit<int64_t>("square", {7}).result() == 49);
  CHECK(client->submit<std::string>("greet", {"weft"}).result() == "hello, weft");
  auto bad = client->submit("checked_div", {1, 0});
  CHECK_FALSE(bad.get().ok());
  CHECK_THAT(std::string(bad.get().status().message()), Catch::Contains("checked_div"));
  // Plugin and built-in functions compose.
  auto sq = client->submit<int64_t>("square", {3});
  CHECK(client->submit<int64_t>("inc", {sq}).result() == 10);
}

TEST_CASE("cancel stops a task; its future ends cancelled") {
  TestCluster cluster;
  auto client = cluster.Connect();
  auto slow = client->submit("sleep", {30.0});
  auto after = client->submit("identity", {slow});
  client->cancel(std::vector<Future<weft::Value>>{slow, after});
  REQUIRE(slow.wait(absl::Seconds(10)).ok());
  CHECK(slow.status() == FutureStatus::kCancelled);
  CHECK_THROWS_AS(slow.result(), weft::TaskError);
  CHECK(client->submit<int64_t>("inc", {1}).result() == 2);
}

TEST_CASE("a worker killed between tasks does not hang the client") {
  TestCluster cluster;
  auto client = cluster.Connect();
  std::vector<Arg> items;
  for (int i = 0; i < 200; ++i) items.emplace_back(i);
  auto first = client->map<int64_t>("inc", items);
  REQUIRE(client->gather(first).ok());

  cluster.SignalWorker(0, SIGKILL);
  // Results that lived on the dead worker are recomputed; new work runs on the survivor.
  auto again = client->gather(first);
  REQUIRE(again.ok());
  for (int i = 0; i < 200; ++i) CHECK((*again)[i] == i + 1);
  std::vector<Arg> refs(first.begin(), first.end());
  CHECK(client->submit<int64_t>("sum", {Arg(refs)}).result() == 200 * 201 / 2);
  auto info = client->info();
  REQUIRE(info.ok());
  CHECK(info->workers == 1);
}

TEST_CASE("connecting to an address where nothing listens is a clear error") {
  weft::ClientOptions options;
  options.address = "127.0.0.1:1";
  options.connect_timeout = absl::Seconds(1);
  auto client = weft::Client::Connect(options);
  REQUIRE_FALSE(client.ok());
  CHECK(client.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(client.status().message()), Catch::Contains("127.0.0.1:1"));
}

TEST_CASE("hand-built graphs: get, persist, wait and as_completed") {
  TestCluster cluster;
  auto client = cluster.Connect();
  // dask's {'x': 1, 'y': 2, 'z': (add, 'x', 'y')}
  weft::Graph graph = {
      {"x", weft::GraphTask::Literal(1)},
      {"y", weft::GraphTask::Literal(2)},
      {"z", weft::GraphTask::Call("add", {Arg::Key("x"), Arg::Key("y")})},
      {"w",
       weft::GraphTask::Call("sum", {Arg(std::vector<Arg>{Arg::Key("x"), Arg::Key("z"), 10})})},
  };
  auto values = client->get(graph, {"z", "w"});
  REQUIRE(values.ok());
  CHECK((*values)[0] == weft::Value(3));
  CHECK((*values)[1] == weft::Value(14));

  // A tree reduction of 256 leaves: 255 adds, only the root wanted.
  weft::Graph tree;
  std::vector<std::string> level;
  for (int i = 0; i < 256; ++i) {
    std::string key = "leaf-" + std::to_string(i);
    tree[key] = weft::GraphTask::Literal(i);
    level.push_back(key);
  }
  for (int depth = 0; level.size() > 1; ++depth) {
    std::vector<std::string> next;
    for (size_t i = 0; i < level.size(); i += 2) {
      std::string key = "add-" + std::to_string(depth) + "-" + std::to_string(i / 2);
      tree[key] = weft::GraphTask::Call("add", {Arg::Key(level[i]), Arg::Key(level[i + 1])});
      next.push_back(key);
    }
    level = next;
  }
  auto root = client->persist(tree, {level[0]});  // returns at once
  REQUIRE(client->wait(root, absl::Seconds(60)).ok());
  CHECK(root[0].result() == weft::Value(255 * 256 / 2));
  // Only the wanted root stays in memory: the 510 intermediates were freed.
  auto info = client->info();
  REQUIRE(info.ok());
  CHECK(info->tasks_by_state["memory"] == 1);

  // as_completed yields each future once, the quick one (on the idle worker) first.
  auto slow = client->submit("sleep", {1.0});
  REQUIRE(weft::testing::WaitForInfo(*client, [](const weft::ClusterInfo& info) {
    return weft::testing::TasksIn(info, "processing") == 1;  // on one worker; the other idle
  }));
  std::vector<Future<weft::Value>> futures = {slow, client->submit("inc", {1})};
  weft::AsCompleted<weft::Value> done(futures);
  std::vector<std::string> order;
  while (auto f = done.next(absl::Seconds(30))) order.push_back(f->key());
  REQUIRE(order.size() == 2);
  CHECK(order[0] == futures[1].key());
  CHECK(order[1] == futures[0].key());
}
