#include "scheduler/scheduler_service.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/batched_writer.h"
#include "common/codec.h"
#include "common/host_port.h"
#include "common/logging.h"

namespace weft::scheduler {
namespace {

// "ipv4:10.0.0.5:43210" / "ipv6:[::1]:43210" → "10.0.0.5" / "::1"; "" if unknown.
std::string PeerHost(const std::string& peer) {
  const size_t first = peer.find(':');
  if (first == std::string::npos || peer.rfind(':') <= first) return "";
  return std::string(HostOf(absl::string_view(peer).substr(first + 1)));
}

// A worker listening on every interface reports 0.0.0.0:PORT; peers need a host they
// can reach, so the address the worker connected from stands in for it.
void FixWorkerAddress(const std::string& peer, proto::WorkerInfo* info) {
  const std::string& address = info->address();
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) return;
  const absl::string_view host = HostOf(address);
  if (host != "0.0.0.0" && host != "::" && !host.empty()) return;
  const std::string peer_host = PeerHost(peer);
  if (peer_host.empty()) return;
  info->set_address(JoinHostPort(peer_host, port));
}

void LogIfError(const absl::Status& status, absl::string_view what) {
  if (status.ok()) return;
  if (absl::IsNotFound(status)) {
    WEFT_LOG_DEBUG("{}: {}", std::string(what),
                   status.ToString());  // late message from a departed peer
  } else {
    WEFT_LOG_ERROR("{}: {}", std::string(what), status.ToString());
  }
}

}  // namespace

// One open stream: its batched writer, and a way to end it from the scheduler's side.
// Shared by the handler thread (which reads, and finally closes the writer) and the
// event loop (which adds to the writer, and may cancel the call).
template <typename Batch>
class SchedulerService::Connection {
 public:
  Connection(grpc::ServerContext* context, std::function<bool(const Batch&)> write)
      : context_(context), writer_(std::move(write)) {}

  // Queues one item for the peer; false once the stream is closed or broken.
  template <typename Fill>
  bool Add(Fill&& fill) {
    return writer_.Add(std::forward<Fill>(fill));
  }

  // Ends the call from the scheduler's side (the handler's Read then returns false).
  void Cancel() {
    absl::MutexLock lock(&mu_);
    if (context_ != nullptr) context_->TryCancel();
  }

  // Called by the handler just before it returns: no Cancel after this, and what is
  // pending is flushed.
  void Finish() {
    {
      absl::MutexLock lock(&mu_);
      context_ = nullptr;
    }
    writer_.Close();
  }

  std::string id;  // set and read on the loop thread only

 private:
  absl::Mutex mu_;
  grpc::ServerContext* context_ ABSL_GUARDED_BY(mu_);
  BatchedWriter<Batch> writer_;
};

SchedulerService::SchedulerService(ServiceOptions options)
    : options_(std::move(options)),
      state_(options_.scheduler),
      started_(options_.clock->Now()),
      idle_timer_(options_.idle_timeout) {
  for (const proto::Plugin& plugin : options_.plugins) commands_.Preload(plugin);
}

SchedulerService::~SchedulerService() { Stop(); }

void SchedulerService::Start() {
  loop_ = std::thread([this] { Loop(); });
}

void SchedulerService::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (loop_.joinable()) loop_.join();
}

void SchedulerService::Enqueue(Event event) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  queue_.push_back(std::move(event));
}

void SchedulerService::Loop() {
  Clock& clock = *options_.clock;
  absl::Time next_tick = clock.Now() + options_.tick;
  MaybePublishSnapshot(clock.Now());
  while (true) {
    std::deque<Event> events;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
      clock.AwaitWithDeadline(&mu_, absl::Condition(&ready), next_tick);
      if (stopping_) return;
      events.swap(queue_);
    }
    for (Event& event : events) event();
    // The tick runs after the queued events, so heartbeats that waited in the queue
    // count before anyone is timed out.
    absl::Time now = clock.Now();
    if (now >= next_tick) {
      state_.Tick(now);
      CheckIdle(now);
      next_tick = now + options_.tick;
    }
    Route(state_.TakeInstructions());
    Route(commands_.TakeInstructions());
    Route(pipelines_.TakeInstructions());
    MaybePublishSnapshot(now);
  }
}

