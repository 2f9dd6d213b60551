// SchedulerState's task restrictions (resources, workers, allow_other_workers), retries
// and user priorities: events in, instructions compared.
#include <catch2/catch.hpp>

#include "scheduler/test_util.h"

namespace weft::scheduler {
namespace {

using testing::Harness;
using testing::Lines;

proto::TaskSpec WithResources(proto::TaskSpec spec, const std::string& name, double amount) {
  (*spec.mutable_resources())[name] = amount;
  return spec;
}

proto::TaskSpec OnWorkers(proto::TaskSpec spec, std::vector<std::string> workers,
                          bool allow_other_workers = false) {
  for (auto& w : workers) spec.add_workers(w);
  spec.set_allow_other_workers(allow_other_workers);
  return spec;
}

proto::TaskSpec WithRetries(proto::TaskSpec spec, int retries) {
  spec.set_retries(retries);
  return spec;
}

proto::TaskSpec WithPriority(proto::TaskSpec spec, int64_t priority) {
  spec.set_priority(priority);
  return spec;
}

double Used(const Harness& h, const std::string& worker, const std::string& resource) {
  const auto& used = h.state.GetWorker(worker)->resources_used;
  auto it = used.find(resource);
  return it == used.end() ? 0 : it->second;
}

int64_t InfoCount(const Harness& h, const std::string& state) {
  proto::InfoReply info;
  h.state.FillInfo(&info);
  auto it = info.tasks_by_state().find(state);
  return it == info.tasks_by_state().end() ? 0 : it->second;
}

TEST_CASE("a GPU task waits in no-worker until a GPU worker joins, then runs there") {
  Harness h;
  h.AddWorker("cpu", /*nthreads=*/4);
  std::string c = h.AddClient();
  h.Submit(c, {WithResources(Harness::Task("train"), "GPU", 1)}, {"train"});
  CHECK(h.Take().empty());
  CHECK(h.Status("train") == "no-worker");
  CHECK(InfoCount(h, "no-worker") == 1);

  // Too little of it is no better than none.
  h.AddWorkerWithResources("small", {{"GPU", 0.5}});
  CHECK(h.Take().empty());
  CHECK(h.Status("train") == "no-worker");

  std::string gpu = h.AddWorkerWithResources("gpu", {{"GPU", 1}});
  CHECK(h.Take() == Lines{"w3: compute train"});
  CHECK(Used(h, gpu, "GPU") == 1);
  proto::InfoReply info;
  h.state.FillInfo(&info);
  CHECK(info.workers(2).resources().at("GPU") == 1);
  CHECK(info.workers(2).resources_used().at("GPU") == 1);

  REQUIRE(h.Finish(gpu, "train").ok());
  CHECK(h.Take() == Lines{"c1: memory train @gpu"});
  CHECK(Used(h, gpu, "GPU") == 0);
}

TEST_CASE("two GPU=1 tasks on a GPU=1 worker run one at a time") {
  Harness h;
  std::string gpu = h.AddWorkerWithResources("gpu", {{"GPU", 1}}, /*nthreads=*/4);
  std::string c = h.AddClient();
  h.Submit(
      c,
      {WithResources(Harness::Task("g1"), "GPU", 1), WithResources(Harness::Task("g2"), "GPU", 1)},
      {"g1", "g2"});
  CHECK(h.Take() == Lines{"w1: compute g1"});
  CHECK(h.Status("g2") == "queued");  // a worker may run it: it waits for the GPU

  SECTION("the finish of one starts the other") {
    REQUIRE(h.Finish(gpu, "g1").ok());
    CHECK(h.Take() == Lines{"w1: compute g2", "c1: memory g1 @gpu"});
    CHECK(Used(h, gpu, "GPU") == 1);
  }
  SECTION("so does a failure") {
    REQUIRE(h.Fail(gpu, "g1", "out of memory").ok());
    CHECK(h.Take() == Lines{"w1: compute g2", "c1: erred g1 (g1 in boom: out of memory)"});
  }
  SECTION("and a release") {
    h.Release(c, {"g1"});
    CHECK(h.Take() == Lines{"w1: free g1", "w1: compute g2"});
  }
  SECTION("a second GPU worker takes the waiting one") {
    std::string gpu2 = h.AddWorkerWithResources("gpu2", {{"GPU", 1}});
    CHECK(h.Take() == Lines{"w2: compute g2"});
    CHECK(Used(h, gpu2, "GPU") == 1);
  }
  SECTION("the GPU worker leaves: both wait in no-worker, and run when another joins") {
    h.RemoveWorker(gpu);
    CHECK(h.Take().empty());
    CHECK(h.Status("g1") == "no-worker");
    CHECK(h.Status("g2") == "no-worker");
    h.AddWorkerWithResources("gpu2", {{"GPU", 1}});
    CHECK(h.Take() == Lines{"w2: compute g1"});
    CHECK(h.Status("g2") == "queued");
  }
}

TEST_CASE("resources are held per task: GPU=2 runs two GPU=1 tasks, or one GPU=2 task") {
  Harness h;
  std::string gpu = h.AddWorkerWithResources("gpu", {{"GPU", 2}, {"MEM", 10e9}}, 8);
  std::string c = h.AddClient();
  h.Submit(c,
           {WithResources(Harness::Task("big"), "GPU", 2),
            WithResources(WithResources(Harness::Task("s1"), "GPU", 1), "MEM", 6e9),
            WithResources(Harness::Task("s2"), "GPU", 1)},
           {"big", "s1", "s2"});
  CHECK(h.Take() == Lines{"w1: compute big"});
  REQUIRE(h.Finish(gpu, "big").ok());
  CHECK(h.Take() == Lines{"w1: compute s1", "w1: compute s2", "c1: memory big @gpu"});
  CHECK(Used(h, gpu, "GPU") == 2);
  CHECK(Used(h, gpu, "MEM") == 6e9);
}

TEST_CASE("a restricted task with inputs waits for resources with its inputs in memory") {
  Harness h;
  std::string gpu = h.AddWorkerWithResources("gpu", {{"GPU", 1}});
  std::string cpu = h.AddWorker("cpu");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("x"), WithResources(Harness::Task("g1"), "GPU", 1)}, {"x", "g1"});
  CHECK(h.TakeSorted() == Lines{"w1: compute g1", "w2: compute x"});
  h.Submit(c, {WithResources(Harness::Task("g2", {"x"}), "GPU", 1)}, {"g2"});
  REQUIRE(h.Finish(cpu, "x").ok());
  CHECK(h.Take() == Lines{"c1: memory x @cpu"});
  CHECK(h.Status("g2") == "queued");

