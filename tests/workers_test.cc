// The workers themselves, through a real scheduler and real workers: plugins shipped with
// upload_file (and `weft upload`), functions run on every worker with run (and `weft
// run`), done callbacks, connecting with a scheduler file, and a restart refused without
// nannies.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/poll.h"
#include "common/process.h"
#include "common/scheduler_file.h"
#include "tests/test_cluster.h"

namespace weft {
namespace {

using testing::RunCommand;
using testing::Runfile;
using testing::TestCluster;

// A fresh directory under the test's temporary directory.
std::string TempDir(const std::string& name) {
  const char* root = std::getenv("TEST_TMPDIR");
  std::filesystem::path dir = std::filesystem::path(root != nullptr ? root : "/tmp") / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

void CopyOver(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

std::set<int64_t> Values(const std::map<std::string, Value>& results) {
  std::set<int64_t> out;
  for (const auto& [address, value] : results) out.insert(value.as_int());
  return out;
}

TEST_CASE("upload_file ships a plugin to every worker, to late joiners, and replaces an old one") {
  TestCluster cluster(2);
  auto client = cluster.Connect();

  auto missing = client->submit<int64_t>("plugin_version", {}, "before-upload").get();
  REQUIRE_FALSE(missing.ok());
  CHECK(absl::StrContains(missing.status().message(), "no function named 'plugin_version'"));

  const std::string path = TempDir("upload") + "/libversion.so";
  CopyOver(Runfile("worker/libversion_v1.so"), path);
  const absl::Time start = absl::Now();
  absl::Status uploaded = client->upload_file(path);
  INFO(cluster.Logs());
  REQUIRE(uploaded.ok());
  WARN("upload_file to 2 workers took " << absl::FormatDuration(absl::Now() - start));
  auto v1 = client->run("plugin_version");
  REQUIRE(v1.ok());
  CHECK(v1->size() == 2);
  CHECK(Values(*v1) == std::set<int64_t>{1});
  CHECK(client->submit<int64_t>("plugin_version", {}, "after-upload").result() == 1);

  // A new version under the same file name replaces the old one's function.
  CopyOver(Runfile("worker/libversion_v2.so"), path);
  REQUIRE(client->upload_file(path).ok());
  auto v2 = client->run("plugin_version");
  REQUIRE(v2.ok());
  CHECK(Values(*v2) == std::set<int64_t>{2});
  CHECK(client->submit<int64_t>("plugin_version", {}, "after-second-upload").result() == 2);

  // A worker that joins later gets the newest version before its first task.
  const int late_worker = cluster.AddWorker();  // named w<index> by TestCluster
  REQUIRE(cluster.WaitForWorkers(3));
  auto late = client->run("plugin_version", {}, {"w" + std::to_string(late_worker)});
  REQUIRE(late.ok());
  REQUIRE(late->size() == 1);
  CHECK(Values(*late) == std::set<int64_t>{2});
}

TEST_CASE("a library that does not load is an error naming every worker; the cluster works on") {
  TestCluster cluster(2);
  auto client = cluster.Connect();
  const std::string path = TempDir("broken") + "/libbroken.so";
  std::ofstream(path) << "this is not a shared library\n";
  absl::Status status = client->upload_file(path);
  REQUIRE_FALSE(status.ok());
  const std::string message(status.message());
  INFO(message);
  CHECK(absl::StrContains(message, "failed on 2 of 2 workers"));
  CHECK(absl::StrContains(message, "libbroken.so"));
  auto info = client->info();
  REQUIRE(info.ok());
  for (const WorkerInfo& w : info->worker_details) CHECK(absl::StrContains(message, w.name));
  CHECK(client->submit<int64_t>("inc", {1}).result() == 2);

  absl::Status absent = client->upload_file(TempDir("absent") + "/libnothere.so");
  REQUIRE_FALSE(absent.ok());
  CHECK(absl::StrContains(absent.message(), "libnothere.so"));
}

TEST_CASE("run calls a function once on every worker, or on the ones named") {
  TestCluster cluster(2);
  auto client = cluster.Connect();
  auto pids = client->run("getpid");
  REQUIRE(pids.ok());
  CHECK(Values(*pids) == std::set<int64_t>{cluster.worker_pid(0), cluster.worker_pid(1)});

  auto info = client->info();
  REQUIRE(info.ok());
  const WorkerInfo& first = info->worker_details.at(0);
  auto one = client->run("getpid", {}, {first.name});
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  CHECK(one->begin()->first == first.address);

  auto nobody = client->run("getpid", {}, {"nobody"});
  REQUIRE_FALSE(nobody.ok());
  CHECK(absl::StrContains(nobody.status().message(), "no connected worker is named nobody"));

  auto thrown = client->run("raise", {Value("boom")});
  REQUIRE_FALSE(thrown.ok());
  CHECK(absl::StrContains(thrown.status().message(), "failed on 2 of 2 workers"));
  CHECK(absl::StrContains(thrown.status().message(), "boom"));

  auto args = client->run("add", {Value(int64_t{40}), Value(int64_t{2})});
  REQUIRE(args.ok());
  CHECK(Values(*args) == std::set<int64_t>{42});
}

TEST_CASE("weft upload and weft run from the command line") {
  TestCluster cluster(2);
  const std::string path = TempDir("cli-upload") + "/libversion.so";
  CopyOver(Runfile("worker/libversion_v1.so"), path);
  auto upload =
      RunCommand({Runfile("client/weft"), "upload", "--scheduler", cluster.address(), path});
  INFO(upload.output);
  REQUIRE(upload.exit_code == 0);
  CHECK(absl::StrContains(upload.output, "uploaded " + path + " to 2 workers"));

  auto run = RunCommand(
      {Runfile("client/weft"), "run", "--scheduler", cluster.address(), "plugin_version"});
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  auto client = cluster.Connect();
  auto info = client->info();
  REQUIRE(info.ok());
  for (const WorkerInfo& w : info->worker_details) {
    CHECK(absl::StrContains(run.output, w.address + ": 1"));
  }

  auto bad = RunCommand(
      {Runfile("client/weft"), "run", "--scheduler", cluster.address(), "raise", "no luck"});
  CHECK(bad.exit_code == 1);
  CHECK(absl::StrContains(bad.output, "no luck"));
}

TEST_CASE("add_done_callback runs when the future is done, and at once when it already is") {
  TestCluster cluster(1);
  auto client = cluster.Connect();
  auto f = client->submit<int64_t>("slowinc", {1, 0.2});
  absl::Notification done;
  std::atomic<int64_t> got{0};
  f.add_done_callback([&](const Future<int64_t>& g) {
    got = g.result();  // callbacks may use the client
    done.Notify();
  });
  REQUIRE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  CHECK(got == 2);

  absl::Notification again;
  f.add_done_callback([&](const Future<int64_t>&) { again.Notify(); });
  CHECK(again.WaitForNotificationWithTimeout(absl::Seconds(10)));

  auto bad = client->submit("raise", {Value("callback sees the error")});
  absl::Notification erred;
  std::atomic<bool> was_error{false};
  bad.add_done_callback([&](const Future<Value>& g) {
    was_error = g.status() == FutureStatus::kError;
    erred.Notify();
  });
  REQUIRE(erred.WaitForNotificationWithTimeout(absl::Seconds(30)));
  CHECK(was_error);
}

TEST_CASE("retire_workers moves a worker's results to the others, then closes it") {
  TestCluster cluster(3);
  auto client = cluster.Connect();
  std::vector<Arg> sizes;
  for (int i = 0; i < 12; ++i) sizes.emplace_back(Value(int64_t{100000 + i}));
  SubmitOptions on_w0;  // every result on the worker that retires
  on_w0.workers = {"w0"};
  auto futures = client->map("make_bytes", sizes, on_w0);
  REQUIRE(client->wait(futures).ok());
  auto info = client->info();
  REQUIRE(info.ok());
  std::string leaving_address;
  for (const WorkerInfo& w : info->worker_details) {
    if (w.name == "w0") leaving_address = w.address;
  }
  int held_there = 0;
  for (const auto& [key, holders] : client->who_has(futures)) {
    for (const std::string& h : holders) held_there += h == leaving_address;
  }
  REQUIRE(held_there == 12);

  absl::Status retired = client->retire_workers({"w0"});
  INFO(cluster.Logs());
  REQUIRE(retired.ok());
  info = client->info();
  REQUIRE(info.ok());
  CHECK(info->workers == 2);
  for (const WorkerInfo& w : info->worker_details) CHECK(w.name != "w0");
  // Nothing was recomputed or lost: every future finished, every value intact.
  auto values = client->gather(futures);
  REQUIRE(values.ok());
  for (int i = 0; i < 12; ++i) {
    REQUIRE(values->at(i).is_bytes());
    CHECK(values->at(i).as_bytes().size() == static_cast<size_t>(100000 + i));
  }
  CHECK(testing::TasksIn(*info, "processing") == 0);

  auto all = client->retire_workers({"w1", "w2"});
  REQUIRE_FALSE(all.ok());
  CHECK(absl::StrContains(all.message(), "keep at least one"));
}

TEST_CASE("a client connects with a scheduler file; restart needs nannies") {
  TestCluster cluster(1);
  const std::string file = TempDir("scheduler-file") + "/scheduler.json";
  REQUIRE(WriteSchedulerFile(file, cluster.address()).ok());
  ClientOptions options;
  options.scheduler_file = file;
  auto client = Client::Connect(options);
  REQUIRE(client.ok());
  CHECK((*client)->scheduler_address() == cluster.address());
  auto kept = (*client)->submit<int64_t>("inc", {41});
  REQUIRE(kept.result() == 42);

  absl::Status restart = (*client)->restart(absl::Seconds(10));
  REQUIRE_FALSE(restart.ok());
  CHECK(absl::StrContains(restart.message(), "nanny"));
  CHECK(kept.status() == FutureStatus::kFinished);  // refused: nothing was cancelled
  CHECK(kept.result() == 42);
}

TEST_CASE("weft submit --preload: one path per flag; a worker that cannot start says why") {
  auto ok = RunCommand({Runfile("client/weft"), "submit", "--preload",
                        Runfile("worker/libexample_plugin.so"), "square", "4"});
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK(absl::StrContains(ok.output, "16"));

  const std::string bad = TempDir("bad-preload") + "/libbad.so";
  std::ofstream(bad) << "not a library\n";
  auto refused = RunCommand({Runfile("client/weft"), "submit", "--preload", bad, "inc", "1"});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(absl::StrContains(refused.output, "exited (exit status 1)"));
  CHECK(absl::StrContains(refused.output, "cannot load plugin " + bad));
}

TEST_CASE("a weft command ended by SIGTERM leaves no local cluster behind") {
  const std::string tmp = TempDir("sigterm");
  SpawnOptions options;
  options.extra_env = {"TMPDIR=" + tmp};
  options.log_path = tmp + ".log";
  auto pid = SpawnProcess({Runfile("client/weft"), "submit", "sleep", "60"}, options);
  REQUIRE(pid.ok());
  // Its local cluster: a weft-local-* directory whose workers have started.
  auto cluster_dir = [&tmp]() -> std::string {
    for (const auto& entry : std::filesystem::directory_iterator(tmp)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("weft-local-", 0) == 0 &&
          std::filesystem::exists(entry.path() / "worker-1.log")) {
        return entry.path().string();
      }
    }
    return "";
  };
  std::string dir;
  REQUIRE(
      PollUntil([&] { return !(dir = cluster_dir()).empty(); }, absl::Now() + absl::Seconds(30)));
  REQUIRE(::kill(*pid, SIGTERM) == 0);
  std::optional<ChildExit> exit = WaitForExit(*pid, absl::Seconds(30));
  INFO(testing::ReadFileBytes(tmp + ".log"));
  REQUIRE(exit.has_value());
  CHECK(exit->exit_code() == 128 + SIGTERM);
  CHECK_FALSE(std::filesystem::exists(dir));
}

TEST_CASE("weft-scheduler --preload hands a plugin to every worker that joins") {
  TestCluster cluster(2, {}, {"--preload", Runfile("worker/libversion_v2.so")});
  auto client = cluster.Connect();
  auto versions = client->run("plugin_version");
  INFO(cluster.Logs());
  REQUIRE(versions.ok());
  CHECK(versions->size() == 2);
  CHECK(Values(*versions) == std::set<int64_t>{2});
  CHECK(client->submit<int64_t>("plugin_version", {}, "preloaded").result() == 2);
}

}  // namespace
}  // namespace weft
