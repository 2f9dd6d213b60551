// The Worker effect layer in-process: two workers with real GetData servers on loopback,
// the built-in functions, and the events they would send to the scheduler.
#include "worker/worker.h"

#include <stdlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/codec.h"
#include "common/poll.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "worker/data_server.h"
#include "worker/data_store.h"
#include "worker/registry_testing.h"

namespace weft {
namespace {

const FunctionRegistry& Builtins() { return testing::LinkedFunctions(); }

// One worker with its store, GetData server and a recorder of the events it sends.
class TestWorker {
 public:
  explicit TestWorker(int nthreads = 1,
                      const std::function<void(WorkerOptions&)>& configure = nullptr,
                      std::unique_ptr<DataStore> store = nullptr)
      : store_(store != nullptr ? std::move(store) : std::make_unique<DataStore>()),
        service_(*store_) {
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    address_ = "127.0.0.1:" + std::to_string(port);
    WorkerOptions options;
    options.address = address_;
    options.nthreads = nthreads;
    options.fetch_timeout = absl::Seconds(10);
    if (configure) configure(options);
    worker_ = std::make_unique<Worker>(options, Builtins(), *store_);
    worker_->SetSender([this](const proto::WorkerEvent& event) {
      absl::MutexLock lock(&mu_);
      events_.push_back(event);
    });
  }
  ~TestWorker() {
    worker_->Shutdown();
    server_->Shutdown();
  }

  void Compute(const proto::ComputeTask& compute) {
    proto::WorkerInstruction instruction;
    *instruction.mutable_compute() = compute;
    worker_->HandleInstruction(instruction);
  }
  void Free(const std::string& key) {
    proto::WorkerInstruction instruction;
    instruction.mutable_free_keys()->add_keys(key);
    worker_->HandleInstruction(instruction);
  }
  // FreeKeys.items: drop item `index` of `key` (its readers are done).
  void FreeItem(const std::string& key, int64_t index) {
    proto::WorkerInstruction instruction;
    proto::KeySlice* item = instruction.mutable_free_keys()->add_items();
    item->set_key(key);
    item->set_index(index);
    worker_->HandleInstruction(instruction);
  }

  // Waits for the event about `key`.
  proto::WorkerEvent WaitFor(const std::string& key, absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock lock(&mu_);
    const proto::WorkerEvent* found = nullptr;
    auto has_it = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (const auto& e : events_) {
        if ((e.has_task_finished() && e.task_finished().key() == key) ||
            (e.has_task_failed() && e.task_failed().key() == key)) {
          found = &e;
          return true;
        }
      }
      return false;
    };
    mu_.AwaitWithTimeout(absl::Condition(&has_it), timeout);
    REQUIRE(found != nullptr);
    return *found;
  }

  // The paused flags of the WorkerStatusChanges sent so far.
  std::vector<bool> StatusChanges() {
    absl::MutexLock lock(&mu_);
    std::vector<bool> out;
    for (const auto& e : events_) {
      if (e.has_status_change()) out.push_back(e.status_change().paused());
    }
    return out;
  }

  // The WorkerStatusChanges sent so far.
  std::vector<proto::WorkerStatusChange> StatusChangeEvents() {
    absl::MutexLock lock(&mu_);
    std::vector<proto::WorkerStatusChange> out;
    for (const auto& e : events_) {
      if (e.has_status_change()) out.push_back(e.status_change());
    }
    return out;
  }

  DataStore& store() { return *store_; }
  Worker& worker() { return *worker_; }
  const std::string& address() const { return address_; }

