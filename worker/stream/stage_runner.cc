#include "worker/stream/stage_runner.h"

#include "absl/time/clock.h"
#include "common/logging.h"

namespace weft::stream {

void Reporter::Send(proto::StageEvent::Kind kind, const Counters& counters,
                    const std::string& error) {
  proto::WorkerEvent event;
  proto::StageEvent* stage = event.mutable_stage_event();
  stage->set_pipeline_id(pipeline_id_);
  stage->set_role(role_);
  stage->set_kind(kind);
  stage->set_error(error);
  stage->set_batches_in(counters.batches_in);
  stage->set_batches_out(counters.batches_out);
  stage->set_rows_out(counters.rows_out);
  stage->set_records_skipped(counters.records_skipped);
  stage->set_first_skipped(counters.first_skipped);
  send_(event);
}

void Reporter::Started() { Send(proto::StageEvent::STARTED, {}, ""); }

constexpr absl::Duration kProgressInterval = absl::Milliseconds(500);

Reporter::~Reporter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (flusher_.joinable()) flusher_.join();
}

void Reporter::Done(const Counters& counters) {
  {
    absl::MutexLock lock(&mu_);
    pending_.reset();  // these are the final counters
  }
  Send(proto::StageEvent::DONE, counters, "");
}

void Reporter::Progress(const Counters& counters) {
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    if (now - last_progress_ < kProgressInterval) {
      pending_ = counters;
      if (!flusher_.joinable()) flusher_ = std::thread([this] { FlushLoop(); });
      return;
    }
    last_progress_ = now;
    pending_.reset();
  }
  Send(proto::StageEvent::PROGRESS, counters, "");
}

void Reporter::FlushLoop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    mu_.Await(absl::Condition(
        +[](Reporter* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
          return r->stopping_ || r->pending_.has_value();
        },
        this));
    if (stopping_) return;
    // Until the interval since the last report is up (or we are told to stop).
    mu_.AwaitWithDeadline(absl::Condition(&stopping_), last_progress_ + kProgressInterval);
    if (stopping_) return;
    if (!pending_.has_value() || absl::Now() - last_progress_ < kProgressInterval) continue;
    // Sent under the lock, so that a Done() that follows goes out after it.
    Send(proto::StageEvent::PROGRESS, *pending_, "");
    pending_.reset();
    last_progress_ = absl::Now();
  }
}

void Reporter::Failed(const std::string& error) {
  if (failed_.exchange(true)) {
    WEFT_LOG_WARN("{} (after an earlier failure)", error);
    return;
  }
  WEFT_LOG_ERROR("{}", error);
  Send(proto::StageEvent::FAILED, {}, error);
}

}  // namespace weft::stream
