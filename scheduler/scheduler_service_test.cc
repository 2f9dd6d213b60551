// SchedulerService over real gRPC streams on loopback, with a hand-driven fake worker and
// client: the wire protocol (first items, welcomes, batching), routing of instructions,
// stream close and heartbeat timeout.
#include "scheduler/scheduler_service.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/poll.h"
#include "common/testing/fake_clock.h"
#include "grpcpp/grpcpp.h"
#include "proto/weft.grpc.pb.h"

namespace weft::scheduler {
namespace {

using WorkerStream =
    grpc::ClientReaderWriter<proto::WorkerEventBatch, proto::WorkerInstructionBatch>;
using ClientStream = grpc::ClientReaderWriter<proto::ClientRequestBatch, proto::ClientUpdateBatch>;

class TestServer {
 public:
  explicit TestServer(ServiceOptions options) : service_(options) {
    service_.Start();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    REQUIRE(port_ != 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                   grpc::InsecureChannelCredentials());
    stub_ = proto::Scheduler::NewStub(channel_);
  }
  ~TestServer() {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    service_.Stop();
  }
  proto::Scheduler::Stub& stub() { return *stub_; }

 private:
  SchedulerService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::Scheduler::Stub> stub_;
};

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
}

// Reads batches until one holds an item; returns it (batches are never empty in practice).
proto::WorkerInstruction ReadInstruction(WorkerStream* stream) {
  proto::WorkerInstructionBatch batch;
  REQUIRE(stream->Read(&batch));
  REQUIRE(batch.instructions_size() == 1);
  return batch.instructions(0);
}

proto::ClientUpdate ReadUpdate(ClientStream* stream) {
  proto::ClientUpdateBatch batch;
  REQUIRE(stream->Read(&batch));
  REQUIRE(batch.updates_size() == 1);
  return batch.updates(0);
}

proto::WorkerEventBatch Register(const std::string& address) {
  proto::WorkerEventBatch batch;
  proto::WorkerInfo* info = batch.add_events()->mutable_register_()->mutable_info();
  info->set_name("fake");
  info->set_address(address);
  info->set_nthreads(2);
  return batch;
}

TEST_CASE("a task goes client -> scheduler -> worker -> scheduler -> client") {
  TestServer server{ServiceOptions()};
  grpc::ClientContext worker_context;
  SetDeadline(&worker_context);
  auto worker = server.stub().WorkerSession(&worker_context);
  REQUIRE(worker->Write(Register("0.0.0.0:7777")));
  proto::WorkerInstruction welcome = ReadInstruction(worker.get());
  REQUIRE(welcome.has_welcome());
  CHECK(welcome.welcome().worker_id() == "w1");
  CHECK(welcome.welcome().heartbeat_interval_seconds() > 0);

  grpc::ClientContext client_context;
  SetDeadline(&client_context);
  auto client = server.stub().ClientSession(&client_context);
  proto::ClientRequestBatch hello;
  hello.add_requests()->mutable_hello()->set_client_name("test");
  REQUIRE(client->Write(hello));
  REQUIRE(ReadUpdate(client.get()).welcome().client_id() == "c1");

  proto::ClientRequestBatch submit;
  proto::UpdateGraph* graph = submit.add_requests()->mutable_update_graph();
  proto::TaskSpec* task = graph->add_tasks();
  task->set_key("inc-1");
  task->set_function("inc");
  graph->add_wanted_keys("inc-1");
  REQUIRE(client->Write(submit));

  proto::WorkerInstruction compute = ReadInstruction(worker.get());
  REQUIRE(compute.has_compute());
  CHECK(compute.compute().task().key() == "inc-1");
  CHECK(compute.compute().task().function() == "inc");

  proto::WorkerEventBatch done;
  done.add_events()->mutable_task_finished()->set_key("inc-1");
  done.mutable_events(0)->mutable_task_finished()->set_nbytes(9);
  REQUIRE(worker->Write(done));
  proto::ClientUpdate status = ReadUpdate(client.get());
  REQUIRE(status.has_key_status());
  CHECK(status.key_status().state() == proto::KeyStatus::MEMORY);
  // The worker said 0.0.0.0: its address is the one it connected from.
  REQUIRE(status.key_status().location().addresses_size() == 1);
  CHECK(status.key_status().location().addresses(0) == "127.0.0.1:7777");

  // The worker leaves: info shows no worker and the key lost.
  worker->WritesDone();
  CHECK(worker->Finish().ok());
  CHECK(ReadUpdate(client.get()).key_status().state() == proto::KeyStatus::LOST);
  proto::ClientRequestBatch info;
  info.add_requests()->mutable_info()->set_request_id(3);
  REQUIRE(client->Write(info));
  proto::ClientUpdate reply = ReadUpdate(client.get());
  REQUIRE(reply.has_info());
  CHECK(reply.info().request_id() == 3);
  CHECK(reply.info().workers_size() == 0);
  CHECK(reply.info().tasks_by_state().at("no-worker") == 1);
  client->WritesDone();
  CHECK(client->Finish().ok());
}

TEST_CASE("a worker stream must start with RegisterWorker, a client one with ClientHello") {
  TestServer server{ServiceOptions()};
  grpc::ClientContext worker_context;
  SetDeadline(&worker_context);
  auto worker = server.stub().WorkerSession(&worker_context);
  proto::WorkerEventBatch heartbeat;
  heartbeat.add_events()->mutable_heartbeat();
  REQUIRE(worker->Write(heartbeat));
  worker->WritesDone();
  grpc::Status status = worker->Finish();
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Contains("RegisterWorker"));