 private:
  std::unique_ptr<DataStore> store_;
  DataService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  absl::Mutex mu_;
  std::vector<proto::WorkerEvent> events_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Worker> worker_;
};

proto::Arg Literal(const Value& v) {
  proto::Arg arg;
  arg.set_literal(EncodeValueToString(v));
  return arg;
}

proto::ComputeTask Task(
    const std::string& key, const std::string& function, std::vector<proto::Arg> args,
    std::vector<std::pair<std::string, std::vector<std::string>>> who_has = {}) {
  proto::ComputeTask compute;
  compute.mutable_task()->set_key(key);
  compute.mutable_task()->set_function(function);
  for (auto& arg : args) *compute.mutable_task()->add_args() = arg;
  for (auto& [dep, addresses] : who_has) {
    compute.mutable_task()->add_dependencies(dep);
    auto* location = compute.add_who_has();
    location->set_key(dep);
    for (auto& a : addresses) location->add_addresses(a);
  }
  return compute;
}

proto::Arg KeyArg(const std::string& key) {
  proto::Arg arg;
  arg.set_key(key);
  return arg;
}

TEST_CASE("a worker runs tasks, fetching inputs from a peer") {
  TestWorker a, b;
  a.Compute(Task("x", "inc", {Literal(1)}));
  auto x = a.WaitFor("x");
  REQUIRE(x.has_task_finished());
  CHECK(x.task_finished().type_name() == "int");
  CHECK(*a.store().Get("x") == Value(2));

  // y = add(x, [x, 10]) on b: x comes from a; nested list args resolve.
  proto::Arg list;
  *list.mutable_list()->add_items() = KeyArg("x");
  *list.mutable_list()->add_items() = Literal(10);
  b.Compute(Task("y", "sum", {list}, {{"x", {a.address()}}}));
  auto y = b.WaitFor("y");
  REQUIRE(y.has_task_finished());
  CHECK(*b.store().Get("y") == Value(12));
  // The fetched copy is dropped once y is done; a keeps its result.
  CHECK(PollUntil([&] { return !b.store().Contains("x"); }, absl::Now() + absl::Seconds(10)));
  CHECK(a.store().Contains("x"));

  // A large value travels in chunks.
  a.Compute(Task("big", "make_bytes", {Literal(3 << 20)}));
  REQUIRE(a.WaitFor("big").has_task_finished());
  b.Compute(Task("n", "len", {KeyArg("big")}, {{"big", {a.address()}}}));
  REQUIRE(b.WaitFor("n").has_task_finished());
  CHECK(*b.store().Get("n") == Value(3 << 20));
}

TEST_CASE("failures name the function and the key; the worker keeps serving") {
  TestWorker w;
  w.Compute(Task("r", "raise", {Literal("boom at line 7")}));
  auto r = w.WaitFor("r");
  REQUIRE(r.has_task_failed());
  CHECK(r.task_failed().function() == "raise");
  CHECK(r.task_failed().message() == "raise(): boom at line 7 [key r]");

  w.Compute(Task("t", "inc", {Literal("x")}));
  CHECK(w.WaitFor("t").task_failed().message() ==
        "inc(): argument 1 must be int, got string [key t]");
  w.Compute(Task("u", "no_such_function", {}));
  CHECK_THAT(w.WaitFor("u").task_failed().message(), Catch::Contains("no_such_function"));

  w.Compute(Task("ok", "inc", {Literal(41)}));
  REQUIRE(w.WaitFor("ok").has_task_finished());
  CHECK(*w.store().Get("ok") == Value(42));
}

TEST_CASE("an input no holder can provide is reported missing") {
  TestWorker a, b;
  b.Compute(Task("t", "inc", {KeyArg("x")}, {{"x", {"127.0.0.1:1", a.address()}}}));
  auto t = b.WaitFor("t");
  REQUIRE(t.has_task_failed());
  REQUIRE(t.task_failed().missing_dependencies_size() == 1);
  CHECK(t.task_failed().missing_dependencies(0) == "x");
  CHECK_THAT(t.task_failed().message(), Catch::Contains("[key t]"));
  CHECK_THAT(t.task_failed().message(), Catch::Contains(a.address()));
}

proto::Arg ItemArg(const std::string& key, int64_t index) {
  proto::Arg arg;
  arg.mutable_slice()->set_key(key);
  arg.mutable_slice()->set_index(index);
  return arg;
}

TEST_CASE("a dropped item of a held list is missing to local and remote readers") {
  TestWorker a, b;
  a.Compute(Task(
      "split", "identity",
      {Literal(Value(ValueList{Value(std::string(1000, 'x')), Value(std::string(2000, 'y'))}))}));
  REQUIRE(a.WaitFor("split").has_task_finished());
  const int64_t whole = a.store().NBytes("split");
  a.FreeItem("split", 0);
  CHECK(a.store().NBytes("split") < whole);
  // Item 1 is still read, locally and from a peer.
  a.Compute(Task("one", "len", {ItemArg("split", 1)}, {{"split", {a.address()}}}));
  REQUIRE(a.WaitFor("one").has_task_finished());
  CHECK(*a.store().Get("one") == Value(2000));
  b.Compute(Task("peer-one", "len", {ItemArg("split", 1)}, {{"split", {a.address()}}}));
  REQUIRE(b.WaitFor("peer-one").has_task_finished());
  CHECK(*b.store().Get("peer-one") == Value(2000));
  // Item 0 is reported missing, as the split (which the scheduler then recomputes).
  a.Compute(Task("zero", "len", {ItemArg("split", 0)}, {{"split", {a.address()}}}));
  auto zero = a.WaitFor("zero");
  REQUIRE(zero.has_task_failed());
  REQUIRE(zero.task_failed().missing_dependencies_size() == 1);
  CHECK(zero.task_failed().missing_dependencies(0) == "split");
  b.Compute(Task("peer-zero", "len", {ItemArg("split", 0)}, {{"split", {a.address()}}}));
  auto peer_zero = b.WaitFor("peer-zero");
  REQUIRE(peer_zero.has_task_failed());
  REQUIRE(peer_zero.task_failed().missing_dependencies_size() == 1);
  CHECK(peer_zero.task_failed().missing_dependencies(0) == "split");
  CHECK_THAT(peer_zero.task_failed().message(), Catch::Contains(a.address()));
}

TEST_CASE("freeing a running task cancels it and frees the executor") {
  // One executor thread, held by an hour's sleep: `next` can only run if freeing `slow`
  // interrupts it.
  TestWorker w(/*nthreads=*/1);
  w.Compute(Task("slow", "sleep", {Literal(3600.0)}));
  REQUIRE(PollUntil([&] { return w.worker().state("slow") == TaskState::kExecuting; },
                    absl::Now() + absl::Seconds(10)));
  w.Free("slow");
  w.Compute(Task("next", "inc", {Literal(1)}));
  REQUIRE(w.WaitFor("next").has_task_finished());
  CHECK_FALSE(w.store().Contains("slow"));
  auto metrics = w.worker().Metrics();
  CHECK(metrics.stored_keys() == 1);
}

TEST_CASE("a refused transition is counted in the heartbeat; the worker goes on") {
  TestWorker w(/*nthreads=*/1);
  CHECK(w.worker().Metrics().illegal_transitions() == 0);
  w.Compute(Task("slow", "sleep", {Literal(3600.0)}));
  REQUIRE(PollUntil([&] { return w.worker().state("slow") == TaskState::kExecuting; },
                    absl::Now() + absl::Seconds(10)));
  CHECK(w.worker().TEST_ForceTransition("slow", TaskState::kFetch).code() ==
        absl::StatusCode::kInternal);
  CHECK(w.worker().state("slow") == TaskState::kExecuting);
  CHECK(w.worker().Metrics().illegal_transitions() == 1);
  w.Free("slow");
  w.Compute(Task("next", "inc", {Literal(1)}));
  REQUIRE(w.WaitFor("next").has_task_finished());
  CHECK(w.worker().Metrics().illegal_transitions() == 1);
}

TEST_CASE("above the pause threshold a worker starts nothing new and says so") {
  auto memory = std::make_shared<std::atomic<int64_t>>(100);
  TestWorker w(/*nthreads=*/1, [memory](WorkerOptions& options) {
    options.memory_limit = 1000;
    options.pause_fraction = 0.8;
    options.memory_reader = [memory] { return memory->load(); };
    options.memory_monitor_interval = absl::Hours(1);  // the test calls CheckMemory
  });
  w.worker().CheckMemory();
  CHECK(w.StatusChanges().empty());
  memory->store(800);
  w.worker().CheckMemory();
  CHECK(w.worker().paused());
  CHECK(w.StatusChanges() == std::vector<bool>{true});
  CHECK(w.worker().Metrics().paused());

  w.Compute(Task("a", "inc", {Literal(1)}));  // decided at once, under the worker's lock
  CHECK(w.worker().state("a") == TaskState::kReady);
  CHECK_FALSE(w.store().Contains("a"));

  memory->store(799);
  w.worker().CheckMemory();
  REQUIRE(w.WaitFor("a").has_task_finished());
  CHECK(w.StatusChanges() == std::vector<bool>{true, false});
  CHECK_FALSE(w.worker().Metrics().paused());

  // A new session of a paused worker hears at once that it is paused.
  memory->store(5000);
  w.worker().CheckMemory();
  std::vector<bool> told;
  w.worker().SetSender([&told](const proto::WorkerEvent& e) {
    if (e.has_status_change()) told.push_back(e.status_change().paused());
  });
  CHECK(told == std::vector<bool>{true});
  w.worker().SetSender(nullptr);
}

TEST_CASE("a reading over the pause threshold counts only once freed memory went back") {
  auto memory = std::make_shared<std::atomic<int64_t>>(900);
  auto releases = std::make_shared<std::atomic<int>>(0);
  auto freed = std::make_shared<std::atomic<int64_t>>(600);  // what a release gives back
  TestWorker w(/*nthreads=*/1, [=](WorkerOptions& options) {
    options.memory_limit = 1000;
    options.pause_fraction = 0.8;
    options.memory_reader = [memory] { return memory->load(); };
    options.release_memory = [=] {
      ++*releases;
      memory->fetch_sub(freed->exchange(0));
    };
    options.memory_monitor_interval = absl::Hours(1);  // the test calls CheckMemory
  });
  w.worker().CheckMemory();  // 900 is 300 once the freed 600 went back: no pause
  CHECK(releases->load() == 1);
  CHECK_FALSE(w.worker().paused());
  CHECK(w.StatusChanges().empty());
  w.worker().CheckMemory();  // under the threshold: nothing to give back
  CHECK(releases->load() == 1);
  memory->store(900);  // held for real this time
  w.worker().CheckMemory();
  CHECK(releases->load() == 2);
  CHECK(w.worker().paused());
  auto changes = w.StatusChangeEvents();
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].paused());
  CHECK(changes[0].process_bytes() == 900);
  CHECK(w.worker().Metrics().process_bytes() == 900);
}

