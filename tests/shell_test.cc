// `weft shell` as a script reads it: generated GitHub Archive shards, a real cluster, a
// script piped into `weft shell ADDRESS`, and the printed answers checked against the same
// questions asked through the C++ Bag API; errors (unknown names and methods, parse errors
// with their column, a failing task) are printed and the session goes on. Then the
// progress bars of weft::progress on futures of a real cluster.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/poll.h"
#include "tests/test_cluster.h"
#include "weft/bag.h"
#include "weft/progress.h"

namespace fs = std::filesystem;
using weft::Bag;
using weft::Value;
using weft::ValueList;
using weft::testing::PythonJson;
using weft::testing::ReadFileBytes;
using weft::testing::RunCommand;
using weft::testing::Runfile;
using weft::testing::ShellQuote;
using weft::testing::TestCluster;

namespace {

// Runs `weft shell ARGS...` with `script` on its stdin.
weft::testing::CommandResult RunShell(const std::string& script, const std::string& args) {
  std::string file =
      (fs::temp_directory_path() / ("weft-shell-" + std::to_string(getpid()) + ".txt")).string();
  std::ofstream(file) << script;
  auto result = RunCommand(
      {"sh", "-c",
       absl::StrCat(ShellQuote(Runfile("client/weft")), " shell ", args, " < ", ShellQuote(file))},
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

// A fresh directory for one test's files.
std::string TempDir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / absl::StrCat("weft-", name, "-", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// `weft ARGS...`, its stdout and stderr apart (the result, and the bars and the time).
struct WeftOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
};
WeftOutput RunWeft(const std::vector<std::string>& args, const std::string& dir) {
  std::string command = ShellQuote(Runfile("client/weft"));
  for (const auto& a : args) absl::StrAppend(&command, " ", ShellQuote(a));
  const std::string out = dir + "/weft.out", err = dir + "/weft.err";
  absl::StrAppend(&command, " >", ShellQuote(out), " 2>", ShellQuote(err));
  auto run = RunCommand({"sh", "-c", command}, 120);
  return {run.exit_code, ReadFileBytes(out), ReadFileBytes(err)};
}

// `text` read by Python's json module and written back by json.dumps (", " and ": "
// separators): fails unless it is exactly one JSON document.
std::string PythonReread(const std::string& text, const std::string& dir) {
  const std::string file = dir + "/reread.json";
  std::ofstream(file) << text;
  return RunCommand({"python3", "-c",
                     "import json, sys; print(json.dumps(json.load(open(sys.argv[1], "
                     "encoding='utf-8')), ensure_ascii=False))",
                     file})
      .output;
}

// What the shell printed after the statement "marker" (a string, echoed as "\"marker\"")
// up to the next marker: the rows of its table, each split into cells, without the header
// and its rule.
std::vector<std::vector<std::string>> RowsAfter(const std::string& output,
                                                const std::string& marker) {
  std::vector<std::vector<std::string>> rows;
  bool inside = false;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, "\"")) {
      inside = absl::StartsWith(line, absl::StrCat("\"", marker, "\""));
    } else if (inside && absl::StartsWith(line, "  ")) {
      rows.push_back(std::vector<std::string>(absl::StrSplit(line, ' ', absl::SkipEmpty())));
    }
  }
  if (rows.size() >= 2 && absl::StartsWith(rows[1][0], "-"))
    rows.erase(rows.begin(), rows.begin() + 2);
  return rows;
}

// The lines the shell printed after the statement "marker", up to the next marker.
std::string TextAfter(const std::string& output, const std::string& marker) {
  std::vector<absl::string_view> lines;
  bool inside = false;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, "\"")) {
      inside = absl::StartsWith(line, absl::StrCat("\"", marker, "\""));
    } else if (inside) {
      lines.push_back(line);
    }
  }
  return absl::StrJoin(lines, "\n");
}

using Rows = std::vector<std::vector<std::string>>;

// [key, count] rows as a table prints them, in the map's order.
template <typename Map>
Rows CountRows(const Map& counts) {
  Rows rows;
  for (const auto& [key, n] : counts) rows.push_back({absl::StrCat(key), absl::StrCat(n)});
  return rows;
}

