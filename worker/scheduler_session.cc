#include "worker/scheduler_session.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/batched_writer.h"
#include "common/data_client.h"
#include "common/logging.h"
#include "common/security.h"

namespace weft {
namespace {

using Stream = grpc::ClientReaderWriter<proto::WorkerEventBatch, proto::WorkerInstructionBatch>;
using Writer = BatchedWriter<proto::WorkerEventBatch>;

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

// The process's CPU use between two calls of Sample(), in percent of one core (200: two
// cores busy), for Heartbeat.cpu_percent. The first call measures from construction.
class CpuMeter {
 public:
  CpuMeter() : last_cpu_(Now(CLOCK_PROCESS_CPUTIME_ID)), last_wall_(Now(CLOCK_MONOTONIC)) {}

  double Sample() {
    const double cpu = Now(CLOCK_PROCESS_CPUTIME_ID);
    const double wall = Now(CLOCK_MONOTONIC);
    const double percent = wall > last_wall_ ? 100 * (cpu - last_cpu_) / (wall - last_wall_) : 0;
    last_cpu_ = cpu;
    last_wall_ = wall;
    return std::max(percent, 0.0);
  }

 private:
  static double Now(clockid_t clock) {
    struct timespec ts {};
    ::clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  }

  double last_cpu_;
  double last_wall_;
};

}  // namespace

SchedulerSession::SchedulerSession(SessionOptions options, Worker& worker, WorkerControl* control,
                                   stream::StageHost* stages)
    : options_(std::move(options)),
      worker_(worker),
      control_(control),
      stages_(stages),
      channel_(
          MakeWeftChannel(options_.scheduler_address, options_.security, ChannelPeer::kScheduler)),
      stub_(proto::Scheduler::NewStub(channel_)) {}

bool SchedulerSession::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void SchedulerSession::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

absl::Status SchedulerSession::Run() {
  absl::Time unreachable_since = absl::Now();
  int attempt = 0;
  bool told_refusal = false;
  while (!stopping()) {
    bool welcomed = false;
    absl::Status status = RunStream(&welcomed);
    if (stopping()) break;
    if (welcomed) {
      WEFT_LOG_WARN("lost the scheduler session ({}); reconnecting", status.ToString());
      worker_.OnSessionLost();
      unreachable_since = absl::Now();
      attempt = 0;
    } else if (absl::IsFailedPrecondition(status)) {
      // The scheduler refused this registration (e.g. peers could not reach this worker):
      // only another configuration can change its answer.
      return absl::FailedPreconditionError(
          absl::StrCat("the scheduler at ", options_.scheduler_address,
                       " refused this worker: ", status.message()));
    } else {
      status = ExplainRefusal(status, absl::StrCat("the scheduler at ", options_.scheduler_address),
                              "worker", options_.security);
      if (status.code() == absl::StatusCode::kUnauthenticated && !told_refusal) {
        // Said once: retrying is for a scheduler whose credentials are being fixed.
        WEFT_LOG_ERROR("{}; retrying until --death-timeout", std::string(status.message()));
        told_refusal = true;
      } else {
        WEFT_LOG_DEBUG("cannot reach the scheduler: {}", status.ToString());
      }
    }
    bool dead = absl::Now() - unreachable_since >= options_.death_timeout;
    if (dead && status.code() == absl::StatusCode::kUnauthenticated) {
      return absl::UnauthenticatedError(
          absl::StrCat(status.message(), " (gave up after --death-timeout ",
                       absl::FormatDuration(options_.death_timeout), ")"));
    }
    if (dead) {
      return absl::UnavailableError(
          absl::StrCat("could not reach the scheduler at ", options_.scheduler_address, " for ",
                       absl::FormatDuration(options_.death_timeout),
                       " (--death-timeout); last error: ", status.ToString()));
    }
    absl::Duration backoff = std::min(
        absl::Milliseconds(100) * (int64_t{1} << std::min(attempt++, 6)), absl::Seconds(5));
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
  }
  return absl::OkStatus();
}

absl::Duration SchedulerSession::HeartbeatInterval(const proto::WorkerWelcome& welcome) const {
  if (options_.heartbeat_interval > absl::ZeroDuration()) return options_.heartbeat_interval;
  if (welcome.heartbeat_interval_seconds() > 0) {
    return absl::Seconds(welcome.heartbeat_interval_seconds());
  }
  return absl::Seconds(1);
}

absl::Status SchedulerSession::RunStream(bool* welcomed) {
  grpc::ClientContext context;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("stopping");
    context_ = &context;
  }
  std::unique_ptr<Stream> stream = stub_->WorkerSession(&context);
  auto writer = std::make_unique<Writer>(
      [&stream](const proto::WorkerEventBatch& batch) { return stream->Write(batch); });

