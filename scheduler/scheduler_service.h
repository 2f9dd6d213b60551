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
// Dashboard: with ServiceOptions::snapshot_interval > 0, the loop records every finished
// task (a bounded dashboard::TaskStream) and publishes an immutable DashboardSnapshot at
// that interval; Snapshot() hands it to other threads (the dashboard's HTTP threads),
// which never touch the state.
//
// Threading: the handlers are called by gRPC on its threads. No lock is held while a
// stream is written: only the writers' own threads write. Snapshot() is thread-safe.
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
#include "scheduler/dashboard/snapshot.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {

struct ServiceOptions {
  SchedulerOptions scheduler;
  // How often SchedulerState::Tick runs (timeouts, work stealing).
  absl::Duration tick = absl::Milliseconds(100);
  // How often a dashboard snapshot is published (checked once per event batch or tick);
  // zero: never, and finished tasks are not recorded either.
  absl::Duration snapshot_interval = absl::ZeroDuration();
};

class SchedulerService final : public proto::Scheduler::Service {
 public:
  explicit SchedulerService(ServiceOptions options);
  ~SchedulerService() override;  // calls Stop()

  // Starts the event-loop thread.
  void Start();
  // Stops the event loop; events still queued are dropped. Idempotent.
  void Stop();
  // The latest dashboard snapshot; null until the loop published one (or with
  // snapshot_interval zero). Any thread.
  std::shared_ptr<const dashboard::DashboardSnapshot> Snapshot() const;

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
  // Publishes a dashboard snapshot if snapshot_interval has passed since the last one.
  void MaybePublishSnapshot(absl::Time now);

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
  // The dashboard's records (loop thread only).
  const absl::Time started_ = absl::Now();
  dashboard::TaskStream task_stream_;
  int64_t tasks_failed_ = 0;
  absl::Time next_snapshot_ = absl::InfinitePast();

  // Shared with any thread: replaced whole by the loop, never changed in place.
  mutable absl::Mutex snapshot_mu_;
  std::shared_ptr<const dashboard::DashboardSnapshot> snapshot_ ABSL_GUARDED_BY(snapshot_mu_);
};

}  // namespace weft::scheduler
