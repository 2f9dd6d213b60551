// Key/value Bags and the shuffle on a real cluster (weft-scheduler and weft-workers on
// loopback), every answer checked against tests/shuffle_answers.py (plain Python over the
// same input): the book's word count, visits per user and per day, a join, a total sort,
// events per actor over the real GitHub Archive hours, a shuffle larger than the workers'
// memory limits (spilling), a worker killed in the middle of a shuffle, and bad input.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/test_cluster.h"
#include "weft/bag.h"

namespace fs = std::filesystem;
using weft::Bag;
using weft::Value;
using weft::ValueList;
using weft::testing::PythonJson;
using weft::testing::RunCommand;
using weft::testing::Runfile;
using weft::testing::TestCluster;

namespace {

// The sections of shuffle_answers.py's output: "# name" then its lines.
std::map<std::string, std::string> Answers(std::vector<std::string> args) {
  args.insert(args.begin(), {"python3", Runfile("tests/shuffle_answers.py")});
  auto run = RunCommand(args, 600);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  std::map<std::string, std::string> sections;
  std::string* current = nullptr;
  for (absl::string_view line : absl::StrSplit(run.output, '\n')) {
    if (line.substr(0, 2) == "# ") {
      current = &sections[std::string(line.substr(2))];
    } else if (current != nullptr && !line.empty()) {
      absl::StrAppend(current, line, "\n");
    }
  }
  return sections;
}

// [key, value] pairs as the script prints them: sorted "json(key) TAB json(value)" lines.
std::string PairLines(const ValueList& pairs) {
  std::vector<std::string> lines;
  for (const Value& p : pairs) {
    REQUIRE(p.is_list());
    REQUIRE(p.as_list().size() == 2);
    lines.push_back(PythonJson(p.as_list()[0]) + "\t" + PythonJson(p.as_list()[1]));
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) absl::StrAppend(&out, l, "\n");
  return out;
}

std::string ScratchDir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / (name + "-" + std::to_string(getpid()));
  fs::create_directories(dir);
  return dir.string();
}

// The real GitHub Archive hours of one year (a glob) and the script's `mode` answers over
// them; false when the shared data is absent (the data folder's README: skip then).
bool RealHours(const std::string& year, const std::string& mode, std::string* pattern,
               std::map<std::string, std::string>* answers) {
  const char* real = std::getenv("WEFT_GHARCHIVE_DIR");
  if (real == nullptr || !fs::exists(fs::path(real) / year)) {
    WARN("WEFT_GHARCHIVE_DIR not set: skipped");
    return false;
  }
  std::vector<std::string> args = {mode};
  for (const auto& e : fs::directory_iterator(fs::path(real) / year)) args.push_back(e.path());
  std::sort(args.begin() + 1, args.end());
  *pattern = (fs::path(real) / year / "*.json.gz").string();
  *answers = Answers(args);
  return true;
}

}  // namespace

TEST_CASE("the book's word count, reduce_by_key and count_by_key") {
  TestCluster cluster(2);
  auto client = cluster.Connect();
  auto answers = Answers({"wordcount"});
  Bag lines = Bag::from_sequence(
      *client, {Value("the cat sat on the mat"), Value("the dog sat on the mat")}, 2);
  Bag words = lines.map("split(_, \" \")").flatten();
  auto counts = words.to_pairs("_", "1").reduce_by_key("sum").compute();
  REQUIRE(counts.ok());
  CHECK(PairLines(*counts) == answers["wordcount"]);
  // A registered binary function as the reduction (here the built-in add; a plugin's
  // works the same), map-side and between partials.
  auto by_function = words.to_pairs("_", "1").reduce_by_key("add").compute();
  REQUIRE(by_function.ok());
  CHECK(PairLines(*by_function) == answers["wordcount"]);
  auto by_count = words.to_pairs("_", "null").count_by_key(3).compute();
  REQUIRE(by_count.ok());
  CHECK(PairLines(*by_count) == answers["wordcount"]);
  // The same through frequencies with split_out, and distinct with split_out.
  auto freq = words.frequencies(2).compute();
  REQUIRE(freq.ok());
  CHECK(PairLines(*freq) == answers["wordcount"]);
  auto distinct = words.distinct(3).compute();
  REQUIRE(distinct.ok());
  CHECK(distinct->size() == 6);
}

