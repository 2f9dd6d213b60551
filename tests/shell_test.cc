// `weft shell` as a script reads it: generated GitHub Archive shards, a real cluster, a
// script piped into `weft shell ADDRESS`, and the printed answers checked against the same
// questions asked through the C++ Bag API; errors (unknown names and methods, parse errors
// with their column, a failing task) are printed and the session goes on. Then the
// progress bars of weft::progress on futures of a real cluster.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/test_cluster.h"
#include "weft/bag.h"
#include "weft/progress.h"

namespace fs = std::filesystem;
using weft::Bag;
using weft::Value;
using weft::testing::ShellQuote;
using weft::testing::Runfile;
using weft::testing::RunCommand;
using weft::testing::TestCluster;

namespace {

// Runs `weft shell ARGS...` with `script` on its stdin.
weft::testing::CommandResult RunShell(const std::string& script, const std::string& args) {
  std::string file = (fs::temp_directory_path() / ("weft-shell-" + std::to_string(getpid()) + ".txt")).string();
  std::ofstream(file) << script;
  auto result = RunCommand({"sh", "-c", absl::StrCat(ShellQuote(Runfile("client/weft")), " shell ",
                                                     args, " < ", ShellQuote(file))},
                           120);
  fs::remove(file);
  return result;
}

int CountLinesStartingWith(const std::string& output, const std::string& prefix) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (line.substr(0, prefix.size()) == absl::string_view(prefix.data(), prefix.size())) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("a script piped into weft shell: answers, timings, errors, and the session goes on") {
  std::string dir = (fs::temp_directory_path() / ("weft-shell-data-" + std::to_string(getpid()))).string();
  auto gen = RunCommand({"python3", Runfile("bench/gen_gharchive.py"), dir, "--hours", "2",
                         "--events-per-hour", "700"});
  REQUIRE(gen.exit_code == 0);
  TestCluster cluster(2);
  auto client = cluster.Connect();

  // The answers, through the C++ API.
  Bag records = Bag::read_text(*client, dir + "/*.json.gz")->parse_json();
  auto top = records.pluck("type").frequencies().topk(3, "1").compute();
  REQUIRE(top.ok());
  REQUIRE(top->size() == 3);
  auto jupyter = records.filter("starts_with(repo.name, \"jupyter/\")").count().compute();
  REQUIRE(jupyter.ok());

  const std::string script = absl::StrCat(
      "records = read_text(\"", dir, "/*.json.gz\").parse_json()\n",
      "records = persist(records)\n",
      "records.count()\n",
      "records.pluck(\"type\").frequencies().topk(3, \"1\")\n",
      "jupyter = records.filter('starts_with(repo.name, \"jupyter/\")')  # a comment\n",
      "jupyter.count()\n",
      "bags\n",
      "recods.count()\n",
      "records.coutn()\n",
      "records.count(\n",
      "records.topk(\"x\")\n",
      "records.filter('type ==').count()\n",
      "help topk\n",
      "from_sequence([1, 2, 2, 3], npartitions=2).distinct().count()\n",
      "records.count()\n",
      "quit\n",
      "records.count()\n");
  auto run = RunShell(script, cluster.address());
  INFO(run.output);
  CHECK(run.exit_code == 1);  // some statements failed

  // Answers, each with its time; assignments print nothing.
  CHECK_THAT(run.output, Catch::StartsWith("1400   "));
  CHECK_THAT(run.output, Catch::Matches("1400 +\\(\\d+\\.\\d+ m?s\\)\n[\\s\\S]*"));
  CHECK_THAT(run.output, Catch::Contains("  type "));
  for (const Value& pair : *top) {
    // A table row: "  PushEvent      2972"
    CHECK_THAT(run.output, Catch::Matches(absl::StrCat("[\\s\\S]*\n  ", pair.as_list()[0].as_string(),
                                                       " +", pair.as_list()[1].as_int(), " *\n[\\s\\S]*")));
  }
  CHECK(CountLinesStartingWith(run.output, absl::StrCat(jupyter->as_int(), " ")) >= 1);
  CHECK_THAT(run.output, Catch::Contains("  jupyter  bag, 2 partitions\n"));
  CHECK_THAT(run.output, Catch::Contains("  records  bag, 2 partitions, persisted (2 done)\n"));

  // Errors, each on its own line, with the column where there is one.
  CHECK_THAT(run.output, Catch::Contains(
                             "error: column 1: unknown name 'recods' (defined: jupyter, records)\n"));
  CHECK_THAT(run.output, Catch::Contains("error: column 9: a bag has no method 'coutn' (methods: "));
  CHECK_THAT(run.output,
             Catch::Contains("error: column 15: expected a value, found the end of the line\n"));
  CHECK_THAT(run.output, Catch::Contains(
                             "error: column 14: argument 'k' of topk() must be an int, not a string\n"));
  CHECK_THAT(run.output, Catch::Contains("bad filter expression \"type ==\""));
  CHECK_THAT(run.output, Catch::Contains("bag.topk(k: int, key: string = \"\")"));

  // The session went on after the errors, and stopped at quit.
  CHECK(CountLinesStartingWith(run.output, "3 ") == 1);  // distinct of [1, 2, 2, 3]
  CHECK(CountLinesStartingWith(run.output, "1400 ") == 2);
  CHECK(CountLinesStartingWith(run.output, "error: ") == 5);

  fs::remove_all(dir);
}

TEST_CASE("weft shell without an address starts a local cluster; a clean script exits 0") {
  auto run = RunShell("xs = from_sequence([5, 1, 4], npartitions=3)\nxs.topk(2)\nxs.count()\n", "");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Matches("  5\\s*\n  4\\s*\n\\(\\d+\\.\\d+ m?s\\)\n3 +\\(.*\\)\n"));
}

