// WorkerState: feed events, compare the instructions returned.
#include "worker/worker_state.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "common/key.h"

namespace weft {
namespace {

using Holders = std::vector<std::pair<std::string, std::vector<std::string>>>;

proto::ComputeTask Compute(const std::string& key, const Holders& deps = {}, int64_t priority = 0,
                           const std::string& function = "inc", int64_t dep_nbytes = 0) {
  proto::ComputeTask compute;
  compute.set_priority(priority);
  proto::TaskSpec* spec = compute.mutable_task();
  spec->set_key(key);
  spec->set_function(function);
  for (const auto& [dep, addresses] : deps) {
    spec->add_dependencies(dep);
    spec->add_args()->set_key(dep);
    proto::KeyLocation* location = compute.add_who_has();
    location->set_key(dep);
    location->set_nbytes(dep_nbytes);
    for (const auto& a : addresses) location->add_addresses(a);
  }
  return compute;
}

ExecuteOutcome Ok(const std::string& key, int64_t nbytes = 8) {
  ExecuteOutcome outcome;
  outcome.key = key;
  outcome.ok = true;
  outcome.nbytes = nbytes;
  outcome.type_name = "int";
  outcome.duration_seconds = 0.5;
  return outcome;
}

// A compact, comparable rendering of instructions.
std::vector<std::string> Render(const Instructions& instructions) {
  std::vector<std::string> out;
  for (const Instruction& instruction : instructions) {
    if (auto* f = std::get_if<FetchInstruction>(&instruction)) {
      std::string s = "fetch " + f->address + ":";
      for (const auto& k : f->keys) s += " " + k;
      out.push_back(s);
    } else if (auto* e = std::get_if<ExecuteInstruction>(&instruction)) {
      out.push_back("execute " + e->spec->key());
    } else if (auto* c = std::get_if<CancelInstruction>(&instruction)) {
      out.push_back("cancel " + c->key);
    } else if (auto* r = std::get_if<ReleaseInstruction>(&instruction)) {
      out.push_back("release " + r->key +
                    (r->items.empty() ? "" : " items " + absl::StrJoin(r->items, ",")));
    } else if (auto* s = std::get_if<SendInstruction>(&instruction)) {
      if (s->event.has_steal_response()) {
        out.push_back(std::string(s->event.steal_response().stolen() ? "stolen " : "kept ") +
                      s->event.steal_response().key());
      } else if (s->event.has_status_change()) {
        out.push_back(s->event.status_change().paused() ? "paused" : "running");
      } else if (s->event.has_replica_added()) {
        const proto::ReplicaAdded& r = s->event.replica_added();
        out.push_back("replica " + r.key() + (r.error().empty() ? "" : " error=" + r.error()));
      } else if (s->event.has_task_finished()) {
        out.push_back("finished " + s->event.task_finished().key());
      } else {
        std::string line = "failed " + s->event.task_failed().key();
        for (const auto& m : s->event.task_failed().missing_dependencies()) line += " missing=" + m;
        out.push_back(line);
      }
    }
  }
  return out;
}

using Lines = std::vector<std::string>;

const proto::TaskFailed* FirstFailure(const Instructions& instructions) {
  for (const Instruction& instruction : instructions) {
    if (auto* s = std::get_if<SendInstruction>(&instruction)) {
      if (s->event.has_task_failed()) return &s->event.task_failed();
    }
  }
  return nullptr;
}

// A WorkerState that checks, after every event, that its invariants hold and that no
// transition was refused.
class Checked {
 public:
  template <typename... Args>
  explicit Checked(Args&&... args) : state_(std::forward<Args>(args)...) {}