void SchedulerService::CheckIdle(absl::Time now) {
  if (idle_timed_out_.load()) return;
  int64_t busy = 0;
  for (TaskStatus status : {TaskStatus::kWaiting, TaskStatus::kQueued, TaskStatus::kNoWorker,
                            TaskStatus::kProcessing}) {
    busy += state_.CountInStatus(status);
  }
  if (idle_timer_.Expired(/*idle=*/clients_.empty() && busy == 0, now)) {
    WEFT_LOG_INFO("idle for {} (--idle-timeout): no client connected and no task to run",
                  absl::FormatDuration(idle_timer_.timeout()));
    idle_timed_out_.store(true);
  }
}

namespace {

dashboard::PipelineRecord ToDashboard(const Pipelines::Summary& p) {
  dashboard::PipelineRecord record;
  record.id = p.id;
  record.name = p.spec.name();
  record.client_id = p.client_id;
  record.state = PipelineStateName(p.state);
  record.error = p.error;
  record.function = p.spec.function();
  record.source_address = p.spec.source_address();
  record.sink_address = p.spec.sink_address();
  record.source_worker = p.source_worker;
  record.sink_worker = p.sink_worker;
  record.parallel_workers = p.parallel_workers;
  record.batches_in = p.batches_in;
  record.batches_out = p.batches_out;
  record.rows_out = p.rows_out;
  record.records_skipped = p.records_skipped;
  record.first_skipped = p.first_skipped;
  return record;
}

}  // namespace

void SchedulerService::MaybePublishSnapshot(absl::Time now) {
  if (options_.snapshot_interval <= absl::ZeroDuration() || now < next_snapshot_) return;
  next_snapshot_ = now + options_.snapshot_interval;
  dashboard::DashboardSnapshot snapshot =
      dashboard::MakeSnapshot(state_, task_stream_, tasks_failed_, started_, now);
  for (const Pipelines::Summary& p : pipelines_.Summaries()) {
    snapshot.pipelines.push_back(ToDashboard(p));
  }
  // Only this thread publishes: the latest snapshot is the one before this.
  dashboard::AddPipelineRates(Snapshot().get(), &snapshot);
  auto published = std::make_shared<const dashboard::DashboardSnapshot>(std::move(snapshot));
  absl::MutexLock lock(&snapshot_mu_);
  snapshot_ = std::move(published);
}

