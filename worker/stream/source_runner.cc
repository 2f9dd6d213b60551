#include "worker/stream/source_runner.h"

#include <sys/socket.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/codec.h"
#include "common/framing.h"
#include "common/logging.h"
#include "worker/stream/batch_rows.h"

namespace weft::stream {
namespace {

std::vector<SourceLedger::Target> Targets(const proto::StartStage& start) {
  std::vector<SourceLedger::Target> targets;
  for (const proto::ParallelWorker& w : start.parallel()) {
    targets.push_back({w.address(), 2 * std::max(1, w.nthreads())});
  }
  return targets;
}

}  // namespace

SourceRunner::SourceRunner(proto::StartStage start, const StageServices& services, EventFn send)
    : start_(std::move(start)),
      services_(services),
      reporter_(start_.pipeline_id(), proto::SOURCE, std::move(send)),
      sink_(std::make_unique<PeerStream>(start_.sink_worker(),
                                         services_.channels->Get(start_.sink_worker()))),
      ledger_(Targets(start_)) {
  for (const proto::ParallelWorker& w : start_.parallel()) {
    targets_.emplace(w.address(), std::make_unique<PeerStream>(
                                      w.address(), services_.channels->Get(w.address())));
  }
}

SourceRunner::~SourceRunner() { Stop(); }

std::string SourceRunner::Where() const {
  return absl::StrCat("pipeline ", start_.pipeline_id(), ": source stage");
}

void SourceRunner::Fail(const std::string& what) {
  reporter_.Failed(absl::StrCat(Where(), ": ", what));
}

void SourceRunner::Start() {
  const proto::PipelineSpec& spec = start_.spec();
  if (spec.stateful_function().empty()) {
    batcher_ = std::make_unique<BatchRows>(spec.batch_rows(), spec.header());
  } else {
    const std::string& function = spec.stateful_function();
    if (!services_.registry.Contains(function)) {
      Fail(absl::StrCat("stateful step: no function ", function,
                        " is registered on this worker (--preload its plugin)"));
      return;
    }
    Value state;
    if (!spec.stateful_state().empty()) {
      absl::StatusOr<Value> decoded = DecodeValue(spec.stateful_state());
      if (!decoded.ok()) {
        Fail(absl::StrCat("stateful step (", function,
                          "): bad initial state: ", decoded.status().message()));
        return;
      }
      state = *std::move(decoded);
    }
    step_ =
        std::make_unique<FunctionStep>(services_.registry, function, std::move(state),
                                       absl::StrCat(start_.pipeline_id(), "-state"), services_.io);
  }
  std::string bound;
  absl::StatusOr<int> fd = ListenTcp(start_.spec().source_address(), &bound);
  if (!fd.ok()) {
    Fail(absl::StrCat("cannot listen on ", start_.spec().source_address(), ": ",
                      fd.status().message()));
    return;
  }
  listen_fd_ = *fd;
  WEFT_LOG_INFO("{}: listening on {}", Where(), bound);
  reporter_.Started();
  thread_ = std::thread([this] { Run(); });
}

void SourceRunner::Stop() {
  if (stopping_.exchange(true)) return;
  const int fd = connection_fd_.load();
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);  // unblocks a read
  for (auto& [address, stream] : targets_) stream->Cancel();
  sink_->Cancel();
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void SourceRunner::Run() {
  absl::StatusOr<int> fd = AcceptTcp(listen_fd_, absl::InfiniteDuration(), &stopping_);
  if (!fd.ok()) {
    if (!stopping_.load()) Fail(absl::StrCat("accepting a connection: ", fd.status().message()));
    return;
  }
  connection_fd_.store(*fd);
  if (stopping_.load()) ::shutdown(*fd, SHUT_RDWR);  // Stop ran before the store
  const bool ended = ReadInput(*fd);
  connection_fd_.store(-1);
  ::close(*fd);
  if (!ended) return;
  uint64_t count;
  {
    absl::MutexLock lock(&mu_);
    count = next_seq_;
  }
  proto::PipelineMessage end;
  end.set_pipeline_id(start_.pipeline_id());
  end.set_kind(proto::PipelineMessage::END);
  end.set_seq(count);
  end.set_skipped(skipped_);
  end.set_first_skipped(first_skipped_);
  if (!sink_->Write(end)) {
    Fail(absl::StrCat("after batch ", count, ": cannot reach the sink's worker at ",
                      start_.sink_worker()));
    return;
  }
  WEFT_LOG_INFO("{}: input ended after {} batches", Where(), count);
  reporter_.Progress(Counters(count));
}

Reporter::Counters SourceRunner::Counters(uint64_t batches) const {
  Reporter::Counters counters;
  counters.batches_in = static_cast<int64_t>(batches);
  counters.records_skipped = skipped_;
  counters.first_skipped = first_skipped_;
  return counters;
}

bool SourceRunner::ReadInput(int fd) {
  const size_t max_frame = start_.spec().max_frame() > 0
                               ? static_cast<size_t>(start_.spec().max_frame())
                               : kDefaultMaxFrame;
  FrameReader reader(fd, max_frame);
  while (true) {
    absl::StatusOr<std::string_view> frame = reader.ReadView();
    if (!frame.ok()) {
      if (stopping_.load()) return false;
      if (absl::IsOutOfRange(frame.status())) break;  // closed cleanly: as EOT
      uint64_t seq;
      {
        absl::MutexLock lock(&mu_);
        seq = next_seq_;
      }
      const std::string what = absl::StrCat("batch ", seq, " (frame ", reader.frames_read() + 1,
                                            "): ", frame.status().message());
      absl::Status discarded =
          absl::IsInvalidArgument(frame.status()) && start_.spec().skip_bad_records()
              ? reader.DiscardFrame()
              : frame.status();
      if (!discarded.ok()) {
        Fail(discarded.code() == frame.status().code()
                 ? what
                 : absl::StrCat(what, "; skipping it: ", discarded.message()));
        return false;
      }
      ++skipped_;
      if (first_skipped_.empty()) first_skipped_ = absl::StrCat(Where(), ": ", what);
      WEFT_LOG_WARN("{}: {}: skipped", Where(), what);
      reporter_.Progress(Counters(seq));
      continue;
    }
    if (IsEot(*frame)) break;
    if (!Batch(*frame)) return false;
  }
  return Batch(std::nullopt);
}

bool SourceRunner::Batch(std::optional<std::string_view> row) {
  if (batcher_ != nullptr) {
    std::optional<std::string> batch = row.has_value() ? batcher_->Add(*row) : batcher_->Flush();
    return !batch.has_value() || SendBatch(*std::move(batch));
  }
  absl::StatusOr<std::vector<std::string>> batches =
      row.has_value() ? step_->Add(*row) : step_->Finish();
  if (!batches.ok()) {
    const std::string what = absl::StrCat("stateful step (", start_.spec().stateful_function(),
                                          "): ", batches.status().message());
    if (!row.has_value() || !start_.spec().skip_bad_records()) {
      Fail(what);
      return false;
    }
    ++skipped_;  // the row is dropped; the state stays as it was
    if (first_skipped_.empty()) first_skipped_ = absl::StrCat(Where(), ": ", what, ": skipped");
    WEFT_LOG_WARN("{}: {}: skipped", Where(), what);
    return true;
  }
  for (std::string& batch : *batches) {
    if (!SendBatch(std::move(batch))) return false;
  }
  return true;
}

bool SourceRunner::SendBatch(std::string data) {
  auto shared = std::make_shared<const std::string>(std::move(data));
  std::string target;
  uint64_t seq;
  {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_.load() || reporter_.failed() || ledger_.Pick().has_value() ||
             !ledger_.has_live_targets();
    };
    // Stop() sets stopping_ without mu_: check it now and then.
    while (!mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(100))) {
    }
    if (stopping_.load() || reporter_.failed()) return false;
    if (!ledger_.has_live_targets()) {
      Fail(absl::StrCat("batch ", next_seq_, ": no parallel worker is left"));
      return false;
    }
    target = *ledger_.Pick();
    seq = next_seq_++;
    ledger_.Sent(seq, shared, target);
  }
  proto::PipelineMessage message;
  message.set_pipeline_id(start_.pipeline_id());
  message.set_kind(proto::PipelineMessage::BATCH);
  message.set_seq(seq);
  message.set_data(*shared);
  if (!targets_.at(target)->Write(message)) LoseTarget(target);
  reporter_.Progress(Counters(seq + 1));
  return true;
}

