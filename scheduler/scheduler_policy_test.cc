// SchedulerState's scheduling policy: placement costs, root-task queuing, priorities,
// work stealing (and its races) and paused workers.
#include <catch2/catch.hpp>

#include "scheduler/test_util.h"

namespace weft::scheduler {
namespace {

using testing::Harness;
using testing::Lines;

// A key with a real prefix: "<prefix>-<32 hex>-<index>" (KeyPrefix gives "<prefix>").
std::string Key(const std::string& prefix, int index) {
  return absl::StrCat(prefix, "-0123456789abcdef0123456789abcdef-", index);
}

TEST_CASE("placement weighs moving input bytes against waiting on a busy holder") {
  Harness h;
  std::string a = h.AddWorker("a");
  h.AddWorker("b");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x")}, {"x"});
  CHECK(h.Take() == Lines{"w1: compute x"});

  SECTION("1 MB moves in 10 ms: cheaper than waiting 0.5 s behind a task on the holder") {
    REQUIRE(h.Finish(a, "x", 1'000'000).ok());
    h.Take();
    h.Submit(c,
             {Harness::Task("y1", {"x"}), Harness::Task("y2", {"x"}), Harness::Task("y3", {"x"})},
             {"y1", "y2", "y3"});
    CHECK(h.Take() ==
          Lines{"w1: compute y1 (x@a)", "w2: compute y2 (x@a)", "w1: compute y3 (x@a)"});
  }
  SECTION("1 GB takes 10 s to move: everything waits on the holder") {
    REQUIRE(h.Finish(a, "x", 1'000'000'000).ok());
    h.Take();
    h.Submit(c,
             {Harness::Task("y1", {"x"}), Harness::Task("y2", {"x"}), Harness::Task("y3", {"x"})},
             {"y1", "y2", "y3"});
    CHECK(h.Take() ==
          Lines{"w1: compute y1 (x@a)", "w1: compute y2 (x@a)", "w1: compute y3 (x@a)"});
    CHECK(h.state.GetWorker(a)->occupancy == Approx(1.5));
  }
}

TEST_CASE("a shuffle's splits stay with their partitions until one is measured") {
  // 16 partitions of 64 MB, the first 8 on a, the rest on b; one split each, all ready at
  // once. At the unknown 0.5 s per task, one of a's splits went to b (1.0 s of guessed
  // work queued on a against 0.64 s to move 64 MB at 100 MB/s); a split's default
  // duration (1 ms) keeps every split where its partition is. A prefix with no default
  // (work-split) is still weighed at 0.5 s.
  const std::string prefix = GENERATE("range-split", "work-split");
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  std::vector<proto::TaskSpec> tasks;
  std::vector<std::string> inputs, splits;
  for (int i = 0; i < 16; ++i) {
    inputs.push_back(Key("part", i));
    tasks.push_back(Harness::Task(inputs.back()));
  }
  tasks.push_back(Harness::Task(Key("bounds", 0), inputs));
  for (int i = 0; i < 16; ++i) {
    splits.push_back(Key(prefix, i));
    tasks.push_back(Harness::Task(splits.back(), {inputs[i], Key("bounds", 0)}));
  }
  h.Submit(c, tasks, splits);
  for (int i = 0; i < 16; ++i) REQUIRE(h.Finish(i < 8 ? a : b, inputs[i], 64'000'000).ok());
  h.Take();
  REQUIRE(h.Finish(a, Key("bounds", 0), 1000).ok());
  int moved = 0;
  for (const std::string& line : h.Take()) {
    const size_t at = line.find("compute " + prefix);
    if (at == std::string::npos) continue;
    const std::string key = line.substr(at + 8, line.find(' ', at + 8) - (at + 8));
    const int index = std::stoi(key.substr(key.rfind('-') + 1));
    moved += (line.rfind("w1:", 0) == 0) != (index < 8);
  }
  CHECK(moved == (prefix == "range-split" ? 0 : 1));
}

TEST_CASE("root tasks beyond a worker's cap wait in queued and go out as it frees up") {
  Harness h;
  std::string a = h.AddWorker("a");  // 1 thread: room for max(ceil(1.1), 2) = 2
  std::string c = h.AddClient();
  h.Submit(c,
           {Harness::Task("r0"), Harness::Task("r1"), Harness::Task("r2"), Harness::Task("r3"),
            Harness::Task("r4")},
           {"r0", "r1", "r2", "r3", "r4"});
  CHECK(h.Take() == Lines{"w1: compute r0", "w1: compute r1"});
  CHECK(h.state.CountInStatus(TaskStatus::kQueued) == 3);
  CHECK(h.Status("r2") == "queued");

  REQUIRE(h.Finish(a, "r1").ok());
  CHECK(h.Take() == Lines{"w1: compute r2", "c1: memory r1 @a"});

  h.Release(c, {"r3"});  // a queued task nobody wants is forgotten
  CHECK(h.Status("r3") == "forgotten");
  CHECK(h.Take().empty());

  std::string b = h.AddWorker("b", /*nthreads=*/2);  // room for 4
  CHECK(h.Take() == Lines{"w2: compute r4"});
  CHECK(h.state.CountInStatus(TaskStatus::kQueued) == 0);
  CHECK(h.state.GetWorker(b)->processing.size() == 1);
}

TEST_CASE("root tasks with no worker wait in no-worker, then queue by room") {
  Harness h;
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("r0"), Harness::Task("r1"), Harness::Task("r2")}, {"r0", "r1", "r2"});
  CHECK(h.state.CountInStatus(TaskStatus::kNoWorker) == 3);
  h.AddWorker("a");
  CHECK(h.Take() == Lines{"w1: compute r0", "w1: compute r1"});
  CHECK(h.Status("r2") == "queued");
}

TEST_CASE("graphs are served first come first served") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("g1a"), Harness::Task("g1b"), Harness::Task("g1c")},
           {"g1a", "g1b", "g1c"});
  h.Submit(c, {Harness::Task("g2a"), Harness::Task("g2b")}, {"g2a", "g2b"});
  CHECK(h.Take() == Lines{"w1: compute g1a", "w1: compute g1b"});
  CHECK(h.Priority("g1c") < h.Priority("g2a"));
  REQUIRE(h.Finish(a, "g1a").ok());
  CHECK(h.Take() == Lines{"w1: compute g1c", "c1: memory g1a @a"});
  REQUIRE(h.Finish(a, "g1b").ok());
  CHECK(h.Take() == Lines{"w1: compute g2a", "c1: memory g1b @a"});
}

