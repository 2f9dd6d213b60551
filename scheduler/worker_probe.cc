#include "scheduler/worker_probe.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/channel_arguments.h"
#include "proto/weft.grpc.pb.h"

namespace weft::scheduler {
namespace {

// One GetData call with no keys: the worker answers with an empty stream once the TLS
// handshake (and its token check) let the call through.
absl::Status CallGetData(const std::string& address, const Security& security,
                         absl::Duration timeout) {
  std::shared_ptr<grpc::Channel> channel =
      MakeSecureChannel(address, security, grpc::ChannelArguments());
  std::unique_ptr<proto::Worker::Stub> stub = proto::Worker::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  proto::GetDataRequest request;
  request.set_requester("the scheduler (registration check)");
  std::unique_ptr<grpc::ClientReader<proto::DataChunk>> reader = stub->GetData(&context, request);
  proto::DataChunk chunk;
  while (reader->Read(&chunk)) {
  }
  const grpc::Status status = reader->Finish();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace

absl::Status CheckWorkerReachable(const std::string& address, const Security& security,
                                  absl::Duration timeout) {
  const absl::Status called = CallGetData(address, security, timeout);
  if (called.ok()) return called;
  const std::string host = UnnamedPeerHost(called);
  if (host.empty()) {
    WEFT_LOG_WARN(
        "a worker registers with the address {}, where the scheduler cannot reach it ({}); "
        "admitted, but its peers may not reach it either",
        address, called.ToString());
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "the scheduler could not reach this worker at ", address, " over TLS: Peer name ", host,
      " is not in peer certificate, so its peers could not fetch its results either; give "
      "the worker a certificate whose subjectAltName names ",
      host, ", or a --contact-address that its certificate names"));
}

}  // namespace weft::scheduler
