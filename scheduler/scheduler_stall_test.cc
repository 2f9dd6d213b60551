// SchedulerState's stall notices (CheckStall): clients waiting for work that no worker can
// start hear why, and hear again when tasks start.
#include <catch2/catch.hpp>

#include "scheduler/test_util.h"

namespace weft::scheduler {
namespace {

using testing::Harness;
using testing::Lines;

constexpr int64_t kMiB = 1 << 20;

// A worker named `name` under a nanny, with a 400 MiB memory limit.
std::string AddLimitedWorker(Harness& h, const std::string& name) {
  proto::RegisterWorker reg;
  reg.mutable_info()->set_name(name);
  reg.mutable_info()->set_address(name);
  reg.mutable_info()->set_nthreads(1);
  reg.mutable_info()->set_memory_limit(400 * kMiB);
  reg.mutable_info()->set_nanny(true);
  std::string id = h.state.AddWorker(reg, h.now);
  h.Check();
  return id;
}

void StatusChange(Harness& h, const std::string& worker, bool paused, int64_t process_bytes,
                  const std::string& stuck = "") {
  proto::WorkerStatusChange msg;
  msg.set_paused(paused);
  msg.set_process_bytes(process_bytes);
  msg.set_stuck(stuck);
  REQUIRE(h.state.WorkerStatusChange(worker, msg).ok());
  h.Check();
}

// Ticks (a second each) until something is said; how many ticks that took.
int TicksUntilSaid(Harness& h, Lines* said, int max_ticks = 30) {
  for (int ticks = 1; ticks <= max_ticks; ++ticks) {
    h.Tick();
    *said = h.Take();
    if (!said->empty()) return ticks;
  }
  return -1;
}

TEST_CASE("clients waiting for work hear when every worker has been paused a while") {
  Harness h;
  std::string a = AddLimitedWorker(h, "a");
  std::string b = h.AddWorker("b");
  std::string waiting = h.AddClient();
  std::string done = h.AddClient();
  h.Submit(done, {Harness::Task("d")}, {"d"});
  REQUIRE(h.Take() == Lines{"w1: compute d"});
  REQUIRE(h.Finish(a, "d").ok());
  h.Take();

  StatusChange(h, a, /*paused=*/true, 350 * kMiB);
  h.Pause(b, true);
  h.Submit(waiting, {Harness::Task("x")}, {"x"});
  CHECK(h.Take().empty());
  CHECK(h.Status("x") == "queued");

  // Short pauses are the normal course of things: nothing for the first seconds. Then
  // only the client with unfinished work is told.
  Lines said;
  CHECK(TicksUntilSaid(h, &said) == 6);  // the first tick starts the clock, 5 s more
  CHECK(said == Lines{"c1: stalled: no worker can start tasks: all 2 workers are paused "
                      "(memory): a at 350.0 MiB of its 400.0 MiB limit; b paused. 1 task "
                      "waits until a worker resumes or joins"});
  h.Tick();
  CHECK(h.Take().empty());  // said once

  // A worker stuck in its pause: told again.
  StatusChange(h, a, /*paused=*/true, 612 * kMiB, "paused for 30s at 612 MiB ...");
  CHECK(h.state.GetWorker(a)->stuck == "paused for 30s at 612 MiB ...");
  h.Tick();
  CHECK(h.Take() == Lines{"c1: stalled: no worker can start tasks: all 2 workers are paused "
                          "(memory): a at 612.0 MiB of its 400.0 MiB limit, stuck holding no "
                          "data (its nanny restarts it); b paused. 1 task waits until a worker "
                          "resumes or joins"});

  // A worker resumes: the task starts, and the client hears so.
  h.Pause(b, false);
  CHECK(h.Take() == Lines{"w2: compute x"});
  h.Tick();
  CHECK(h.Take() == Lines{"c1: unstalled: tasks start again: worker b runs them"});
  h.Tick(absl::Seconds(10));
  CHECK(h.Take().empty());
}

TEST_CASE("a worker stuck with data in memory is said to hold data it cannot spill") {
  Harness h;
  std::string a = AddLimitedWorker(h, "a");
  std::string c = h.AddClient();
  // Its data store holds 300 MiB in memory: the spills failed (a full local directory).
  proto::Heartbeat beat;
  beat.set_paused(true);
  beat.set_process_bytes(612 * kMiB);
  beat.set_memory_bytes(300 * kMiB);
  REQUIRE(h.state.Heartbeat(a, beat, h.now).ok());
  StatusChange(h, a, /*paused=*/true, 612 * kMiB, "paused for 30s ... (spilling failed: ...)");
  h.Submit(c, {Harness::Task("x")}, {"x"});
  Lines said;
  REQUIRE(TicksUntilSaid(h, &said) > 0);
  CHECK(said == Lines{"c1: stalled: no worker can start tasks: the only worker is paused "
                      "(memory): a at 612.0 MiB of its 400.0 MiB limit, stuck with data it "
                      "cannot spill (its nanny restarts it). 1 task waits until a worker "
                      "resumes or joins"});
}

TEST_CASE("with no worker connected, waiting clients hear so, and again when one joins") {
  Harness h;
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x")}, {"x"});
  Lines said;
  CHECK(TicksUntilSaid(h, &said) == 6);
  CHECK(said == Lines{"c1: stalled: no worker can start tasks: none is connected to the "
                      "scheduler; 1 task waits until one joins"});
  h.AddWorker("a");
  CHECK(h.Take() == Lines{"w1: compute x"});
  h.Tick();
  CHECK(h.Take() == Lines{"c1: unstalled: tasks start again: worker a runs them"});
}

TEST_CASE("a stall that ends before the delay says nothing") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  h.Pause(a, true);
  h.Submit(c, {Harness::Task("x")}, {"x"});
  for (int i = 0; i < 4; ++i) h.Tick();
  h.Pause(a, false);
  CHECK(h.Take() == Lines{"w1: compute x"});
  for (int i = 0; i < 10; ++i) h.Tick();
  CHECK(h.Take().empty());
}

TEST_CASE("a stall notice stops once nothing waits") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  h.Pause(a, true);
  h.Submit(c, {Harness::Task("x")}, {"x"});
  Lines said;
  REQUIRE(TicksUntilSaid(h, &said) == 6);
  h.Release(c, {"x"});
  h.Take();
  h.Tick();
  CHECK(h.Take() == Lines{"c1: unstalled: nothing waits for a worker any more"});
}

}  // namespace
}  // namespace weft::scheduler