absl::StatusOr<std::vector<std::string>> SchedulerService::WorkerLog(const std::string& worker,
                                                                     int n,
                                                                     absl::Duration timeout) {
  proto::ClusterCommand command;
  {
    absl::MutexLock lock(&internal_mu_);
    command.set_request_id(next_internal_id_++);
    waiting_.insert(command.request_id());
  }
  const uint64_t id = command.request_id();
  command.add_workers(worker);
  command.mutable_run()->set_function("worker_log");
  command.mutable_run()->add_args()->set_literal(EncodeValueToString(Value(int64_t{n})));
  Enqueue([this, command = std::move(command)]() mutable {
    commands_.Command(kInternalClient, std::move(command));
  });
  absl::MutexLock lock(&internal_mu_);
  auto ready = [this, id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(internal_mu_) {
    return internal_replies_.contains(id);
  };
  const bool answered = internal_mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  waiting_.erase(id);
  if (!answered) {
    return absl::DeadlineExceededError(absl::StrCat(
        "worker ", worker, " did not send its log within ", absl::FormatDuration(timeout)));
  }
  proto::CommandReply reply = std::move(internal_replies_.at(id));
  internal_replies_.erase(id);
  if (!reply.error().empty()) return absl::NotFoundError(reply.error());
  if (reply.results_size() != 1) {
    return absl::NotFoundError(absl::StrCat("no connected worker is named ", worker));
  }
  if (!reply.results(0).error().empty()) return absl::InternalError(reply.results(0).error());
  absl::StatusOr<Value> value = DecodeValue(reply.results(0).value());
  if (!value.ok()) return value.status();
  std::vector<std::string> lines;
  if (value->is_list()) {
    for (const Value& line : value->as_list()) {
      if (line.is_string()) lines.push_back(line.as_string());
    }
  }
  return lines;
}

std::shared_ptr<const dashboard::DashboardSnapshot> SchedulerService::Snapshot() const {
  absl::MutexLock lock(&snapshot_mu_);
  return snapshot_;
}

void SchedulerService::SetDashboardAddress(std::string url) {
  Enqueue([this, url = std::move(url)] { dashboard_address_ = url; });
}

void SchedulerService::Route(Instructions out) {
  for (WorkerMessage& message : out.to_workers) {
    auto it = workers_.find(message.worker_id);
    if (it == workers_.end()) continue;
    it->second->Add([&message](proto::WorkerInstructionBatch* batch) {
      *batch->add_instructions() = std::move(message.instruction);
    });
  }
  for (ClientMessage& message : out.to_clients) {
    if (message.client_id == kInternalClient) {
      const proto::CommandReply& reply = message.update.command_reply();
      absl::MutexLock lock(&internal_mu_);
      if (waiting_.contains(reply.request_id())) {
        internal_replies_[reply.request_id()] = reply;
      }
      continue;
    }
    auto it = clients_.find(message.client_id);
    if (it == clients_.end()) continue;
    // The dashboard is the service's, not the state machine's: added on the way out.
    if (message.update.has_info()) {
      message.update.mutable_info()->set_dashboard_address(dashboard_address_);
    }
    it->second->Add([&message](proto::ClientUpdateBatch* batch) {
      *batch->add_updates() = std::move(message.update);
    });
  }
  for (const std::string& id : out.removed_workers) {
    auto it = workers_.find(id);
    if (it == workers_.end()) continue;
    WEFT_LOG_WARN(
        "worker {} removed (no heartbeat, or a new worker took its name): closing "
        "its stream",
        id);
    it->second->Cancel();
    workers_.erase(it);
    commands_.WorkerLeft(id);
    pipelines_.WorkerLeft(id);
  }
}

// ---- Workers.

grpc::Status SchedulerService::WorkerSession(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<proto::WorkerInstructionBatch, proto::WorkerEventBatch>* stream) {
  proto::WorkerEventBatch first;
  if (!stream->Read(&first)) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "stream closed before RegisterWorker");
  }
  if (first.events_size() == 0 || !first.events(0).has_register_()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the first item on a WorkerSession must be RegisterWorker");
  }
  FixWorkerAddress(context->peer(), first.mutable_events(0)->mutable_register_()->mutable_info());
  if (options_.admit_worker) {
    const proto::WorkerInfo& info = first.events(0).register_().info();
    const absl::Status admitted = options_.admit_worker(info);
    if (!admitted.ok()) {
      WEFT_LOG_ERROR("refused worker {} at {}: {}", info.name(), info.address(),
                     std::string(admitted.message()));
      return grpc::Status(static_cast<grpc::StatusCode>(admitted.code()),
                          std::string(admitted.message()));
    }
  }
  auto conn = std::make_shared<WorkerConnection>(
      context,
      [stream](const proto::WorkerInstructionBatch& batch) { return stream->Write(batch); });
  Enqueue([this, conn, first = std::move(first)] {
    const proto::RegisterWorker& reg = first.events(0).register_();
    conn->id = state_.AddWorker(reg, options_.clock->Now());
    workers_[conn->id] = conn;
    // The welcome carries the plugins uploaded so far, so that the worker has them
    // before its first task.
    Instructions out = state_.TakeInstructions();
    for (WorkerMessage& message : out.to_workers) {
      if (message.worker_id == conn->id && message.instruction.has_welcome()) {
        commands_.WorkerJoined(conn->id, reg.info(), message.instruction.mutable_welcome());
        pipelines_.WorkerJoined(conn->id, reg.info());
        break;
      }
    }
    Route(std::move(out));
    WEFT_LOG_INFO("worker {} joined: {} at {} ({} threads, {} held keys)", conn->id,
                  reg.info().name(), reg.info().address(), reg.info().nthreads(),
                  reg.held_keys_size());
    HandleWorkerEvents(conn, first, /*first=*/1);
  });
  while (true) {
    proto::WorkerEventBatch batch;
    if (!stream->Read(&batch)) break;
    Enqueue([this, conn, batch = std::move(batch)] { HandleWorkerEvents(conn, batch, 0); });
  }
  Enqueue([this, conn] {
    auto it = workers_.find(conn->id);
    if (it == workers_.end() || it->second != conn) return;  // already removed (timeout)
    workers_.erase(it);
    WEFT_LOG_INFO("worker {} left", conn->id);
    LogIfError(state_.RemoveWorker(conn->id, "its stream closed"), "remove-worker");
    commands_.WorkerLeft(conn->id);
    pipelines_.WorkerLeft(conn->id);
  });
  conn->Finish();
  return grpc::Status::OK;
}

