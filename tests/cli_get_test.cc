// `weft get GRAPH.json KEY...` and the task flags of `weft submit` / `weft map`, run as a
// user would against a real cluster: dask's add graph prints 3, a deeper graph gives the
// answer computed here, cycles, unknown functions, missing keys and malformed JSON are
// clear errors; --resources and --workers reach the scheduler (a task no worker can run
// waits in no-worker until one that can joins), and bad flag values are usage errors.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/test_cluster.h"
#include "weft/client.h"

using weft::testing::CommandResult;
using weft::testing::RunCommand;
using weft::testing::Runfile;
using weft::testing::TasksIn;
using weft::testing::TestCluster;
using weft::testing::WaitForInfo;

namespace {

// Writes `text` to a file of the test's temporary directory and returns its path.
std::string WriteGraph(const std::string& name, const std::string& text) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
  std::ofstream(path) << text;
  return path;
}

// `weft ARGS...`: its exit code, and its stdout and stderr together.
CommandResult Weft(std::vector<std::string> args) {
  args.insert(args.begin(), Runfile("client/weft"));
  return RunCommand(args, 60);
}

}  // namespace

TEST_CASE("weft get computes hand-built graphs and reports their mistakes") {
  TestCluster cluster(2);
  const std::string& address = cluster.address();

  {  // dask's add graph prints 3
    const std::string graph = WriteGraph("add.json", R"({"x": 1, "y": 2, "z": ["add", "x", "y"]})");
    auto z = Weft({"get", "--scheduler", address, graph, "z"});
    CHECK(z.exit_code == 0);
    CHECK(z.output == "3\n");
    auto several = Weft({"get", "--scheduler", address, graph, "z", "x", "y"});
    CHECK(several.exit_code == 0);
    CHECK(several.output == "3\n1\n2\n");
    auto json = Weft({"get", "--scheduler", address, "--format", "json", graph, "y", "z"});
    CHECK(json.exit_code == 0);
    CHECK(json.output == "[2,3]\n");
  }

  {  // a deeper graph gives the answer computed here
    // v0 = 3; v_i = inc(v_{i-1}) for odd i, add(v_{i-1}, v_{i/2}) for even i; then the sum
    // of them all through a list of references, an alias and a literal argument.
    constexpr int kN = 24;
    std::vector<int64_t> v(kN);
    v[0] = 3;
    std::string text = "{\"v0\": 3";
    for (int i = 1; i < kN; ++i) {
      if (i % 2 == 1) {
        v[i] = v[i - 1] + 1;
        absl::StrAppend(&text, ", \"v", i, "\": [\"inc\", \"v", i - 1, "\"]");
      } else {
        v[i] = v[i - 1] + v[i / 2];
        absl::StrAppend(&text, ", \"v", i, "\": [\"add\", \"v", i - 1, "\", \"v", i / 2, "\"]");
      }
    }
    int64_t total = 0;
    std::string all;
    for (int i = 0; i < kN; ++i) {
      total += v[i];
      absl::StrAppend(&all, i ? ", " : "", "\"v", i, "\"");
    }
    absl::StrAppend(&text, ", \"total\": [\"sum\", [", all, "]], \"last\": \"v", kN - 1,
                    "\", \"answer\": [\"add\", \"total\", 1000]}");
    const std::string graph = WriteGraph("deep.json", text);
    auto run = Weft({"get", "--scheduler", address, graph, "answer", "last"});
    INFO(text);
    CHECK(run.exit_code == 0);
    CHECK(run.output == absl::StrCat(total + 1000, "\n", v[kN - 1], "\n"));
  }

  {  // a cycle is an error naming its keys, before anything is sent
    const std::string graph = WriteGraph("cycle.json", R"({"a": ["inc", "b"], "b": ["inc", "a"]})");
    auto run = Weft({"get", "--scheduler", address, graph, "a"});
    CHECK(run.exit_code == 2);
    CHECK(run.output == "weft get: " + graph + ": the graph has a cycle: a -> b -> a\n");
  }

  {  // an unknown function is an error naming it
    const std::string graph = WriteGraph(
        "unknown.json", R"({"x": 1, "y": ["no_such_function", "x"], "z": ["inc", "y"]})");
    auto run = Weft({"get", "--scheduler", address, graph, "z"});
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.output, Catch::Contains("no function named 'no_such_function'"));
  }

  {  // a missing key and malformed JSON are usage errors
    const std::string graph = WriteGraph("small.json", R"({"x": 1, "y": 2})");
    auto missing = Weft({"get", "--scheduler", address, graph, "x", "nope"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.output ==
          "weft get: " + graph + ": key \"nope\" is not in the graph (its keys: x, y)\n");
    const std::string bad = WriteGraph("bad.json", "{\"x\": 1,\n \"y\": [1, 2}\n");
    auto malformed = Weft({"get", "--scheduler", address, bad, "x"});
    CHECK(malformed.exit_code == 2);
    CHECK(malformed.output ==
          "weft get: " + bad + ": line 2, column 12: expected ',', found '}'\n");
    auto absent = Weft({"get", "--scheduler", address, graph + ".missing", "x"});
    CHECK(absent.exit_code == 2);
    CHECK_THAT(absent.output, Catch::Contains("cannot read " + graph + ".missing"));
  }
}