TEST_CASE("priorities are depth-first: a chain finishes before new roots start") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  // Submitted stage by stage, as collections do: by submission order r2 and r3 would run
  // before m1.
  h.Submit(c,
           {Harness::Task("r1"), Harness::Task("r2"), Harness::Task("r3"),
            Harness::Task("m1", {"r1"}), Harness::Task("s1", {"m1"})},
           {"s1", "r2", "r3"});
  CHECK(h.Priority("r1") < h.Priority("m1"));
  CHECK(h.Priority("m1") < h.Priority("s1"));
  CHECK(h.Priority("s1") < h.Priority("r2"));
  CHECK(h.Priority("r2") < h.Priority("r3"));
  CHECK(h.Take() == Lines{"w1: compute r1", "w1: compute r2"});
  REQUIRE(h.Finish(a, "r1").ok());
  CHECK(h.Take() == Lines{"w1: compute m1 (r1@a)"});  // r3 stays queued
  REQUIRE(h.Finish(a, "m1").ok());
  CHECK(h.Take() == Lines{"w1: compute s1 (m1@a)", "w1: free r1"});
  CHECK(h.Status("r3") == "queued");
}

TEST_CASE("a later graph's task that needs earlier tasks goes right after its inputs") {
  Harness h;
  std::string a = h.AddWorker("a");  // 1 thread: room for 2 root tasks
  std::string c = h.AddClient();
  // As dask users submit: one graph per call, the inputs first, then what combines them.
  for (int i = 0; i < 6; ++i) {
    const std::string s = "s" + std::to_string(i);
    h.Submit(c, {Harness::Task(s)}, {s});
  }
  h.Submit(c, {Harness::Task("add01", {"s0", "s1"})}, {"add01"});
  h.Submit(c, {Harness::Task("add23", {"s2", "s3"})}, {"add23"});
  h.Submit(c, {Harness::Task("total", {"add01", "add23"})}, {"total"});
  h.Submit(c, {Harness::Task("add45", {"s4", "s5"})}, {"add45"});
  CHECK(h.Priority("s1") < h.Priority("add01"));
  CHECK(h.Priority("add01") < h.Priority("s2"));
  CHECK(h.Priority("s3") < h.Priority("add23"));
  CHECK(h.Priority("add23") < h.Priority("total"));
  CHECK(h.Priority("total") < h.Priority("s4"));
  CHECK(h.Priority("s5") < h.Priority("add45"));

  CHECK(h.Take() == Lines{"w1: compute s0", "w1: compute s1"});
  REQUIRE(h.Finish(a, "s0").ok());
  CHECK(h.Take() == Lines{"w1: compute s2", "c1: memory s0 @a"});
  REQUIRE(h.Finish(a, "s1").ok());
  // add01 goes at once, and with s2 it fills the worker: s3 waits (it would not, and add01
  // would wait behind s2..s5, were add01 ordered by submission).
  CHECK(h.Take() == Lines{"w1: compute add01 (s0@a s1@a)", "c1: memory s1 @a"});
  REQUIRE(h.Finish(a, "add01").ok());
  CHECK(h.Take() == Lines{"w1: compute s3", "c1: memory add01 @a"});
}

