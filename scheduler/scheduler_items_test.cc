// SchedulerState and items read apart (a shuffle's unpacks reading their bucket of each
// split): an item is dropped by the split's holders once every task that reads it has a
// result, and a split that lost an item is recomputed for a reader that needs it again.
#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "scheduler/scheduler_state.h"
#include "scheduler/test_util.h"

namespace weft::scheduler {
namespace {

using testing::Harness;
using testing::Lines;

// How many "compute <prefix>..." instructions in `lines` went to w1 and to other workers.
std::pair<int, int> ComputesOnW1AndOthers(const Lines& lines, const std::string& prefix) {
  int on_w1 = 0, others = 0;
  for (const std::string& line : lines) {
    if (line.find("compute " + prefix) == std::string::npos) continue;
    ++(line.rfind("w1:", 0) == 0 ? on_w1 : others);
  }
  return {on_w1, others};
}

TEST_CASE("an item whose readers are done is dropped by the split's holders") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  h.Submit(c,
           {Harness::Task("s1"), Harness::Task("s2"), Harness::ItemTask("u0", {"s1", "s2"}, 0),
            Harness::ItemTask("u1", {"s1", "s2"}, 1)},
           {"u0", "u1"});
  REQUIRE(h.Finish(a, "s1").ok());
  REQUIRE(h.Finish(a, "s2").ok());
  h.Take();
  REQUIRE(h.Finish(a, "u0").ok());
  CHECK(h.Take() == Lines{"w1: free item s1[0] item s2[0]", "c1: memory u0 @a"});
  // The last reader: the splits go whole, with no item dropped first.
  REQUIRE(h.Finish(a, "u1").ok());
  CHECK(h.Take() == Lines{"w1: free s1 s2", "c1: memory u1 @a"});
}

TEST_CASE("an item is kept while another task reads it, or reads the whole split") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  SECTION("two readers of one item") {
    h.Submit(c,
             {Harness::Task("s"), Harness::ItemTask("u0", {"s"}, 0),
              Harness::ItemTask("v0", {"s"}, 0), Harness::ItemTask("u1", {"s"}, 1)},
             {"u0", "v0", "u1"});
    REQUIRE(h.Finish(a, "s").ok());
    h.Take();
    REQUIRE(h.Finish(a, "u0").ok());
    CHECK(h.Take() == Lines{"c1: memory u0 @a"});
    REQUIRE(h.Finish(a, "v0").ok());
    CHECK(h.Take() == Lines{"w1: free item s[0]", "c1: memory v0 @a"});
  }
  SECTION("a whole reader") {
    h.Submit(c,
             {Harness::Task("s"), Harness::ItemTask("u0", {"s"}, 0), Harness::Task("all", {"s"})},
             {"u0", "all"});
    REQUIRE(h.Finish(a, "s").ok());
    h.Take();
    REQUIRE(h.Finish(a, "u0").ok());
    CHECK(h.Take() == Lines{"c1: memory u0 @a"});
  }
  SECTION("a client that wants the split") {
    h.Submit(
        c,
        {Harness::Task("s"), Harness::ItemTask("u0", {"s"}, 0), Harness::ItemTask("u1", {"s"}, 1)},
        {"s", "u0", "u1"});
    REQUIRE(h.Finish(a, "s").ok());
    h.Take();
    REQUIRE(h.Finish(a, "u0").ok());
    CHECK(h.Take() == Lines{"c1: memory u0 @a"});
  }
}

TEST_CASE("every holder of a split drops the item") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  h.Submit(
      c, {Harness::Task("s"), Harness::ItemTask("u0", {"s"}, 0), Harness::ItemTask("u1", {"s"}, 1)},
      {"u0", "u1"});
  REQUIRE(h.Finish(a, "s").ok());
  h.Replicated(b, "s");  // a copy moved to b (as when a retires)
  h.Take();
  REQUIRE(h.Finish(a, "u0").ok());
  CHECK(h.TakeSorted() == Lines{"c1: memory u0 @a", "w1: free item s[0]", "w2: free item s[0]"});
}

