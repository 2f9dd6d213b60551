#include "scheduler/scheduler_service.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/batched_writer.h"
#include "common/logging.h"

namespace weft::scheduler {
namespace {

// "ipv4:10.0.0.5:43210" / "ipv6:[::1]:43210" → "10.0.0.5" / "::1"; "" if unknown.
std::string PeerHost(const std::string& peer) {
  size_t first = peer.find(':');
  size_t last = peer.rfind(':');
  if (first == std::string::npos || last <= first) return "";
  std::string host = peer.substr(first + 1, last - first - 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

// A worker listening on every interface reports 0.0.0.0:PORT; peers need a host they
// can reach, so the address the worker connected from stands in for it.
void FixWorkerAddress(const std::string& peer, proto::WorkerInfo* info) {
  const std::string& address = info->address();
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return;
  std::string host = address.substr(0, colon);
  if (host != "0.0.0.0" && host != "[::]" && host != "::" && !host.empty()) return;
  std::string peer_host = PeerHost(peer);
  if (peer_host.empty()) return;
  if (absl::StrContains(peer_host, ':')) peer_host = absl::StrCat("[", peer_host, "]");
  info->set_address(absl::StrCat(peer_host, address.substr(colon)));
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
    : options_(std::move(options)), state_(options_.scheduler) {}

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
  absl::Time next_tick = absl::Now() + options_.tick;
  MaybePublishSnapshot(absl::Now());
  while (true) {
    std::deque<Event> events;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
      mu_.AwaitWithDeadline(absl::Condition(&ready), next_tick);
      if (stopping_) return;
      events.swap(queue_);
    }
    for (Event& event : events) event();
    // The tick runs after the queued events, so heartbeats that waited in the queue
    // count before anyone is timed out.
    absl::Time now = absl::Now();
    if (now >= next_tick) {
      state_.Tick(now);
      next_tick = now + options_.tick;
    }
    Route(state_.TakeInstructions());
    MaybePublishSnapshot(now);
  }
}

void SchedulerService::MaybePublishSnapshot(absl::Time now) {
  if (options_.snapshot_interval <= absl::ZeroDuration() || now < next_snapshot_) return;
  next_snapshot_ = now + options_.snapshot_interval;
  auto snapshot = std::make_shared<const dashboard::DashboardSnapshot>(
      dashboard::MakeSnapshot(state_, task_stream_, tasks_failed_, started_, now));
  absl::MutexLock lock(&snapshot_mu_);
  snapshot_ = std::move(snapshot);
}

std::shared_ptr<const dashboard::DashboardSnapshot> SchedulerService::Snapshot() const {
  absl::MutexLock lock(&snapshot_mu_);
  return snapshot_;
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
    auto it = clients_.find(message.client_id);
    if (it == clients_.end()) continue;
    it->second->Add([&message](proto::ClientUpdateBatch* batch) {
      *batch->add_updates() = std::move(message.update);
    });
  }
  for (const std::string& id : out.removed_workers) {
    auto it = workers_.find(id);
    if (it == workers_.end()) continue;
    WEFT_LOG_WARN("worker {} timed out: closing its stream", id);
    it->second->Cancel();
    workers_.erase(it);
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
  auto conn = std::make_shared<WorkerConnection>(
      context,
      [stream](const proto::WorkerInstructionBatch& batch) { return stream->Write(batch); });
  Enqueue([this, conn, first = std::move(first)] {
    const proto::RegisterWorker& reg = first.events(0).register_();
    conn->id = state_.AddWorker(reg, absl::Now());
    workers_[conn->id] = conn;
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
  });
  conn->Finish();
  return grpc::Status::OK;
}

void SchedulerService::HandleWorkerEvents(const std::shared_ptr<WorkerConnection>& conn,
                                          const proto::WorkerEventBatch& batch, int first) {
  const std::string& id = conn->id;
  absl::Time now = absl::Now();
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
      case proto::ClientRequest::kInfo:
        LogIfError(state_.Info(id, request->info()), "info");
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
