// A worker's --memory-limit on a real cluster (issue 9): a persist of four times the limit
// of real GitHub Archive hours gives exact answers while the worker's resident set stays
// within the README's margin of its limit; once the data is freed the worker is no longer
// paused (it was paused for ever when the memory it freed stayed with the allocator) and
// runs the next task. And when no worker can start a task, the client hears why.
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/poll.h"
#include "common/process.h"
#include "tests/test_cluster.h"
#include "weft/bag.h"
#include "weft/client.h"

namespace fs = std::filesystem;
using weft::Arg;
using weft::Bag;
using weft::Value;
using weft::testing::ReadFileBytes;
using weft::testing::RunCommand;
using weft::testing::Runfile;
using weft::testing::TestCluster;
using weft::testing::WaitForInfo;

namespace {

constexpr int64_t kMiB = 1 << 20;
// The worker's --memory-limit, and the margin the README states: its resident set stays
// under the limit plus a quarter (the pause stops new tasks at 80%; what runs then
// finishes, here two threads parsing an hour of JSON each).
constexpr int64_t kLimit = 256 * kMiB;
constexpr double kMargin = 1.25;

// Two copies of the 20 real hours of 2016 (WEFT_GHARCHIVE_DIR), as links in `dir`, or
// generated hours of the same format.
std::vector<std::string> InputFiles(const std::string& dir) {
  std::vector<std::string> originals;
  const char* real = std::getenv("WEFT_GHARCHIVE_DIR");
  if (real != nullptr && fs::exists(fs::path(real) / "2016")) {
    for (const auto& e : fs::directory_iterator(fs::path(real) / "2016")) {
      originals.push_back(e.path().string());
    }
  } else {
    WARN("WEFT_GHARCHIVE_DIR not set: using generated hours");
    const std::string generated = dir + "/generated";
    auto gen = RunCommand({"python3", Runfile("bench/gen_gharchive.py"), generated, "--hours", "20",
                           "--events-per-hour", "40000"},
                          300);
    REQUIRE(gen.exit_code == 0);
    for (const auto& e : fs::directory_iterator(generated)) originals.push_back(e.path().string());
  }
  std::vector<std::string> files;
  for (int copy = 0; copy < 2; ++copy) {
    for (const std::string& original : originals) {
      const fs::path link =
          fs::path(dir) / absl::StrCat(copy, "-", fs::path(original).filename().string());
      fs::create_symlink(original, link);
      files.push_back(link.string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Python's gzip and json over `files`: the bytes of JSON, the events, the PushEvents.
std::vector<int64_t> PythonAnswers(const std::vector<std::string>& files) {
  std::vector<std::string> argv = {"python3", "-c",
                                   "import gzip, json, sys\n"
                                   "size = events = pushes = 0\n"
                                   "for p in sys.argv[1:]:\n"
                                   "    data = gzip.open(p).read()\n"
                                   "    size += len(data)\n"
                                   "    for line in data.split(b'\\n'):\n"
                                   "        if line.strip():\n"
                                   "            events += 1\n"
                                   "            pushes += json.loads(line)['type'] == 'PushEvent'\n"
                                   "print(size, events, pushes)\n"};
  argv.insert(argv.end(), files.begin(), files.end());
  auto run = RunCommand(argv, 600);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  std::vector<int64_t> numbers;
  for (absl::string_view word :
       absl::StrSplit(run.output, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    int64_t n = 0;
    REQUIRE(absl::SimpleAtoi(word, &n));
    numbers.push_back(n);
  }
  REQUIRE(numbers.size() == 3);
  return numbers;
}

// A field of /proc/PID/status, in bytes ("VmRSS", "VmHWM": the peak resident set).
int64_t ProcStatusBytes(pid_t pid, const std::string& field) {
  const std::string status = ReadFileBytes(absl::StrCat("/proc/", pid, "/status"));
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (!absl::ConsumePrefix(&line, field + ":")) continue;
    std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    int64_t kib = 0;
    if (!parts.empty() && absl::SimpleAtoi(parts[0], &kib)) return kib * 1024;
  }
  return -1;
}

weft::WorkerInfo OnlyWorker(const weft::ClusterInfo& info) {
  REQUIRE(info.worker_details.size() == 1);
  return info.worker_details[0];
}

}  // namespace

TEST_CASE("a worker holds its memory limit through a persist four times larger, and resumes") {
  std::string made = (fs::temp_directory_path() / "weft-memory-limit-XXXXXX").string();
  REQUIRE(::mkdtemp(made.data()) != nullptr);
  const std::vector<std::string> files = InputFiles(made);
  const std::vector<int64_t> answers = PythonAnswers(files);
  const int64_t json_bytes = answers[0], events = answers[1], pushes = answers[2];
  REQUIRE(json_bytes >= 3 * kLimit);

  TestCluster cluster(1, {"--nthreads", "2", "--memory-limit", std::to_string(kLimit)});
  auto client = cluster.Connect();
  const pid_t pid = cluster.worker_pid(0);
  {
    auto read = Bag::read_text(*client, made + "/*.json.gz");
    REQUIRE(read.ok());
    // As raw text: compressed (the default), four times the limit of JSON fits in it.
    Bag records = read->parse_json().persist(Bag::Compression::kNone);
    // A generous bound: a worker stuck in its pause (as with glibc's allocator, which kept
    // the memory of the spilled values) never finishes.
    const bool persisted =
        weft::PollUntil([&] { return records.npartitions_done() == records.npartitions(); },
                        absl::Now() + absl::Minutes(10), absl::Milliseconds(100));
    INFO(cluster.Logs());
    REQUIRE(persisted);
    REQUIRE(records.wait().ok());
    auto count = records.count().compute();
    REQUIRE(count.ok());
    CHECK(count->as_int() == events);
    auto types = records.pluck("type").frequencies().compute();
    REQUIRE(types.ok());
    int64_t push_count = -1;
    for (const Value& pair : *types) {
      if (pair.as_list()[0].as_string() == "PushEvent") push_count = pair.as_list()[1].as_int();
    }
    CHECK(push_count == pushes);
    auto first = records.take(1);
    REQUIRE(first.ok());
    CHECK(first->size() == 1);

    const weft::WorkerInfo worker = OnlyWorker(*client->info());
    INFO("data store: " << worker.memory_bytes << " bytes in memory, " << worker.spilled_bytes
                        << " spilled, of " << json_bytes << " bytes of JSON");
    CHECK(worker.spilled_bytes > 0);  // it did not fit
  }                                   // the persisted bag is dropped: the worker frees it

  // Its peak resident set: within the margin of the limit.
  const int64_t peak = ProcStatusBytes(pid, "VmHWM");
  INFO("peak resident set " << peak << " bytes; limit " << kLimit);
  CHECK(peak > 0);
  CHECK(peak <= static_cast<int64_t>(kMargin * kLimit));

  // Freed, the data leaves the process too: the worker holds nothing, is not paused, and
  // what it freed went back to the system.
  weft::WorkerInfo idle;
  const bool resumed = WaitForInfo(
      *client,
      [&](const weft::ClusterInfo& info) {
        idle = OnlyWorker(info);
        return idle.keys_in_memory == 0 && idle.memory_bytes == 0 && !idle.paused &&
               idle.process_bytes > 0 && idle.process_bytes < kLimit / 2;
      },
      absl::Seconds(60));
  INFO("worker: " << idle.keys_in_memory << " keys, paused " << idle.paused << ", process "
                  << idle.process_bytes << " bytes, VmRSS " << ProcStatusBytes(pid, "VmRSS")
                  << ", stuck: " << idle.stuck << "\n"
                  << cluster.Logs());
  REQUIRE(resumed);
  CHECK(idle.stuck.empty());
  auto next = client->submit<int64_t>("inc", {Arg(Value(int64_t{41}))});
  REQUIRE(next.wait(absl::Seconds(60)).ok());
  CHECK(next.result() == 42);
  fs::remove_all(made);
}

TEST_CASE("when every worker is paused, a client hears why instead of waiting in silence") {
  // 16 MiB: below what the process needs to run at all, so the worker pauses at once.
  TestCluster cluster(0);
  cluster.AddWorker({"--memory-limit", "16MiB"});
  auto paused = cluster.Connect();
  REQUIRE(WaitForInfo(*paused, [](const weft::ClusterInfo& info) {
    return info.worker_details.size() == 1 && info.worker_details[0].paused;
  }));

  // The command line: `weft submit inc 1` waits, and says why on stderr.
  auto cli = RunCommand(
      {Runfile("client/weft"), "submit", "--scheduler", cluster.address(), "inc", "1"}, 30);
  INFO(cli.output);
  CHECK(cli.exit_code == 124);  // still waiting when `timeout` ended it
  CHECK(absl::StrContains(cli.output,
                          "weft: no worker can start tasks: the only worker is paused (memory): "
                          "w0 at "));
  CHECK(absl::StrContains(cli.output,
                          " of its 16.0 MiB limit. 1 task waits until a worker "
                          "resumes or joins"));

  // The library: ClientOptions::on_notice hears it, and again once a worker joins.
  std::mutex mu;
  std::vector<std::string> notices;
  weft::ClientOptions options;
  options.address = cluster.address();
  options.on_notice = [&](const std::string& message) {
    std::lock_guard<std::mutex> lock(mu);
    notices.push_back(message);
  };
  auto client = weft::Client::Connect(options);
  REQUIRE(client.ok());
  auto f = (*client)->submit<int64_t>("inc", {Arg(Value(int64_t{2}))});
  auto heard = [&](size_t n) {
    return weft::PollUntil(
        [&] {
          std::lock_guard<std::mutex> lock(mu);
          return notices.size() >= n;
        },
        absl::Now() + absl::Seconds(60));
  };
  REQUIRE(heard(1));
  CHECK(absl::StartsWith(notices[0], "no worker can start tasks: the only worker is paused"));
  CHECK_FALSE(f.done());

  cluster.AddWorker({"--memory-limit", "0"});  // no limit: it never pauses
  REQUIRE(f.wait(absl::Seconds(60)).ok());
  CHECK(f.result() == 3);
  REQUIRE(heard(2));
  std::lock_guard<std::mutex> lock(mu);
  CHECK(notices[1] == "tasks start again: worker w1 runs them");
}

TEST_CASE("a worker stuck in its pause is reported, and its nanny starts a fresh one") {
  TestCluster cluster(0);
  auto client = cluster.Connect();
  // 16 MiB: the process alone is over its pause threshold, holding no data: stuck.
  const char* test_tmpdir = std::getenv("TEST_TMPDIR");
  const std::string log =
      absl::StrCat(test_tmpdir != nullptr ? test_tmpdir : "/tmp", "/weft-stuck-nanny.log");
  weft::SpawnOptions spawn;
  spawn.log_path = log;
  spawn.truncate_log = true;
  auto nanny = weft::SpawnProcess({Runfile("worker/weft-worker"), cluster.address(), "--host",
                                   "127.0.0.1", "--name", "tight", "--memory-limit", "16MiB"},
                                  spawn);
  REQUIRE(nanny.ok());
  int first_pid = 0;
  REQUIRE(WaitForInfo(*client, [&](const weft::ClusterInfo& info) {
    if (info.worker_details.size() != 1 || !info.worker_details[0].paused) return false;
    first_pid = info.worker_details[0].pid;
    return true;
  }));
  // Reported after 30 s of it (weft info -v: status "stuck"), then restarted: a new process
  // under the same name.
  std::string stuck;
  const bool restarted = WaitForInfo(
      *client,
      [&](const weft::ClusterInfo& info) {
        for (const auto& w : info.worker_details) {
          if (w.pid == first_pid && !w.stuck.empty()) stuck = w.stuck;
          if (w.name == "tight" && w.pid != first_pid) return true;
        }
        return false;
      },
      absl::Seconds(120));
  const std::string nanny_log = ReadFileBytes(log);
  INFO(nanny_log);
  weft::StopProcess(*nanny, absl::Seconds(20));
  REQUIRE(restarted);
  CHECK(absl::StrContains(nanny_log, "with no task running and no data in memory"));
  CHECK(absl::StrContains(nanny_log, "restarting: its nanny starts a fresh worker"));
  CHECK(absl::StrContains(nanny_log, "asked to be restarted (exit status 75"));
  if (!stuck.empty()) CHECK(absl::StrContains(stuck, "restarting"));
}
