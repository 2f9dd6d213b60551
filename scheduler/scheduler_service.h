// SchedulerService: the gRPC face of SchedulerState (proto::Scheduler).
//
// Thin by design. Each stream handler (gRPC's sync API: one thread per open stream)
// reads its stream and only enqueues events; one event-loop thread owns the
// SchedulerState, runs the events in arrival order, and hands the instructions they
// return to the BatchedWriter of the connection they are addressed to. A timer in the
// loop (ServiceOptions::tick) feeds SchedulerState::Tick (timeouts, work stealing).
//
//   WorkerSession: the first item must be RegisterWorker (else INVALID_ARGUMENT); the
//     scheduler answers WorkerWelcome. Closing the stream removes the worker; a worker the
//     scheduler drops (heartbeat timeout) has its stream cancelled.
//   ClientSession: the first item must be ClientHello; answered by ClientWelcome.
//     Closing the stream releases every key the client wanted.
//
// Lifecycle: construct, Start(), register with a grpc::Server; at the end call
// server->Shutdown() first (ends the streams), then Stop().
//
// Threading: the handlers are called by gRPC on its threads. No lock is held while a
// stream is written: only the writers' own threads write.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/weft.grpc.pb.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {

struct ServiceOptions {
  SchedulerOptions scheduler;
  // How often SchedulerState::Tick runs (timeouts, work stealing).
  absl::Duration tick = absl::Milliseconds(100);
};

class SchedulerService final : public proto::Scheduler::Service {
 public:
  explicit SchedulerService(ServiceOptions options);
  ~SchedulerService() override;  // calls Stop()

  // Starts the event-loop thread.
  void Start();
  // Stops the event loop; events still queued are dropped. Idempotent.
  void Stop();

  grpc::Status WorkerSession(grpc::ServerContext* context,
                             grpc::ServerReaderWriter<proto::WorkerInstructionBatch,
                                                      proto::WorkerEventBatch>* stream) override;
  grpc::Status ClientSession(grpc::ServerContext* context,
                             grpc::ServerReaderWriter<proto::ClientUpdateBatch,
                                                      proto::ClientRequestBatch>* stream) override;

 private:
  template <typename Batch>
  class Connection;
  using WorkerConnection = Connection<proto::WorkerInstructionBatch>;
  using ClientConnection = Connection<proto::ClientUpdateBatch>;
  // Runs on the loop thread, with the state.
  using Event = std::function<void()>;

  void Enqueue(Event event);
  void Loop();
  void Route(Instructions instructions);
  void HandleWorkerEvents(const std::shared_ptr<WorkerConnection>& conn,
                          const proto::WorkerEventBatch& batch, int first);
  void HandleClientRequests(const std::shared_ptr<ClientConnection>& conn,
                            proto::ClientRequestBatch batch, int first);

  const ServiceOptions options_;

  absl::Mutex mu_;
  std::deque<Event> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread loop_;

  // Owned by the loop thread (touched only by events and the loop).
  SchedulerState state_;
  // The connections are shared with their handler threads: either side may finish first.
  absl::flat_hash_map<std::string, std::shared_ptr<WorkerConnection>> workers_;
  absl::flat_hash_map<std::string, std::shared_ptr<ClientConnection>> clients_;
};

}  // namespace weft::scheduler