  grpc::ClientContext client_context;
  SetDeadline(&client_context);
  auto client = server.stub().ClientSession(&client_context);
  proto::ClientRequestBatch info;
  info.add_requests()->mutable_info();
  REQUIRE(client->Write(info));
  client->WritesDone();
  CHECK(client->Finish().error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("a worker that admit_worker refuses gets its status and never joins") {
  ServiceOptions options;
  std::string asked_about;
  options.admit_worker = [&asked_about](const proto::WorkerInfo& info) {
    asked_about = info.address();  // the address as peers will see it
    return info.address() == "127.0.0.1:1" ? absl::FailedPreconditionError("not reachable")
                                           : absl::OkStatus();
  };
  TestServer server(options);
  grpc::ClientContext refused_context;
  SetDeadline(&refused_context);
  auto refused = server.stub().WorkerSession(&refused_context);
  REQUIRE(refused->Write(Register("0.0.0.0:1")));
  proto::WorkerInstructionBatch batch;
  CHECK_FALSE(refused->Read(&batch));  // no welcome
  grpc::Status status = refused->Finish();
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(status.error_message() == "not reachable");
  CHECK(asked_about == "127.0.0.1:1");

  grpc::ClientContext admitted_context;
  SetDeadline(&admitted_context);
  auto admitted = server.stub().WorkerSession(&admitted_context);
  REQUIRE(admitted->Write(Register("127.0.0.1:2")));
  proto::WorkerInstruction welcome = ReadInstruction(admitted.get());
  REQUIRE(welcome.has_welcome());
  CHECK(welcome.welcome().worker_id() == "w1");  // the refused one never took an id
}

TEST_CASE("a silent worker is timed out and its stream closed") {
  testing::FakeClock clock;
  ServiceOptions options;
  options.scheduler.worker_timeout = absl::Milliseconds(300);
  options.tick = absl::Milliseconds(50);
  options.clock = &clock;
  TestServer server(options);
  grpc::ClientContext context;
  SetDeadline(&context);
  auto worker = server.stub().WorkerSession(&context);
  REQUIRE(worker->Write(Register("127.0.0.1:1")));
  REQUIRE(ReadInstruction(worker.get()).has_welcome());
  auto loop_waits_for = [&clock](absl::Time tick) {
    return PollUntil([&] { return clock.Deadlines() == std::vector<absl::Time>{tick}; },
                     absl::Now() + absl::Seconds(20));
  };
  // The loop is done with the registration (which saw the worker at this time) and waits
  // for its first tick.
  REQUIRE(loop_waits_for(clock.Now() + absl::Milliseconds(50)));
  // Within the timeout the worker stays: the loop ticks and waits for the next tick.
  clock.Advance(absl::Milliseconds(200));
  REQUIRE(loop_waits_for(clock.Now() + absl::Milliseconds(50)));
  // Past it, the next tick drops the worker and the scheduler ends the call.
  clock.Advance(absl::Milliseconds(200));
  proto::WorkerInstructionBatch batch;
  CHECK_FALSE(worker->Read(&batch));
  CHECK(worker->Finish().error_code() == grpc::StatusCode::CANCELLED);  // not our deadline
}

}  // namespace
}  // namespace weft::scheduler
