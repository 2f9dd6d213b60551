#include "worker/stream/sink_runner.h"

#include <sys/socket.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/framing.h"
#include "common/logging.h"

namespace weft::stream {
namespace {

constexpr absl::Duration kConnectTimeout = absl::Seconds(5);

// Writes each row of `output` (rows each ending in '\n'; the last one may not) as one
// frame, without its '\n'. Returns the number of rows.
absl::StatusOr<int64_t> WriteRows(FrameWriter& writer, std::string_view output) {
  int64_t rows = 0;
  while (!output.empty()) {
    const size_t newline = output.find('\n');
    const std::string_view row = output.substr(0, newline);
    absl::Status status = writer.Write(row);
    if (!status.ok()) return status;
    ++rows;
    if (newline == std::string_view::npos) break;
    output.remove_prefix(newline + 1);
  }
  return rows;
}

}  // namespace

SinkRunner::SinkRunner(proto::StartStage start, const StageServices& services, EventFn send)
    : start_(std::move(start)),
      reporter_(start_.pipeline_id(), proto::SINK, std::move(send)),
      source_(start_.source_worker(), services.channels->Get(start_.source_worker())) {}

SinkRunner::~SinkRunner() { Stop(); }

void SinkRunner::Fail(const std::string& what) {
  reporter_.Failed(absl::StrCat("pipeline ", start_.pipeline_id(), ": sink stage: ", what));
}

void SinkRunner::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SinkRunner::Stop() {
  if (stopping_.exchange(true)) return;
  const int fd = fd_.load();
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);  // unblocks a write to a slow receiver
  source_.Cancel();
  if (thread_.joinable()) thread_.join();
}

void SinkRunner::Deliver(const proto::PipelineMessage& message) {
  absl::MutexLock lock(&mu_);
  if (message.kind() == proto::PipelineMessage::RESULT) {
    if (!buffer_.Offer(message.seq(), message.data())) {
      ++duplicates_;
    } else if (message.skipped() > 0) {
      records_skipped_ += message.skipped();
      if (first_skipped_.empty()) first_skipped_ = message.first_skipped();
    }
  } else if (message.kind() == proto::PipelineMessage::END) {
    buffer_.SetEnd(message.seq());
    skipped_at_source_ = message.skipped();
    first_skipped_at_source_ = message.first_skipped();
  }
}

void SinkRunner::Run() {
  const std::string& address = start_.spec().sink_address();
  absl::StatusOr<int> fd = ConnectTcp(address, kConnectTimeout);
  if (!fd.ok()) {
    if (!stopping_.load()) {
      Fail(
          absl::StrCat("before batch 0: cannot connect to ", address, ": ", fd.status().message()));
    }
    return;
  }
  fd_.store(*fd);
  if (stopping_.load()) ::shutdown(*fd, SHUT_RDWR);
  WEFT_LOG_INFO("pipeline {}: sink stage connected to {}", start_.pipeline_id(), address);
  reporter_.Started();
  Reporter::Counters counters;
  const bool done = WriteAll(*fd, &counters);
  fd_.store(-1);
  ::close(*fd);
  if (!done) return;
  WEFT_LOG_INFO("pipeline {}: sink stage wrote {} batches ({} rows) and EOT to {}",
                start_.pipeline_id(), counters.batches_out, counters.rows_out, address);
  counters.batches_in = counters.batches_out;  // the source made as many
  {
    absl::MutexLock lock(&mu_);
    counters.records_skipped += skipped_at_source_;
    if (counters.first_skipped.empty()) counters.first_skipped = first_skipped_at_source_;
  }
  reporter_.Done(counters);
}

bool SinkRunner::WriteAll(int fd, Reporter::Counters* total) {
  FrameWriter writer(fd);
  Reporter::Counters& counters = *total;
  while (true) {
    std::vector<std::pair<uint64_t, std::string>> ready;
    bool complete;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_.load() || buffer_.ready() || buffer_.complete();
      };
      // Stop() sets stopping_ without mu_: check it now and then.
      while (!mu_.AwaitWithTimeout(absl::Condition(&wake), absl::Milliseconds(100))) {
      }
      if (stopping_.load()) return false;
      ready = buffer_.TakeReady();
      complete = buffer_.complete();
      counters.records_skipped = records_skipped_;
      counters.first_skipped = first_skipped_;
    }
    for (const auto& [seq, output] : ready) {
      absl::StatusOr<int64_t> rows = WriteRows(writer, output);
      if (!rows.ok()) {
        Fail(absl::StrCat("batch ", seq, ": writing to ", start_.spec().sink_address(), ": ",
                          rows.status().message()));
        return false;
      }
      counters.rows_out += *rows;
      ++counters.batches_out;
    }
    absl::Status flushed = complete ? writer.WriteEot() : absl::OkStatus();
    if (flushed.ok()) flushed = writer.Flush();
    if (!flushed.ok()) {
      if (!stopping_.load()) {
        Fail(absl::StrCat("after batch ", counters.batches_out, ": writing to ",
                          start_.spec().sink_address(), ": ", flushed.message()));
      }
      return false;
    }
    if (!ready.empty()) {
      proto::PipelineMessage ack;
      ack.set_pipeline_id(start_.pipeline_id());
      ack.set_kind(proto::PipelineMessage::ACK);
      ack.set_seq(ready.back().first + 1);
      source_.Write(ack);  // a lost source fails the pipeline at the scheduler
    }
    if (complete) return true;
    reporter_.Progress(counters);
  }
}

}  // namespace weft::stream
