// The I/O flags reach the reads on the workers: weft-worker's own, and those the weft CLI
// hands to the workers of its local cluster; the reads of tasks and of functions run outside
// the graph (Client::run), those of a pipeline's stages being stream_test's. The endpoint is
// a server that accepts and never answers, so each read can only end by the flags' time-out
// and retry count, and the error says how many attempts were made, at which endpoint, after
// what silence.
#include <catch2/catch.hpp>
#include <string>

#include "common/io/s3rver_fixture.h"
#include "tests/test_cluster.h"

using weft::testing::RunCommand;
using weft::testing::Runfile;
using weft::testing::TestCluster;

TEST_CASE("weft-worker's --s3-endpoint, --io-retries and --io-timeout reach its reads") {
  weft::io::testing::SilentServer server;
  auto endpoint = server.Start();
  REQUIRE(endpoint.ok());
  TestCluster cluster(1, {"--s3-endpoint", *endpoint, "--io-retries", "1", "--io-timeout", "1"});
  auto client = cluster.Connect();
  auto read = client->submit("bag.read_text", {"s3://bucket/2015-01-01-0.json", "infer"});
  // Each flag shows in the error: the endpoint, 1 + --io-retries attempts, the silence.
  const auto result = read.get();
  REQUIRE_FALSE(result.ok());
  const std::string message(result.status().message());
  CHECK_THAT(message, Catch::Contains(*endpoint + " unavailable after 2 attempts to GET "
                                                  "s3://bucket/2015-01-01-0.json"));
  CHECK_THAT(message, Catch::Contains("no response within 1s") ||
                          Catch::Contains("Less than 1 bytes/sec transferred the last 1 seconds"));
}

TEST_CASE("a function run on the workers (weft run, Client::run) reads with their I/O flags") {
  weft::io::testing::SilentServer server;
  auto endpoint = server.Start();
  REQUIRE(endpoint.ok());
  TestCluster cluster(1, {"--s3-endpoint", *endpoint, "--io-retries", "1", "--io-timeout", "1"});
  auto client = cluster.Connect();
  auto results = client->run("bag.read_text", {"s3://bucket/2015-01-01-0.json", "infer"});
  REQUIRE_FALSE(results.ok());
  const std::string message(results.status().message());
  CHECK_THAT(message, Catch::Contains(*endpoint + " unavailable after 2 attempts to GET "
                                                  "s3://bucket/2015-01-01-0.json"));
}

TEST_CASE("weft bag hands its I/O flags to the workers of its local cluster") {
  weft::io::testing::SilentServer server;
  auto endpoint = server.Start();
  REQUIRE(endpoint.ok());
  auto bag = RunCommand({Runfile("client/weft"), "bag", "s3://bucket/2015-01-01-0.json", "--count",
                         "--s3-endpoint", *endpoint, "--io-retries", "0", "--io-timeout", "1"},
                        120);
  CHECK(bag.exit_code == 1);
  CHECK_THAT(bag.output, Catch::Contains(*endpoint + " unavailable after 1 attempt to GET "));
  // The listing's silence ends by the response time-out or by curl's low-speed time,
  // whichever looks first: --io-timeout sets both.
  CHECK_THAT(bag.output,
             Catch::Contains("no response within 1s") ||
                 Catch::Contains("Less than 1 bytes/sec transferred the last 1 seconds"));
}

TEST_CASE("I/O flags with a running cluster's address are refused, not ignored") {
  auto bag = RunCommand({Runfile("client/weft"), "bag", "s3://bucket/x.json", "--count",
                         "--scheduler", "127.0.0.1:1", "--io-retries", "1"});
  CHECK(bag.exit_code == 2);
  CHECK_THAT(bag.output, Catch::Contains("--io-retries sets how the workers of a local cluster "
                                         "read data"));
  CHECK_THAT(bag.output, Catch::Contains("give it to each weft-worker"));
}