  Instructions HandleCompute(const proto::ComputeTask& compute) {
    return Check(state_.HandleCompute(compute));
  }
  Instructions HandleFreeKeys(const std::vector<std::string>& keys) {
    return Check(state_.HandleFreeKeys(keys));
  }
  Instructions HandleFreeItems(const std::vector<std::pair<std::string, int64_t>>& items) {
    return Check(state_.HandleFreeItems(items));
  }
  Instructions HandleAcquire(const proto::AcquireReplicas& acquire) {
    return Check(state_.HandleAcquire(acquire));
  }
  Instructions HandleDataPut(const std::string& key, int64_t nbytes, const std::string& type) {
    return Check(state_.HandleDataPut(key, nbytes, type));
  }
  Instructions HandlePutAccepted(const std::vector<std::string>& keys) {
    return Check(state_.HandlePutAccepted(keys));
  }
  Instructions HandleSteal(const std::string& key) { return Check(state_.HandleSteal(key)); }
  Instructions HandleFetchDone(const FetchOutcome& outcome) {
    return Check(state_.HandleFetchDone(outcome));
  }
  Instructions HandleExecuteDone(const ExecuteOutcome& outcome) {
    return Check(state_.HandleExecuteDone(outcome));
  }
  Instructions HandleSessionLost() { return Check(state_.HandleSessionLost()); }
  Instructions HandleMemoryReading(int64_t bytes) {
    return Check(state_.HandleMemoryReading(bytes));
  }

  TaskState state(const std::string& key) const { return state_.state(key); }
  std::vector<StoryEntry> Story(const std::string& key) const { return state_.Story(key); }
  std::vector<proto::KeyLocation> HeldKeys() const { return state_.HeldKeys(); }
  int executing() const { return state_.executing(); }
  bool paused() const { return state_.paused(); }
  int ready() const { return state_.ready(); }
  int64_t tracked_keys() const { return state_.tracked_keys(); }
  int held_back() const { return state_.held_back(); }
  int64_t fetched_held_bytes() const { return state_.fetched_held_bytes(); }

 private:
  Instructions Check(Instructions out) {
    const absl::Status valid = state_.Validate();
    INFO(valid.ToString());
    REQUIRE(valid.ok());
    REQUIRE(state_.illegal_transitions() == 0);
    return out;
  }

