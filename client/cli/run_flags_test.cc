// The task flags parsed as `weft submit` parses them: values, errors, and repeatable flags
// that leave the positional arguments alone.
#include "client/cli/run_flags.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "CLI/CLI.hpp"

using weft::cli::ClusterFlags;
using weft::cli::ParseTaskResources;
using weft::cli::TaskFlags;
using weft::cli::ToSubmitOptions;

namespace {

struct Parsed {
  ClusterFlags cluster;
  TaskFlags task;
  std::string function;
  std::vector<std::string> args;
  std::string error;  // CLI11's message; empty when the command line parsed
};

// Parses `argv` (without the program name) as `weft submit`'s flags.
Parsed Parse(std::vector<std::string> argv) {
  Parsed out;
  CLI::App app;
  weft::cli::AddClusterFlags(&app, &out.cluster);
  weft::cli::AddTaskFlags(&app, &out.task);
  app.add_option("function", out.function)->required();
  app.add_option("args", out.args);
  std::reverse(argv.begin(), argv.end());  // CLI11 takes a reversed vector
  try {
    app.parse(argv);
  } catch (const CLI::ParseError& e) {
    out.error = e.what();
  }
  return out;
}

}  // namespace

TEST_CASE("ParseResources reads weft-worker's syntax") {
  auto one = ParseTaskResources("GPU=1");
  REQUIRE(one.ok());
  CHECK(*one == std::map<std::string, double>{{"GPU", 1}});
  auto two = ParseTaskResources("GPU=1 MEM=2e9,disk=0.5");
  REQUIRE(two.ok());
  CHECK(*two == std::map<std::string, double>{{"GPU", 1}, {"MEM", 2e9}, {"disk", 0.5}});
  CHECK(ParseTaskResources("GPU").status().message() ==
        "invalid resource 'GPU': use NAME=AMOUNT, e.g. \"GPU=2 MEM=10e9\"");
  CHECK(ParseTaskResources("GPU=x").status().message() ==
        "invalid resource 'GPU=x': use NAME=AMOUNT, e.g. \"GPU=2 MEM=10e9\"");
  CHECK(ParseTaskResources("=1").status().message() ==
        "invalid resource '=1': use NAME=AMOUNT, e.g. \"GPU=2 MEM=10e9\"");
  CHECK(ParseTaskResources("GPU=0").status().message() ==
        "invalid resource 'GPU=0': the amount must be a number > 0");
  CHECK(ParseTaskResources("GPU=-1").status().message() ==
        "invalid resource 'GPU=-1': the amount must be a number > 0");
  CHECK_FALSE(ParseTaskResources("  ").ok());
}

TEST_CASE("every task flag reaches SubmitOptions") {
  Parsed p = Parse({"--resources", "GPU=1", "--resources", "MEM=2e9 GPU=2", "--workers", "w1",
                    "--workers", "10.0.0.5:9000", "--allow-other-workers", "--retries", "3",
                    "--priority", "-7", "inc", "1"});
  REQUIRE(p.error.empty());
  auto options = ToSubmitOptions(p.task);
  REQUIRE(options.ok());
  CHECK(options->resources == std::map<std::string, double>{{"GPU", 2}, {"MEM", 2e9}});
  CHECK(options->workers == std::vector<std::string>{"w1", "10.0.0.5:9000"});
  CHECK(options->allow_other_workers);
  CHECK(options->retries == 3);
  CHECK(options->priority == -7);
  CHECK(p.function == "inc");
  CHECK(p.args == std::vector<std::string>{"1"});
}

TEST_CASE("repeatable flags take one value each and leave FUNCTION and ARGS alone") {
  for (const char* flag : {"--resources", "--workers", "--preload"}) {
    INFO(flag);
    const std::string value = std::string(flag) == "--resources" ? "GPU=1" : "x";
    Parsed p = Parse({flag, value, "add", "40", "2"});
    REQUIRE(p.error.empty());
    CHECK(p.function == "add");
    CHECK(p.args == std::vector<std::string>{"40", "2"});
  }
  Parsed after = Parse({"inc", "--workers", "w1", "1"});
  REQUIRE(after.error.empty());
  CHECK(after.function == "inc");
  CHECK(after.args == std::vector<std::string>{"1"});
  CHECK(after.task.workers == std::vector<std::string>{"w1"});
}

TEST_CASE("bad task flag values are errors naming the flag") {
  CHECK_THAT(Parse({"--retries", "-1", "inc", "1"}).error,
             Catch::Contains("--retries: '-1' is not an integer >= 0"));
  CHECK_THAT(Parse({"--retries", "two", "inc", "1"}).error,
             Catch::Contains("--retries: 'two' is not an integer >= 0"));
  CHECK_THAT(Parse({"--priority", "high", "inc", "1"}).error,
             Catch::Contains("--priority: 'high' is not an integer"));
  std::string resources = Parse({"--resources", "GPU", "inc", "1"}).error;
  CHECK_THAT(resources, Catch::Contains("--resources"));
  CHECK_THAT(resources, Catch::Contains("invalid resource 'GPU'"));
  CHECK_THAT(Parse({"--resources", "GPU=0", "inc"}).error, Catch::Contains("must be a number > 0"));
  CHECK_THAT(Parse({"--workers", "", "inc"}).error, Catch::Contains("must not be empty"));
  CHECK_THAT(Parse({"--allow-other-workers", "inc"}).error, Catch::Contains("--workers"));
  CHECK(Parse({"--retries", "0", "inc"}).error.empty());
}

TEST_CASE("I/O flags go to a local cluster's workers, and are refused with --scheduler") {
  weft::io::IoFlags io;
  auto none = weft::cli::LocalWorkerIoArgs(io, "10.0.0.5:8786");
  REQUIRE(none.ok());
  CHECK(none->empty());

  io.s3_endpoint = "http://127.0.0.1:9000";
  io.retries = 2;
  auto local = weft::cli::LocalWorkerIoArgs(io, /*scheduler=*/"");
  REQUIRE(local.ok());
  CHECK(*local ==
        std::vector<std::string>{"--s3-endpoint", "http://127.0.0.1:9000", "--io-retries", "2"});

  auto remote = weft::cli::LocalWorkerIoArgs(io, "10.0.0.5:8786");
  CHECK(remote.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(remote.status().message()),
             Catch::Contains("the workers of 10.0.0.5:8786 read as their own flags say"));
}
