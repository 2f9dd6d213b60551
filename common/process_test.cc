#include "common/process.h"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/time/clock.h"
#include "common/poll.h"

namespace weft {
namespace {

std::string TempPath(const char* name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("a child's exit status, output and environment come back") {
  const std::string log = TempPath("process_test.log");
  SpawnOptions options;
  options.log_path = log;
  options.truncate_log = true;
  options.extra_env = {"WEFT_PROCESS_TEST=hello"};
  auto pid = SpawnProcess({"sh", "-c", "echo $WEFT_PROCESS_TEST; exit 3"}, options);
  REQUIRE(pid.ok());
  auto exit = WaitForExit(*pid, absl::Seconds(30));
  REQUIRE(exit.has_value());
  CHECK(exit->pid == *pid);
  CHECK(exit->exited());
  CHECK(exit->exit_code() == 3);
  CHECK(exit->ToString() == "exit status 3");
  CHECK(ReadAll(log) == "hello\n");
  CHECK_FALSE(TryReap(*pid).has_value());  // reaped already
}

TEST_CASE("an executable that does not exist exits 127") {
  auto pid = SpawnProcess({"/nonexistent/weft-binary"});
  REQUIRE(pid.ok());
  auto exit = WaitForExit(*pid, absl::Seconds(30));
  REQUIRE(exit.has_value());
  CHECK(exit->exit_code() == 127);
}

TEST_CASE("a child that ignores SIGTERM is killed after the grace period") {
  // The child starts with no signal blocked even if this thread blocks SIGTERM.
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  SpawnOptions stubborn_options;
  stubborn_options.log_path = TempPath("process_test_stubborn.log");
  stubborn_options.truncate_log = true;
  auto stubborn = SpawnProcess(
      {"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"}, stubborn_options);
  auto polite = SpawnProcess({"sleep", "60"});
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  REQUIRE(stubborn.ok());
  REQUIRE(polite.ok());
  CHECK_FALSE(WaitForExit(*polite, absl::Milliseconds(50)).has_value());  // still running

  auto polite_exit = StopProcess(*polite, absl::Seconds(10));
  REQUIRE(polite_exit.has_value());
  CHECK(polite_exit->term_signal() == SIGTERM);
  CHECK(polite_exit->ToString() == "killed by SIGTERM");

  // The trap must be set before SIGTERM arrives: wait until the shell says so.
  REQUIRE(PollUntil([&] { return ReadAll(stubborn_options.log_path) == "ready\n"; },
                    absl::Now() + absl::Seconds(30)));
  auto stubborn_exit = StopProcess(*stubborn, absl::Milliseconds(200));
  REQUIRE(stubborn_exit.has_value());
  CHECK(stubborn_exit->term_signal() == SIGKILL);
  CHECK_FALSE(StopProcess(*stubborn, absl::Seconds(1)).has_value());  // gone
}

TEST_CASE("TryReap(-1) reaps whichever child exited") {
  auto pid = SpawnProcess({"true"});
  REQUIRE(pid.ok());
  auto exit = WaitForExit(-1, absl::Seconds(30));
  REQUIRE(exit.has_value());
  CHECK(exit->pid == *pid);
  CHECK(exit->exit_code() == 0);
  CHECK_FALSE(TryReap().has_value());
}

}  // namespace
}  // namespace weft
