// SchedulerSession: the worker's side of Scheduler.WorkerSession.
//
// Run() connects, sends RegisterWorker (info and, on a reconnect, held_keys) as the first
// item, waits for WorkerWelcome, then: instructions read from the stream go to the
// Worker; TaskFinished/TaskFailed from the Worker and a Heartbeat every interval go out
// through a BatchedWriter (never one write per event). When the stream breaks, the
// Worker forgets its work in progress and the session reconnects with exponential
// backoff; if the scheduler stays unreachable for `death_timeout` (counted from start-up
// or from the loss of the last session), Run() returns kUnavailable.
//
// Threading: Run() blocks its calling thread (which reads the stream) and owns a
// heartbeat thread and the writer thread per stream. Stop() may be called from any
// thread (e.g. a signal watcher): it cancels the stream and Run() returns OK.
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/security.h"
#include "grpcpp/client_context.h"
#include "proto/weft.grpc.pb.h"
#include "worker/stream/stage_host.h"
#include "worker/worker.h"
#include "worker/worker_control.h"

namespace weft {

struct SessionOptions {
  std::string scheduler_address;  // host:port
  proto::WorkerInfo info;
  // Zero: the interval the scheduler asks for in its welcome (1 s if it says nothing).
  absl::Duration heartbeat_interval = absl::ZeroDuration();
  absl::Duration death_timeout = absl::Seconds(60);
  // The credentials of the session's channel: the worker's own (its --tls-* flags and
  // token), the same its peers' channels are made with (insecure by default).
  Security security;
};

class SchedulerSession {
 public:
  // `worker` (and `control`, optional: cluster commands are then ignored) must outlive
  // the session. The welcome's plugins go to control->LoadPlugins before any other
  // instruction; cluster commands (WorkerControl::IsCommand) go to control->Handle, and
  // pipeline stages (StageHost::IsStageInstruction) to stages->Handle (optional too).
  SchedulerSession(SessionOptions options, Worker& worker, WorkerControl* control = nullptr,
                   stream::StageHost* stages = nullptr);
  SchedulerSession(const SchedulerSession&) = delete;
  SchedulerSession& operator=(const SchedulerSession&) = delete;

  // OK after Stop(); kUnavailable past the death timeout (kUnauthenticated when the
  // scheduler refused this worker's credentials, common/security.h); kFailedPrecondition
  // at once when the scheduler refused the registration itself (its reason in the
  // message), which no retry would change.
  absl::Status Run();
  void Stop();

 private:
  // One stream, from connect to break. Sets *welcomed once the scheduler accepted us.
  absl::Status RunStream(bool* welcomed);
  absl::Duration HeartbeatInterval(const proto::WorkerWelcome& welcome) const;
  bool stopping() const;

  // Constant after construction.
  const SessionOptions options_;
  Worker& worker_;
  WorkerControl* const control_;
  stream::StageHost* const stages_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<proto::Scheduler::Stub> stub_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;  // the live stream's
};

}  // namespace weft
