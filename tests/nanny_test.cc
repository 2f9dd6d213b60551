// Cross-process tests of weft-worker's nanny (--nworkers, restarts, --lifetime, stopping)
// and of weft-scheduler --idle-timeout, on the real binaries.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/process.h"
#include "common/scheduler_file.h"
#include "tests/test_cluster.h"
#include "weft/client.h"

namespace weft {
namespace {

using testing::ReadFileBytes;
using testing::Runfile;
using testing::TasksIn;
using testing::TestCluster;
using testing::WaitForInfo;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

// A weft-worker with its nanny (the default), as the test's child; stopped at the end.
class Nanny {
 public:
  Nanny(const std::string& scheduler, const std::vector<std::string>& args,
        const std::string& log_name)
      : log_(TempPath(log_name)) {
    std::vector<std::string> argv = {Runfile("worker/weft-worker"), scheduler, "--host",
                                     "127.0.0.1"};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions options;
    options.log_path = log_;
    options.truncate_log = true;
    auto pid = SpawnProcess(argv, options);
    REQUIRE(pid.ok());
    pid_ = *pid;
  }
  ~Nanny() { StopProcess(pid_, absl::Seconds(20)); }

  pid_t pid() const { return pid_; }
  void Reaped() { pid_ = -1; }
  std::string Log() const { return ReadFileBytes(log_); }

