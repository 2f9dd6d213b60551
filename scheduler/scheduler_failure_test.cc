// SchedulerState when things go wrong: failed tasks, dead and silent workers, lost
// results, stale messages, cancellation, and illegal transitions.
#include <algorithm>
#include <catch2/catch.hpp>

#include "scheduler/scheduler_state.h"
#include "scheduler/test_util.h"

namespace weft::scheduler {
namespace {

using testing::Harness;
using testing::Lines;

TEST_CASE("a failure errs every task downstream, naming the task that failed") {
  Harness h;
  std::string w = h.AddWorker("a");
  std::string c = h.AddClient();
  h.Submit(c,
           {Harness::Task("x"), Harness::Task("y", {"x"}), Harness::Task("z", {"y"}),
            Harness::Task("other")},
           {"z", "other"});
  // Root tasks go out in priority order: x's chain was submitted first.
  CHECK(h.Take() == Lines{"w1: compute x", "w1: compute other"});
  REQUIRE(h.Fail(w, "x", "kaboom in x").ok());
  CHECK(h.Take() == Lines{"c1: erred z (x in boom: kaboom in x)"});
  CHECK(h.Status("x") == "erred");
  CHECK(h.Status("y") == "erred");
  CHECK(h.Status("z") == "erred");
  CHECK(h.state.GetTask("z")->error->erred_key == "x");
  CHECK(h.Status("other") == "processing");

  // A new task on top of the failure fails at once; wanting a failed key reports it.
  h.Submit(c, {Harness::Task("late", {"y"})}, {"late", "x"});
  CHECK(h.Take() ==
        Lines{"c1: erred x (x in boom: kaboom in x)", "c1: erred late (x in boom: kaboom in x)"});

  // A failure after the task was released is ignored (nothing is processing it).
  h.Release(c, {"z", "late", "x"});
  CHECK(h.Take().empty());
  CHECK(h.state.num_tasks() == 1);  // other
  REQUIRE(h.Fail(w, "x", "again").ok());
  CHECK(h.Take().empty());
}

TEST_CASE("a dead worker's running tasks run elsewhere") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x"), Harness::Task("y")}, {"x", "y"});
  CHECK(h.Take() == Lines{"w1: compute x", "w2: compute y"});
  h.RemoveWorker(a);
  CHECK(h.Take() == Lines{"w2: compute x"});
  CHECK(h.state.GetTask("x")->suspicious == 1);
  CHECK(h.state.num_workers() == 1);

  // Late messages from the dead worker change nothing.
  CHECK(absl::IsNotFound(h.Finish(a, "x")));
  CHECK(absl::IsNotFound(h.Fail(a, "x", "late")));
  CHECK(h.Take().empty());
  CHECK(h.Status("x") == "processing");

  // The last worker leaves: ready work waits for a new one.
  h.RemoveWorker(b);
  CHECK(h.Take().empty());
  CHECK(h.Status("x") == "no-worker");
  CHECK(h.Status("y") == "no-worker");
  h.AddWorker("c");
  CHECK(h.Take() == Lines{"w3: compute x", "w3: compute y"});
}

TEST_CASE("a result only a dead worker held is recomputed; wanters hear LOST, then MEMORY") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x"), Harness::Task("y", {"x"})}, {"x", "y"});
  REQUIRE(h.Finish(a, "x").ok());
  CHECK(h.Take() == Lines{"w1: compute x", "w1: compute y (x@a)", "c1: memory x @a"});
  std::string b = h.AddWorker("b");
  h.RemoveWorker(a);
  CHECK(h.Take() == Lines{"w2: compute x", "c1: lost x"});
  CHECK(h.Status("y") == "waiting");
  REQUIRE(h.Finish(b, "x").ok());
  CHECK(h.Take() == Lines{"w2: compute y (x@b)", "c1: memory x @b"});
  REQUIRE(h.Finish(b, "y").ok());
  CHECK(h.Take() == Lines{"c1: memory y @b"});
}

TEST_CASE("a lost input sends its running dependent back to waiting") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x"), Harness::Task("y", {"x"})}, {"y"});
  REQUIRE(h.Finish(a, "x", /*nbytes=*/0).ok());  // no bytes: no locality, round robin
  CHECK(h.Take() == Lines{"w1: compute x", "w2: compute y (x@a)"});
  h.RemoveWorker(a);
  CHECK(h.Take() == Lines{"w2: free y", "w2: compute x"});
  CHECK(h.state.GetTask("y")->suspicious == 0);  // it was not running on the dead worker
  REQUIRE(h.Finish(b, "x").ok());
  CHECK(h.Take() == Lines{"w2: compute y (x@b)"});
}