const char kSentences[] = R"(["the cat sat on the mat", "the dog sat on the mat"])";

std::map<std::string, int> WordCounts() {
  std::map<std::string, int> counts;
  for (const char* sentence : {"the cat sat on the mat", "the dog sat on the mat"}) {
    for (absl::string_view word : absl::StrSplit(sentence, ' ')) ++counts[std::string(word)];
  }
  return counts;
}

}  // namespace

TEST_CASE("a script piped into weft shell: answers, timings, errors, and the session goes on") {
  std::string dir =
      (fs::temp_directory_path() / ("weft-shell-data-" + std::to_string(getpid()))).string();
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
      "records = read_text(\"", dir, "/*.json.gz\").parse_json()\n", "records = persist(records)\n",
      "records.count()\n", "records.pluck(\"type\").frequencies().topk(3, \"1\")\n",
      "jupyter = records.filter('starts_with(repo.name, \"jupyter/\")')  # a comment\n",
      "jupyter.count()\n", "bags\n", "recods.count()\n", "records.coutn()\n", "records.count(\n",
      "records.topk(\"x\")\n", "records.filter('type ==').count()\n", "help topk\n",
      "from_sequence([1, 2, 2, 3], npartitions=2).distinct().count()\n", "records.count()\n",
      "quit\n", "records.count()\n");
  auto run = RunShell(script, cluster.address());
  INFO(run.output);
  CHECK(run.exit_code == 1);  // some statements failed

  // Answers, each with its time; assignments print nothing.
  CHECK_THAT(run.output, Catch::StartsWith("1400   "));
  CHECK_THAT(run.output, Catch::Matches("1400 +\\(\\d+\\.\\d+ m?s\\)\n[\\s\\S]*"));
  CHECK_THAT(run.output, Catch::Contains("  type "));
  for (const Value& pair : *top) {
    // A table row: "  PushEvent      2972"
    CHECK_THAT(run.output,
               Catch::Matches(absl::StrCat("[\\s\\S]*\n  ", pair.as_list()[0].as_string(), " +",
                                           pair.as_list()[1].as_int(), " *\n[\\s\\S]*")));
  }
  CHECK(CountLinesStartingWith(run.output, absl::StrCat(jupyter->as_int(), " ")) >= 1);
  CHECK_THAT(run.output, Catch::Contains("  jupyter  bag, 2 partitions\n"));
  CHECK_THAT(run.output, Catch::Contains("  records  bag, 2 partitions, persisted (2 done)\n"));

  // Errors, each on its own line, with the column where there is one.
  CHECK_THAT(
      run.output,
      Catch::Contains("error: column 1: unknown name 'recods' (defined: jupyter, records)\n"));
  CHECK_THAT(run.output,
             Catch::Contains("error: column 9: a bag has no method 'coutn' (methods: "));
  CHECK_THAT(run.output,
             Catch::Contains("error: column 15: expected a value, found the end of the line\n"));
  CHECK_THAT(
      run.output,
      Catch::Contains("error: column 14: argument 'k' of topk() must be an int, not a string\n"));
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
  CHECK_THAT(screen.str(),
             Catch::Matches("[\\s\\S]*\x1b\\[2Kslowinc \\[#{30}\\] 6/6 done \\| [0-9.]+ m?s\n"));

  // A summary at the end; an erred task is the error, and its bar says so.
  auto slow = client->submit<int64_t>("slowinc", {int64_t{100}, 0.3});
  auto bad = client->submit("raise", {"no good"});
  std::ostringstream summary;
  options.mode = weft::ProgressOptions::Mode::kSummary;
  absl::Status status = weft::progress(
      *client, std::vector<weft::Future<Value>>{slow.as<Value>(), bad}, summary, options);
  CHECK_FALSE(status.ok());
  CHECK_THAT(std::string(status.message()), Catch::Contains("no good"));
  CHECK_THAT(summary.str(),
             Catch::Contains("raise   [##############################] 1/1 done, 1 erred | "));
  CHECK_THAT(summary.str(),
             Catch::Contains("slowinc [#########################     ] 6/7 done | "));
  CHECK(summary.str().find("\x1b[") == std::string::npos);
}

