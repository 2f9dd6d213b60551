// SchedulerSession against a fake in-process scheduler: registration, welcome, work,
// heartbeats, reconnection with held_keys, Stop(), and the death timeout.
#include "worker/scheduler_session.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/codec.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "worker/registry_testing.h"

namespace weft {
namespace {

// Session 1: welcome, ask for inc(1) as "x", wait for its result and a heartbeat, then
// close the stream. Session 2: welcome, then keep the stream open until the worker leaves.
class FakeScheduler final : public proto::Scheduler::Service {
 public:
  grpc::Status WorkerSession(grpc::ServerContext*,
                             grpc::ServerReaderWriter<proto::WorkerInstructionBatch,
                                                      proto::WorkerEventBatch>* stream) override {
    proto::WorkerEventBatch batch;
    if (!stream->Read(&batch) || batch.events_size() == 0 || !batch.events(0).has_register_()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "register first");
    }
    int session;
    {
      absl::MutexLock lock(&mu_);
      registrations_.push_back(batch.events(0).register_());
      session = static_cast<int>(registrations_.size());
    }
    proto::WorkerInstructionBatch reply;
    reply.add_instructions()->mutable_welcome()->set_worker_id("w-" + std::to_string(session));
    reply.mutable_instructions(0)->mutable_welcome()->set_heartbeat_interval_seconds(0.05);
    if (session == 1) {
      auto* task = reply.add_instructions()->mutable_compute()->mutable_task();
      task->set_key("x");
      task->set_function("inc");
      task->add_args()->set_literal(EncodeValueToString(Value(1)));
    }
    stream->Write(reply);
    bool finished = false, heartbeat = false;
    while (stream->Read(&batch)) {
      for (const auto& event : batch.events()) {
        if (event.has_task_finished()) finished = true;
        if (event.has_heartbeat()) heartbeat = true;
      }
      absl::MutexLock lock(&mu_);
      if (finished) finished_ = true;
      if (heartbeat) heartbeats_ = true;
      if (session == 1 && finished && heartbeat) return grpc::Status::OK;  // drop the worker
    }
    return grpc::Status::OK;
  }

  bool WaitForRegistrations(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return registrations_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(20));
  }
  std::vector<proto::RegisterWorker> registrations() {
    absl::MutexLock lock(&mu_);
    return registrations_;
  }
  bool finished_and_heartbeats() {
    absl::MutexLock lock(&mu_);
    return finished_ && heartbeats_;
  }

 private:
  absl::Mutex mu_;
  std::vector<proto::RegisterWorker> registrations_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool heartbeats_ ABSL_GUARDED_BY(mu_) = false;
};

const FunctionRegistry& Builtins() { return testing::LinkedFunctions(); }

TEST_CASE("the session registers, works, heartbeats, and rejoins with its keys") {
  FakeScheduler scheduler;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&scheduler);
  auto server = builder.BuildAndStart();
  REQUIRE(server != nullptr);

  DataStore store;
  WorkerOptions worker_options;
  worker_options.address = "127.0.0.1:7777";
  Worker worker(worker_options, Builtins(), store);
  SessionOptions options;
  options.scheduler_address = "127.0.0.1:" + std::to_string(port);
  options.info.set_name("test-worker");
  options.info.set_nthreads(1);
  options.death_timeout = absl::Seconds(10);
  SchedulerSession session(options, worker);
  absl::Status result = absl::UnknownError("not run");
  std::thread runner([&] { result = session.Run(); });

  REQUIRE(scheduler.WaitForRegistrations(2));
  CHECK(scheduler.finished_and_heartbeats());
  auto registrations = scheduler.registrations();
  CHECK(registrations[0].info().name() == "test-worker");
  CHECK(registrations[0].held_keys_size() == 0);
  REQUIRE(registrations[1].held_keys_size() == 1);
  CHECK(registrations[1].held_keys(0).key() == "x");
  CHECK(registrations[1].held_keys(0).addresses(0) == "127.0.0.1:7777");
  CHECK(*store.Get("x") == Value(2));

  session.Stop();
  runner.join();
  CHECK(result.ok());
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
}

TEST_CASE("an unreachable scheduler ends the session after the death timeout") {
  DataStore store;
  Worker worker(WorkerOptions{"127.0.0.1:7778"}, Builtins(), store);
  SessionOptions options;
  options.scheduler_address = "127.0.0.1:1";
  options.death_timeout = absl::Seconds(1);
  SchedulerSession session(options, worker);
  // Without the timeout the session would retry for ever: that it ends at all is the check.
  auto run = std::async(std::launch::async, [&] { return session.Run(); });
  const bool ended = run.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  if (!ended) session.Stop();
  REQUIRE(ended);
  absl::Status status = run.get();
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(status.message()), Catch::Contains("127.0.0.1:1"));
}

}  // namespace
}  // namespace weft