TEST_CASE("a lost wanted result is recomputed from its released inputs") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("p"), Harness::Task("q", {"p"})}, {"q"});
  REQUIRE(h.Finish(a, "p").ok());
  REQUIRE(h.Finish(a, "q").ok());
  CHECK(h.Take() == Lines{"w1: compute p", "w1: compute q (p@a)", "w1: free p", "c1: memory q @a"});
  CHECK(h.Status("p") == "released");
  h.AddWorker("b");
  h.RemoveWorker(a);
  CHECK(h.Take() == Lines{"w2: compute p", "c1: lost q"});
  CHECK(h.Status("q") == "waiting");
}

TEST_CASE("a task that was running on allowed_failures dead workers is erred") {
  SchedulerOptions options;
  options.allowed_failures = 3;
  Harness h(options);
  std::string c = h.AddClient();
  std::string w = h.AddWorker("a");
  h.Submit(c, {Harness::Task("crash", {}, "segfault"), Harness::Task("after", {"crash"})},
           {"after"});
  CHECK(h.Take() == Lines{"w1: compute crash"});
  for (const char* next : {"b", "c"}) {
    std::string replacement = h.AddWorker(next);
    h.RemoveWorker(w);
    CHECK(h.Take() == Lines{replacement + ": compute crash"});
    w = replacement;
  }
  h.AddWorker("d");
  h.RemoveWorker(w, "killed by signal 11");
  Lines lines = h.Take();
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::StartsWith("c1: erred after (crash in segfault: task crash"));
  CHECK_THAT(lines[0], Catch::Contains("was running on 3 workers that died"));
  CHECK_THAT(lines[0], Catch::Contains("the last one was c (killed by signal 11)"));
  CHECK(h.Status("crash") == "erred");
  CHECK(h.Status("after") == "erred");
}

TEST_CASE("workers silent past the timeout are removed and their work moves") {
  SchedulerOptions options;
  options.worker_timeout = absl::Seconds(10);
  Harness h(options);
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x"), Harness::Task("y")}, {"x", "y"});
  h.Take();
  REQUIRE(h.state.Heartbeat(a, proto::Heartbeat(), h.now + absl::Seconds(5)).ok());
  h.state.CheckTimeouts(h.now + absl::Seconds(9));
  CHECK(h.state.num_workers() == 2);
  h.state.CheckTimeouts(h.now + absl::Seconds(12));
  h.Check();
  CHECK(h.state.num_workers() == 1);
  CHECK(h.state.GetWorker(b) == nullptr);
  Instructions out = h.state.TakeInstructions();
  CHECK(out.removed_workers == std::vector<std::string>{b});
  REQUIRE(out.to_workers.size() == 1);
  CHECK(testing::Describe(out.to_workers[0]) == "w1: compute y");
  // Any message counts as a sign of life.
  h.state.Touch(a, h.now + absl::Seconds(20));
  h.state.CheckTimeouts(h.now + absl::Seconds(29));
  CHECK(h.state.num_workers() == 1);
}

TEST_CASE("results nobody asked the sender for: taken when needed, else freed") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x")}, {"x"});
  CHECK(h.Take() == Lines{"w1: compute x"});
  // b reports x (say, from a run before a reschedule): x is needed, so it is taken, and a
  // stops running it.
  REQUIRE(h.Finish(b, "x").ok());
  CHECK(h.Take() == Lines{"w1: free x", "c1: memory x @b"});
  CHECK(h.state.GetWorker(a)->processing.empty());
  // a finishes too: x is already in memory, so a drops its copy.
  REQUIRE(h.Finish(a, "x").ok());
  CHECK(h.Take() == Lines{"w1: free x"});
  CHECK(h.state.GetTask("x")->who_has.size() == 1);
  // A key the scheduler never heard of.
  REQUIRE(h.Finish(a, "stray").ok());
  CHECK(h.Take() == Lines{"w1: free stray"});
}

TEST_CASE("cancel releases keys not yet computed and what depends on them") {
  Harness h;
  std::string w = h.AddWorker("a");
  std::string c1 = h.AddClient("one");
  std::string c2 = h.AddClient("two");
  h.Submit(
      c1,
      {Harness::Task("done"), Harness::Task("slow", {"done"}), Harness::Task("after", {"slow"})},
      {"done", "after"});
  h.Submit(c2, {Harness::Task("slow")}, {"slow"});
  REQUIRE(h.Finish(w, "done").ok());
  CHECK(h.TakeSorted() ==
        Lines{"c1: memory done @a", "w1: compute done", "w1: compute slow (done@a)"});

  h.Cancel(c1, {"slow", "done"});  // done is in memory: not cancelled
  CHECK(h.TakeSorted() == Lines{"c1: cancelled after", "c2: cancelled slow", "w1: free slow"});
  CHECK(h.state.num_tasks() == 1);
  CHECK(h.Status("done") == "memory");

  // Its result arrives after all: the worker is told to drop it; a failure is ignored.
  REQUIRE(h.Finish(w, "slow").ok());
  CHECK(h.Take() == Lines{"w1: free slow"});
  REQUIRE(h.Fail(w, "slow", "interrupted").ok());
  CHECK(h.Take().empty());
}