TEST_CASE("weft::progress counts only the calling client's tasks, not another client's") {
  TestCluster cluster(2);
  auto other = cluster.Connect();
  auto mine = cluster.Connect();
  // The other client's work never finishes here: no worker has a GPU, so it waits in
  // no-worker, under the same prefixes as mine (and one more).
  weft::SubmitOptions gpu;
  gpu.resources = {{"GPU", 1}};
  std::vector<weft::Future<int64_t>> theirs;
  for (int i = 0; i < 5; ++i) {
    theirs.push_back(other->submit<int64_t>("inc", {int64_t{100 + i}}, gpu));
    theirs.push_back(other->submit<int64_t>("slowinc", {int64_t{i}, 0.01}, gpu));
  }
  REQUIRE(weft::PollUntil(
      [&] {
        auto info = other->info();
        return info.ok() && info->tasks_by_state["no-worker"] == 10;
      },
      absl::Now() + absl::Seconds(30)));

  std::vector<weft::Future<int64_t>> futures;
  for (int i = 0; i < 3; ++i) futures.push_back(mine->submit<int64_t>("inc", {int64_t{i}}));
  std::ostringstream summary;
  weft::ProgressOptions options;
  options.mode = weft::ProgressOptions::Mode::kSummary;
  REQUIRE(weft::progress(*mine, futures, summary, options).ok());
  INFO(summary.str());
  CHECK_THAT(summary.str(), Catch::Matches("inc \\[#{30}\\] 3/3 done \\| [0-9.]+ m?s\n"));
  // The whole cluster's view still has the other client's tasks.
  auto info = mine->info();
  REQUIRE(info.ok());
  CHECK(info->tasks_by_state["no-worker"] == 10);
}

