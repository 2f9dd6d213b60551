// Graphs with a dependency cycle, against a real cluster: the C++ client refuses them
// before sending, naming the keys; a graph from another client library (spoken here on
// the raw ClientSession stream) is erred by the scheduler, naming the keys; and a client
// that leaves takes everything it held with it.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "proto/weft.grpc.pb.h"
#include "tests/test_cluster.h"

using weft::Arg;
using weft::ClusterInfo;
using weft::FutureStatus;
using weft::Graph;
using weft::GraphTask;
using weft::Value;
using weft::testing::TestCluster;
using weft::testing::WaitForInfo;

namespace {

bool NoTasks(const ClusterInfo& info) { return info.tasks_total == 0; }

weft::proto::TaskSpec Spec(const std::string& key, const std::string& function,
                           const std::vector<std::string>& deps) {
  weft::proto::TaskSpec spec;
  spec.set_key(key);
  spec.set_function(function);
  for (const std::string& dep : deps) {
    spec.add_dependencies(dep);
    spec.add_args()->set_key(dep);
  }
  return spec;
}

}  // namespace

TEST_CASE("the client refuses a graph with a cycle before sending it, naming the keys") {
  TestCluster cluster(1);
  auto client = cluster.Connect();

  // a needs b, b needs a.
  Graph two = {{"a", GraphTask::Call("inc", {Arg::Key("b")})},
               {"b", GraphTask::Call("inc", {Arg::Key("a")})}};
  auto got = client->get(two, {"a"});
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(got.status().message() == "the graph has a cycle: a -> b -> a");

  // x -> y -> z -> x, d needs x, and a healthy task beside them: nothing is sent.
  Graph three = {{"x", GraphTask::Call("inc", {Arg::Key("y")})},
                 {"y", GraphTask::Call("inc", {Arg::Key("z")})},
                 {"z", GraphTask::Call("inc", {Arg::Key("x")})},
                 {"d", GraphTask::Call("inc", {Arg::Key("x")})},
                 {"fine", GraphTask::Literal(Value(int64_t{1}))}};
  auto futures = client->persist(three, {"d", "fine"});
  REQUIRE(futures.size() == 2);
  for (const auto& f : futures) {
    CHECK(f.status() == FutureStatus::kError);
    auto value = f.get();
    REQUIRE_FALSE(value.ok());
    CHECK(value.status().message() == "the graph has a cycle: x -> y -> z -> x");
  }
  try {
    futures[0].result();
    FAIL("result() of a refused graph returned");
  } catch (const weft::TaskError& e) {
    CHECK(e.key() == "d");
    CHECK(absl::StrContains(e.what(), "x -> y -> z -> x"));
  }
  auto info = client->info();
  REQUIRE(info.ok());
  CHECK(info->tasks_total == 0);

  // The same graph without its back edge runs.
  three["z"] = GraphTask::Literal(Value(int64_t{41}));
  auto values = client->get(three, {"d"});
  REQUIRE(values.ok());
  CHECK((*values)[0] == Value(int64_t{44}));
}

TEST_CASE("the scheduler errs a cycle from another client library, and forgets it") {
  TestCluster cluster(1);
  auto observer = cluster.Connect();

  auto channel = grpc::CreateChannel(cluster.address(), grpc::InsecureChannelCredentials());
  auto stub = weft::proto::Scheduler::NewStub(channel);
  auto context = std::make_unique<grpc::ClientContext>();
  // A scheduler that never answers fails the test instead of hanging it.
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stream = stub->ClientSession(context.get());
  weft::proto::ClientRequestBatch batch;
  batch.add_requests()->mutable_hello()->set_client_name("raw");
  weft::proto::UpdateGraph* graph = batch.add_requests()->mutable_update_graph();
  // p -> q -> r -> p; s needs p; two -> one -> two; ok runs.
  for (const auto& spec :
       {Spec("p", "inc", {"q"}), Spec("q", "inc", {"r"}), Spec("r", "inc", {"p"}),
        Spec("s", "inc", {"p"}), Spec("two", "inc", {"one"}), Spec("one", "inc", {"two"}),
        Spec("ok", "getpid", {})}) {
    *graph->add_tasks() = spec;
  }
  for (const char* key : {"s", "q", "one", "ok"}) graph->add_wanted_keys(key);
  REQUIRE(stream->Write(batch));

  std::map<std::string, weft::proto::KeyStatus> outcome;
  weft::proto::ClientUpdateBatch updates;
  while (outcome.size() < 4 && stream->Read(&updates)) {
    for (const auto& update : updates.updates()) {
      if (update.has_key_status()) outcome[update.key_status().key()] = update.key_status();
    }
  }
  REQUIRE(outcome.size() == 4);
  CHECK(outcome["ok"].state() == weft::proto::KeyStatus::MEMORY);
  CHECK(outcome["q"].state() == weft::proto::KeyStatus::ERRED);
  CHECK(outcome["q"].error() == "task q (inc) is in a dependency cycle: p -> q -> r -> p");
  CHECK(outcome["s"].state() == weft::proto::KeyStatus::ERRED);
  CHECK(outcome["s"].error() == "task s (inc) depends on a dependency cycle: p -> q -> r -> p");
  CHECK(outcome["one"].state() == weft::proto::KeyStatus::ERRED);
  CHECK(outcome["one"].error() == "task one (inc) is in a dependency cycle: two -> one -> two");

  // Only what the raw client wants is left, nothing waiting.
  auto info = observer->info();
  REQUIRE(info.ok());
  CHECK(info->tasks_total == 4);
  CHECK(weft::testing::TasksIn(*info, "waiting") == 0);

  // It leaves: everything it held goes.
  stream->WritesDone();
  context->TryCancel();
  (void)stream->Finish();
  CHECK(WaitForInfo(*observer, NoTasks));
}

TEST_CASE("a client that disconnects releases everything it held") {
  TestCluster cluster(1, {"--nthreads", "1"});
  auto observer = cluster.Connect();
  {
    auto client = cluster.Connect();
    auto done = client->submit<int64_t>("inc", {1});
    REQUIRE(done.result() == 2);
    auto running = client->submit("sleep", {60.0});
    auto waiting = client->submit("inc", {running});
    auto queued = client->submit("slowinc", {5, 60.0});
    Graph cycle = {{"a", GraphTask::Call("inc", {Arg::Key("b")})},
                   {"b", GraphTask::Call("inc", {Arg::Key("a")})}};
    auto refused = client->persist(cycle, {"a"});
    CHECK(refused[0].status() == FutureStatus::kError);
    REQUIRE(WaitForInfo(*observer, [](const ClusterInfo& info) {
      return weft::testing::TasksIn(info, "processing") >= 1 && info.tasks_total == 4;
    }));
  }  // destroyed: its session closes
  CHECK(WaitForInfo(*observer, NoTasks));
  // The worker's thread is free again: the sleep was cancelled.
  auto after = observer->submit<int64_t>("inc", {41});
  CHECK(after.result() == 42);
}
