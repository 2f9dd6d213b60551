#include "worker/nanny.h"

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "worker/exit_codes.h"

namespace weft {
namespace {

using Action = RestartDecision::Action;
using Args = std::vector<std::string>;

ChildExit Exited(int code) { return ChildExit{/*pid=*/42, W_EXITCODE(code, 0)}; }
ChildExit Killed(int signal) { return ChildExit{/*pid=*/42, W_EXITCODE(0, signal)}; }

TEST_CASE("a worker that closed with status 0 is not restarted") {
  RestartPolicy policy;
  RestartDecision d = policy.OnExit(Exited(kExitClosed), absl::Seconds(100));
  CHECK(d.action == Action::kDone);
  CHECK(d.reason == "closed (exit status 0 after 100.0 s); not restarting it");
}

TEST_CASE("a killed worker is restarted at once, then with a growing delay while it crash-loops") {
  RestartPolicy policy;
  RestartDecision first = policy.OnExit(Killed(SIGKILL), absl::Seconds(2));
  CHECK(first.action == Action::kRestart);
  CHECK(first.delay == absl::ZeroDuration());
  CHECK(first.reason == "died (killed by SIGKILL after 2.0 s); restarting it");

  RestartDecision second = policy.OnExit(Killed(SIGSEGV), absl::Seconds(1));
  CHECK(second.action == Action::kRestart);
  CHECK(second.delay == absl::Seconds(1));
  CHECK_THAT(second.reason, Catch::Contains("crash-looping (2 crashes in a row"));
  CHECK(policy.OnExit(Exited(3), absl::Seconds(1)).delay == absl::Seconds(2));
  CHECK(policy.OnExit(Killed(SIGABRT), absl::Seconds(1)).delay == absl::Seconds(4));
  for (int i = 0; i < 10; ++i) policy.OnExit(Killed(SIGABRT), absl::Seconds(1));
  CHECK(policy.OnExit(Killed(SIGABRT), absl::Seconds(1)).delay == absl::Seconds(30));  // capped

  SECTION("a crash after a long run starts over") {
    RestartDecision later = policy.OnExit(Killed(SIGKILL), absl::Minutes(5));
    CHECK(later.delay == absl::ZeroDuration());
  }
  SECTION("a requested restart is no crash, and starts over") {
    RestartDecision restart = policy.OnExit(Exited(kExitRestart), absl::Seconds(1));
    CHECK(restart.action == Action::kRestart);
    CHECK(restart.delay == absl::ZeroDuration());
    CHECK(restart.reason == "asked to be restarted (exit status 75 after 1.0 s); restarting it");
    CHECK(policy.OnExit(Killed(SIGKILL), absl::Seconds(1)).delay == absl::ZeroDuration());
  }
}

TEST_CASE("a worker that keeps failing at start-up is given up") {
  RestartPolicy policy;  // 3 start-up failures in a row
  RestartDecision first = policy.OnExit(Exited(kExitStartupError), absl::Milliseconds(200));
  CHECK(first.action == Action::kRestart);
  CHECK(first.delay == absl::Seconds(1));
  CHECK(first.reason == "failed at start-up (exit status 1 after 0.2 s); trying again in 1.0 s");
  CHECK(policy.OnExit(Exited(kExitStartupError), absl::Seconds(1)).action == Action::kRestart);
  RestartDecision last = policy.OnExit(Exited(kExitStartupError), absl::Seconds(1));
  CHECK(last.action == Action::kGiveUp);
  CHECK(last.reason ==
        "failed at start-up 3 times in a row (the last: exit status 1 after 1.0 s; its error "
        "is in the log above); giving up on it");
}

TEST_CASE("status 1 after the start-up window (the scheduler stayed away) is a crash") {
  RestartPolicy policy;
  for (int i = 0; i < 5; ++i) {
    RestartDecision d = policy.OnExit(Exited(kExitStartupError), absl::Seconds(60));
    CHECK(d.action == Action::kRestart);
    CHECK(d.delay == absl::ZeroDuration());  // each ran long enough: no crash loop
  }
}

ChildFlags Flags(int n, const std::string& name, const std::string& local_directory = "",
                 std::optional<int> nthreads_per_child = {}) {
  ChildFlags flags;
  flags.n = n;
  flags.name = name;
  flags.local_directory = local_directory;
  flags.nthreads_per_child = nthreads_per_child;
  return flags;
}

TEST_CASE("children run the same binary with --no-nanny, named NAME-i, each in its directory") {
  const Args args = {"10.0.0.1:8786", "--nworkers",        "2",        "--name",         "w",
                     "--nthreads=0",  "--local-directory", "/scratch", "--memory-limit", "1GiB"};
  std::vector<NannyChild> children =
      ChildCommandLines("/bin/weft-worker", args, Flags(2, "w", "/scratch", 3));
  REQUIRE(children.size() == 2);
  CHECK(children[0].label == "w-0");
  CHECK(children[1].label == "w-1");
  CHECK(children[1].argv == Args{"/bin/weft-worker", "10.0.0.1:8786", "--memory-limit", "1GiB",
                                 "--no-nanny", "--nthreads", "3", "--name", "w-1",
                                 "--local-directory", "/scratch/w-1"});
}

TEST_CASE("one child keeps the name and the directory as given; without a name there is none") {
  const Args args = {"--scheduler-file", "s.json", "--name=gpu-box", "--nworkers=1",
                     "--local-directory=/scratch"};
  std::vector<NannyChild> named =
      ChildCommandLines("weft-worker", args, Flags(1, "gpu-box", "/scratch"));
  REQUIRE(named.size() == 1);
  CHECK(named[0].label == "gpu-box");
  CHECK(named[0].argv == Args{"weft-worker", "--scheduler-file", "s.json",
                              "--local-directory=/scratch", "--no-nanny", "--name", "gpu-box"});

  std::vector<NannyChild> unnamed = ChildCommandLines(
      "weft-worker", {"h:1", "--nworkers", "2", "--nthreads", "4", "--local-directory", "/d"},
      Flags(2, "", "/d"));
  CHECK(unnamed[0].label == "#0");
  CHECK(unnamed[1].argv == Args{"weft-worker", "h:1", "--nthreads", "4", "--no-nanny",
                                "--local-directory", "/d/worker-1"});
}

}  // namespace
}  // namespace weft