  SECTION("it starts when the GPU is free") {
    REQUIRE(h.Finish(gpu, "g1").ok());
    CHECK(h.Take() == Lines{"w1: compute g2 (x@cpu)", "c1: memory g1 @gpu"});
  }
  SECTION("its input is lost meanwhile: it waits for the recomputation") {
    h.RemoveWorker(cpu);
    CHECK(h.Take() == Lines{"w1: compute x", "c1: lost x"});
    CHECK(h.Status("g2") == "waiting");
  }
}

TEST_CASE("workers=[name] runs where asked; no such worker means no-worker") {
  Harness h;
  h.AddWorker("a");
  h.AddWorker("b");
  std::string c = h.AddClient();
  h.Submit(c,
           {OnWorkers(Harness::Task("t1"), {"b"}), OnWorkers(Harness::Task("t2"), {"b"}),
            OnWorkers(Harness::Task("t3"), {"b"})},
           {"t1", "t2", "t3"});
  // Restricted tasks skip root-task queuing: all go to b, none to the idle a.
  CHECK(h.Take() == Lines{"w2: compute t1", "w2: compute t2", "w2: compute t3"});

  h.Submit(c, {OnWorkers(Harness::Task("later"), {"c"})}, {"later"});
  CHECK(h.Status("later") == "no-worker");
  std::string cw = h.AddWorker("c");
  CHECK(h.Take() == Lines{"w3: compute later"});
  CHECK(h.state.GetTask("later")->processing_on == h.state.GetWorker(cw));
}

TEST_CASE("workers match names, addresses and hosts") {
  Harness h;
  proto::RegisterWorker reg;
  reg.mutable_info()->set_name("alice");
  reg.mutable_info()->set_address("10.0.0.7:4321");
  std::string alice = h.state.AddWorker(reg, h.now);
  h.AddWorker("bob");
  std::string c = h.AddClient();
  h.Take();
  for (std::string entry : {"alice", "10.0.0.7:4321", "10.0.0.7"}) {
    h.Submit(c, {OnWorkers(Harness::Task("t-" + entry), {entry})}, {"t-" + entry});
    CHECK(h.Take() == Lines{"w1: compute t-" + entry});
  }
}