TEST_CASE("weft::progress draws a bar per prefix and returns the first error") {
  TestCluster cluster(2);
  auto client = cluster.Connect();
  std::vector<weft::Future<int64_t>> futures;
  for (int i = 0; i < 6; ++i) {
    futures.push_back(client->submit<int64_t>("slowinc", {int64_t{i}, 0.1}));
  }
  // Redrawn in place (at least 3 rounds of 0.1 s on 2 workers: several polls), the final
  // bars last.
  std::ostringstream screen;
  weft::ProgressOptions options;
  options.mode = weft::ProgressOptions::Mode::kRedraw;
  options.delay = absl::ZeroDuration();
  REQUIRE(weft::progress(*client, futures, screen, options).ok());
  for (const auto& f : futures) CHECK(f.done());
  CHECK_THAT(screen.str(), Catch::Contains("\x1b[1A\r\x1b[2K"));
  CHECK_THAT(screen.str(), Catch::Matches(
                               "[\\s\\S]*\x1b\\[2Kslowinc \\[#{30}\\] 6/6 done \\| [0-9.]+ m?s\n"));

  // A summary at the end; an erred task is the error, and its bar says so.
  auto slow = client->submit<int64_t>("slowinc", {int64_t{100}, 0.3});
  auto bad = client->submit("raise", {"no good"});
  std::ostringstream summary;
  options.mode = weft::ProgressOptions::Mode::kSummary;
  absl::Status status = weft::progress(
      *client, std::vector<weft::Future<Value>>{slow.as<Value>(), bad}, summary, options);
  CHECK_FALSE(status.ok());
  CHECK_THAT(std::string(status.message()), Catch::Contains("no good"));
  CHECK_THAT(summary.str(), Catch::Contains("raise   [##############################] 1/1 done, 1 erred | "));
  CHECK_THAT(summary.str(), Catch::Contains("slowinc [#########################     ] 6/7 done | "));
  CHECK(summary.str().find("\x1b[") == std::string::npos);
}
