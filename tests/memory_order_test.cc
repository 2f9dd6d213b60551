// Memory under pipelines (issue 12): a read → parse → filter → count chain over five times
// the worker's memory limit, submitted stage by stage as a dask user submits (one call per
// stage, intermediate futures dropped once the next stage holds them), runs each file's
// chain before reading the next file, so what the worker holds at once stays under its
// limit. Answers come from Python's gzip and json over the same files.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/test_cluster.h"
#include "weft/client.h"

namespace fs = std::filesystem;
using weft::Arg;
using weft::Future;
using weft::Value;
using weft::testing::RunCommand;
using weft::testing::Runfile;
using weft::testing::TestCluster;
using weft::testing::WaitForInfo;

namespace {

// 40 hours: the 20 real hours of 2016 (WEFT_GHARCHIVE_DIR) twice over, as links, or
// generated hours of the same format. Forty, so that a fifth of them (the limit below) is
// eight partitions: more than the few a worker holds at once however short its tasks
// (root-task queuing keeps ~100 ms of known-short roots in flight).
std::vector<std::string> InputFiles() {
  const std::string dir = (fs::temp_directory_path() / "weft-memory-order").string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<std::string> files;
  const char* real = std::getenv("WEFT_GHARCHIVE_DIR");
  if (real != nullptr && fs::exists(fs::path(real) / "2016")) {
    for (const auto& e : fs::directory_iterator(fs::path(real) / "2016")) {
      for (const char* copy : {"a-", "b-"}) {
        const std::string link = dir + "/" + copy + e.path().filename().string();
        fs::create_symlink(e.path(), link);
        files.push_back(link);
      }
    }
  } else {
    WARN("WEFT_GHARCHIVE_DIR not set: using generated shards");
    auto gen = RunCommand({"python3", Runfile("bench/gen_gharchive.py"), dir, "--hours", "40",
                           "--events-per-hour", "5000"});
    REQUIRE(gen.exit_code == 0);
    for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

int64_t PythonNumber(std::vector<std::string> argv) {
  auto run = RunCommand(std::move(argv), 300);
  REQUIRE(run.exit_code == 0);
  int64_t n = 0;
  REQUIRE(absl::SimpleAtoi(run.output.substr(0, run.output.find_first_of("\n")), &n));
  return n;
}

}  // namespace

TEST_CASE("a chain over 5x the memory limit, submitted stage by stage, holds under the limit") {
  const std::vector<std::string> files = InputFiles();
  std::vector<std::string> sizes = {
      "python3", "-c",
      "import gzip, sys; print(sum(len(gzip.open(p).read()) for p in sys.argv[1:]))"};
  sizes.insert(sizes.end(), files.begin(), files.end());
  const int64_t json_bytes = PythonNumber(sizes);
  std::vector<std::string> pushes = {
      "python3", "-c",
      "import gzip, json, sys; print(sum(json.loads(l)['type'] == 'PushEvent' "
      "for p in sys.argv[1:] for l in gzip.open(p, 'rt', encoding='utf-8') if l.strip()))"};
  pushes.insert(pushes.end(), files.begin(), files.end());
  const int64_t expected = PythonNumber(pushes);

  // The limit is a fifth of the data. The worker never pauses here (its process memory
  // is not what this test is about): only the order of the tasks and root-task queuing
  // keep the held bytes down — a file's parse, filter and count run before more files are
  // read (on the 2016 hours: 80-90 MB held at most, about three partitions, of a 206 MB
  // limit; on the generated ones 13 MB of 29 MB);
  // were every file read first, the store would hold (and spill) all of them.
  const int64_t limit = json_bytes / 5;
  TestCluster cluster(1, {"--nthreads", "1", "--memory-limit", std::to_string(limit),
                          "--memory-pause-fraction", "0"});
  auto client = cluster.Connect();

  std::vector<Future<Value>> reads;
  for (const std::string& f : files) {
    reads.push_back(client->submit<Value>("bag.read_text", {Arg(Value(f)), Arg(Value("infer"))}));
  }
  // A later graph, as when a user looks at the first result before going on.
  REQUIRE(reads[0].wait(absl::Seconds(120)).ok());
  std::vector<Future<Value>> parsed;
  for (size_t i = 0; i < files.size(); ++i) {
    parsed.push_back(client->submit<Value>(
        "bag.parse_json", {Arg(reads[i]), Arg(Value(files[i])), Arg(Value("raise"))}));
  }
  reads.clear();
  std::vector<Future<Value>> pushes_only;
  for (const auto& p : parsed) {
    pushes_only.push_back(
        client->submit<Value>("bag.filter", {Arg(p), Arg(Value("type == \"PushEvent\""))}));
  }
  parsed.clear();
  std::vector<Arg> counts;
  for (const auto& p : pushes_only)
    counts.push_back(Arg(client->submit<int64_t>("bag.count", {Arg(p)})));
  pushes_only.clear();
  auto total = client->submit<int64_t>("sum", {Arg(counts)});
  counts.clear();
  REQUIRE(total.wait(absl::Seconds(300)).ok());
  CHECK(total.result() == expected);

  // The worker's peak, from a heartbeat sent once the chain's values were freed.
  weft::WorkerInfo worker;
  REQUIRE(WaitForInfo(*client, [&](const weft::ClusterInfo& info) {
    if (info.worker_details.size() != 1) return false;
    worker = info.worker_details[0];
    return worker.peak_held_bytes > 0 && worker.memory_bytes < (1 << 20);
  }));
  INFO("held at most " << worker.peak_held_bytes << " bytes of " << json_bytes
                       << " bytes of JSON, limit " << limit);
  CHECK(worker.peak_held_bytes < limit);  // memory and spilled together
}
