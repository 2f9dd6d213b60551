// Cancellation interrupts a task blocked in I/O: a bag read from an HTTP server that
// accepts and never answers would hold the worker's only thread for 5 attempts x 30 s;
// cancelled, it lets go within about a second and the next task runs.
#include <catch2/catch.hpp>
#include <string>

#include "common/io/s3rver_fixture.h"
#include "tests/test_cluster.h"

using weft::ClusterInfo;
using weft::FutureStatus;
using weft::testing::TasksIn;
using weft::testing::TestCluster;
using weft::testing::WaitForInfo;

TEST_CASE("cancelling a read stuck on a silent server frees the worker's thread") {
  weft::io::testing::SilentServer server;
  auto base = server.Start();
  REQUIRE(base.ok());
  TestCluster cluster(1, {"--nthreads", "1"});
  auto client = cluster.Connect();

  auto stuck = client->submit("bag.read_text", {*base + "/2015-01-01-0.json.gz", "infer"});
  REQUIRE(server.WaitForClient(absl::Seconds(30)));  // the worker's thread is in the read
  CHECK(stuck.status() == FutureStatus::kPending);
  client->cancel(std::vector{stuck});
  REQUIRE(stuck.wait(absl::Seconds(10)).ok());
  CHECK(stuck.status() == FutureStatus::kCancelled);

  // Without the interruption this waits minutes behind the read.
  auto next = client->submit<int64_t>("inc", {41});
  REQUIRE(next.wait(absl::Seconds(10)).ok());
  CHECK(next.result() == 42);
  CHECK(WaitForInfo(*client, [](const ClusterInfo& info) {
    return TasksIn(info, "processing") == 0 && info.worker_details.at(0).processing == 0;
  }));
}
