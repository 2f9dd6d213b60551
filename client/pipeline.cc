// Streaming pipelines on the client: Pipeline::Validate, Client::run_pipeline, the
// PipelineHandle, and ClientCore's part (the statuses the scheduler sends).
#include "weft/pipeline.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/client_core.h"
#include "common/codec.h"
#include "common/host_port.h"
#include "weft/client.h"

namespace weft {
namespace {

PipelineStatus FromProto(const proto::PipelineStatus& p) {
  PipelineStatus status;
  switch (p.state()) {
    case proto::PipelineStatus::RUNNING:
      status.state = PipelineState::kRunning;
      break;
    case proto::PipelineStatus::DONE:
      status.state = PipelineState::kDone;
      break;
    case proto::PipelineStatus::FAILED:
      status.state = PipelineState::kFailed;
      break;
    case proto::PipelineStatus::STOPPED:
      status.state = PipelineState::kStopped;
      break;
    default:
      status.state = PipelineState::kSubmitted;
      break;
  }
  status.error = p.error();
  status.batches_in = p.batches_in();
  status.batches_out = p.batches_out();
  status.rows_out = p.rows_out();
  status.records_skipped = p.records_skipped();
  status.first_skipped = p.first_skipped();
  return status;
}

bool Finished(const proto::PipelineStatus& p) {
  return p.state() == proto::PipelineStatus::DONE || p.state() == proto::PipelineStatus::FAILED ||
         p.state() == proto::PipelineStatus::STOPPED;
}

absl::Status CheckAddress(const char* what, const std::string& host, int port) {
  if (host.empty()) return absl::InvalidArgumentError(absl::StrCat("the ", what, " needs a host"));
  if (port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", what, "'s port must be in 1..65535, got ", port));
  }
  return absl::OkStatus();
}

std::string NewPipelineId(const std::string& name) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  return absl::StrFormat("%s-%08x", name, static_cast<uint32_t>(random()));
}

}  // namespace

const char* PipelineStateName(PipelineState state) {
  switch (state) {
    case PipelineState::kSubmitted:
      return "submitted";
    case PipelineState::kRunning:
      return "running";
    case PipelineState::kDone:
      return "done";
    case PipelineState::kFailed:
      return "failed";
    case PipelineState::kStopped:
      return "stopped";
  }
  return "unknown";
}

absl::Status Pipeline::Validate() const {
  if (name_.empty()) return absl::InvalidArgumentError("a pipeline needs a name");
  const std::string where = absl::StrCat("pipeline ", name_, ": ");
  auto prefixed = [&](absl::Status status) {
    return status.ok() ? status : absl::InvalidArgumentError(where + std::string(status.message()));
  };
  if (absl::Status s = CheckAddress("source", source_.host, source_.port); !s.ok()) {
    return prefixed(s);
  }
  if (absl::Status s = CheckAddress("sink", sink_.host, sink_.port); !s.ok()) return prefixed(s);
  if (stateful_.has_value() && stateful_->function.empty()) {
    return absl::InvalidArgumentError(where + "the StatefulFunction needs a function name");
  }
  if (batch_.rows <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "BatchRows needs rows > 0, got ", batch_.rows));
  }
  if (function_.empty()) {
    return absl::InvalidArgumentError(where + "to_parallel needs a function name");
  }
  if (max_frame_ < 0) return absl::InvalidArgumentError(where + "max_frame must be >= 0");
  return absl::OkStatus();
}