TEST_CASE("a reduction tree is ordered pair by pair") {
  Harness h;
  std::string c = h.AddClient();
  h.Submit(c,
           {Harness::Task("a"), Harness::Task("b"), Harness::Task("c"), Harness::Task("d"),
            Harness::Task("ab", {"a", "b"}), Harness::Task("cd", {"c", "d"}),
            Harness::Task("abcd", {"ab", "cd"})},
           {"abcd"});
  std::vector<std::string> order = {"a", "b", "ab", "c", "d", "cd", "abcd"};
  for (size_t i = 1; i < order.size(); ++i) {
    INFO(order[i - 1] << " before " << order[i]);
    CHECK(h.Priority(order[i - 1]) < h.Priority(order[i]));
  }
}

TEST_CASE("a worker keeps ~100 ms of tasks measured to be short") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  std::vector<proto::TaskSpec> tasks;
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i) {
    keys.push_back(Key("inc", i));
    tasks.push_back(Harness::Task(keys.back()));
  }
  h.Submit(c, tasks, keys);
  CHECK(h.Take().size() == 2);  // unknown prefix: 0.5 s each, 2 in flight
  REQUIRE(h.Finish(a, keys[0], 8, /*duration_seconds=*/1e-4).ok());
  REQUIRE(h.Finish(a, keys[1], 8, /*duration_seconds=*/1e-4).ok());
  CHECK(h.state.EstimateDuration(*h.state.GetTask(keys[2])) == Approx(1e-4));
  // 100 ms / 0.1 ms = 1000, within the cap of 1000 per thread.
  size_t processing = h.state.GetWorker(a)->processing.size();
  CHECK(processing >= 900);
  CHECK(processing <= 1000);
  CHECK(h.state.CountInStatus(TaskStatus::kQueued) == 3000 - 2 - processing);
}

// One worker a (1 thread) runs y1..y4, all needing x (on a); then b (2 threads) joins
// idle, and a tick asks a for the two it would run last.
void UnbalancedStart(Harness& h, std::string* a, std::string* b, std::string* c) {
  *a = h.AddWorker("a");
  *c = h.AddClient();
  h.Submit(*c, {Harness::Task("x")}, {"x"});
  h.Submit(*c,
           {Harness::Task("y1", {"x"}), Harness::Task("y2", {"x"}), Harness::Task("y3", {"x"}),
            Harness::Task("y4", {"x"})},
           {"y1", "y2", "y3", "y4"});
  REQUIRE(h.Finish(*a, "x").ok());
  CHECK(h.Take() == Lines{"w1: compute x", "w1: compute y1 (x@a)", "w1: compute y2 (x@a)",
                          "w1: compute y3 (x@a)", "w1: compute y4 (x@a)", "c1: memory x @a"});
  h.Release(*c, {"x"});  // y1..y4 still need it
  *b = h.AddWorker("b", /*nthreads=*/2);
  CHECK(h.Take().empty());
  h.Tick();
  CHECK(h.Take() == Lines{"w1: steal y4", "w1: steal y3"});
  CHECK(h.state.steals_requested() == 2);
  h.Tick(absl::Milliseconds(10));  // before steal_interval: no new round
  CHECK(h.Take().empty());
}

TEST_CASE("work stealing evens out an unbalanced start") {
  Harness h;
  std::string a, b, c;
  UnbalancedStart(h, &a, &b, &c);
  REQUIRE(h.StealReply(a, "y4", /*stolen=*/true).ok());
  CHECK(h.Take() == Lines{"w2: compute y4 (x@a)"});
  REQUIRE(h.StealReply(a, "y3", /*stolen=*/false).ok());  // it had started
  CHECK(h.Take().empty());
  CHECK(h.state.GetWorker(a)->processing.size() == 3);
  CHECK(h.state.GetWorker(b)->processing.size() == 1);
  CHECK(h.state.GetWorker(b)->occupancy == Approx(0.5));
  CHECK(h.state.steals_done() == 1);
  CHECK(h.state.Story("y4").back().stimulus == std::string("steal-response"));
  // y3 is no longer being stolen: the next round may ask for it again.
  h.Tick();
  CHECK(h.Take() == Lines{"w1: steal y3"});
}

