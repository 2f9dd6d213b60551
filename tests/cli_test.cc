// The command lines, run as a user would: --help, --version, `weft info`, `weft submit`,
// and a worker pointed at a scheduler that does not answer.
#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/match.h"
#include "tests/test_cluster.h"

using weft::testing::RunCommand;
using weft::testing::Runfile;
using weft::testing::TestCluster;

TEST_CASE("every binary has --help and --version") {
  for (const char* bin : {"scheduler/weft-scheduler", "worker/weft-worker", "client/weft"}) {
    INFO(bin);
    auto help = RunCommand({Runfile(bin), "--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.output, Catch::Contains("--"));
    auto version = RunCommand({Runfile(bin), "--version"});
    CHECK(version.exit_code == 0);
    CHECK_THAT(version.output, Catch::Contains("0.1.0"));
  }
}

TEST_CASE("weft info and weft submit against a running cluster") {
  TestCluster cluster(2, {"--nthreads", "2"});
  auto info = RunCommand({Runfile("client/weft"), "info", cluster.address()});
  CHECK(info.exit_code == 0);
  // Then the dashboard's address (info_test.cc).
  CHECK(absl::StartsWith(info.output,
                         "<Client: scheduler=" + cluster.address() + " workers=2 threads=4>\n"));

  auto submit = RunCommand(
      {Runfile("client/weft"), "submit", "--scheduler", cluster.address(), "add", "40", "2"});
  CHECK(submit.exit_code == 0);
  CHECK(submit.output == "42\n");

  auto failing = RunCommand(
      {Runfile("client/weft"), "submit", "--scheduler", cluster.address(), "raise", "nope"});
  CHECK(failing.exit_code == 1);
  CHECK_THAT(failing.output, Catch::Contains("nope"));
  CHECK_THAT(failing.output, Catch::Contains("raise"));
}

TEST_CASE("weft info on a dead address fails clearly") {
  auto info = RunCommand({Runfile("client/weft"), "info", "127.0.0.1:1"});
  CHECK(info.exit_code == 1);
  CHECK_THAT(info.output, Catch::Contains("127.0.0.1:1"));
}

TEST_CASE("a worker whose scheduler does not answer gives up with a clear message") {
  auto worker =
      RunCommand({Runfile("worker/weft-worker"), "127.0.0.1:1", "--death-timeout", "2"}, 30);
  CHECK(worker.exit_code != 0);
  CHECK_THAT(worker.output, Catch::Contains("127.0.0.1:1"));
}

TEST_CASE("weft submit without --scheduler runs on a local cluster") {
  auto submit = RunCommand({Runfile("client/weft"), "submit", "inc", "41"}, 60);
  CHECK(submit.exit_code == 0);
  CHECK(submit.output == "42\n");
}