TEST_CASE("an input that could not be fetched is recomputed, and the task retried") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x"), Harness::Task("y", {"x"})}, {"y"});
  REQUIRE(h.Finish(a, "x", /*nbytes=*/0).ok());
  CHECK(h.Take() == Lines{"w1: compute x", "w2: compute y (x@a)"});
  REQUIRE(h.Fail(b, "y", "could not fetch x", {"x"}).ok());
  CHECK(h.Take() == Lines{"w1: free x", "w2: free y", "w1: compute x"});
  CHECK(h.Status("y") == "waiting");
  CHECK(h.state.GetTask("y")->error == nullptr);
  REQUIRE(h.Finish(a, "x", 0).ok());
  CHECK(h.Take() == Lines{"w2: compute y (x@a)"});
  REQUIRE(h.Finish(b, "y").ok());
  CHECK(h.Take() == Lines{"w1: free x", "c1: memory y @b"});
}

TEST_CASE("an illegal transition is refused, reported and counted") {
  Harness h;
  h.AddWorker("a");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x")}, {"x"});
  absl::Status status = h.state.TEST_ForceTransition("x", TaskStatus::kForgotten);
  CHECK(status.code() == absl::StatusCode::kInternal);
  CHECK_THAT(std::string(status.message()),
             Catch::StartsWith("illegal transition of x: processing -> forgotten"));
  CHECK_THAT(std::string(status.message()), Catch::Contains("x: queued -> processing"));
  CHECK(h.Status("x") == "processing");
  CHECK(h.state.illegal_transitions() == 1);
  CHECK_FALSE(h.state.Validate().ok());
}

TEST_CASE("stories are bounded") {
  SchedulerOptions options;
  options.story_length = 3;
  Harness h(options);
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x")}, {"x"});
  for (const char* name : {"b", "c", "d"}) {
    std::string next = h.AddWorker(name);
    h.RemoveWorker(a);
    a = next;
  }
  std::vector<StoryEntry> story = h.state.Story("x");
  REQUIRE(story.size() == 3);
  CHECK(story.back().to == TaskStatus::kErred);
  CHECK(story.back().stimulus == std::string("remove-worker"));
}

// A nanny restarts a killed worker under its name, often before the scheduler has seen the
// old stream break (or the old host is gone and its stream never breaks).
TEST_CASE("a worker registering under a name still registered replaces the old one") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x"), Harness::Task("y")}, {"x", "y"});
  CHECK(h.Take() == Lines{"w1: compute x", "w2: compute y"});

  std::string b_again = h.AddWorker("b");
  CHECK(b_again == "w3");  // ids are per registration, never reused
  CHECK(h.state.GetWorker(b) == nullptr);
  CHECK(h.state.num_workers() == 2);
  Instructions out = h.state.TakeInstructions();
  CHECK(out.removed_workers == std::vector<std::string>{b});  // its stream gets closed
  // What the old b was running runs again, as for any worker that left.
  REQUIRE(out.to_workers.size() == 2);
  CHECK(testing::Describe(out.to_workers[0]) == "w1: compute y");
  CHECK(out.to_workers[1].instruction.welcome().worker_id() == b_again);
  CHECK(h.state.GetTask("y")->suspicious == 1);
  CHECK(absl::IsNotFound(h.Finish(b, "y")));  // late news from the old one
  REQUIRE(h.Finish(a, "y").ok());
  CHECK(h.Status("y") == "memory");

  proto::InfoReply info;
  h.state.FillInfo(&info);
  REQUIRE(info.workers_size() == 2);
  CHECK(info.workers(0).name() == "a");
  CHECK(info.workers(1).name() == "b");
  CHECK(info.workers(1).worker_id() == b_again);

  SECTION("other names, and workers without a name, replace nobody") {
    h.AddWorker("bb");
    proto::RegisterWorker unnamed;
    unnamed.mutable_info()->set_address("10.0.0.9:4000");
    h.state.AddWorker(unnamed, h.now);
    h.state.AddWorker(unnamed, h.now);
    h.Check();
    CHECK(h.state.num_workers() == 5);
    CHECK(h.state.TakeInstructions().removed_workers.empty());
  }
}

