// PeerStream: one Pipeline.Push call to another worker — the pipe a stage writes its
// batches, results, end marks or acknowledgements into.
//
// The call starts at the first Write. Write returns false once the call is broken (the
// peer died, or refused the call); the stream stays broken. Close() half-closes and waits
// for the peer to end the call (what was written is then delivered); Cancel() ends it at
// once, for a stage that stops.
//
// Threading: thread-safe; writes from several threads are serialised.
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "proto/weft.grpc.pb.h"

namespace weft::stream {

class PeerStream {
 public:
  // `channel`: to the worker at `address` (ChannelCache::Get).
  PeerStream(std::string address, std::shared_ptr<grpc::Channel> channel);
  PeerStream(const PeerStream&) = delete;
  PeerStream& operator=(const PeerStream&) = delete;
  ~PeerStream();  // cancels

  bool Write(const proto::PipelineMessage& message);
  void Close();
  void Cancel();
  const std::string& address() const { return address_; }

 private:
  // Constant after construction.
  const std::string address_;
  const std::shared_ptr<grpc::Channel> channel_;

  absl::Mutex mu_;
  std::unique_ptr<proto::Pipeline::Stub> stub_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::ClientContext> context_ ABSL_GUARDED_BY(mu_);
  proto::PushReply reply_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::ClientWriter<proto::PipelineMessage>> writer_ ABSL_GUARDED_BY(mu_);
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // Cancel() may come while a Write blocks holding mu_: the context is also kept here.
  absl::Mutex cancel_mu_;
  grpc::ClientContext* live_context_ ABSL_GUARDED_BY(cancel_mu_) = nullptr;
  bool cancelled_ ABSL_GUARDED_BY(cancel_mu_) = false;
};

}  // namespace weft::stream