absl::StatusOr<PipelineHandle> Client::run_pipeline(const Pipeline& pipeline) {
  absl::Status valid = pipeline.Validate();
  if (!valid.ok()) return valid;
  proto::SubmitPipeline submit;
  submit.set_pipeline_id(NewPipelineId(pipeline.name()));
  proto::PipelineSpec* spec = submit.mutable_spec();
  spec->set_name(pipeline.name());
  spec->set_source_address(JoinHostPort(pipeline.source().host, pipeline.source().port));
  spec->set_sink_address(JoinHostPort(pipeline.sink().host, pipeline.sink().port));
  spec->set_batch_rows(pipeline.batching().rows);
  spec->set_header(pipeline.batching().header);
  spec->set_function(pipeline.function());
  // The function learns whether its batches start with the header row from the batching,
  // unless the caller said otherwise.
  Record args = pipeline.args();
  bool has_header_arg = false;
  for (const auto& [name, value] : args) has_header_arg |= name == "header";
  if (!has_header_arg) args.push_back({"header", Value(pipeline.batching().header)});
  spec->set_args(EncodeValueToString(Value(std::move(args))));
  spec->set_max_frame(pipeline.max_frame());
  spec->set_skip_bad_records(pipeline.skip_bad_records());
  if (const auto& step = pipeline.stateful_function(); step.has_value()) {
    spec->set_stateful_function(step->function);
    if (!step->initial_state.is_null()) {
      spec->set_stateful_state(EncodeValueToString(step->initial_state));
    }
  }
  std::string id = submit.pipeline_id();
  core()->SubmitPipeline(std::move(submit));
  return PipelineHandle(core(), std::move(id));
}

PipelineStatus PipelineHandle::status() const { return FromProto(core_->PipelineStatusOf(id_)); }

absl::Status PipelineHandle::wait(absl::Duration timeout) const {
  absl::StatusOr<proto::PipelineStatus> last = core_->WaitPipeline(id_, Finished, timeout);
  if (!last.ok()) return last.status();
  switch (last->state()) {
    case proto::PipelineStatus::DONE:
      return absl::OkStatus();
    case proto::PipelineStatus::STOPPED:
      return absl::CancelledError(absl::StrCat("pipeline ", id_, " was stopped"));
    default:
      return absl::AbortedError(last->error());
  }
}

PipelineStatus PipelineHandle::next_status(const PipelineStatus& seen,
                                           absl::Duration timeout) const {
  auto changed = [&seen](const proto::PipelineStatus& p) {
    const PipelineStatus now = FromProto(p);
    return now.state != seen.state || now.batches_in != seen.batches_in ||
           now.batches_out != seen.batches_out || now.rows_out != seen.rows_out ||
           now.records_skipped != seen.records_skipped;
  };
  absl::StatusOr<proto::PipelineStatus> last = core_->WaitPipeline(id_, changed, timeout);
  return last.ok() ? FromProto(*last) : status();
}

void PipelineHandle::stop() const { core_->StopPipeline(id_); }

namespace internal {

void ClientCore::SubmitPipeline(proto::SubmitPipeline submit) {
  {
    absl::MutexLock lock(&mu_);
    proto::PipelineStatus& status = pipelines_[submit.pipeline_id()];
    status.set_pipeline_id(submit.pipeline_id());
    status.set_state(proto::PipelineStatus::SUBMITTED);
  }
  writer_->Add([&submit](proto::ClientRequestBatch* batch) {
    *batch->add_requests()->mutable_submit_pipeline() = std::move(submit);
  });
  writer_->Flush();
}

void ClientCore::StopPipeline(const std::string& id) {
  writer_->Add([&id](proto::ClientRequestBatch* batch) {
    batch->add_requests()->mutable_stop_pipeline()->set_pipeline_id(id);
  });
  writer_->Flush();
}

proto::PipelineStatus ClientCore::PipelineStatusOf(const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto it = pipelines_.find(id);
  return it == pipelines_.end() ? proto::PipelineStatus() : it->second;
}

absl::StatusOr<proto::PipelineStatus> ClientCore::WaitPipeline(
    const std::string& id, const std::function<bool(const proto::PipelineStatus&)>& done,
    absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = pipelines_.find(id);
    return closed_ || (it != pipelines_.end() && done(it->second));
  };
  const bool met = mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  auto it = pipelines_.find(id);
  if (it != pipelines_.end() && done(it->second)) return it->second;
  if (!met) {
    return absl::DeadlineExceededError(
        absl::StrCat("pipeline ", id, " did not finish within ", absl::FormatDuration(timeout)));
  }
  return absl::UnavailableError(close_reason_);
}

}  // namespace internal
}  // namespace weft
