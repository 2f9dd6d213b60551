// SchedulerState::ScatterData: values a client put straight on the workers (scatter).
#include <catch2/catch.hpp>

#include "scheduler/scheduler_state.h"
#include "scheduler/test_util.h"

namespace weft::scheduler {
namespace {

using testing::Harness;
using testing::Lines;
using testing::StoryOf;

TEST_CASE("scattered data is in memory where it was put, and tasks use it like any result") {
  Harness h;
  std::string a = h.AddWorker("a");
  h.AddWorker("b");
  std::string c = h.AddClient();
  REQUIRE(h.Scatter(c, "scatter-1", {"a"}, 800).ok());
  CHECK(h.Take() == Lines{"w1: accept scatter-1", "c1: memory scatter-1 @a"});
  CHECK(h.Status("scatter-1") == "memory");
  CHECK(StoryOf(h.state, "scatter-1", /*with_stimulus=*/true) ==
        std::vector<std::string>{"released->memory (scatter-data)"});
  const TaskState* ts = h.state.GetTask("scatter-1");
  CHECK(ts->scattered);
  CHECK(ts->nbytes == 800);
  CHECK(h.state.GetWorker(a)->has_what.contains(const_cast<TaskState*>(ts)));

  h.Submit(c, {Harness::Task("inc", {"scatter-1"})}, {"inc"});
  CHECK(h.Take() == Lines{"w1: compute inc (scatter-1@a)"});
  REQUIRE(h.Finish(a, "inc").ok());
  CHECK(h.Take() == Lines{"c1: memory inc @a"});

  // The last future on it is dropped: freed on its worker like any key.
  h.Release(c, {"scatter-1"});
  CHECK(h.Take() == Lines{"w1: free scatter-1"});
  CHECK(h.Status("scatter-1") == "released");  // inc, finished, still points at it
  h.Release(c, {"inc"});
  CHECK(h.Take() == Lines{"w1: free inc"});
  CHECK(h.state.num_tasks() == 0);
}

TEST_CASE("scattering a key again adds holders; broadcast puts it on every worker") {
  Harness h;
  h.AddWorker("a");
  h.AddWorker("b");
  std::string c1 = h.AddClient("one");
  std::string c2 = h.AddClient("two");
  REQUIRE(h.Scatter(c1, "scatter-1", {"a"}).ok());
  h.Take();
  REQUIRE(h.Scatter(c2, "scatter-1", {"a", "b"}).ok());
  CHECK(h.Take() ==
        Lines{"w1: accept scatter-1", "w2: accept scatter-1", "c2: memory scatter-1 @a,b"});
  CHECK(h.state.GetTask("scatter-1")->who_has.size() == 2);
  CHECK(h.state.GetTask("scatter-1")->who_wants.size() == 2);
  h.Release(c1, {"scatter-1"});
  CHECK(h.Take().empty());  // c2 still wants it
  h.Release(c2, {"scatter-1"});
  CHECK(h.Take() == Lines{"w1: free scatter-1", "w2: free scatter-1"});
}

// A FreeKeys of an earlier copy may reach the worker after the new copy landed: it comes
// before PutAccepted on the worker's stream, so the worker knows to ignore it.
TEST_CASE("PutAccepted follows every FreeKeys sent before the scheduler knew of the put") {
  Harness h;
  h.AddWorker("a");
  std::string c = h.AddClient();
  REQUIRE(h.Scatter(c, "scatter-1", {"a"}).ok());
  h.Take();
  h.Release(c, {"scatter-1"});
  REQUIRE(h.Scatter(c, "scatter-1", {"a"}).ok());
  CHECK(h.Take() == Lines{"w1: free scatter-1", "w1: accept scatter-1", "c1: memory scatter-1 @a"});

  // Data from a client the scheduler does not know: accepted, then freed.
  CHECK(absl::IsNotFound(h.Scatter("c9", "scatter-2", {"a"})));
  CHECK(h.Take() == Lines{"w1: accept scatter-2", "w1: free scatter-2"});
  CHECK(h.Status("scatter-2") == "forgotten");
}

TEST_CASE("scattered data lost with its only worker errs its futures and dependents") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  REQUIRE(h.Scatter(c, "scatter-1", {"a"}).ok());
  h.Submit(c, {Harness::Task("slow", {}, "g"), Harness::Task("sum", {"scatter-1", "slow"})},
           {"sum"});
  h.Take();
  h.RemoveWorker(a, "killed");
  CHECK(h.Status("scatter-1") == "erred");
  CHECK(h.Status("sum") == "erred");
  Lines lines = h.Take();
  const std::string why =
      "the scattered data of scatter-1 was lost with worker a (killed), its only holder; it "
      "cannot be recomputed: scatter it again";
  CHECK(std::count(lines.begin(), lines.end(),
                   "c1: erred scatter-1 (scatter-1 in scatter: " + why + ")") == 1);
  CHECK(std::count(lines.begin(), lines.end(),
                   "c1: erred sum (scatter-1 in scatter: " + why + ")") == 1);
  CHECK(StoryOf(h.state, "scatter-1", /*with_stimulus=*/true).back() ==
        "memory->erred (remove-worker)");

  // Scattered again: in memory again (erred -> memory).
  REQUIRE(h.Scatter(c, "scatter-1", {"b"}).ok());
  CHECK(h.Take() == Lines{"w2: accept scatter-1", "c1: memory scatter-1 @b"});
  CHECK(h.state.GetTask("scatter-1")->error == nullptr);
}

TEST_CASE("scattered data is never computed: released or missing, what needs it errs") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();

  SECTION("released, then a dependent's result is lost and needs it again") {
    REQUIRE(h.Scatter(c, "scatter-1", {"a"}).ok());
    h.Submit(c, {Harness::Task("t", {"scatter-1"})}, {"t"});
    h.Take();
    REQUIRE(h.Finish(a, "t").ok());
    h.Release(c, {"scatter-1"});
    CHECK(h.Status("scatter-1") == "released");
    h.RemoveWorker(a);  // t's only copy
    CHECK(h.Status("t") == "erred");
    CHECK(h.state.GetTask("t")->error->message ==
          "the scattered data of scatter-1 was released; it cannot be recomputed: scatter it "
          "again");
    CHECK(h.state.CountInStatus(TaskStatus::kProcessing) == 0);
  }

  SECTION("a task's worker cannot fetch it from its holder") {
    REQUIRE(h.Scatter(c, "scatter-1", {"a"}).ok());
    h.Pause(a, true);  // t runs on b and must fetch
    h.Submit(c, {Harness::Task("t", {"scatter-1"})}, {"t"});
    CHECK(h.Take() ==
          Lines{"w1: accept scatter-1", "w2: compute t (scatter-1@a)", "c1: memory scatter-1 @a"});
    REQUIRE(h.Fail(b, "t", "gone", {"scatter-1"}).ok());
    CHECK(h.Status("scatter-1") == "erred");
    CHECK(h.Status("t") == "erred");
    CHECK(h.state.CountInStatus(TaskStatus::kProcessing) == 0);
  }

  SECTION("its holders left before the client's word came") {
    h.RemoveWorker(a);
    REQUIRE(h.Scatter(c, "scatter-1", {"a"}).ok());
    CHECK(h.Status("scatter-1") == "erred");
    CHECK(h.Take() == Lines{"c1: erred scatter-1 (scatter-1 in scatter: the scattered data of "
                            "scatter-1 was lost with the workers it was put on; it cannot be "
                            "recomputed: scatter it again)"});
  }
  CHECK(h.state.illegal_transitions() == 0);
}

}  // namespace
}  // namespace weft::scheduler
