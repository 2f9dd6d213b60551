// SchedulerService: the gRPC face of SchedulerState (proto::Scheduler).
//
// Thin by design. Each stream handler (gRPC's sync API: one thread per open stream)
// reads its stream and only enqueues events; one event-loop thread owns the
// SchedulerState, runs the events in arrival order, and hands the instructions they
// return to the BatchedWriter of the connection they are addressed to. A timer in the
// loop (ServiceOptions::tick, on ServiceOptions::clock) feeds SchedulerState::Tick
// (timeouts, work stealing).
//
//   WorkerSession: the first item must be RegisterWorker (else INVALID_ARGUMENT); the
//     scheduler answers WorkerWelcome, unless ServiceOptions::admit_worker refuses the
//     worker (the stream then ends with its status). Closing the stream removes the worker; a
//     worker the scheduler drops (heartbeat timeout, or a new worker registered under its name) has
//     its stream cancelled.
//   ClientSession: the first item must be ClientHello; answered by ClientWelcome.
//     Closing the stream releases every key the client wanted. ClusterCommands (upload,
//     run, restart) go to the ClusterCommands next to the state; a restart first cancels
//     every task (SchedulerState::CancelAll). Pipelines (submit, stop) go to the
//     Pipelines next to the state, and the workers' StageEvents too.
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

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "proto/weft.grpc.pb.h"
#include "scheduler/cluster_commands.h"
#include "scheduler/dashboard/snapshot.h"
#include "scheduler/idle_timer.h"
#include "scheduler/pipelines.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {

struct ServiceOptions {
  SchedulerOptions scheduler;
  // How often SchedulerState::Tick runs (timeouts, work stealing).
  absl::Duration tick = absl::Milliseconds(100);
  // Plugins every worker loads when it joins (weft-scheduler --preload).
  std::vector<proto::Plugin> plugins;
  // How often a dashboard snapshot is published (checked once per event batch or tick);
  // zero: never, and finished tasks are not recorded either.
  absl::Duration snapshot_interval = absl::ZeroDuration();
  // weft-scheduler --idle-timeout: after this long with no client connected and no task
  // waiting, queued, in no-worker or processing, IdleTimedOut() turns true (checked at
  // every tick). Zero: never.
  absl::Duration idle_timeout = absl::ZeroDuration();
  // Asked about each worker that registers (its address as peers will see it), on that
  // WorkerSession's handler thread, before the state hears of it: a non-OK status refuses
  // the registration, and the stream ends with that status (the worker prints it and
  // exits). Null: every worker is admitted. weft-scheduler of a TLS cluster checks that
  // peers can reach the worker (scheduler/worker_probe.h).
  std::function<absl::Status(const proto::WorkerInfo&)> admit_worker;
  // Where the loop reads the time and waits for its tick (timeouts, snapshots, the idle
  // timer); tests pass a testing::FakeClock. Must outlive the service.
  Clock* clock = Clock::Real();
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
  // The last `n` lines of the log of the worker `worker` (name, address or host), asked
  // of it as Client::get_worker_logs does, for the dashboard's threads. Blocks up to
  // `timeout` (kDeadlineExceeded); kNotFound when no such worker is connected. Any thread.
  absl::StatusOr<std::vector<std::string>> WorkerLog(const std::string& worker, int n,
                                                     absl::Duration timeout);
  // Where the web dashboard is (a URL), reported to clients in every InfoReply. Any
  // thread; takes effect for the replies sent after the loop has run it.
  void SetDashboardAddress(std::string url);
  // Whether the scheduler has been idle for options.idle_timeout (then main shuts it
  // down). Any thread.
  bool IdleTimedOut() const { return idle_timed_out_.load(); }

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
  // Feeds idle_timer_ (see ServiceOptions::idle_timeout); loop thread.
  void CheckIdle(absl::Time now);

  const ServiceOptions options_;

  absl::Mutex mu_;
  std::deque<Event> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread loop_;

  // Owned by the loop thread (touched only by events and the loop).
  SchedulerState state_;
  ClusterCommands commands_;
  Pipelines pipelines_;  // streaming pipelines (issue 13)
  // The connections are shared with their handler threads: either side may finish first.
  absl::flat_hash_map<std::string, std::shared_ptr<WorkerConnection>> workers_;
  absl::flat_hash_map<std::string, std::shared_ptr<ClientConnection>> clients_;
  // The dashboard's records (loop thread only).
  const absl::Time started_;
  dashboard::TaskStream task_stream_;
  int64_t tasks_failed_ = 0;
  std::string dashboard_address_;  // InfoReply.dashboard_address (loop thread only)
  absl::Time next_snapshot_ = absl::InfinitePast();
  IdleTimer idle_timer_;  // loop thread
  std::atomic<bool> idle_timed_out_{false};

  // Replies to the commands the service sends itself (WorkerLog), by request id: the
  // loop stores a reply only while its asker still waits (waiting_).
  static constexpr char kInternalClient[] = "scheduler";
  absl::Mutex internal_mu_;
  uint64_t next_internal_id_ ABSL_GUARDED_BY(internal_mu_) = 1;
  absl::flat_hash_set<uint64_t> waiting_ ABSL_GUARDED_BY(internal_mu_);
  absl::flat_hash_map<uint64_t, proto::CommandReply> internal_replies_
      ABSL_GUARDED_BY(internal_mu_);

  // Shared with any thread: replaced whole by the loop, never changed in place.
  mutable absl::Mutex snapshot_mu_;
  std::shared_ptr<const dashboard::DashboardSnapshot> snapshot_ ABSL_GUARDED_BY(snapshot_mu_);
};

}  // namespace weft::scheduler