TEST_CASE("weft shell: the word count and the visits with key/value methods") {
  const std::string dir = TempDir("shell-kv");
  // Visits of three users over two days; the answers counted here.
  const std::vector<std::pair<std::string, std::string>> visits = {
      {"alice", "2024-01-01T10:00:00Z"}, {"bob", "2024-01-01T11:30:00Z"},
      {"alice", "2024-01-02T09:00:00Z"}, {"carol", "2024-01-02T12:00:00+01:00"},
      {"alice", "2024-01-02T18:45:10Z"}, {"bob", "2024-01-03T08:00:00Z"}};
  std::map<std::string, int> by_user, by_user_day;
  {
    std::ofstream out(dir + "/visits.json");
    for (const auto& [user, timestamp] : visits) {
      out << "{\"user\": \"" << user << "\", \"timestamp\": \"" << timestamp << "\"}\n";
      ++by_user[user];
      ++by_user_day[absl::StrCat("[\"", user, "\",\"", timestamp.substr(0, 10), "\"]")];
    }
  }
  TestCluster cluster(2);

  const std::string script = absl::StrCat(
      "\"wordcount\"\n", "from_sequence(", kSentences, ", 2).map('split(_, \" \")').flatten()",
      ".to_pairs(\"_\", \"1\").reduce_by_key(\"sum\")\n", "words = from_sequence(", kSentences,
      ", 2).map('split(_, \" \")').flatten()\n", "counts = words.to_pairs(\"_\").count_by_key()\n",
      "\"sorted\"\n", "counts.sort_by_key()\n", "\"descending\"\n", "counts.sort_by_key(false)\n",
      "\"first\"\n", "counts.sort_by_key(false).first()\n", "\"partitions\"\n",
      "counts.num_partitions()\n", "counts.repartition_by_key(3).num_partitions()\n",
      "\"joined\"\n",
      "counts.join(from_sequence([[\"the\", \"article\"], [\"cat\", \"animal\"], [\"emu\", "
      "\"animal\"]])).sort_by_key()\n",
      "\"tens\"\n", "counts.map_values(\"_ * 10\").sort_by(\"_[1]\", false, npartitions=1)\n",
      "\"lengths\"\n", "words.groupby(\"length(_)\").map(\"[_[0], length(_[1])]\").sort_by_key()\n",
      "\"written\"\n", "counts.to_textfiles(\"", dir, "/wc-*.json\")\n", "visits = read_text(\"",
      dir, "/visits.json\").parse_json()\n", "\"visits\"\n",
      "visits.to_pairs(\"user\", \"1\").reduce_by_key(\"sum\")\n", "\"by day\"\n",
      "visits.to_pairs(\"[user, date(timestamp)]\", \"1\").count_by_key()\n");
  auto run = RunShell(script, cluster.address());
  INFO(run.output);
  CHECK(run.exit_code == 0);

  // Hash-partitioned: the rows in some order.
  const std::map<std::string, int> words = WordCounts();
  Rows rows = RowsAfter(run.output, "wordcount");
  std::sort(rows.begin(), rows.end());
  CHECK(rows == CountRows(words));
  CHECK_THAT(TextAfter(run.output, "wordcount"), Catch::StartsWith("  key  sum"));

  // Sorted across partitions, both ways.
  CHECK(RowsAfter(run.output, "sorted") == CountRows(words));
  Rows descending = CountRows(words);
  std::reverse(descending.begin(), descending.end());
  CHECK(RowsAfter(run.output, "descending") == descending);
  CHECK_THAT(TextAfter(run.output, "first"), Catch::StartsWith("[\"the\",4] "));
  CHECK(TextAfter(run.output, "partitions").find("2 ") == 0);
  CHECK(TextAfter(run.output, "partitions").find("\n3 ") != std::string::npos);

  CHECK(RowsAfter(run.output, "joined") ==
        Rows{{"cat", "[1,\"animal\"]"}, {"the", "[4,\"article\"]"}});
  Rows tens = RowsAfter(run.output, "tens");
  REQUIRE(tens.size() == words.size());
  CHECK(tens.front() == std::vector<std::string>{"the", "40"});
  CHECK(tens.back()[1] == "10");
  CHECK(RowsAfter(run.output, "lengths") == Rows{{"2", "2"}, {"3", "10"}});

  // to_textfiles: the count written, and the files hold the pairs.
  CHECK(TextAfter(run.output, "written").find(absl::StrCat(words.size(), " ")) == 0);
  std::vector<std::string> written;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!absl::StartsWith(entry.path().filename().string(), "wc-")) continue;
    for (absl::string_view line :
         absl::StrSplit(ReadFileBytes(entry.path().string()), '\n', absl::SkipEmpty())) {
      std::string compact(line);
      compact.erase(std::remove(compact.begin(), compact.end(), ' '), compact.end());
      written.push_back(compact);
    }
  }
  std::sort(written.begin(), written.end());
  std::vector<std::string> expected_lines;
  for (const auto& [word, n] : words) {
    expected_lines.push_back(absl::StrCat("[\"", word, "\",", n, "]"));
  }
  CHECK(written == expected_lines);

  Rows by_user_rows = RowsAfter(run.output, "visits");
  std::sort(by_user_rows.begin(), by_user_rows.end());
  CHECK(by_user_rows == CountRows(by_user));
  Rows by_day_rows = RowsAfter(run.output, "by day");
  std::sort(by_day_rows.begin(), by_day_rows.end());
  CHECK(by_day_rows == CountRows(by_user_day));
  fs::remove_all(dir);
}