TEST_CASE("CancelAll (a restart) cancels every client's keys and keeps nothing") {
  Harness h;
  std::string w = h.AddWorker("a");
  std::string c1 = h.AddClient("one");
  std::string c2 = h.AddClient("two");
  h.Submit(c1, {Harness::Task("x"), Harness::Task("y", {"x"})}, {"y"});
  h.Submit(c2, {Harness::Task("z")}, {"z"});
  h.Take();
  REQUIRE(h.Finish(w, "x").ok());
  REQUIRE(h.Finish(w, "z").ok());
  h.Take();
  REQUIRE(h.state.CancelAll("the cluster was restarted").ok());
  h.Check();
  Lines out = h.Take();
  CHECK(std::find(out.begin(), out.end(), c1 + ": cancelled y") != out.end());
  CHECK(std::find(out.begin(), out.end(), c2 + ": cancelled z") != out.end());
  CHECK(h.state.num_tasks() == 0);
  // Results in memory are freed on the worker.
  std::string frees;
  for (const std::string& line : out) {
    if (line.rfind(w + ": free ", 0) == 0) frees += line.substr(w.size() + 7) + " ";
  }
  CHECK(frees.find("x ") != std::string::npos);
  CHECK(frees.find("z ") != std::string::npos);
}

TEST_CASE("retiring a worker copies what only it holds elsewhere, then closes it") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x"), Harness::Task("y")}, {"x", "y"});
  Lines sent = h.Take();
  std::string x_on = sent.at(0).substr(0, 2), y_on = sent.at(1).substr(0, 2);
  REQUIRE(h.Finish(x_on, "x").ok());
  REQUIRE(h.Finish(y_on, "y").ok());
  h.Take();
  // Both on a, whichever way they were placed: run one more there to be sure a holds one.
  h.Submit(c, {Harness::Task("z")}, {"z"});
  Lines z = h.Take();
  const std::string z_on = z.at(0).substr(0, 2);
  REQUIRE(h.Finish(z_on, "z", 100).ok());
  h.Take();
  const std::string leaving = z_on;
  const std::string staying = leaving == a ? b : a;
  const std::string staying_name = staying == a ? "a" : "b";
  const std::string leaving_name = leaving == a ? "a" : "b";

  REQUIRE(h.state.RetireWorkers({leaving}).ok());
  h.Check();
  CHECK(h.state.GetWorker(leaving)->paused);
  Lines asks = h.Take();
  REQUIRE(asks.size() == 1);
  CHECK(asks[0].rfind(staying + ": acquire ", 0) == 0);
  CHECK(asks[0].find("z@" + leaving_name) != std::string::npos);

  // A new task goes to the staying worker only.
  h.Submit(c, {Harness::Task("w")}, {"w"});
  CHECK(h.Take() == Lines{staying + ": compute w"});

  h.Tick();  // the copies are not in yet: no close, no second ask
  for (const std::string& line : h.Take()) CHECK(line.find("close") == std::string::npos);
  for (const char* key : {"x", "y", "z"}) {
    if (asks[0].find(std::string(key) + "@" + leaving_name) != std::string::npos) {
      h.Replicated(staying, key);
    }
  }
  h.Tick();
  CHECK(h.Take() == Lines{leaving + ": close"});
  h.RemoveWorker(leaving);
  // Nothing was lost: every result is still in memory, on the staying worker.
  for (const char* key : {"x", "y", "z"}) {
    CHECK(h.Status(key) == "memory");
    const TaskState* ts = h.state.GetTask(key);
    REQUIRE(ts->who_has.size() == 1);
    CHECK(ts->who_has[0]->info.name() == staying_name);
  }
  CHECK(h.Take().empty());
}

TEST_CASE("a retiring worker waits for its running task; a failed copy is asked again") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x")}, {"x"});
  Lines sent = h.Take();
  const std::string on = sent.at(0).substr(0, 2);
  const std::string other = on == a ? b : a;
  REQUIRE(h.state.RetireWorkers({on}).ok());
  h.Check();
  h.Tick();
  // x is still processing there: no close (a paused worker's task may be asked back).
  for (const std::string& line : h.Take()) {
    CHECK(line.find("close") == std::string::npos);
    if (line == on + ": steal x") REQUIRE(h.StealReply(on, "x", /*stolen=*/false).ok());
  }
  REQUIRE(h.Finish(on, "x").ok());
  h.Take();
  h.Tick();
  Lines ask = h.Take();
  REQUIRE(ask.size() == 1);
  CHECK(ask[0].rfind(other + ": acquire x@", 0) == 0);
  h.Replicated(other, "x", 0, "connection refused");
  h.Tick();
  ask = h.Take();
  REQUIRE(ask.size() == 1);
  CHECK(ask[0].rfind(other + ": acquire x@", 0) == 0);
  h.Replicated(other, "x");
  h.Tick();
  CHECK(h.Take() == Lines{on + ": close"});
}

}  // namespace
}  // namespace weft::scheduler