TEST_CASE("visits per user and per day, a join and a total sort give Python's answers") {
  const std::string dir = ScratchDir("weft-visits");
  auto answers = Answers({"visits", dir});
  TestCluster cluster(2);
  auto client = cluster.Connect();
  auto visits = Bag::read_text(*client, dir + "/visits.json");
  REQUIRE(visits.ok());
  // Four partitions, so that the shuffle has something to move.
  Bag records = visits->parse_json().repartition(4).persist();
  REQUIRE(records.wait().ok());

  SECTION("visits per user: to_pairs + reduce_by_key") {
    auto per_user = records.to_pairs("user", "1").reduce_by_key("sum", 3).compute();
    REQUIRE(per_user.ok());
    CHECK(PairLines(*per_user) == answers["per_user"]);
  }
  SECTION("visits per user: groupby, then the size of each group") {
    auto groups = records.groupby("user", 5).map("[_[0], length(_[1])]").compute();
    REQUIRE(groups.ok());
    CHECK(PairLines(*groups) == answers["per_user"]);
  }
  SECTION("visits per user and day: a list key with date()") {
    auto per_day =
        records.to_pairs("[user, date(timestamp)]", "1").reduce_by_key("count").compute();
    REQUIRE(per_day.ok());
    CHECK(PairLines(*per_day) == answers["per_user_day"]);
    // foldby with split_out gives the same through the shuffle.
    auto users = records.foldby("user", "count", "", 4).compute();
    REQUIRE(users.ok());
    CHECK(PairLines(*users) == answers["per_user"]);
  }
  SECTION("join: every visit of a user that has a team") {
    auto teams = Bag::read_text(*client, dir + "/users.json");
    REQUIRE(teams.ok());
    Bag team_pairs = teams->parse_json().to_pairs("user", "team");
    auto joined = team_pairs.join(records.to_pairs("user", "page")).compute();
    REQUIRE(joined.ok());
    CHECK(PairLines(*joined) == answers["join"]);
  }
  SECTION("sort_by_key: totally ordered across partitions") {
    Bag sorted = records.to_pairs("timestamp", "user").sort_by_key(true, 3).persist();
    REQUIRE(sorted.wait().ok());
    CHECK(sorted.num_partitions() == 3);
    auto all = sorted.map("_[0]").compute();
    REQUIRE(all.ok());
    std::string timestamps;
    for (const Value& t : *all) absl::StrAppend(&timestamps, PythonJson(t), "\n");
    CHECK(timestamps == answers["timestamps"]);
    // Descending: the same keys, reversed.
    auto down = records.sort_by("timestamp", false, 2).map("timestamp").compute();
    REQUIRE(down.ok());
    ValueList up(all->begin(), all->end());
    std::reverse(up.begin(), up.end());
    CHECK(PythonJson(Value(*down)) == PythonJson(Value(up)));
    // Straight from the file, not persisted: the sort samples the file, then reads it again
    // after the boundaries (through parse_json and a map).
    auto direct = visits->parse_json()
                      .map("[timestamp, user]")
                      .sort_by("_[0]", true, 3)
                      .map("_[0]")
                      .compute();
    REQUIRE(direct.ok());
    CHECK(PythonJson(Value(*direct)) == PythonJson(Value(*all)));
    // sort_by(...).to_textfiles(...): each sorted partition is written by the task that
    // sorts it; the files, in partition order, hold every record in order (gzip'd here).
    auto written = records.sort_by("timestamp", true, 3).to_textfiles(dir + "/sorted-*.json.gz");
    REQUIRE(written.ok());
    auto back = Bag::read_text(*client, dir + "/sorted-*.json.gz");
    REQUIRE(back.ok());
    CHECK(back->npartitions() == 3);
    auto read = back->parse_json().map("timestamp").compute();
    REQUIRE(read.ok());
    CHECK(static_cast<int64_t>(read->size()) == *written);
    std::string read_timestamps;
    for (const Value& t : *read) absl::StrAppend(&read_timestamps, PythonJson(t), "\n");
    CHECK(read_timestamps == answers["timestamps"]);
  }
  SECTION("group_by_key, map_values, first and repartition_by_key") {
    Bag pairs = records.to_pairs("user", "1");
    auto grouped = pairs.group_by_key().map_values("length(_)").compute();
    REQUIRE(grouped.ok());
    CHECK(PairLines(*grouped) == answers["per_user"]);
    Bag moved = pairs.repartition_by_key(4).persist();
    REQUIRE(moved.wait().ok());
    auto reduced = moved.reduce_by_key("sum").compute();
    REQUIRE(reduced.ok());
    CHECK(PairLines(*reduced) == answers["per_user"]);
    auto first = records.first();
    REQUIRE(first.ok());
    CHECK(first->Find("user") != nullptr);
  }
  fs::remove_all(dir);
}