TEST_CASE("weft bag --sequence: the word count as JSON, in the order of the command line") {
  const std::string dir = TempDir("bag-sequence");
  TestCluster cluster(2);
  auto run = RunWeft({"bag", "--scheduler", cluster.address(), "--sequence", kSentences,
                      "--npartitions", "2", "--map", "split(_, \" \")", "--flatten", "--pairs", "_",
                      "--reduce-by-key", "sum", "--sort-by-key", "--format", "json"},
                     dir);
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK(std::count(run.out.begin(), run.out.end(), '\n') == 1);
  CHECK(PythonReread(run.out, dir) ==
        "[[\"cat\", 1], [\"dog\", 1], [\"mat\", 2], [\"on\", 2], [\"sat\", 2], [\"the\", 4]]\n");

  // Each operation applies where it stands: split, then splice the lists of words.
  auto words = RunWeft({"bag", "--scheduler", cluster.address(), "--sequence", kSentences, "--map",
                        "split(_, \" \")", "--flatten", "--count"},
                       dir);
  CHECK(words.exit_code == 0);
  CHECK(words.out == "12\n");
  auto first = RunWeft({"bag", "--scheduler", cluster.address(), "--sequence", kSentences, "--map",
                        "split(_, \" \")", "--first"},
                       dir);
  CHECK(first.out == "[\"the\",\"cat\",\"sat\",\"on\",\"the\",\"mat\"]\n");

  // Mistakes in the chain are usage errors, found before connecting.
  auto orphan = RunWeft({"bag", "--sequence", "[1]", "--values", "_", "--count"}, dir);
  CHECK(orphan.exit_code == 2);
  CHECK(orphan.err == "weft bag: --values must follow --pairs\n");
  auto after_result = RunWeft({"bag", "--sequence", "[1]", "--count", "--flatten"}, dir);
  CHECK(after_result.exit_code == 2);
  CHECK_THAT(after_result.err, Catch::Contains("--count ends the chain"));
  auto bad_json = RunWeft({"bag", "--sequence", "[1, 2", "--count"}, dir);
  CHECK(bad_json.exit_code == 2);
  CHECK(bad_json.err ==
        "weft bag: --sequence: column 6: expected ',', found the end of the line\n");
  fs::remove_all(dir);
}

TEST_CASE("weft bag FILES --pairs --reduce-by-key count --sort-by-key: counts as JSON, sorted") {
  const std::string dir = TempDir("bag-files");
  // Three files (three partitions); user names whose byte order differs from a human's
  // ("Zed" < "alice", "u10" < "u2", UTF-8 after ASCII) and sizes whose numeric order
  // differs from their text's.
  const std::vector<std::string> users = {"alice", "Zed", "bob", "u10", "u2", "\xc3\xa9mile"};
  std::map<std::string, int> by_user;
  std::map<int64_t, int> by_size;
  int64_t large = 0, large_inner = 0;  // sizes > 50, inner.size > 50
  for (int f = 0; f < 3; ++f) {
    std::ofstream out(absl::StrCat(dir, "/events-", f, ".json"));
    for (int i = 0; i < 120; ++i) {
      const std::string& user = users[(i * 7 + f * 5 + i / 11) % users.size()];
      const int64_t size = 1 + (i * 37 + f * 11) % 9 * ((i % 4) * 40 + 2);
      const int64_t inner_size = (i * 13 + f) % 100;
      out << "{\"user\": \"" << user << "\", \"size\": " << size
          << ", \"inner\": {\"size\": " << inner_size << "}}\n";
      ++by_user[user];
      ++by_size[size];
      large += size > 50;
      large_inner += inner_size > 50;
    }
  }
  auto expected = [](const auto& counts, bool descending) {
    ValueList pairs;
    for (const auto& [key, n] : counts) pairs.push_back(Value(ValueList{Value(key), Value(n)}));
    if (descending) std::reverse(pairs.begin(), pairs.end());
    return PythonJson(Value(pairs)) + "\n";
  };
  TestCluster cluster(2);
  const std::string files = dir + "/events-*.json";

  auto run = RunWeft({"bag", files, "--scheduler", cluster.address(), "--pairs", "user",
                      "--reduce-by-key", "count", "--sort-by-key", "--format", "json"},
                     dir);
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK(PythonReread(run.out, dir) == expected(by_user, false));

  // Numbers by value, largest first, through 3 output partitions.
  auto sizes = RunWeft(
      {"bag", files, "--scheduler", cluster.address(), "--pairs", "size", "--npartitions", "3",
       "--reduce-by-key", "count", "--sort-by-key", "--descending", "--format", "json"},
      dir);
  INFO(sizes.out << sizes.err);
  CHECK(sizes.exit_code == 0);
  CHECK(PythonReread(sizes.out, dir) == expected(by_size, true));

  // The order of the command line: --pluck inner --filter filters the inner records,
  // --filter --pluck the outer ones (a fixed filter-then-pluck order would give one count).
  REQUIRE(large != large_inner);
  auto inner = RunWeft({"bag", files, "--scheduler", cluster.address(), "--pluck", "inner",
                        "--filter", "size > 50", "--count"},
                       dir);
  CHECK(inner.out == absl::StrCat(large_inner, "\n"));
  auto outer = RunWeft({"bag", files, "--scheduler", cluster.address(), "--filter", "size > 50",
                        "--pluck", "inner", "--count"},
                       dir);
  CHECK(outer.out == absl::StrCat(large, "\n"));
  fs::remove_all(dir);
}

