#include "worker/stream/parallel_runner.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/codec.h"
#include "common/logging.h"

namespace weft::stream {

ParallelRunner::ParallelRunner(proto::StartStage start, const FunctionRegistry& registry,
                               EventFn send)
    : start_(std::move(start)),
      registry_(registry),
      reporter_(start_.pipeline_id(), proto::PARALLEL, std::move(send)),
      sink_(start_.sink_worker()) {}

ParallelRunner::~ParallelRunner() { Stop(); }

std::string ParallelRunner::Where() const {
  return absl::StrCat("pipeline ", start_.pipeline_id(), ": parallel stage (",
                      start_.spec().function(), ")");
}

void ParallelRunner::Start() {
  if (!registry_.Contains(start_.spec().function())) {
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

void ParallelRunner::Run(uint64_t seq, std::string batch) {
  if (stopping_.load() || reporter_.failed()) return;
  const std::string& function = start_.spec().function();
  ValueList args{Value(std::move(batch)), args_};
  absl::StatusOr<Value> result = registry_.Call(
      function, args, TaskContext(absl::StrCat(start_.pipeline_id(), "-batch-", seq), function));
  if (stopping_.load()) return;
  if (!result.ok()) {
    reporter_.Failed(absl::StrCat(Where(), ": batch ", seq, ": ", result.status().message()));
    return;
  }
  proto::PipelineMessage message;
  message.set_pipeline_id(start_.pipeline_id());
  message.set_kind(proto::PipelineMessage::RESULT);
  message.set_seq(seq);
  if (result->is_string()) {
    message.set_data(result->as_string());
  } else if (result->is_bytes()) {
    message.set_data(std::string(result->as_bytes().view()));
  } else {
    reporter_.Failed(absl::StrCat(Where(), ": batch ", seq, ": returned ", result->kind_name(),
                                  ", not a string or bytes"));
    return;
  }
  if (!sink_.Write(message) && !stopping_.load()) {
    reporter_.Failed(absl::StrCat(Where(), ": batch ", seq, ": cannot reach the sink's worker at ",
                                  start_.sink_worker()));
  }
}

}  // namespace weft::stream