 private:
  const std::string log_;
  pid_t pid_ = -1;
};

// The pid of the worker named `name`, or nullopt when there is none (or several).
std::optional<int> PidOf(const ClusterInfo& info, const std::string& name) {
  std::optional<int> pid;
  for (const WorkerInfo& w : info.worker_details) {
    if (w.name != name) continue;
    if (pid.has_value()) return std::nullopt;
    pid = w.pid;
  }
  return pid;
}

bool ProcessGone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// Waits for `pred` as WaitForInfo does; fails the test with the nanny's log if it never holds.
template <typename Pred>
void WaitOrFail(Client& client, Pred pred, const Nanny& nanny) {
  if (!WaitForInfo(client, pred))
    FAIL("the cluster never got there; the nanny's log:\n" << nanny.Log());
}

TEST_CASE("a nanny's worker killed with -9 comes back under its name; its task runs again") {
  TestCluster cluster(0);
  auto client = cluster.Connect();
  Nanny nanny(cluster.address(), {"--nworkers", "2", "--name", "w"}, "nanny_kill.log");
  int old_pid = 0;
  WaitOrFail(
      *client,
      [&](const ClusterInfo& info) {
        if (info.workers != 2 || !PidOf(info, "w-1").has_value()) return false;
        old_pid = PidOf(info, "w-0").value_or(0);
        return old_pid > 0;
      },
      nanny);
  CHECK(old_pid != nanny.pid());  // the workers are the nanny's children

  // A task that only w-0 may run, running there when it dies.
  SubmitOptions on_w0;
  on_w0.workers = {"w-0"};
  Future<int64_t> slow = client->submit<int64_t>("slowinc", {1, 2.0}, on_w0);
  WaitOrFail(
      *client, [](const ClusterInfo& info) { return TasksIn(info, "processing") == 1; }, nanny);
  REQUIRE(::kill(old_pid, SIGKILL) == 0);

  int new_pid = 0;
  WaitOrFail(
      *client,
      [&](const ClusterInfo& info) {
        new_pid = PidOf(info, "w-0").value_or(0);
        return info.workers == 2 && new_pid > 0 && new_pid != old_pid;
      },
      nanny);
  CHECK(ProcessGone(old_pid));
  CHECK(slow.result() == 2);  // rescheduled onto the new w-0
  CHECK(client->submit<int64_t>("inc", {41}).result() == 42);
  const std::string log = nanny.Log();
  CHECK(absl::StrContains(log,
                          absl::StrCat("worker w-0 (pid ", old_pid, ") died (killed by SIGKILL")));
  CHECK(absl::StrContains(log, absl::StrCat("started worker w-0 (pid ", new_pid, ")")));
}

TEST_CASE("--lifetime: the worker is replaced by a fresh one under the same name") {
  TestCluster cluster(0);
  auto client = cluster.Connect();
  Nanny nanny(cluster.address(), {"--name", "short", "--lifetime", "1"}, "nanny_lifetime.log");
  int first_pid = 0;
  WaitOrFail(
      *client,
      [&](const ClusterInfo& info) {
        first_pid = PidOf(info, "short").value_or(0);
        return first_pid > 0;
      },
      nanny);
  WaitOrFail(
      *client,
      [&](const ClusterInfo& info) {
        std::optional<int> pid = PidOf(info, "short");
        return info.workers == 1 && pid.has_value() && *pid != first_pid;
      },
      nanny);
  CHECK(absl::StrContains(nanny.Log(), "asked to be restarted (exit status 75"));
  CHECK(absl::StrContains(nanny.Log(), "--lifetime is over"));
}

TEST_CASE("SIGTERM to the nanny stops its workers, and it exits 0") {
  TestCluster cluster(0);
  auto client = cluster.Connect();
  Nanny nanny(cluster.address(), {"--nworkers", "2", "--name", "t"}, "nanny_term.log");
  std::vector<int> children;
  WaitOrFail(
      *client,
      [&](const ClusterInfo& info) {
        children.clear();
        for (const WorkerInfo& w : info.worker_details) children.push_back(w.pid);
        return info.workers == 2;
      },
      nanny);
  REQUIRE(::kill(nanny.pid(), SIGTERM) == 0);
  std::optional<ChildExit> exit = WaitForExit(nanny.pid(), absl::Seconds(30));
  REQUIRE(exit.has_value());
  nanny.Reaped();
  CHECK(exit->ToString() == "exit status 0");
  for (int pid : children) CHECK(ProcessGone(pid));
  CHECK(WaitForInfo(*client, [](const ClusterInfo& info) { return info.workers == 0; }));
}

TEST_CASE("a worker that cannot start is given up, and the nanny exits 1") {
  TestCluster cluster(0);
  Nanny nanny(cluster.address(), {"--name", "broken", "--preload", "/nonexistent/libnot.so"},
              "nanny_broken.log");
  std::optional<ChildExit> exit = WaitForExit(nanny.pid(), absl::Seconds(60));
  REQUIRE(exit.has_value());
  nanny.Reaped();
  CHECK(exit->ToString() == "exit status 1");
  CHECK(absl::StrContains(nanny.Log(), "worker broken (pid "));
  CHECK(absl::StrContains(nanny.Log(), "failed at start-up 3 times in a row"));
}

// A scheduler of our own, with --idle-timeout; its pid and address.
struct Scheduler {
  pid_t pid = -1;
  std::string address;
  std::string log;
};

Scheduler StartScheduler(const std::string& name, const std::string& idle_timeout) {
  Scheduler s;
  const std::string file = TempPath(name + ".json");
  ::unlink(file.c_str());
  s.log = TempPath(name + ".log");
  SpawnOptions options;
  options.log_path = s.log;
  options.truncate_log = true;
  auto pid =
      SpawnProcess({Runfile("scheduler/weft-scheduler"), "--host", "127.0.0.1", "--port", "0",
                    "--no-dashboard", "--scheduler-file", file, "--idle-timeout", idle_timeout},
                   options);
  REQUIRE(pid.ok());
  s.pid = *pid;
  auto address = ReadSchedulerFile(file, absl::Now() + absl::Seconds(30));
  REQUIRE(address.ok());
  s.address = *address;
  return s;
}

TEST_CASE("--idle-timeout: the scheduler exits 0 once no client has been connected for that long") {
  SECTION("no client at all") {
    Scheduler s = StartScheduler("idle_alone", "1");
    std::optional<ChildExit> exit = WaitForExit(s.pid, absl::Seconds(30));
    INFO(ReadFileBytes(s.log));
    REQUIRE(exit.has_value());
    CHECK(exit->ToString() == "exit status 0");
    CHECK(absl::StrContains(ReadFileBytes(s.log), "idle for 1s (--idle-timeout)"));
  }
  SECTION("not while a client is connected") {
    Scheduler s = StartScheduler("idle_client", "3");
    auto client = Client::Connect(s.address);
    REQUIRE(client.ok());
    INFO(ReadFileBytes(s.log));
    CHECK_FALSE(WaitForExit(s.pid, absl::Seconds(5)).has_value());  // still running
    client->reset();                                                // disconnects
    std::optional<ChildExit> exit = WaitForExit(s.pid, absl::Seconds(30));
    if (!exit.has_value()) StopProcess(s.pid, absl::Seconds(5));
    REQUIRE(exit.has_value());
    CHECK(exit->ToString() == "exit status 0");
  }
}

TEST_CASE("restart cancels every task; the nannies bring fresh workers under the same names") {
  TestCluster cluster(0);
  auto client = cluster.Connect();
  Nanny nanny(cluster.address(), {"--nworkers", "2", "--name", "r"}, "nanny_restart.log");
  std::optional<int> r0, r1;
  WaitOrFail(
      *client,
      [&](const ClusterInfo& info) {
        r0 = PidOf(info, "r-0");
        r1 = PidOf(info, "r-1");
        return info.workers == 2 && r0.has_value() && r1.has_value();
      },
      nanny);
  Future<int64_t> done = client->submit<int64_t>("inc", {1});
  REQUIRE(done.result() == 2);
  Future<int64_t> running = client->submit<int64_t>("slowinc", {1, 600.0});
  WaitOrFail(
      *client, [](const ClusterInfo& info) { return TasksIn(info, "processing") == 1; }, nanny);

  const absl::Time start = absl::Now();
  absl::Status restarted = client->restart(absl::Seconds(60));
  INFO(nanny.Log());
  REQUIRE(restarted.ok());
  WARN("restart of 2 workers took " << absl::FormatDuration(absl::Now() - start));
  CHECK(running.status() == FutureStatus::kCancelled);
  CHECK(done.status() == FutureStatus::kCancelled);
  auto info = client->info();
  REQUIRE(info.ok());
  CHECK(info->workers == 2);
  CHECK(info->tasks_total == 0);
  CHECK(PidOf(*info, "r-0").value_or(*r0) != *r0);
  CHECK(PidOf(*info, "r-1").value_or(*r1) != *r1);
  CHECK(ProcessGone(*r0));
  CHECK(ProcessGone(*r1));
  CHECK(client->submit<int64_t>("inc", {5}).result() == 6);
}

TEST_CASE("a retired worker is not restarted by its nanny, which then exits") {
  TestCluster cluster(1);  // the one that stays
  auto client = cluster.Connect();
  Nanny nanny(cluster.address(), {"--name", "leaving"}, "nanny_retire.log");
  WaitOrFail(
      *client,
      [](const ClusterInfo& info) {
        return info.workers == 2 && PidOf(info, "leaving").has_value();
      },
      nanny);
  Future<int64_t> kept = client->submit<int64_t>("inc", {1});
  REQUIRE(kept.result() == 2);
  REQUIRE(client->retire_workers({"leaving"}).ok());
  std::optional<ChildExit> exit = WaitForExit(nanny.pid(), absl::Seconds(30));
  INFO(nanny.Log());
  REQUIRE(exit.has_value());
  nanny.Reaped();
  CHECK(exit->exited());
  CHECK(exit->exit_code() == 0);
  auto info = client->info();
  REQUIRE(info.ok());
  CHECK(info->workers == 1);
  CHECK(kept.result() == 2);
}

}  // namespace
}  // namespace weft