// A 1000-byte limit paused at 800, read from `memory`; stuck after 100 ms, counted in
// `stuck_calls`.
std::function<void(WorkerOptions&)> QuickStuck(std::shared_ptr<std::atomic<int64_t>> memory,
                                               std::shared_ptr<std::atomic<int>> stuck_calls) {
  return [=](WorkerOptions& options) {
    options.memory_limit = 1000;
    options.pause_fraction = 0.8;
    options.memory_reader = [memory] { return memory->load(); };
    options.memory_monitor_interval = absl::Milliseconds(5);
    options.stuck_pause_timeout = absl::Milliseconds(100);
    options.on_stuck = [stuck_calls](const std::string&) { ++*stuck_calls; };
  };
}

TEST_CASE("a worker paused with nothing left to shed is reported stuck, and on_stuck runs once") {
  auto memory = std::make_shared<std::atomic<int64_t>>(900);
  auto stuck_calls = std::make_shared<std::atomic<int>>(0);
  TestWorker w(/*nthreads=*/1, QuickStuck(memory, stuck_calls));
  REQUIRE(PollUntil([&] { return stuck_calls->load() == 1; }, absl::Now() + absl::Seconds(20)));
  const std::string stuck = w.worker().Metrics().stuck();
  CHECK(stuck.find("no task running and no data in memory") != std::string::npos);
  CHECK(stuck.find("restarting: its nanny starts a fresh worker") != std::string::npos);
  auto changes = w.StatusChangeEvents();
  REQUIRE(changes.size() == 2);  // paused, then stuck
  CHECK(changes[0].paused());
  CHECK(changes[0].stuck().empty());
  CHECK(changes[1].paused());
  CHECK(changes[1].stuck() == stuck);

  // A new session hears it at once.
  std::vector<std::string> told;
  w.worker().SetSender([&told](const proto::WorkerEvent& e) {
    if (e.has_status_change()) told.push_back(e.status_change().stuck());
  });
  CHECK(told == std::vector<std::string>{stuck});
  w.worker().SetSender(nullptr);

  memory->store(100);
  REQUIRE(PollUntil([&] { return !w.worker().paused(); }, absl::Now() + absl::Seconds(20)));
  CHECK(w.worker().Metrics().stuck().empty());
  CHECK(stuck_calls->load() == 1);
}