TEST_CASE("weft submit and weft map take --resources and --workers") {
  TestCluster cluster(1);  // w0, without resources
  const std::string& address = cluster.address();
  auto client = cluster.Connect();

  // A repeatable flag before FUNCTION takes one value: `add 40 2` stays positional.
  auto named = Weft({"submit", "--scheduler", address, "--workers", "w0", "add", "40", "2"});
  CHECK(named.exit_code == 0);
  CHECK(named.output == "42\n");

  // A GPU task waits in no-worker until a worker with --resources GPU=1 joins, then runs.
  auto gpu = std::async(std::launch::async, [&] {
    return Weft({"submit", "--scheduler", address, "--resources", "GPU=1", "inc", "41"});
  });
  REQUIRE(WaitForInfo(*client,
                      [](const weft::ClusterInfo& i) { return TasksIn(i, "no-worker") == 1; }));
  cluster.AddWorker({"--resources", "GPU=1"});  // w1
  CommandResult ran = gpu.get();
  CHECK(ran.exit_code == 0);
  CHECK(ran.output == "42\n");

  // With a GPU worker there, it runs at once; so does a map pinned to that worker by name.
  auto now = Weft({"submit", "--scheduler", address, "--resources", "GPU=1", "inc", "1"});
  CHECK(now.exit_code == 0);
  CHECK(now.output == "2\n");
  auto map = Weft({"map", "--scheduler", address, "--workers", "w1", "--resources", "GPU=1",
                   "--retries", "1", "--priority", "3", "inc", "10", "20"});
  CHECK(map.exit_code == 0);
  CHECK(map.output == "11\n21\n");

  // A task for a worker not yet connected waits for it by name.
  auto pinned = std::async(std::launch::async, [&] {
    return Weft({"submit", "--scheduler", address, "--workers", "w2", "inc", "100"});
  });
  REQUIRE(WaitForInfo(*client,
                      [](const weft::ClusterInfo& i) { return TasksIn(i, "no-worker") == 1; }));
  cluster.AddWorker();  // w2
  CommandResult pinned_ran = pinned.get();
  CHECK(pinned_ran.exit_code == 0);
  CHECK(pinned_ran.output == "101\n");

  // --retries re-runs a failing task, then reports its error.
  auto failing = Weft({"submit", "--scheduler", address, "--retries", "2", "raise", "boom"});
  CHECK(failing.exit_code == 1);
  CHECK_THAT(failing.output, Catch::Contains("boom"));
}

TEST_CASE("bad task flag values are usage errors, found before connecting") {
  const std::string graph = WriteGraph("flags.json", R"({"x": 1})");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"submit", "--retries", "-1", "inc", "1"}, "--retries: '-1' is not an integer >= 0"},
      {{"submit", "--retries", "two", "inc", "1"}, "--retries: 'two' is not an integer >= 0"},
      {{"map", "--priority", "high", "inc", "1"}, "--priority: 'high' is not an integer"},
      {{"submit", "--resources", "GPU", "inc", "1"},
       "--resources: invalid resource 'GPU': use NAME=AMOUNT"},
      {{"map", "--resources", "GPU=1 MEM=0", "inc", "1"},
       "--resources: invalid resource 'MEM=0': the amount must be a number > 0"},
      {{"submit", "--allow-other-workers", "inc", "1"}, "--allow-other-workers requires --workers"},
      {{"get", "--retries", "x", graph, "x"}, "--retries: 'x' is not an integer >= 0"},
  };
  for (const Case& c : cases) {
    auto run = Weft(c.args);
    INFO(run.output);
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.output, Catch::Contains(c.message));
  }
}