TEST_CASE("events per actor over the real GitHub Archive hours") {
  std::string pattern;
  std::map<std::string, std::string> answers;
  if (!RealHours("2015", "actors", &pattern, &answers)) return;
  TestCluster cluster(2);
  auto client = cluster.Connect();
  auto read = Bag::read_text(*client, pattern);
  REQUIRE(read.ok());
  auto actors = read->parse_json().to_pairs("actor.login", "1").reduce_by_key("sum", 4).compute();
  REQUIRE(actors.ok());
  CHECK(actors->size() > 10000);  // tens of thousands of keys
  CHECK(PairLines(*actors) == answers["actors"]);
}

TEST_CASE("a shuffle larger than the workers' memory spills and stays exact") {
  std::string pattern;
  std::map<std::string, std::string> answers;
  if (!RealHours("2016", "ids", &pattern, &answers)) return;
  // 514 MB of JSON through two workers limited to 200 MiB each, spilling above 30%.
  TestCluster cluster(2, {"--nthreads", "1", "--memory-limit", "200MiB", "--memory-target-fraction",
                          "0.3", "--memory-pause-fraction", "0"});
  auto client = cluster.Connect();
  auto read = Bag::read_text(*client, pattern);
  REQUIRE(read.ok());
  Bag sorted = read->parse_json().sort_by("int(id)", true, 10).persist();
  REQUIRE(sorted.wait().ok());
  auto info = client->info();
  REQUIRE(info.ok());
  int64_t spilled = 0;
  for (const auto& w : info->worker_details) spilled += w.spilled_bytes;
  CHECK(spilled > 0);
  auto ids = sorted.map("int(id)").compute();
  REQUIRE(ids.ok());
  std::string got;
  for (const Value& id : *ids) absl::StrAppend(&got, PythonJson(id), "\n");
  CHECK(got == answers["ids"]);
}

TEST_CASE("a worker killed in the middle of a shuffle: the answer is still exact") {
  std::string pattern;
  std::map<std::string, std::string> answers;
  if (!RealHours("2015", "actors", &pattern, &answers)) return;
  TestCluster cluster(3, {"--nthreads", "1"});
  auto client = cluster.Connect();
  auto read = Bag::read_text(*client, pattern);
  REQUIRE(read.ok());
  Bag actors = read->parse_json().to_pairs("actor.login", "1").reduce_by_key("sum", 6).persist();
  // Kill a worker once some splits are done (their buckets live on the workers), while
  // the unpacks still need them; or once an output is persisted (compressed from its
  // unpack's result), when the splits' holders have dropped that unpack's buckets: an
  // output lost with the worker is recomputed, its unpack finds its buckets gone, and the
  // splits are recomputed.
  const std::string done = GENERATE(std::string("combine-split"), std::string("compress"));
  INFO("killed once a " << done << " task is done");
  std::string last_seen;  // the tasks by prefix and state, when the wait fails
  const bool reached = weft::testing::WaitForInfo(*client, [&](const weft::ClusterInfo& info) {
    last_seen.clear();
    for (const auto& p : info.prefixes) {
      absl::StrAppend(&last_seen, p.prefix, ":");
      for (const auto& [state, n] : p.tasks_by_state)
        absl::StrAppend(&last_seen, " ", state, "=", n);
      absl::StrAppend(&last_seen, "; ");
      auto it = p.tasks_by_state.find("memory");
      if (absl::EndsWith(p.prefix, done) && it != p.tasks_by_state.end() && it->second > 0) {
        return true;
      }
    }
    return false;
  });
  INFO("tasks: " << last_seen);
  REQUIRE(reached);
  cluster.SignalWorker(0, SIGKILL);
  REQUIRE(actors.wait().ok());
  auto counts = actors.compute();
  REQUIRE(counts.ok());
  CHECK(PairLines(*counts) == answers["actors"]);
}