void SchedulerService::HandleWorkerEvents(const std::shared_ptr<WorkerConnection>& conn,
                                          const proto::WorkerEventBatch& batch, int first) {
  const std::string& id = conn->id;
  absl::Time now = options_.clock->Now();
  state_.Touch(id, now);
  for (int i = first; i < batch.events_size(); ++i) {
    const proto::WorkerEvent& event = batch.events(i);
    switch (event.kind_case()) {
      case proto::WorkerEvent::kHeartbeat:
        LogIfError(state_.Heartbeat(id, event.heartbeat(), now), "heartbeat");
        break;
      case proto::WorkerEvent::kTaskFinished:
        if (options_.snapshot_interval > absl::ZeroDuration()) {
          task_stream_.Add(id, event.task_finished().key(),
                           event.task_finished().duration_seconds(), now);
        }
        LogIfError(state_.TaskFinished(id, event.task_finished()), "task-finished");
        break;
      case proto::WorkerEvent::kTaskFailed:
        if (event.task_failed().missing_dependencies().empty()) ++tasks_failed_;
        LogIfError(state_.TaskFailed(id, event.task_failed()), "task-failed");
        break;
      case proto::WorkerEvent::kStatusChange:
        LogIfError(state_.WorkerStatusChange(id, event.status_change()), "status-change");
        break;
      case proto::WorkerEvent::kStealResponse:
        LogIfError(state_.StealResponse(id, event.steal_response()), "steal-response");
        break;
      case proto::WorkerEvent::kCommandResult:
        commands_.Result(id, event.command_result());
        break;
      case proto::WorkerEvent::kReplicaAdded:
        LogIfError(state_.ReplicaAdded(id, event.replica_added()), "replica-added");
        break;
      case proto::WorkerEvent::kStageEvent:
        LogIfError(pipelines_.StageEvent(id, event.stage_event()), "stage-event");
        break;
      case proto::WorkerEvent::kRegister:
        WEFT_LOG_WARN("worker {} registered twice on one stream; ignored", id);
        break;
      case proto::WorkerEvent::KIND_NOT_SET:
        break;
    }
  }
}

// ---- Clients.