TEST_CASE("weft shell: chunked arrays — dask.array's first programs, slices, shape errors") {
  TestCluster cluster(2);
  // π at 10^7 samples (10 chunks) keeps the test quick: |π̂ - π| < 1e-2 there.
  const std::string script =
      "x = arange(15, chunks=5)\n"
      "\"sum\"\n"
      "(x + 100).sum()\n"
      "\"shape\"\n"
      "x.shape\n"
      "\"dtype\"\n"
      "x.dtype\n"
      "\"chunks\"\n"
      "x.chunks\n"
      "\"slice\"\n"
      "arange(10, chunks=3)[::-2].compute()\n"
      "\"matrix\"\n"
      "from_array([[1, 2.5], [3, 4]], chunks=1).T\n"
      "\"broadcast\"\n"
      "ones((3,4), chunks=2) + ones((3,), chunks=3)\n"
      "\"after\"\n"
      "(ones((3, 4), chunks=2) * 2).sum(axis=0)\n"
      "n = 10000000\n"
      "x = random.uniform(-1, 1, size=n, chunks=1000000, seed=1)\n"
      "y = random.uniform(-1, 1, size=n, chunks=1000000, seed=2)\n"
      "\"pi\"\n"
      "4 * ((x**2 + y**2) < 1).sum() / n\n"
      "\"big\"\n"
      "x + 1\n"
      "\"numbers\"\n"
      "-2**2 + 7 // 2 + 7 / 2\n";
  auto run = RunShell(script, cluster.address());
  INFO(run.output);
  CHECK(run.exit_code == 1);  // the broadcasting error

  CHECK_THAT(TextAfter(run.output, "sum"), Catch::Matches("1605 +\\(\\d+\\.\\d+ m?s\\)"));
  CHECK_THAT(TextAfter(run.output, "shape"), Catch::StartsWith("(15,) "));
  CHECK_THAT(TextAfter(run.output, "dtype"), Catch::StartsWith("int64 "));
  CHECK_THAT(TextAfter(run.output, "chunks"), Catch::StartsWith("((5, 5, 5),) "));
  CHECK_THAT(TextAfter(run.output, "slice"), Catch::StartsWith("[9 7 5 3 1] "));
  CHECK_THAT(TextAfter(run.output, "matrix"), Catch::StartsWith("[[1.  3. ]\n [2.5 4. ]]\n"));

  // A build-time error naming the operation and both shapes, at the operator's column;
  // the session goes on.
  const std::string broadcast = TextAfter(run.output, "broadcast");
  CHECK_THAT(broadcast, Catch::StartsWith("error: column 23: "));
  CHECK_THAT(broadcast, Catch::Contains("(3, 4)"));
  CHECK_THAT(broadcast, Catch::Contains("(3,)"));
  CHECK(CountLinesStartingWith(run.output, "error: ") == 1);
  CHECK_THAT(TextAfter(run.output, "after"), Catch::StartsWith("[6. 6. 6. 6.] "));

  const std::string pi = TextAfter(run.output, "pi");
  double estimate = 0;
  REQUIRE(absl::SimpleAtod(pi.substr(0, pi.find(' ')), &estimate));
  CHECK(std::abs(estimate - 3.14159) < 1e-2);
  // Not computed: 10^7 elements print their summary.
  CHECK_THAT(TextAfter(run.output, "big"), Catch::StartsWith("weft.Array<"));
  CHECK_THAT(TextAfter(run.output, "big"), Catch::Contains("use .compute()"));
  CHECK_THAT(TextAfter(run.output, "numbers"), Catch::StartsWith("2.5 "));  // -4 + 3 + 3.5
}
