// The Bag on a real cluster: shards served by a real S3-compatible server (s3rver) on
// loopback, read by real workers through s3://, and every answer checked against
// tests/gharchive_answers.py (Python's json and gzip over the same files). Then the bad
// inputs of the issue: corrupt gzip, a malformed line, an empty file, a missing bucket or
// key, the 211 KB line — each a clear error (or the right answer) and nothing else lost.
#include "weft/bag.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/io/s3rver_fixture.h"
#include "common/poll.h"
#include "tests/test_cluster.h"

namespace fs = std::filesystem;
using weft::Bag;
using weft::Value;
using weft::ValueList;
using weft::testing::ReadFileBytes;
using weft::testing::RunCommand;
using weft::testing::Runfile;
using weft::testing::TestCluster;

namespace {

// The answers script prints Python's JSON; weft's values are rendered the same way.
std::string Json(const Value& v) { return weft::testing::PythonJson(v); }

// The value of "name": ... in the answers line (the script prints with ", " and ": ").
std::string Field(const std::string& answers, const std::string& name) {
  std::string tag = "\"" + name + "\": ";
  size_t start = answers.find(tag);
  REQUIRE(start != std::string::npos);
  start += tag.size();
  int depth = 0;
  bool in_string = false;
  for (size_t i = start; i < answers.size(); ++i) {
    char c = answers[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{')
      ++depth;
    else if (c == ']' || c == '}')
      --depth;
    if (depth < 0 || (depth == 0 && c == ',')) return answers.substr(start, i - start);
  }
  return answers.substr(start);
}

struct Fixture {
  weft::io::testing::S3rver s3;
  std::string dir;
  std::vector<std::string> local_files;  // what was uploaded to s3://gharchive/2015/
  std::unique_ptr<TestCluster> cluster;
  std::unique_ptr<weft::Client> client;

  Fixture() {
    REQUIRE(weft::io::testing::S3rver::Installed());
    auto endpoint = s3.Start();
    REQUIRE(endpoint.ok());
    // The workers inherit these: they are who talks to S3.
    setenv("AWS_ENDPOINT_URL", endpoint->c_str(), 1);
    setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    REQUIRE(s3.CreateBucket("gharchive").ok());

    dir = (fs::temp_directory_path() / ("weft-bag-" + std::to_string(getpid()))).string();
    fs::create_directories(dir);
    const char* real = std::getenv("WEFT_GHARCHIVE_DIR");
    if (real != nullptr && fs::exists(fs::path(real) / "2015")) {
      for (const auto& e : fs::directory_iterator(fs::path(real) / "2015")) {
        local_files.push_back(e.path().string());
      }
    } else {
      WARN("WEFT_GHARCHIVE_DIR not set: using generated shards");
      auto gen = RunCommand({"python3", Runfile("bench/gen_gharchive.py"), dir + "/gen", "--hours",
                             "3", "--events-per-hour", "3000"});
      REQUIRE(gen.exit_code == 0);
      for (const auto& e : fs::directory_iterator(dir + "/gen")) {
        local_files.push_back(e.path().string());
      }
    }
    std::sort(local_files.begin(), local_files.end());
    for (const auto& f : local_files) {
      REQUIRE(s3.PutObject("gharchive", "2015/" + fs::path(f).filename().string(), ReadFileBytes(f))
                  .ok());
    }
    cluster = std::make_unique<TestCluster>(2);
    client = cluster->Connect();
  }

  ~Fixture() { fs::remove_all(dir); }
};

}  // namespace

TEST_CASE("the GitHub Archive session through s3:// gives Python's answers") {
  Fixture fx;
  std::vector<std::string> argv = {"python3", Runfile("tests/gharchive_answers.py"), "jupyter/"};
  argv.insert(argv.end(), fx.local_files.begin(), fx.local_files.end());
  auto answers = RunCommand(argv, 300);
  REQUIRE(answers.exit_code == 0);
  const std::string& a = answers.output;

  auto read = Bag::read_text(*fx.client, "s3://gharchive/2015/*.json.gz");
  REQUIRE(read.ok());
  CHECK(read->npartitions() == static_cast<int>(fx.local_files.size()));
  Bag records = read->parse_json().persist();
  REQUIRE(records.wait().ok());

  auto count = records.count().compute();
  REQUIRE(count.ok());
  CHECK(Json(*count) == Field(a, "count"));

  auto first = records.take(1);
  REQUIRE(first.ok());
  REQUIRE(first->size() == 1);
  REQUIRE((*first)[0].Find("id") != nullptr);
  CHECK(Json(*(*first)[0].Find("id")) == Field(a, "first_id"));

  // count() and take(1) of a persisted bag are answered by the workers holding it (views
  // of their partitions), with no task: a task submitted after them finishes, and the
  // dashboard's stream of finished tasks shows it but no count (reduce-local, sum) or take.
  auto info = fx.client->info();
  REQUIRE(info.ok());
  REQUIRE(!info->dashboard_address.empty());
  // The dashboard's task stream (finished tasks, with their prefixes) once it shows one of
  // `prefix`: its snapshot is published every tick, so ask until it does (or 10 s passed).
  // Empty when it never did.
  auto task_stream_with = [&](const std::string& prefix) {
    std::string body;
    const bool seen = weft::PollUntil(
        [&] {
          body = weft::testing::HttpGet(info->dashboard_address, "/api/tasks/stream").body;
          return absl::StrContains(body, "\"prefix\":\"" + prefix + "\"");
        },
        absl::Now() + absl::Seconds(10), absl::Milliseconds(50));
    INFO(info->dashboard_address << ": " << body);
    return seen ? body : std::string();
  };
  auto marker = fx.client->submit<int64_t>("inc", {int64_t{41}});
  REQUIRE(marker.result() == 42);
  const std::string stream_body = task_stream_with("inc");
  REQUIRE(!stream_body.empty());
  INFO(stream_body);
  CHECK(!absl::StrContains(stream_body, "\"prefix\":\"take\""));
  CHECK(!absl::StrContains(stream_body, "\"prefix\":\"reduce-local\""));
  CHECK(!absl::StrContains(stream_body, "\"prefix\":\"sum\""));

  auto types = records.pluck("type").frequencies().compute();
  REQUIRE(types.ok());
  CHECK(Json(Value(*types)) == Field(a, "types"));
  // Asked again: the same answer (served from the workers' column cache).
  CHECK(Json(Value(*records.pluck("type").frequencies().compute())) == Field(a, "types"));
  // Both reduced where the persisted partitions are held: bag.reduce_local tasks (one per
  // worker thread), as the dashboard's task stream of finished tasks shows.
  CHECK(!task_stream_with("reduce-local").empty());

  auto pushes = records.filter("type == \"PushEvent\"").count().compute();
  REQUIRE(pushes.ok());
  CHECK(Json(*pushes) == Field(a, "pushes"));

  Bag subset = records.filter("starts_with(repo.name, \"jupyter/\")").repartition(10).persist();
  REQUIRE(subset.wait().ok());
  CHECK(subset.npartitions() == 10);
  auto repos = subset.pluck("repo.name").distinct().compute();
  REQUIRE(repos.ok());
  // First appearances first, across partitions held by either worker: the partials of the
  // local reductions merged once, in partition order.
  CHECK(Json(Value(*repos)) == Field(a, "subset_repos_in_order"));
  CHECK(!task_stream_with("merge-ordered").empty());
  ValueList sorted_repos = *repos;
  std::sort(sorted_repos.begin(), sorted_repos.end(),
            [](const Value& x, const Value& y) { return x.as_string() < y.as_string(); });
  CHECK(Json(Value(sorted_repos)) == Field(a, "subset_repos"));

  auto top = subset.pluck("actor.login").frequencies().topk(10, "1").compute();
  REQUIRE(top.ok());
  CHECK(Json(Value(*top)) == Field(a, "subset_top_actors"));

  // The same pipeline streamed, without persisting: same answers.
  auto streamed = read->parse_json().filter("type == \"PushEvent\"").count().compute();
  REQUIRE(streamed.ok());
  CHECK(Json(*streamed) == Field(a, "pushes"));

  // Persisted as raw text instead of zstd blocks: the same answers.
  Bag raw = read->parse_json().persist(Bag::Compression::kNone);
  REQUIRE(raw.wait().ok());
  CHECK(Json(*raw.count().compute()) == Field(a, "count"));
  CHECK(Json(Value(*raw.pluck("type").frequencies().compute())) == Field(a, "types"));
  CHECK(Json(*raw.filter("type == \"PushEvent\"").count().compute()) == Field(a, "pushes"));
  // Counted and taken at once after persist(), before the partitions are held: the holders
  // cannot answer yet, so tasks do, with the same answers.
  Bag fresh = read->parse_json(/*skip_malformed=*/true).persist();  // new keys
  CHECK(Json(*fresh.count().compute()) == Field(a, "count"));
  Bag fresh_again = read->parse_json().persist(Bag::Compression::kNone);
  auto fresh_first = fresh_again.take(1);
  REQUIRE(fresh_first.ok());
  REQUIRE(fresh_first->size() == 1);
  CHECK(Json(*(*fresh_first)[0].Find("id")) == Field(a, "first_id"));
  // Records taken whole from the compressed and the raw partitions are the same records.
  CHECK(Value(*raw.take(50)) == Value(*records.take(50)));
  CHECK(!Bag::ParseCompression("lz4").ok());
}

TEST_CASE("bad inputs give clear errors and lose nothing else") {
  Fixture fx;
  std::string good = ReadFileBytes(fx.local_files[0]);
  REQUIRE(
      fx.s3.PutObject("gharchive", "bad/truncated.json.gz", good.substr(0, good.size() / 2)).ok());
  std::string flipped = good;
  for (size_t i = 1000; i < 1100; ++i) flipped[i] = static_cast<char>(~flipped[i]);
  REQUIRE(fx.s3.PutObject("gharchive", "bad/corrupt.json.gz", flipped).ok());
  REQUIRE(
      fx.s3
          .PutObject("gharchive", "bad/malformed.json",
                     "{\"type\": \"A\"}\n{\"type\": \"B\"}\n{\"type\": oops}\n{\"type\": \"C\"}\n")
          .ok());
  REQUIRE(fx.s3.PutObject("gharchive", "bad/empty.json", "").ok());

  Bag records = Bag::read_text(*fx.client, "s3://gharchive/2015/*.json.gz")->parse_json().persist();
  REQUIRE(records.wait().ok());
  auto before = records.count().compute();
  REQUIRE(before.ok());

  auto expect_error = [&](const std::string& url, const std::vector<std::string>& words) {
    INFO(url);
    auto bag = Bag::read_text(*fx.client, url);
    absl::Status status = bag.ok() ? bag->parse_json().count().compute().status() : bag.status();
    REQUIRE_FALSE(status.ok());
    for (const auto& w : words) CHECK_THAT(std::string(status.message()), Catch::Contains(w));
  };
  expect_error("s3://gharchive/bad/truncated.json.gz", {"truncated.json.gz"});
  expect_error("s3://gharchive/bad/corrupt.json.gz", {"corrupt.json.gz"});
  expect_error("s3://gharchive/bad/malformed.json", {"malformed.json", "line 3"});
  expect_error("s3://gharchive/bad/missing.json", {"bad/missing.json"});
  expect_error("s3://no-such-bucket/2015/*.json.gz", {"no-such-bucket"});

  // Skipping malformed lines keeps the good ones; an empty file is an empty partition.
  auto skipped = Bag::read_text(*fx.client, "s3://gharchive/bad/malformed.json")
                     ->parse_json(/*skip_malformed=*/true)
                     .count()
                     .compute();
  REQUIRE(skipped.ok());
  CHECK(*skipped == Value(3));
  auto empty =
      Bag::read_text(*fx.client, "s3://gharchive/bad/empty.json")->parse_json().count().compute();
  REQUIRE(empty.ok());
  CHECK(*empty == Value(0));

  // The real 211 KB line, when the shared data is here.
  if (const char* real = std::getenv("WEFT_GHARCHIVE_DIR")) {
    std::string edge = std::string(real) + "/edge/2015-01-01-2-excerpt.json";
    if (fs::exists(edge)) {
      REQUIRE(fx.s3.PutObject("gharchive", "edge/excerpt.json", ReadFileBytes(edge)).ok());
      auto n = Bag::read_text(*fx.client, "s3://gharchive/edge/excerpt.json")
                   ->parse_json()
                   .count()
                   .compute();
      REQUIRE(n.ok());
      CHECK(*n == Value(10));
    }
  }

  // Nothing else was lost: the persisted records are all still there, the workers too.
  auto after = records.count().compute();
  REQUIRE(after.ok());
  CHECK(*after == *before);
  auto info = fx.client->info();
  REQUIRE(info.ok());
  CHECK(info->workers == 2);
}

TEST_CASE("local files, from_sequence, concat, foldby, map_partitions with a plugin, the CLI") {
  std::string dir =
      (fs::temp_directory_path() / ("weft-bag-local-" + std::to_string(getpid()))).string();
  auto gen = RunCommand({"python3", Runfile("bench/gen_gharchive.py"), dir, "--hours", "2",
                         "--events-per-hour", "500"});
  REQUIRE(gen.exit_code == 0);
  TestCluster cluster(2, {"--preload", Runfile("worker/libexample_plugin.so")});
  auto client = cluster.Connect();

  auto read = Bag::read_text(*client, dir + "/*.json.gz");
  REQUIRE(read.ok());
  REQUIRE(read->npartitions() == 2);
  Bag records = read->parse_json();

  // foldby: events per type, as frequencies counts them.
  auto by_type = records.foldby("type", "count").compute();
  auto freq = records.pluck("type").frequencies().compute();
  REQUIRE(by_type.ok());
  REQUIRE(freq.ok());
  CHECK(by_type->size() == freq->size());
  int64_t total = 0;
  for (const Value& pair : *by_type) total += pair.as_list()[1].as_int();
  CHECK(total == 1000);

  // map_partitions with a plugin function: one length per record.
  auto lengths = records.map_partitions("line_lengths").count().compute();
  REQUIRE(lengths.ok());
  CHECK(*lengths == Value(1000));

  // from_sequence and concat.
  ValueList items;
  for (int i = 0; i < 100; ++i) items.emplace_back(int64_t{i % 7});
  Bag seq = Bag::from_sequence(*client, items, 4);
  CHECK(seq.npartitions() == 4);
  auto both = Bag::concat({seq, seq}).count().compute();
  REQUIRE(both.ok());
  CHECK(*both == Value(200));
  auto distinct = seq.distinct().compute();
  REQUIRE(distinct.ok());
  CHECK(distinct->size() == 7);
  auto top = seq.topk(3).compute();
  REQUIRE(top.ok());
  CHECK(Value(*top) == Value(ValueList{6, 6, 6}));
  auto all = seq.repartition(3).compute();
  REQUIRE(all.ok());
  CHECK(Value(*all) == Value(items));

  // The same questions from the command line.
  auto cli = RunCommand({Runfile("client/weft"), "bag", dir + "/*.json.gz", "--scheduler",
                         cluster.address(), "--count"});
  CHECK(cli.exit_code == 0);
  CHECK_THAT(cli.output, Catch::StartsWith("1000\n"));
  auto cli_freq =
      RunCommand({Runfile("client/weft"), "bag", dir + "/*.json.gz", "--scheduler",
                  cluster.address(), "--pluck", "type", "--frequencies", "--format", "json"});
  CHECK(cli_freq.exit_code == 0);
  std::string expected = Json(Value(*freq));  // event types have no spaces
  expected.erase(std::remove(expected.begin(), expected.end(), ' '), expected.end());
  CHECK_THAT(cli_freq.output, Catch::StartsWith(expected + "\n"));
  auto bad = RunCommand({Runfile("client/weft"), "bag", dir + "/*.json.gz", "--scheduler",
                         cluster.address(), "--filter", "type ==", "--count"});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.output, Catch::Contains("type =="));
  fs::remove_all(dir);
}
