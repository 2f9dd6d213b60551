#include "worker/stream/peer_stream.h"

#include "common/logging.h"

namespace weft::stream {

PeerStream::PeerStream(std::string address, std::shared_ptr<grpc::Channel> channel)
    : address_(std::move(address)), channel_(std::move(channel)) {}

PeerStream::~PeerStream() {
  Cancel();
  absl::MutexLock lock(&mu_);
  if (writer_ != nullptr && !closed_) writer_->Finish();
}

bool PeerStream::Write(const proto::PipelineMessage& message) {
  absl::MutexLock lock(&mu_);
  if (broken_ || closed_) return false;
  if (writer_ == nullptr) {
    absl::MutexLock cancel_lock(&cancel_mu_);
    if (cancelled_) return false;
    stub_ = proto::Pipeline::NewStub(channel_);
    context_ = std::make_unique<grpc::ClientContext>();
    live_context_ = context_.get();
    writer_ = stub_->Push(context_.get(), &reply_);
  }
  if (!writer_->Write(message)) {
    broken_ = true;
    grpc::Status status = writer_->Finish();
    closed_ = true;
    WEFT_LOG_WARN("pipeline stream to {} broke: {}", address_, status.error_message());
    return false;
  }
  return true;
}

void PeerStream::Close() {
  absl::MutexLock lock(&mu_);
  if (writer_ == nullptr || closed_) return;
  writer_->WritesDone();
  writer_->Finish();
  closed_ = true;
}

void PeerStream::Cancel() {
  absl::MutexLock lock(&cancel_mu_);
  cancelled_ = true;
  if (live_context_ != nullptr) live_context_->TryCancel();
}

}  // namespace weft::stream