  proto::RegisterWorker registration;  // built outside the writer's lock
  *registration.mutable_info() = options_.info;
  for (auto& location : worker_.HeldKeys()) *registration.add_held_keys() = std::move(location);
  writer->Add([&registration](proto::WorkerEventBatch* batch) {
    *batch->add_events()->mutable_register_() = registration;
  });
  writer->Flush();

  // The first instruction must be the welcome; the rest of its batch is work.
  proto::WorkerInstructionBatch batch;
  bool ok = stream->Read(&batch);
  // Ended by the scheduler before any welcome (e.g. it refused our credentials): the call
  // is over, and cancelling it now would replace the scheduler's status with CANCELLED.
  const bool ended_by_scheduler = !ok;
  if (ok && (batch.instructions_size() == 0 || !batch.instructions(0).has_welcome())) {
    WEFT_LOG_ERROR("the scheduler did not answer RegisterWorker with a welcome");
    context.TryCancel();
    ok = false;
  }
  std::thread heartbeat;
  absl::Mutex heartbeat_mu;
  bool stream_done = false;
  if (ok) {
    *welcomed = true;
    const proto::WorkerWelcome& welcome = batch.instructions(0).welcome();
    std::fprintf(stderr, "Registered to: %s\n", options_.scheduler_address.c_str());
    // The name is ours; the id is the scheduler's handle on this registration.
    WEFT_LOG_INFO("registered to {} as {} (scheduler's worker id {})", options_.scheduler_address,
                  options_.info.name(), welcome.worker_id());
    worker_.SetSender([w = writer.get()](const proto::WorkerEvent& event) {
      w->Add([&event](proto::WorkerEventBatch* b) { *b->add_events() = event; });
    });
    absl::Duration interval = HeartbeatInterval(welcome);
    heartbeat = std::thread([&, interval] {
      CpuMeter cpu;
      absl::MutexLock lock(&heartbeat_mu);
      while (!heartbeat_mu.AwaitWithTimeout(absl::Condition(&stream_done), interval)) {
        proto::Heartbeat metrics = worker_.Metrics();
        metrics.set_cpu_percent(cpu.Sample());
        writer->Add([&metrics](proto::WorkerEventBatch* b) {
          *b->add_events()->mutable_heartbeat() = metrics;
        });
      }
    });
    if (control_ != nullptr) control_->LoadPlugins(welcome);
    auto handle = [this](const proto::WorkerInstruction& instruction) {
      if (WorkerControl::IsCommand(instruction)) {
        if (control_ != nullptr) {
          control_->Handle(instruction);
        } else {
          WEFT_LOG_WARN("a cluster command arrived but this session has no WorkerControl");
        }
      } else if (stream::StageHost::IsStageInstruction(instruction)) {
        if (stages_ != nullptr) stages_->Handle(instruction);
      } else {
        worker_.HandleInstruction(instruction);
      }
    };
    for (int i = 1; i < batch.instructions_size(); ++i) handle(batch.instructions(i));
    while (stream->Read(&batch)) {
      for (const proto::WorkerInstruction& instruction : batch.instructions()) {
        handle(instruction);
      }
    }
  }
  // Tear down in order: no new events, no heartbeats, flush the writer, then Finish.
  worker_.SetSender(nullptr);
  {
    absl::MutexLock lock(&heartbeat_mu);
    stream_done = true;
  }
  if (heartbeat.joinable()) heartbeat.join();
  if (!ended_by_scheduler) context.TryCancel();  // the scheduler closed its side, or we stop
  writer->Close();
  grpc::Status status = stream->Finish();
  {
    absl::MutexLock lock(&mu_);
    context_ = nullptr;
  }
  if (status.ok()) return absl::UnavailableError("the scheduler closed the session");
  return FromGrpc(status);
}

}  // namespace weft