TEST_CASE("allow_other_workers: the named workers are a preference") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  h.Submit(c, {OnWorkers(Harness::Task("t1"), {"b"}, /*allow_other_workers=*/true)}, {"t1"});
  CHECK(h.Take() == Lines{"w1: compute t1"});  // b is not there: a runs it

  h.AddWorker("b");
  h.Submit(c, {OnWorkers(Harness::Task("t2"), {"b"}, /*allow_other_workers=*/true)}, {"t2"});
  CHECK(h.Take() == Lines{"w2: compute t2"});  // b is there: it goes to b, though a is busy
  // Without allow_other_workers and without b, it would wait.
  h.Submit(c, {OnWorkers(Harness::Task("t3"), {"z"})}, {"t3"});
  CHECK(h.Status("t3") == "no-worker");
}

TEST_CASE("resources are required even with allow_other_workers") {
  Harness h;
  h.AddWorker("a");
  std::string c = h.AddClient();
  h.Submit(c, {WithResources(OnWorkers(Harness::Task("t"), {"b"}, true), "GPU", 1)}, {"t"});
  CHECK(h.Status("t") == "no-worker");
  h.AddWorkerWithResources("g", {{"GPU", 1}});
  CHECK(h.Take() == Lines{"w2: compute t"});
}

TEST_CASE("retries re-run a failed task, then it errs with the last error") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  h.Submit(c, {WithRetries(Harness::Task("flaky"), 2), Harness::Task("after", {"flaky"})},
           {"after"});
  CHECK(h.Take() == Lines{"w1: compute flaky"});
  REQUIRE(h.Fail(a, "flaky", "first").ok());
  CHECK(h.Take() == Lines{"w1: free flaky", "w1: compute flaky"});
  CHECK(h.Status("flaky") == "processing");
  REQUIRE(h.Fail(a, "flaky", "second").ok());
  CHECK(h.Take() == Lines{"w1: free flaky", "w1: compute flaky"});

  SECTION("a success on the last try counts") {
    REQUIRE(h.Finish(a, "flaky").ok());
    CHECK(h.Take() == Lines{"w1: compute after (flaky@a)"});
  }
  SECTION("a third failure is reported") {
    REQUIRE(h.Fail(a, "flaky", "third").ok());
    CHECK(h.Take() == Lines{"c1: erred after (flaky in boom: third)"});
    CHECK(h.Status("flaky") == "erred");
  }
}

TEST_CASE("a task without retries errs at its first failure") {
  Harness h;
  std::string a = h.AddWorker("a");
  std::string c = h.AddClient();
  h.Submit(c, {Harness::Task("t")}, {"t"});
  h.Take();
  REQUIRE(h.Fail(a, "t", "boom").ok());
  CHECK(h.Take() == Lines{"c1: erred t (t in boom: boom)"});
}

TEST_CASE("priority: higher runs first among ready tasks") {
  Harness h;
  std::string a = h.AddWorker("a");  // 1 thread: room for 2 root tasks
  std::string c = h.AddClient();
  h.Submit(c,
           {Harness::Task("x0"), Harness::Task("x1"), WithPriority(Harness::Task("low"), -1),
            WithPriority(Harness::Task("high"), 5)},
           {"x0", "x1", "low", "high"});
  CHECK(h.Take() == Lines{"w1: compute high", "w1: compute x0"});
  // A later graph's urgent task overtakes what was queued before it.
  h.Submit(c, {WithPriority(Harness::Task("urgent"), 1)}, {"urgent"});
  CHECK(h.Take().empty());
  REQUIRE(h.Finish(a, "x0").ok());
  CHECK(h.Take() == Lines{"w1: compute urgent", "c1: memory x0 @a"});
  REQUIRE(h.Finish(a, "high").ok());
  CHECK(h.Take() == Lines{"w1: compute x1", "c1: memory high @a"});
  REQUIRE(h.Finish(a, "urgent").ok());
  CHECK(h.Take() == Lines{"w1: compute low", "c1: memory urgent @a"});
  // Workers get the same order (ComputeTask.priority, lower first).
  CHECK(h.Priority("high") < h.Priority("urgent"));
  CHECK(h.Priority("urgent") < h.Priority("x1"));
  CHECK(h.Priority("x1") < h.Priority("low"));

  // A low-priority task as an input of a later graph is an old task there.
  REQUIRE(h.Finish(a, "low").ok());
  h.Take();
  h.Submit(c, {Harness::Task("use", {"low"})}, {"use"});
  CHECK(h.Take() == Lines{"w1: compute use (low@a)"});
}