TEST_CASE("steal races: the task finishes before the answer") {
  Harness h;
  std::string a, b, c;
  UnbalancedStart(h, &a, &b, &c);
  REQUIRE(h.Finish(a, "y4").ok());
  CHECK(h.Take() == Lines{"c1: memory y4 @a"});
  CHECK(h.state.GetWorker(b)->stealing_in.size() == 1);  // y3 only
  REQUIRE(h.StealReply(a, "y4", /*stolen=*/false).ok());
  CHECK(h.Take().empty());
  CHECK(h.Status("y4") == "memory");
}

TEST_CASE("steal races: the victim dies during the steal") {
  Harness h;
  std::string a, b, c;
  UnbalancedStart(h, &a, &b, &c);
  h.RemoveWorker(a);
  // x was only on a: it runs again on b, and y1..y4 wait for it.
  CHECK(h.Take() == Lines{"w2: compute x"});
  CHECK(h.Status("y4") == "waiting");
  CHECK(h.state.GetWorker(b)->stealing_in.empty());
  CHECK(absl::IsNotFound(h.StealReply(a, "y4", /*stolen=*/true)));
  CHECK(h.Take().empty());
  CHECK(h.state.GetTask("y4")->suspicious == 1);
}

TEST_CASE("steal races: the thief dies during the steal") {
  Harness h;
  std::string a, b, c;
  UnbalancedStart(h, &a, &b, &c);
  h.RemoveWorker(b);
  CHECK(h.Take().empty());
  // The victim let y4 go: it is placed afresh, on a, the only worker left.
  REQUIRE(h.StealReply(a, "y4", /*stolen=*/true).ok());
  CHECK(h.Take() == Lines{"w1: free y4", "w1: compute y4 (x@a)"});
  CHECK(h.Status("y4") == "processing");
  // y3 had started: it stays.
  REQUIRE(h.StealReply(a, "y3", /*stolen=*/false).ok());
  CHECK(h.Take().empty());
  CHECK(h.state.GetWorker(a)->processing.size() == 4);
}

TEST_CASE("a result from a worker already declared dead is dropped") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x")}, {"x"});
  CHECK(h.Take() == Lines{"w1: compute x"});
  h.now += absl::Seconds(61);
  h.state.Touch(b, h.now);
  h.state.Tick(h.now);
  h.Check();
  Instructions out = h.state.TakeInstructions();
  CHECK(out.removed_workers == std::vector<std::string>{a});
  REQUIRE(out.to_workers.size() == 1);
  CHECK(testing::Describe(out.to_workers[0]) == "w2: compute x");
  CHECK(absl::IsNotFound(h.Finish(a, "x")));
  CHECK(h.Take().empty());
  CHECK(h.Status("x") == "processing");
  REQUIRE(h.Finish(b, "x").ok());
  CHECK(h.Take() == Lines{"c1: memory x @b"});
}

TEST_CASE("paused workers get no new tasks until they resume") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  h.Pause(a, true);
  h.Submit(c, {Harness::Task("r1"), Harness::Task("r2"), Harness::Task("r3"), Harness::Task("r4")},
           {"r1", "r2", "r3", "r4"});
  CHECK(h.Take() == Lines{"w2: compute r1", "w2: compute r2"});
  CHECK(h.state.CountInStatus(TaskStatus::kQueued) == 2);

  // Paused by heartbeat too.
  proto::Heartbeat beat;
  beat.set_paused(true);
  REQUIRE(h.state.Heartbeat(b, beat, h.now).ok());
  h.Check();
  REQUIRE(h.Finish(b, "r1").ok());
  CHECK(h.Take() == Lines{"c1: memory r1 @b"});  // no new root for paused b
  h.Submit(c, {Harness::Task("y", {"r1"})}, {"y"});
  CHECK(h.Take().empty());
  CHECK(h.Status("y") == "no-worker");

  h.Pause(a, false);
  CHECK(h.Take() == Lines{"w1: compute y (r1@b)", "w1: compute r3"});
  CHECK(h.Status("r4") == "queued");
  beat.set_paused(false);
  REQUIRE(h.state.Heartbeat(b, beat, h.now).ok());
  h.Check();
  CHECK(h.Take() == Lines{"w2: compute r4"});
}

TEST_CASE("a paused worker's queued tasks are stolen by a running one") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("r1"), Harness::Task("r2")}, {"r1", "r2"});
  CHECK(h.Take() == Lines{"w1: compute r1", "w1: compute r2"});
  h.Pause(a, true);
  std::string b = h.AddWorker("b");
  h.Tick();
  CHECK(h.Take() == Lines{"w1: steal r2"});
  REQUIRE(h.StealReply(a, "r2", /*stolen=*/true).ok());
  CHECK(h.Take() == Lines{"w2: compute r2"});
}

}  // namespace
}  // namespace weft::scheduler
