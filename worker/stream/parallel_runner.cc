#include "worker/stream/parallel_runner.h"

#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/codec.h"
#include "common/logging.h"

namespace weft::stream {

ParallelRunner::ParallelRunner(proto::StartStage start, const StageServices& services, EventFn send)
    : start_(std::move(start)),
      services_(services),
      reporter_(start_.pipeline_id(), proto::PARALLEL, std::move(send)),
      sink_(start_.sink_worker(), services_.channels->Get(start_.sink_worker())) {}

ParallelRunner::~ParallelRunner() { Stop(); }

std::string ParallelRunner::Where() const {
  return absl::StrCat("pipeline ", start_.pipeline_id(), ": parallel stage (",
                      start_.spec().function(), ")");
}

void ParallelRunner::Start() {
  if (!services_.registry.Contains(start_.spec().function())) {
    reporter_.Failed(absl::StrCat(Where(), ": no function ", start_.spec().function(),
                                  " is registered on this worker"));
    return;
  }
  if (start_.spec().args().empty()) {
    args_ = Value(Record{});
  } else {
    absl::StatusOr<Value> args = DecodeValue(start_.spec().args());
    if (!args.ok()) {
      reporter_.Failed(absl::StrCat(Where(), ": bad arguments: ", args.status().message()));
      return;
    }
    args_ = *std::move(args);
  }
  {
    absl::MutexLock lock(&mu_);
    pool_ = std::make_unique<ThreadPool>(std::max(1, start_.nthreads()));
  }
  reporter_.Started();
}

void ParallelRunner::Stop() {
  std::unique_ptr<ThreadPool> pool;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_.exchange(true)) return;
    pool = std::move(pool_);
  }
  sink_.Cancel();
  pool.reset();  // joins: queued batches see stopping_ and return
}

void ParallelRunner::Deliver(const proto::PipelineMessage& message) {
  if (message.kind() != proto::PipelineMessage::BATCH) return;
  absl::MutexLock lock(&mu_);
  if (stopping_.load() || pool_ == nullptr) return;
  pool_->Schedule([this, seq = message.seq(), batch = message.data()]() mutable {
    Run(seq, std::move(batch));
  });
}

absl::StatusOr<std::string> ParallelRunner::Call(uint64_t seq, std::string batch) const {
  const std::string& function = start_.spec().function();
  ValueList args{Value(std::move(batch)), args_};
  absl::StatusOr<Value> result = services_.registry.Call(
      function, args,
      TaskContext(absl::StrCat(start_.pipeline_id(), "-batch-", seq), function)
          .WithIoOptions(services_.io));
  if (!result.ok()) return result.status();
  if (result->is_string()) return result->as_string();
  if (result->is_bytes()) return std::string(result->as_bytes().view());
  return absl::InvalidArgumentError(
      absl::StrCat("returned ", result->kind_name(), ", not a string or bytes"));
}

std::string ParallelRunner::RunRowByRow(uint64_t seq, std::string_view batch,
                                        proto::PipelineMessage* message) const {
  std::string_view header;
  if (start_.spec().header()) {
    const size_t newline = batch.find('\n');
    header = batch.substr(0, newline == std::string_view::npos ? batch.size() : newline + 1);
    batch.remove_prefix(header.size());
  }
  std::string output;
  int64_t row = 0;
  while (!batch.empty() && !stopping_.load()) {
    const size_t newline = batch.find('\n');
    const std::string_view line =
        batch.substr(0, newline == std::string_view::npos ? batch.size() : newline + 1);
    batch.remove_prefix(line.size());
    ++row;
    absl::StatusOr<std::string> one = Call(seq, std::string(header).append(line));
    if (one.ok()) {
      output += *one;
      continue;
    }
    message->set_skipped(message->skipped() + 1);
    const std::string what = absl::StrCat(Where(), ": batch ", seq, ", row ", row,
                                          " of it: skipped: ", one.status().message());
    WEFT_LOG_WARN("{}", what);
    if (message->first_skipped().empty()) message->set_first_skipped(what);
  }
  return output;
}

void ParallelRunner::Run(uint64_t seq, std::string batch) {
  if (stopping_.load() || reporter_.failed()) return;
  proto::PipelineMessage message;
  message.set_pipeline_id(start_.pipeline_id());
  message.set_kind(proto::PipelineMessage::RESULT);
  message.set_seq(seq);
  const bool skip = start_.spec().skip_bad_records();
  absl::StatusOr<std::string> result = Call(seq, skip ? batch : std::move(batch));
  if (stopping_.load()) return;
  if (result.ok()) {
    message.set_data(*std::move(result));
  } else if (skip) {
    // Which rows failed? Each alone, with the header: the others' output is kept.
    message.set_data(RunRowByRow(seq, batch, &message));
    if (stopping_.load()) return;
  } else {
    reporter_.Failed(absl::StrCat(Where(), ": batch ", seq, ": ", result.status().message()));
    return;
  }
  if (!sink_.Write(message) && !stopping_.load()) {
    reporter_.Failed(absl::StrCat(Where(), ": batch ", seq, ": cannot reach the sink's worker at ",
                                  start_.sink_worker()));
  }
}

}  // namespace weft::stream