// A full or vanished --local-directory: the data cannot go to disk, so the pause never
// ends by itself; the worker says why instead of waiting for ever.
TEST_CASE("a worker paused with data that cannot be spilled is stuck, and says why") {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base != nullptr ? base : "/tmp") + "/worker-XXXXXX";
  REQUIRE(::mkdtemp(dir.data()) != nullptr);
  DataStoreOptions store_options;
  store_options.memory_limit = 2000;
  store_options.target_fraction = 0.5;
  store_options.local_directory = dir;
  auto store = DataStore::Open(store_options);
  REQUIRE(store.ok());
  std::filesystem::remove_all((*store)->TEST_spill_directory());  // every spill will fail
  auto memory = std::make_shared<std::atomic<int64_t>>(100);
  auto stuck_calls = std::make_shared<std::atomic<int>>(0);
  TestWorker w(/*nthreads=*/1, QuickStuck(memory, stuck_calls), *std::move(store));
  w.Compute(Task("big", "identity", {Literal(Value(std::string(3000, 'x')))}));
  REQUIRE(w.WaitFor("big").has_task_finished());
  REQUIRE(w.store().memory_bytes() > 0);  // its spill failed: kept in memory
  memory->store(900);
  REQUIRE(PollUntil([&] { return stuck_calls->load() == 1; }, absl::Now() + absl::Seconds(20)));
  const std::string stuck = w.worker().Metrics().stuck();
  INFO(stuck);
  CHECK(stuck.find("of data in memory that cannot be spilled (spilling failed: ") !=
        std::string::npos);
  CHECK(stuck.find(dir) != std::string::npos);                    // the spill error names the file
  CHECK(*w.store().Get("big") == Value(std::string(3000, 'x')));  // nothing lost
  std::filesystem::remove_all(dir);
}