TEST_CASE("GPU tasks waiting for resources go out by priority") {
  Harness h;
  std::string gpu = h.AddWorkerWithResources("gpu", {{"GPU", 1}});
  std::string c = h.AddClient();
  h.Submit(
      c,
      {WithResources(Harness::Task("g0"), "GPU", 1), WithResources(Harness::Task("g1"), "GPU", 1),
       WithPriority(WithResources(Harness::Task("g2"), "GPU", 1), 3)},
      {"g0", "g1", "g2"});
  CHECK(h.Take() == Lines{"w1: compute g2"});
  REQUIRE(h.Finish(gpu, "g2").ok());
  CHECK(h.Take() == Lines{"w1: compute g0", "c1: memory g2 @gpu"});
}

TEST_CASE("stealing moves a restricted task only to a thief that may run it") {
  Harness h;
  std::string gpu = h.AddWorkerWithResources("gpu", {{"GPU", 2}});  // 1 thread, 2 GPUs
  h.AddWorker("cpu");
  std::string c = h.AddClient();
  h.Submit(
      c,
      {WithResources(Harness::Task("g1"), "GPU", 1), WithResources(Harness::Task("g2"), "GPU", 1)},
      {"g1", "g2"});
  CHECK(h.Take() == Lines{"w1: compute g1", "w1: compute g2"});
  h.Tick();  // cpu is idle, but has no GPU
  CHECK(h.Take().empty());

  std::string gpu2 = h.AddWorkerWithResources("gpu2", {{"GPU", 1}});
  h.Take();
  h.Tick();
  CHECK(h.Take() == Lines{"w1: steal g2"});
  REQUIRE(h.StealReply(gpu, "g2", /*stolen=*/true).ok());
  CHECK(h.Take() == Lines{"w3: compute g2"});
  CHECK(Used(h, gpu, "GPU") == 1);
  CHECK(Used(h, gpu2, "GPU") == 1);
}

TEST_CASE("a steal whose thief's resources were taken meanwhile places the task afresh") {
  Harness h;
  std::string gpu = h.AddWorkerWithResources("gpu", {{"GPU", 2}});
  std::string c = h.AddClient();
  h.Submit(
      c,
      {WithResources(Harness::Task("g1"), "GPU", 1), WithResources(Harness::Task("g2"), "GPU", 1)},
      {"g1", "g2"});
  h.Take();
  std::string gpu2 = h.AddWorkerWithResources("gpu2", {{"GPU", 1}});
  h.Tick();
  CHECK(h.Take() == Lines{"w1: steal g2"});
  // Before the answer, a new GPU task takes gpu2's GPU.
  h.Submit(c, {WithResources(Harness::Task("g3"), "GPU", 1)}, {"g3"});
  CHECK(h.Take() == Lines{"w2: compute g3"});
  REQUIRE(h.StealReply(gpu, "g2", /*stolen=*/true).ok());
  // The victim dropped it; it runs again where a GPU is free: back on gpu.
  CHECK(h.Take() == Lines{"w1: free g2", "w1: compute g2"});
  CHECK(Used(h, gpu2, "GPU") == 1);
}

TEST_CASE("invalid options make the task erred, saying why") {
  Harness h;
  h.AddWorker("a");
  std::string c = h.AddClient();
  h.Submit(c, {WithResources(Harness::Task("t"), "GPU", -1)}, {"t"});
  Lines lines = h.Take();
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::Contains("erred t") && Catch::Contains("amount > 0"));
  h.Submit(c, {WithRetries(Harness::Task("r"), -2)}, {"r"});
  lines = h.Take();
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::Contains("retries must be >= 0"));
}

TEST_CASE("the spec a worker gets carries no restrictions") {
  Harness h;
  h.AddWorkerWithResources("gpu", {{"GPU", 1}});
  std::string c = h.AddClient();
  h.Submit(c, {WithRetries(OnWorkers(WithResources(Harness::Task("t"), "GPU", 1), {"gpu"}), 1)},
           {"t"});
  Instructions out = h.state.TakeInstructions();
  REQUIRE(out.to_workers.size() == 2);  // welcome, compute
  const proto::TaskSpec& spec = out.to_workers[1].instruction.compute().task();
  CHECK(spec.key() == "t");
  CHECK(spec.resources().empty());
  CHECK(spec.workers().empty());
  CHECK(spec.retries() == 0);
}

TEST_CASE("a paused GPU worker gets no GPU task until it resumes") {
  Harness h;
  std::string gpu = h.AddWorkerWithResources("gpu", {{"GPU", 1}});
  std::string c = h.AddClient();
  h.Pause(gpu, true);
  h.Submit(c, {WithResources(Harness::Task("g"), "GPU", 1)}, {"g"});
  CHECK(h.Status("g") == "no-worker");
  h.Pause(gpu, false);
  CHECK(h.Take() == Lines{"w1: compute g"});
}

}  // namespace
}  // namespace weft::scheduler