  WorkerState state_;
};

TEST_CASE("tasks without inputs run up to nthreads at once, by priority") {
  Checked state("me:1", /*nthreads=*/1);
  CHECK(Render(state.HandleCompute(Compute("a", {}, 5))) == Lines{"execute a"});
  CHECK(Render(state.HandleCompute(Compute("b", {}, 7))).empty());
  CHECK(Render(state.HandleCompute(Compute("c", {}, 1))).empty());
  CHECK(state.state("b") == TaskState::kReady);
  CHECK(state.ready() == 2);
  CHECK(state.executing() == 1);
  // Lower priority value runs first.
  CHECK(Render(state.HandleExecuteDone(Ok("a"))) == Lines{"finished a", "execute c"});
  CHECK(Render(state.HandleExecuteDone(Ok("c"))) == Lines{"finished c", "execute b"});
  CHECK(Render(state.HandleExecuteDone(Ok("b"))) == Lines{"finished b"});
  CHECK(state.state("a") == TaskState::kMemory);
  CHECK(state.executing() == 0);
  // Asked again for a key in memory: reported again, not recomputed.
  CHECK(Render(state.HandleCompute(Compute("a"))) == Lines{"finished a"});
}

TEST_CASE(
    "above the pause threshold no task starts and nothing is fetched; below it work resumes") {
  Checked state("me:1", /*nthreads=*/2, /*max_keys_per_fetch=*/64, /*pause_bytes=*/1000);
  CHECK(Render(state.HandleMemoryReading(999)).empty());
  CHECK(Render(state.HandleCompute(Compute("a"))) == Lines{"execute a"});
  CHECK(Render(state.HandleMemoryReading(1000)) == Lines{"paused"});
  CHECK(state.paused());
  CHECK(Render(state.HandleMemoryReading(5000)).empty());  // said once
  CHECK(Render(state.HandleCompute(Compute("b"))).empty());
  CHECK(state.state("b") == TaskState::kReady);
  // Inputs of queued work wait while paused: fetching them would only add to the memory.
  CHECK(Render(state.HandleCompute(Compute("c", {{"x", {"peer:1"}}}))).empty());
  CHECK(state.state("x") == TaskState::kFetch);
  // The running task finishes and is reported; nothing new starts.
  CHECK(Render(state.HandleExecuteDone(Ok("a"))) == Lines{"finished a"});
  CHECK(state.executing() == 0);
  CHECK(Render(state.HandleMemoryReading(999)) == Lines{"running", "fetch peer:1: x", "execute b"});
  CHECK_FALSE(state.paused());
  FetchOutcome fetched;
  fetched.address = "peer:1";
  fetched.received.push_back(FetchedKey{"x", 8, "int"});
  CHECK(Render(state.HandleFetchDone(fetched)) == Lines{"execute c"});
  CHECK(Render(state.HandleMemoryReading(10)).empty());

  Checked unlimited("me:1", /*nthreads=*/1);  // pause_bytes 0: never pauses
  CHECK(Render(unlimited.HandleMemoryReading(int64_t{1} << 50)).empty());
  CHECK(Render(unlimited.HandleCompute(Compute("a"))) == Lines{"execute a"});
}

TEST_CASE("a dependency no arg names orders the task after it and is not fetched") {
  Checked state("me:1", /*nthreads=*/1);
  // "x" is held by a peer: were an arg to read it, it would be fetched from there.
  proto::ComputeTask compute = Compute("t", {{"x", {"peer:1"}}});
  compute.mutable_task()->clear_args();
  CHECK(Render(state.HandleCompute(compute)) == Lines{"execute t"});
  CHECK(state.state("x") == TaskState::kReleased);
  CHECK(Render(state.HandleExecuteDone(Ok("t"))) == Lines{"finished t"});
}

TEST_CASE("fetches go out in task priority order, a request per task unless keys are small") {
  Checked state("me:1", /*nthreads=*/1, /*max_keys_per_fetch=*/64, /*pause_bytes=*/1000);
  CHECK(Render(state.HandleMemoryReading(1000)) == Lines{"paused"});
  const int64_t big = kSmallFetchBytes, small = 100;
  // Queued while paused; later tasks first in key order, first in priority order last.
  state.HandleCompute(Compute("t3", {{"c1", {"peer:1"}}, {"c2", {"peer:1"}}}, 3, "inc", big));
  state.HandleCompute(Compute("t1", {{"z1", {"peer:1"}}, {"z2", {"peer:1"}}}, 1, "inc", big));
  state.HandleCompute(Compute("t2", {{"a1", {"peer:1"}}, {"a2", {"peer:2"}}}, 2, "inc", big));
  state.HandleCompute(Compute("s1", {{"m", {"peer:1"}}}, 4, "inc", small));
  state.HandleCompute(Compute("s2", {{"n", {"peer:1"}}}, 5, "inc", small));
  CHECK(Render(state.HandleMemoryReading(0)) == Lines{"running", "fetch peer:1: z1 z2",
                                                      "fetch peer:1: a1", "fetch peer:1: c1 c2",
                                                      "fetch peer:1: m n", "fetch peer:2: a2"});
}

TEST_CASE("inputs are fetched, several keys per request, then the task runs") {
  Checked state("me:1", 2);
  auto instructions = state.HandleCompute(
      Compute("t", {{"x", {"peer:1"}}, {"y", {"peer:1"}}, {"z", {"peer:2", "peer:1"}}}));
  CHECK(Render(instructions) == Lines{"fetch peer:1: x y", "fetch peer:2: z"});
  CHECK(state.state("t") == TaskState::kWaiting);
  CHECK(state.state("x") == TaskState::kFlight);
  // A second task sharing an input does not fetch it again.
  CHECK(Render(state.HandleCompute(Compute("u", {{"x", {"peer:1"}}}))).empty());

  FetchOutcome first{"peer:1", {{"x", 8, "int"}, {"y", 8, "int"}}, {}, ""};
  CHECK(Render(state.HandleFetchDone(first)) == Lines{"execute u"});
  FetchOutcome second{"peer:2", {{"z", 8, "int"}}, {}, ""};
  CHECK(Render(state.HandleFetchDone(second)) == Lines{"execute t"});
  // Fetched copies are dropped once no local task needs them.
  CHECK(Render(state.HandleExecuteDone(Ok("u"))) == Lines{"finished u"});
  CHECK(Render(state.HandleExecuteDone(Ok("t"))) ==
        Lines{"release x", "release y", "release z", "finished t"});
  CHECK(state.state("x") == TaskState::kReleased);
  CHECK(state.tracked_keys() == 2);
}

TEST_CASE("the fetch budget holds tasks back until the inputs held for local tasks shrink") {
  // 1 thread, a budget of 100 bytes; each task needs one 80-byte input from a peer (its
  // cost against the budget: at most half of it, 50).
  Checked state("me:1", 1, 64, 0, /*fetch_budget_bytes=*/100);
  auto compute = [&](const std::string& key, const std::string& input) {
    return Render(state.HandleCompute(Compute(key, {{input, {"peer:1"}}}, 0, "inc", 80)));
  };
  CHECK(compute("t1", "k1") == Lines{"fetch peer:1: k1"});
  CHECK(compute("t2", "k2") == Lines{"fetch peer:1: k2"});
  CHECK(compute("t3", "k3").empty());  // 50 + 50 + 50 > 100: held back
  CHECK(state.held_back() == 1);
  CHECK(state.state("k3") == TaskState::kFetch);

  CHECK(Render(state.HandleFetchDone(FetchOutcome{"peer:1", {{"k1", 80, "int"}}, {}, ""})) ==
        Lines{"execute t1"});
  CHECK(state.fetched_held_bytes() == 80);
  CHECK(Render(state.HandleFetchDone(FetchOutcome{"peer:1", {{"k2", 80, "int"}}, {}, ""})).empty());
  CHECK(state.fetched_held_bytes() == 160);
  // t1's end frees k1 (80 held, t2's 80 still): 80 + 50 > 100, t3 still waits; t2 runs.
  CHECK(Render(state.HandleExecuteDone(Ok("t1"))) ==
        Lines{"release k1", "finished t1", "execute t2"});
  CHECK(state.held_back() == 1);
  // t2's end frees k2: t3's input is fetched at last.
  CHECK(Render(state.HandleExecuteDone(Ok("t2"))) ==
        Lines{"release k2", "finished t2", "fetch peer:1: k3"});
  CHECK(state.held_back() == 0);
  CHECK(Render(state.HandleFetchDone(FetchOutcome{"peer:1", {{"k3", 80, "int"}}, {}, ""})) ==
        Lines{"execute t3"});
  CHECK(Render(state.HandleExecuteDone(Ok("t3"))) == Lines{"release k3", "finished t3"});
  CHECK(state.fetched_held_bytes() == 0);
}

TEST_CASE("a task held back by the fetch budget goes once nothing else can move") {
  Checked state("me:1", 1, 64, 0, /*fetch_budget_bytes=*/100);
  CHECK(Render(state.HandleCompute(Compute("x", {{"kx", {"peer:1"}}}, 0, "inc", 120))) ==
        Lines{"fetch peer:1: kx"});
  CHECK(Render(state.HandleFetchDone(FetchOutcome{"peer:1", {{"kx", 120, "int"}}, {}, ""})) ==
        Lines{"execute x"});
  // y needs kx too (held: 120 bytes, over the budget alone) and ky: held back.
  CHECK(Render(state.HandleCompute(
                   Compute("y", {{"kx", {"peer:1"}}, {"ky", {"peer:1"}}}, 0, "add", 120)))
            .empty());
  CHECK(state.held_back() == 1);
  // x ends; kx stays held for y, so the budget is still spent, but nothing else runs, is
  // ready or in flight: y goes anyway.
  CHECK(Render(state.HandleExecuteDone(Ok("x"))) == Lines{"finished x", "fetch peer:1: ky"});
  CHECK(Render(state.HandleFetchDone(FetchOutcome{"peer:1", {{"ky", 120, "int"}}, {}, ""})) ==
        Lines{"execute y"});
}

TEST_CASE("a failed fetch tries the next holder, then reports the input missing") {
  Checked state("me:1", 1);
  CHECK(Render(state.HandleCompute(Compute("t", {{"x", {"a:1", "b:1"}}}, 0, "add"))) ==
        Lines{"fetch a:1: x"});
  CHECK(Render(state.HandleFetchDone({"a:1", {}, {"x"}, "unreachable"})) == Lines{"fetch b:1: x"});
  auto last = state.HandleFetchDone({"b:1", {}, {"x"}, "b:1 does not hold it"});
  CHECK(Render(last) == Lines{"failed t missing=x"});
  const proto::TaskFailed* failed = FirstFailure(last);
  REQUIRE(failed != nullptr);
  CHECK(failed->function() == "add");
  CHECK_THAT(failed->message(), Catch::StartsWith("add(): could not get dependency x"));
  CHECK_THAT(failed->message(), Catch::Contains("a:1, b:1"));
  CHECK_THAT(failed->message(), Catch::EndsWith("[key t]"));
  CHECK(state.state("t") == TaskState::kReleased);
  CHECK(state.state("x") == TaskState::kReleased);
  CHECK(state.tracked_keys() == 0);
}

TEST_CASE("an input no holder can ever provide fails the task as its own error") {
  Checked state("me:1", 1);
  CHECK(Render(state.HandleCompute(Compute("t", {{"x", {"bad:1", "gone:1"}}}, 0, "add"))) ==
        Lines{"fetch bad:1: x"});
  FetchOutcome refused{"bad:1", {}, {"x"}, "worker bad:1: its TLS certificate does not name it"};
  refused.permanent = true;
  // Another holder may still serve it.
  CHECK(Render(state.HandleFetchDone(refused)) == Lines{"fetch gone:1: x"});
  auto last = state.HandleFetchDone({"gone:1", {}, {"x"}, "gone:1 does not hold it"});
  // Not "missing=x": the scheduler would recompute x, maybe on bad:1 again, forever.
  CHECK(Render(last) == Lines{"failed t"});
  const proto::TaskFailed* failed = FirstFailure(last);
  REQUIRE(failed != nullptr);
  CHECK_THAT(failed->message(), Catch::StartsWith("add(): could not get dependency x"));
  CHECK_THAT(failed->message(), Catch::Contains("its TLS certificate does not name it"));
  CHECK(state.tracked_keys() == 0);
}

TEST_CASE("an input that no worker holds fails the task at once; self is never a holder") {
  Checked state("me:1", 1);
  CHECK(Render(state.HandleCompute(Compute("t", {{"x", {}}}))) == Lines{"failed t missing=x"});
  CHECK(Render(state.HandleCompute(Compute("u", {{"y", {"me:1"}}}))) ==
        Lines{"failed u missing=y"});
  CHECK(state.tracked_keys() == 0);
}

TEST_CASE("a function error erres the task and names the key") {
  Checked state("me:1", 1);
  state.HandleCompute(Compute("k"));
  ExecuteOutcome outcome;
  outcome.key = "k";
  outcome.error = "inc(): argument 1 must be int, got string";
  auto instructions = state.HandleExecuteDone(outcome);
  CHECK(Render(instructions) == Lines{"failed k"});
  CHECK(FirstFailure(instructions)->message() ==
        "inc(): argument 1 must be int, got string [key k]");
  CHECK(FirstFailure(instructions)->missing_dependencies_size() == 0);
  CHECK(state.state("k") == TaskState::kErred);
  // Retried by the scheduler: runs again.
  CHECK(Render(state.HandleCompute(Compute("k"))) == Lines{"execute k"});
}

TEST_CASE("inputs missing from the store at execution are reported as missing") {
  Checked state("me:1", 1);
  state.HandleCompute(Compute("k"));
  ExecuteOutcome outcome;
  outcome.key = "k";
  outcome.error = "inc(): inputs not in this worker's memory: x";
  outcome.missing_dependencies = {"x"};
  CHECK(Render(state.HandleExecuteDone(outcome)) == Lines{"failed k missing=x"});
  CHECK(state.executing() == 0);
  CHECK(Render(state.HandleCompute(Compute("j"))) == Lines{"execute j"});
}

TEST_CASE("FreeKeys drops queued tasks, cancels running ones and releases results") {
  Checked state("me:1", 1);
  state.HandleCompute(Compute("running"));
  state.HandleCompute(Compute("queued"));
  state.HandleCompute(Compute("waiting", {{"x", {"peer:1"}}}));
  CHECK(Render(state.HandleFreeKeys({"queued", "waiting", "unknown"})).empty());
  CHECK(state.state("queued") == TaskState::kReleased);
  CHECK(state.state("x") == TaskState::kReleased);  // nobody needs it any more
  CHECK(state.ready() == 0);
  // The late arrival of x is released.
  CHECK(Render(state.HandleFetchDone({"peer:1", {{"x", 8, "int"}}, {}, ""})) == Lines{"release x"});

  CHECK(Render(state.HandleFreeKeys({"running"})) == Lines{"cancel running"});
  CHECK(Render(state.HandleExecuteDone(Ok("running"))) == Lines{"release running"});
  CHECK(state.state("running") == TaskState::kReleased);

  state.HandleCompute(Compute("done"));
  state.HandleExecuteDone(Ok("done"));
  CHECK(Render(state.HandleFreeKeys({"done"})) == Lines{"release done"});
  CHECK(state.tracked_keys() == 0);
}

TEST_CASE("FreeKeys items drop items of results held here, which stay in memory") {
  Checked state("me:1", 1);
  state.HandleCompute(Compute("split"));
  state.HandleExecuteDone(Ok("split"));
  state.HandleCompute(Compute("running"));
  CHECK(Render(state.HandleFreeItems({{"split", 0}, {"split", 2}, {"running", 0}, {"gone", 1}})) ==
        Lines{"release split items 0,2"});
  CHECK(state.state("split") == TaskState::kMemory);
  CHECK(state.state("running") == TaskState::kExecuting);
}

TEST_CASE("a task cancelled while running and asked for again runs once more") {
  Checked state("me:1", 1);
  state.HandleCompute(Compute("k"));
  CHECK(Render(state.HandleFreeKeys({"k"})) == Lines{"cancel k"});
  CHECK(Render(state.HandleCompute(Compute("k"))).empty());
  CHECK(Render(state.HandleExecuteDone(Ok("k"))) == Lines{"release k", "execute k"});
  CHECK(Render(state.HandleExecuteDone(Ok("k"))) == Lines{"finished k"});
}

TEST_CASE("losing the session keeps only results the scheduler knew about") {
  Checked state("me:1", 1);
  state.HandleCompute(Compute("kept"));
  state.HandleExecuteDone(Ok("kept", 100));
  state.HandleCompute(Compute("running"));
  state.HandleCompute(Compute("queued"));
  state.HandleCompute(Compute("waiting", {{"x", {"peer:1"}}}));
  CHECK(Render(state.HandleSessionLost()) == Lines{"cancel running"});
  CHECK(state.state("queued") == TaskState::kReleased);
  CHECK(state.state("x") == TaskState::kReleased);
  CHECK(Render(state.HandleExecuteDone(Ok("running"))) == Lines{"release running"});
  auto held = state.HeldKeys();
  REQUIRE(held.size() == 1);
  CHECK(held[0].key() == "kept");
  CHECK(held[0].nbytes() == 100);
  CHECK(held[0].addresses(0) == "me:1");
  CHECK(state.tracked_keys() == 1);
}

TEST_CASE("work stealing takes back only tasks that have not started") {
  Checked state("me:1", 1);
  state.HandleCompute(Compute("running"));
  state.HandleCompute(Compute("queued"));
  state.HandleCompute(Compute("waiting", {{"x", {"peer:1"}}}));
  CHECK(Render(state.HandleSteal("queued")) == Lines{"stolen queued"});
  CHECK(Render(state.HandleSteal("waiting")) == Lines{"stolen waiting"});
  CHECK(state.state("x") == TaskState::kReleased);
  CHECK(Render(state.HandleSteal("running")) == Lines{"kept running"});
  CHECK(Render(state.HandleSteal("never-seen")) == Lines{"stolen never-seen"});
  CHECK(Render(state.HandleExecuteDone(Ok("running"))) == Lines{"finished running"});
  CHECK(Render(state.HandleSteal("running")) == Lines{"kept running"});
  CHECK(state.ready() == 0);
}

TEST_CASE("the story of a key lists its transitions") {
  Checked state("me:1", 1);
  state.HandleCompute(Compute("t", {{"x", {"peer:1"}}}));
  state.HandleFetchDone({"peer:1", {{"x", 8, "int"}}, {}, ""});
  state.HandleExecuteDone(Ok("t"));
  std::vector<std::string> path;
  for (const StoryEntry& e : state.Story("t")) path.push_back(TaskStateName(e.to));
  CHECK(path == Lines{"waiting", "ready", "executing", "memory"});
  path.clear();
  for (const StoryEntry& e : state.Story("x")) path.push_back(TaskStateName(e.to));
  CHECK(path == Lines{"fetch", "flight", "memory", "released"});
}

}  // namespace
// An unpack task of the shuffle: item `index` of each dependency, as KeySlice args.
proto::ComputeTask SliceCompute(const std::string& key, const Holders& deps, int64_t index) {
  proto::ComputeTask compute;
  proto::TaskSpec* spec = compute.mutable_task();
  spec->set_key(key);
  spec->set_function("bag.reduce_unpack");
  proto::ArgList* list = spec->add_args()->mutable_list();
  for (const auto& [dep, addresses] : deps) {
    spec->add_dependencies(dep);
    proto::KeySlice* slice = list->add_items()->mutable_slice();
    slice->set_key(dep);
    slice->set_index(index);
    proto::KeyLocation* location = compute.add_who_has();
    location->set_key(dep);
    for (const auto& a : addresses) location->add_addresses(a);
  }
  return compute;
}

TEST_CASE("a dependency read only through slices is fetched slice by slice") {
  Checked state("me:1", 1);
  const std::string sx = SliceKey("x", 3), sy = SliceKey("y", 3);
  CHECK(Render(state.HandleCompute(SliceCompute("u", {{"x", {"a:1"}}, {"y", {"a:1", "b:1"}}},
                                                3))) == Lines{"fetch a:1: " + sx + " " + sy});
  CHECK(state.state("x") == TaskState::kReleased);  // the whole value is never fetched
  CHECK(state.state(sx) == TaskState::kFlight);
  FetchOutcome fetched{"a:1", {{sx, 8, "list"}}, {sy}, "a:1 does not hold it"};
  CHECK(Render(state.HandleFetchDone(fetched)) == Lines{"fetch b:1: " + sy});
  CHECK(Render(state.HandleFetchDone({"b:1", {{sy, 8, "list"}}, {}, ""})) == Lines{"execute u"});
  // Once the task is done its slices are dropped.
  CHECK(Render(state.HandleExecuteDone(Ok("u"))) ==
        Lines{"release " + sx, "release " + sy, "finished u"});
  CHECK(state.tracked_keys() == 1);
}

TEST_CASE("a lost slice is reported as its dependency's key, which the scheduler recomputes") {
  Checked state("me:1", 1);
  const std::string sx = SliceKey("x", 0);
  CHECK(Render(state.HandleCompute(SliceCompute("u", {{"x", {"a:1"}}}, 0))) ==
        Lines{"fetch a:1: " + sx});
  CHECK(Render(state.HandleFetchDone({"a:1", {}, {sx}, "unreachable"})) ==
        Lines{"failed u missing=x"});
}

TEST_CASE("a sliced dependency computed here is read locally, not fetched") {
  Checked state("me:1", 1);
  CHECK(Render(state.HandleCompute(Compute("x"))) == Lines{"execute x"});
  CHECK(Render(state.HandleCompute(SliceCompute("u", {{"x", {}}}, 1))).empty());
  CHECK(state.state("u") == TaskState::kWaiting);
  CHECK(Render(state.HandleExecuteDone(Ok("x"))) == Lines{"finished x", "execute u"});
}

TEST_CASE("copies the scheduler asks for are fetched, answered and kept until freed") {
  Checked ws("me:1", 1);
  proto::AcquireReplicas acquire;
  proto::KeyLocation* x = acquire.add_keys();
  x->set_key("x");
  x->add_addresses("peer:1");
  proto::KeyLocation* orphan = acquire.add_keys();
  orphan->set_key("orphan");
  orphan->add_addresses("me:1");  // only ourselves: nobody to copy it from
  CHECK(Render(ws.HandleAcquire(acquire)) ==
        Lines{"replica orphan error=no holder to copy it from", "fetch peer:1: x"});
  CHECK(ws.state("orphan") == TaskState::kReleased);

  FetchOutcome got{"peer:1", {{"x", 8, "int"}}, {}, ""};
  CHECK(Render(ws.HandleFetchDone(got)) == Lines{"replica x"});
  CHECK(ws.state("x") == TaskState::kMemory);
  REQUIRE(ws.HeldKeys().size() == 1);  // known to the scheduler: kept, and listed on rejoin
  CHECK(ws.HeldKeys()[0].key() == "x");
  CHECK(Render(ws.HandleFreeKeys({"x"})) == Lines{"release x"});

  // A copy no holder can provide is answered with why.
  proto::AcquireReplicas lost;
  proto::KeyLocation* y = lost.add_keys();
  y->set_key("y");
  y->add_addresses("peer:2");
  ws.HandleAcquire(lost);
  FetchOutcome refused{"peer:2", {}, {"y"}, "connection refused"};
  Lines answer = Render(ws.HandleFetchDone(refused));
  REQUIRE(answer.size() == 1);
  CHECK(answer[0].rfind("replica y error=no holder could provide it", 0) == 0);
}

}  // namespace weft

