#include "worker/data_client.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "common/codec.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "proto/weft.grpc.pb.h"

namespace weft {
namespace {

// Larger announced sizes are treated as corrupt rather than reserved.
constexpr int64_t kMaxValueBytes = int64_t{1} << 40;

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

// One key being reassembled.
struct Assembly {
  std::string key;
  std::string bytes;
  int64_t total_bytes = 0;
  bool open = false;
};

absl::Status Finish(Assembly& assembly, KeyValues* out) {
  if (static_cast<int64_t>(assembly.bytes.size()) != assembly.total_bytes) {
    return absl::DataLossError(absl::StrCat("value of ", assembly.key, " has ",
                                            assembly.bytes.size(), " bytes, expected ",
                                            assembly.total_bytes));
  }
  absl::StatusOr<Value> value = DecodeValue(Buffer(std::move(assembly.bytes)));
  if (!value.ok()) {
    return absl::DataLossError(
        absl::StrCat("cannot decode the value of ", assembly.key, ": ", value.status().message()));
  }
  out->emplace_back(std::move(assembly.key), *std::move(value));
  assembly = Assembly();
  return absl::OkStatus();
}

}  // namespace

std::shared_ptr<grpc::Channel> MakeWeftChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  // Reconnect promptly when a peer or the scheduler comes (back) up: gRPC's default
  // backoff grows to two minutes, during which calls on the channel fail at once.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

absl::StatusOr<KeyValues> FetchValues(grpc::Channel& channel, const std::vector<std::string>& keys,
                                      absl::Time deadline, std::vector<std::string>* missing) {
  if (keys.empty()) return KeyValues();
  // The stub wants shared ownership; the caller owns the channel for the whole call.
  std::shared_ptr<grpc::Channel> borrowed(&channel, [](grpc::Channel*) {});
  auto stub = proto::Worker::NewStub(borrowed);
  grpc::ClientContext context;
  if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
  proto::GetDataRequest request;
  for (const std::string& key : keys) request.add_keys(key);
  std::unique_ptr<grpc::ClientReader<proto::DataChunk>> reader = stub->GetData(&context, request);

  KeyValues out;
  out.reserve(keys.size());
  Assembly assembly;
  proto::DataChunk chunk;
  absl::Status error;
  while (error.ok() && reader->Read(&chunk)) {
    if (!chunk.error().empty()) {
      if (missing != nullptr) missing->push_back(chunk.key());
      continue;
    }
    if (!assembly.open) {
      if (chunk.total_bytes() < 0 || chunk.total_bytes() > kMaxValueBytes) {
        error = absl::DataLossError(absl::StrCat("bad size ", chunk.total_bytes(), " for ", chunk.key()));
        break;
      }
      assembly.key = chunk.key();
      assembly.total_bytes = chunk.total_bytes();
      assembly.open = true;
      if (chunk.last()) {
        assembly.bytes.swap(*chunk.mutable_data());  // one chunk: no copy at all
      } else {
        assembly.bytes.reserve(static_cast<size_t>(assembly.total_bytes));
        assembly.bytes.append(chunk.data());
      }
    } else if (chunk.key() != assembly.key) {
      error = absl::DataLossError(absl::StrCat("chunks of ", assembly.key, " and ", chunk.key(),
                                               " are interleaved"));
      break;
    } else {
      assembly.bytes.append(chunk.data());
    }
    if (chunk.last()) error = Finish(assembly, &out);
  }
  if (!error.ok()) {
    context.TryCancel();
    reader->Finish();
    return error;
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return FromGrpc(status);
  if (assembly.open) {
    return absl::DataLossError(absl::StrCat("the stream ended inside the value of ", assembly.key));
  }
  return out;
}

absl::StatusOr<KeyValues> FetchValues(const std::string& address,
                                      const std::vector<std::string>& keys, absl::Time deadline,
                                      std::vector<std::string>* missing) {
  std::shared_ptr<grpc::Channel> channel = MakeWeftChannel(address);
  return FetchValues(*channel, keys, deadline, missing);
}

}  // namespace weft