void SourceRunner::Deliver(const proto::PipelineMessage& message) {
  if (message.kind() != proto::PipelineMessage::ACK) return;
  absl::MutexLock lock(&mu_);
  ledger_.Ack(message.seq());
}

void SourceRunner::Replay(const std::string& lost_worker) { LoseTarget(lost_worker); }

void SourceRunner::LoseTarget(const std::string& address) {
  std::vector<SourceLedger::Send> resend;
  {
    absl::MutexLock lock(&mu_);
    resend = ledger_.Lose(address);
    if (!ledger_.has_live_targets() && ledger_.unacked() > 0) {
      Fail(absl::StrCat("batch ", ledger_.acked_below(), ": no parallel worker is left (", address,
                        " was the last)"));
      return;
    }
  }
  if (!resend.empty()) {
    WEFT_LOG_WARN("{}: parallel worker {} lost: sending its {} unacknowledged batches again",
                  Where(), address, resend.size());
  }
  for (const SourceLedger::Send& send : resend) {
    proto::PipelineMessage message;
    message.set_pipeline_id(start_.pipeline_id());
    message.set_kind(proto::PipelineMessage::BATCH);
    message.set_seq(send.seq);
    message.set_data(*send.data);
    if (!targets_.at(send.address)->Write(message)) {
      LoseTarget(send.address);  // its batches, this one included, move on again
    }
  }
}

}  // namespace weft::stream