TEST_CASE("a stuck worker with nobody to restart it says that it stays paused") {
  TestWorker w(/*nthreads=*/1, [](WorkerOptions& options) {
    options.memory_limit = 1000;
    options.memory_reader = [] { return int64_t{900}; };
    options.memory_monitor_interval = absl::Milliseconds(5);
    options.stuck_pause_timeout = absl::Milliseconds(50);
  });
  REQUIRE(PollUntil([&] { return !w.worker().Metrics().stuck().empty(); },
                    absl::Now() + absl::Seconds(20)));
  CHECK(w.worker().Metrics().stuck().find("it stays paused: it has no nanny") != std::string::npos);
}

std::unique_ptr<DataStore> SpillingStore(int64_t memory_limit) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/worker-XXXXXX";
  REQUIRE(::mkdtemp(dir.data()) != nullptr);
  DataStoreOptions options;
  options.memory_limit = memory_limit;
  options.target_fraction = 0.6;
  options.local_directory = dir;
  auto store = DataStore::Open(options);
  REQUIRE(store.ok());
  return *std::move(store);
}

TEST_CASE("spilled results feed tasks and peers; heartbeats count spilled and fetched bytes") {
  TestWorker a(/*nthreads=*/1, nullptr, SpillingStore(/*memory_limit=*/4 << 20));
  TestWorker b;
  for (int i = 0; i < 4; ++i) {  // 4 x 1 MiB against a 2.4 MiB target
    std::string key = "blob" + std::to_string(i);
    a.Compute(Task(key, "make_bytes", {Literal((1 << 20) + i)}));
    REQUIRE(a.WaitFor(key).has_task_finished());
  }
  auto metrics = a.worker().Metrics();
  CHECK(metrics.spilled_bytes() > 0);
  CHECK(metrics.memory_bytes() <= a.store().target_bytes());
  CHECK(metrics.stored_keys() == 4);
  REQUIRE(a.store().TEST_IsSpilled("blob0"));

  // A local task reads a spilled input; a peer fetches spilled values over GetData.
  a.Compute(Task("n0", "len", {KeyArg("blob0")}, {{"blob0", {a.address()}}}));
  REQUIRE(a.WaitFor("n0").has_task_finished());
  CHECK(*a.store().Get("n0") == Value(1 << 20));
  CHECK(b.worker().Metrics().bytes_fetched() == 0);
  for (int i = 0; i < 4; ++i) {
    std::string key = "blob" + std::to_string(i);
    b.Compute(Task("len" + std::to_string(i), "len", {KeyArg(key)}, {{key, {a.address()}}}));
    auto done = b.WaitFor("len" + std::to_string(i));
    REQUIRE(done.has_task_finished());
    CHECK(*b.store().Get("len" + std::to_string(i)) == Value((1 << 20) + i));
  }
  CHECK(b.worker().Metrics().bytes_fetched() >= 4 << 20);

  // A spill file that went bad fails the task that needs it, naming the file.
  std::string victim;
  for (int i = 0; i < 4 && victim.empty(); ++i) {
    if (a.store().TEST_IsSpilled("blob" + std::to_string(i))) victim = "blob" + std::to_string(i);
  }
  REQUIRE_FALSE(victim.empty());
  std::string file = a.store().TEST_SpillPath(victim);
  std::filesystem::resize_file(file, 10);
  a.Compute(Task("bad", "len", {KeyArg(victim)}, {{victim, {a.address()}}}));
  auto bad = a.WaitFor("bad");
  REQUIRE(bad.has_task_failed());
  CHECK_THAT(bad.task_failed().message(), Catch::Contains(file));
  CHECK_THAT(bad.task_failed().message(), Catch::Contains(victim));
}

}  // namespace
}  // namespace weft