namespace weft {
namespace {

// PutData (Client::scatter): a put key is held as known to the scheduler, and a FreeKeys
// that arrives before the scheduler's PutAccepted frees an older copy, not this one.
TEST_CASE("a put key ignores FreeKeys until the scheduler accepts it") {
  Checked ws("me:1", 1);
  CHECK(Render(ws.HandleDataPut("scatter-1", 80, "int")).empty());
  CHECK(ws.state("scatter-1") == TaskState::kMemory);
  CHECK(ws.HeldKeys().size() == 1);
  CHECK(Render(ws.HandleFreeKeys({"scatter-1"})).empty());  // stale: from before the put
  CHECK(ws.state("scatter-1") == TaskState::kMemory);
  CHECK(Render(ws.HandlePutAccepted({"scatter-1"})).empty());
  CHECK(Render(ws.HandleFreeKeys({"scatter-1"})) == std::vector<std::string>{"release scatter-1"});
  CHECK(ws.state("scatter-1") == TaskState::kReleased);

  // A task here waiting to fetch the key from a peer gets it from the put instead.
  Render(ws.HandleCompute(Compute("t", {{"scatter-2", {"peer:1"}}})));
  CHECK(ws.state("scatter-2") == TaskState::kFlight);
  CHECK(Render(ws.HandleDataPut("scatter-2", 8, "int")) == std::vector<std::string>{"execute t"});
  CHECK(ws.state("scatter-2") == TaskState::kMemory);
}

TEST_CASE("an illegal transition is refused, logged and counted, not an abort") {
  WorkerState state("me:1", 1);
  state.HandleCompute(Compute("t"));
  REQUIRE(state.state("t") == TaskState::kExecuting);
  const absl::Status status = state.TEST_ForceTransition("t", TaskState::kFetch);
  CHECK(status.code() == absl::StatusCode::kInternal);
  CHECK_THAT(std::string(status.message()), Catch::Contains("t: executing -> fetch"));
  CHECK(state.illegal_transitions() == 1);
  CHECK(state.state("t") == TaskState::kExecuting);  // unchanged, bookkeeping intact
  CHECK(state.Validate().ok());
  CHECK(state.Story("t").back().to == TaskState::kExecuting);
  // The state machine goes on.
  CHECK(Render(state.HandleExecuteDone(Ok("t"))) == Lines{"finished t"});
  CHECK(state.Validate().ok());
}

}  // namespace
}  // namespace weft