grpc::Status SchedulerService::ClientSession(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<proto::ClientUpdateBatch, proto::ClientRequestBatch>* stream) {
  proto::ClientRequestBatch first;
  if (!stream->Read(&first)) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "stream closed before ClientHello");
  }
  if (first.requests_size() == 0 || !first.requests(0).has_hello()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the first item on a ClientSession must be ClientHello");
  }
  auto conn = std::make_shared<ClientConnection>(
      context, [stream](const proto::ClientUpdateBatch& batch) { return stream->Write(batch); });
  std::string peer = context->peer();
  Enqueue([this, conn, peer, first = std::move(first)]() mutable {
    const std::string name = first.requests(0).hello().client_name();
    conn->id = state_.AddClient(name);
    clients_[conn->id] = conn;
    WEFT_LOG_INFO("client {} connected: {} from {}", conn->id, name, peer);
    HandleClientRequests(conn, std::move(first), /*first=*/1);
  });
  while (true) {
    proto::ClientRequestBatch batch;
    if (!stream->Read(&batch)) break;
    Enqueue([this, conn, batch = std::move(batch)]() mutable {
      HandleClientRequests(conn, std::move(batch), 0);
    });
  }
  Enqueue([this, conn] {
    clients_.erase(conn->id);
    WEFT_LOG_INFO("client {} disconnected", conn->id);
    commands_.ClientLeft(conn->id);
    pipelines_.ClientLeft(conn->id);
    LogIfError(state_.RemoveClient(conn->id), "remove-client");
  });
  conn->Finish();
  return grpc::Status::OK;
}

void SchedulerService::HandleClientRequests(const std::shared_ptr<ClientConnection>& conn,
                                            proto::ClientRequestBatch batch, int first) {
  const std::string& id = conn->id;
  for (int i = first; i < batch.requests_size(); ++i) {
    proto::ClientRequest* request = batch.mutable_requests(i);
    switch (request->kind_case()) {
      case proto::ClientRequest::kUpdateGraph:
        LogIfError(state_.UpdateGraph(id, std::move(*request->mutable_update_graph())),
                   "update-graph");
        break;
      case proto::ClientRequest::kReleaseKeys:
        LogIfError(state_.ReleaseKeys(id, request->release_keys()), "release-keys");
        break;
      case proto::ClientRequest::kCancelKeys:
        LogIfError(state_.CancelKeys(id, request->cancel_keys()), "cancel-keys");
        break;
      case proto::ClientRequest::kScatterData:
        LogIfError(state_.ScatterData(id, request->scatter_data()), "scatter-data");
        break;
      case proto::ClientRequest::kInfo:
        LogIfError(state_.Info(id, request->info()), "info");
        break;
      case proto::ClientRequest::kCommand: {
        const proto::ClusterCommand& command = request->command();
        WEFT_LOG_INFO("client {} asks the workers to {}", id,
                      command.has_upload()    ? "load " + command.upload().name()
                      : command.has_run()     ? "run " + command.run().function()
                      : command.has_restart() ? std::string("restart")
                      : command.has_retire()  ? std::string("retire")
                                              : std::string("do nothing"));
        ClusterCommands::Effect effect =
            commands_.Command(id, std::move(*request->mutable_command()));
        if (effect.kind == ClusterCommands::Effect::kCancelAll) {
          // A restart: every task goes before the workers do.
          LogIfError(state_.CancelAll("the cluster was restarted"), "restart");
        } else if (effect.kind == ClusterCommands::Effect::kRetire) {
          LogIfError(state_.RetireWorkers(effect.worker_ids), "retire");
        }
        break;
      }
      case proto::ClientRequest::kSubmitPipeline:
        WEFT_LOG_INFO("client {} submits pipeline {}", id,
                      request->submit_pipeline().pipeline_id());
        LogIfError(pipelines_.Submit(id, request->submit_pipeline()), "submit-pipeline");
        break;
      case proto::ClientRequest::kStopPipeline:
        LogIfError(pipelines_.Stop(id, request->stop_pipeline().pipeline_id()), "stop-pipeline");
        break;
      case proto::ClientRequest::kHello:
        WEFT_LOG_WARN("client {} said hello twice on one stream; ignored", id);
        break;
      case proto::ClientRequest::KIND_NOT_SET:
        break;
    }
  }
}

}  // namespace weft::scheduler