TEST_CASE("a worker killed in the middle of a sort of local files: the answer is exact") {
  // Six plain files of 3 MB: the sort samples ranges of each, then reads each again once
  // the boundaries are known (ordering dependencies), and a worker dies once a split is
  // done, while the unpacks still need its buckets.
  const std::string dir = ScratchDir("weft-sort-kill");
  auto answers = Answers({"records", dir, "30000", "6"});
  TestCluster cluster(3, {"--nthreads", "1"});
  auto client = cluster.Connect();
  auto read = Bag::read_text(*client, dir + "/part-*.json");
  REQUIRE(read.ok());
  Bag sorted = read->parse_json().sort_by("k", true, 6).persist();
  const bool reached = weft::testing::WaitForInfo(*client, [&](const weft::ClusterInfo& info) {
    for (const auto& p : info.prefixes) {
      auto it = p.tasks_by_state.find("memory");
      if (absl::EndsWith(p.prefix, "parse-range-split") && it != p.tasks_by_state.end() &&
          it->second > 0) {
        return true;
      }
    }
    return false;
  });
  REQUIRE(reached);
  cluster.SignalWorker(0, SIGKILL);
  REQUIRE(sorted.wait().ok());
  auto keys = sorted.map("k").compute();
  REQUIRE(keys.ok());
  std::string got;
  for (const Value& k : *keys) absl::StrAppend(&got, PythonJson(k), "\n");
  CHECK(got == answers["keys"]);
  fs::remove_all(dir);
}

TEST_CASE("bad input to the by-key operations is a clear error and the cluster goes on") {
  TestCluster cluster(2);
  auto client = cluster.Connect();
  Bag nums = Bag::from_sequence(*client, {Value(1), Value(2), Value(3)}, 2);
  SECTION("reduce_by_key on items that are not pairs") {
    auto r = nums.reduce_by_key("sum").compute();
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(std::string(r.status().message()), Catch::Contains("not a [key, value] pair"));
  }
  SECTION("an unknown reduce function") {
    auto r = nums.to_pairs("_ % 2", "_").reduce_by_key("no_such_fn").compute();
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(std::string(r.status().message()), Catch::Contains("no_such_fn"));
  }
  SECTION("a join of bags that are not pairs") {
    auto r = nums.join(nums.to_pairs("_", "_")).compute();
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(std::string(r.status().message()), Catch::Contains("pair"));
  }
  SECTION("a key expression that does not parse names the column") {
    auto r = nums.to_pairs("_ +", "1").compute();
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(std::string(r.status().message()), Catch::Contains("column"));
  }
  SECTION("a malformed line in a file that a sort reads is named by its line number") {
    const std::string dir = ScratchDir("weft-bad-sort");
    const std::string path = dir + "/bad.json";
    std::ofstream(path) << "{\"a\":3}\n{\"a\":1}\n{\"a\":2}\n{oops\n{\"a\":5}\n";
    auto read = Bag::read_text(*client, path);
    REQUIRE(read.ok());
    auto r = read->parse_json().sort_by("a", true, 2).compute();
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(std::string(r.status().message()), Catch::Contains(path + " line 4"));
    fs::remove_all(dir);
  }
  // And the cluster still answers.
  auto ok = nums.to_pairs("_ % 2", "_").reduce_by_key("sum").compute();
  REQUIRE(ok.ok());
  CHECK(PairLines(*ok) == "0\t2\n1\t4\n");
}