TEST_CASE("a reader that needs a dropped item again has the split recomputed") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  h.Submit(c,
           {Harness::Task("in"), Harness::Task("s", {"in"}), Harness::ItemTask("u0", {"s"}, 0),
            Harness::ItemTask("u1", {"s"}, 1), Harness::Task("out", {"u0", "u1"})},
           {"out"});
  REQUIRE(h.Finish(a, "in").ok());
  REQUIRE(h.Finish(a, "s").ok());
  h.Take();
  // u0 was sent to a (which holds s), and b finished it: a is told to drop its run.
  REQUIRE(h.Finish(b, "u0").ok());
  CHECK(h.Take() == Lines{"w1: free u0 item s[0]"});
  // b dies with u0's result: u0 runs again, and a no longer has item 0 of s.
  h.RemoveWorker(b);
  h.Take();
  REQUIRE(h.Status("u0") == "processing");
  REQUIRE(h.Fail(a, "u0", "item 0 of s was freed here", {"s"}).ok());
  CHECK(h.Status("s") == "waiting");  // recomputed from its input, which is recomputed too
  CHECK(h.Status("in") == "processing");
  REQUIRE(h.Finish(a, "in").ok());
  REQUIRE(h.Finish(a, "s").ok());
  REQUIRE(h.Finish(a, "u0").ok());
  REQUIRE(h.Finish(a, "u1").ok());
  REQUIRE(h.Finish(a, "out").ok());
  CHECK(h.Status("out") == "memory");
}

TEST_CASE("an unpack is placed by the bytes of its buckets, not of the whole splits") {
  // a holds three of four 64 MB splits, b one. Each unpack reads a quarter of each: 48 MB
  // is on a and 16 MB on b, so moving its inputs to b costs 0.48 s at the 100 MB/s the
  // scheduler assumes, less than waiting behind an unpack on a (0.5 s, unknown duration):
  // they alternate. Weighed as whole splits, b would cost 1.92 s, and a would get three.
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  const std::vector<std::string> splits = {"s1", "s2", "s3", "s4"};
  std::vector<proto::TaskSpec> tasks;
  for (const std::string& s : splits) tasks.push_back(Harness::Task(s));
  for (int j = 0; j < 4; ++j) tasks.push_back(Harness::ItemTask(absl::StrCat("u", j), splits, j));
  h.Submit(c, tasks, {"u0", "u1", "u2", "u3"});
  REQUIRE(h.Finish(a, "s1", 64'000'000).ok());
  REQUIRE(h.Finish(a, "s2", 64'000'000).ok());
  REQUIRE(h.Finish(a, "s3", 64'000'000).ok());
  h.Take();
  REQUIRE(h.Finish(b, "s4", 64'000'000).ok());
  const auto [on_a, on_b] = ComputesOnW1AndOthers(h.Take(), "u");
  CHECK(on_a == 2);
  CHECK(on_b == 2);
}

TEST_CASE("a task is not drawn to where a dependency it only runs after is held") {
  // r0..r3 run after `bounds` (a dependency no arg names: a sort's second read of its
  // input) and read nothing: they spread over both workers. Were `bounds` an input, its
  // gigabyte on a would draw all four there.
  Harness h;
  std::string a = h.AddWorker("a");
  std::string b = h.AddWorker("b");
  std::string c = h.AddClient();
  std::vector<proto::TaskSpec> tasks = {Harness::Task("bounds")};
  for (int j = 0; j < 4; ++j) {
    proto::TaskSpec read = Harness::Task(absl::StrCat("r", j), {"bounds"});
    read.clear_args();
    tasks.push_back(std::move(read));
  }
  h.Submit(c, tasks, {"r0", "r1", "r2", "r3"});
  h.Take();
  REQUIRE(h.Finish(a, "bounds", 1'000'000'000).ok());
  const auto [on_a, on_b] = ComputesOnW1AndOthers(h.Take(), "r");
  CHECK(on_a == 2);
  CHECK(on_b == 2);
}

}  // namespace
}  // namespace weft::scheduler
