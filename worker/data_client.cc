#include "worker/data_client.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/codec.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "common/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/sync_stream.h"
#include "proto/weft.grpc.pb.h"

namespace weft {
namespace {

// Larger announced sizes are treated as corrupt rather than reserved.
constexpr int64_t kMaxValueBytes = int64_t{1} << 40;

// DataChunk field tags (proto/weft.proto): (field number << 3) | wire type.
constexpr uint32_t kKeyTag = (1 << 3) | 2;
constexpr uint32_t kDataTag = (2 << 3) | 2;
constexpr uint32_t kLastTag = (3 << 3) | 0;
constexpr uint32_t kTotalBytesTag = (4 << 3) | 0;
constexpr uint32_t kErrorTag = (5 << 3) | 2;

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

// One key being reassembled, straight into one uninitialised buffer of its final size.
struct Assembly {
  std::string key;
  std::shared_ptr<char[]> bytes;
  int64_t total_bytes = 0;
  int64_t filled = 0;
  bool open = false;

  absl::Status Open(const std::string& k, int64_t total) {
    if (total < 0 || total > kMaxValueBytes) {
      return absl::DataLossError(absl::StrCat("bad size ", total, " for ", k));
    }
    key = k;
    total_bytes = total;
    filled = 0;
    bytes.reset(new char[static_cast<size_t>(std::max<int64_t>(total, 1))]);
    open = true;
    return absl::OkStatus();
  }
  // Room for `n` more bytes, or null when they would overflow the announced size.
  char* Reserve(int64_t n) {
    if (n < 0 || filled + n > total_bytes) return nullptr;
    char* at = bytes.get() + filled;
    filled += n;
    return at;
  }
};

absl::Status Finish(Assembly& assembly, KeyValues* out) {
  if (assembly.filled != assembly.total_bytes) {
    return absl::DataLossError(absl::StrCat("value of ", assembly.key, " has ", assembly.filled,
                                            " bytes, expected ", assembly.total_bytes));
  }
  std::string_view view(assembly.bytes.get(), static_cast<size_t>(assembly.filled));
  absl::StatusOr<Value> value = DecodeValue(Buffer(std::move(assembly.bytes), view));
  if (!value.ok()) {
    return absl::DataLossError(
        absl::StrCat("cannot decode the value of ", assembly.key, ": ", value.status().message()));
  }
  out->emplace_back(std::move(assembly.key), *std::move(value));
  assembly = Assembly();
  return absl::OkStatus();
}

// Reads one DataChunk in wire format from `buffer`. Its data goes straight from gRPC's
// slices into the assembly (one copy) when the chunk's key and size are known before
// its data, as weft's DataService writes them; otherwise through a temporary string.
class ChunkReader {
 public:
  absl::Status Read(grpc::ByteBuffer& buffer, Assembly& assembly, KeyValues* out,
                    std::vector<std::string>* missing) {
    grpc::ProtoBufferReader stream(&buffer);
    google::protobuf::io::CodedInputStream in(&stream);
    std::string key, error, pending;
    int64_t total = 0;
    bool has_total = false, last = false;
    while (uint32_t tag = in.ReadTag()) {
      uint32_t length = 0;
      uint64_t number = 0;
      bool ok = true;
      switch (tag) {
        case kKeyTag:
          ok = in.ReadVarint32(&length) && in.ReadString(&key, static_cast<int>(length));
          break;
        case kTotalBytesTag:
          ok = in.ReadVarint64(&number);
          total = static_cast<int64_t>(number);
          has_total = true;
          break;
        case kLastTag:
          ok = in.ReadVarint64(&number);
          last = number != 0;
          break;
        case kErrorTag:
          ok = in.ReadVarint32(&length) && in.ReadString(&error, static_cast<int>(length));
          break;
        case kDataTag: {
          ok = in.ReadVarint32(&length);
          if (!ok) break;
          if (!assembly.open && has_total && error.empty()) {
            WEFT_RETURN_IF_ERROR(assembly.Open(key, total));
          }
          if (assembly.open && assembly.key == key && pending.empty()) {
            char* at = assembly.Reserve(length);
            if (at == nullptr) return Overflow(assembly);
            ok = in.ReadRaw(at, static_cast<int>(length));
          } else {
            ok = in.ReadString(&pending, static_cast<int>(length));
          }
          break;
        }
        default:
          ok = google::protobuf::internal::WireFormatLite::SkipField(&in, tag);
      }
      if (!ok) return absl::DataLossError(absl::StrCat("malformed data chunk of ", key));
    }
    if (!in.ConsumedEntireMessage()) {
      return absl::DataLossError(absl::StrCat("malformed data chunk of ", key));
    }
    if (!error.empty()) {
      if (missing != nullptr) missing->push_back(key);
      return absl::OkStatus();
    }
    if (!assembly.open) {
      WEFT_RETURN_IF_ERROR(assembly.Open(key, total));
    } else if (assembly.key != key) {
      return absl::DataLossError(
          absl::StrCat("chunks of ", assembly.key, " and ", key, " are interleaved"));
    }
    if (!pending.empty()) {
      char* at = assembly.Reserve(static_cast<int64_t>(pending.size()));
      if (at == nullptr) return Overflow(assembly);
      std::memcpy(at, pending.data(), pending.size());
    }
    if (last) return Finish(assembly, out);
    return absl::OkStatus();
  }

 private:
  static absl::Status Overflow(const Assembly& assembly) {
    return absl::DataLossError(absl::StrCat("value of ", assembly.key, " exceeds its ",
                                            assembly.total_bytes, " bytes"));
  }
};

absl::Mutex security_mu(absl::kConstInit);
Security* process_security ABSL_GUARDED_BY(security_mu) = nullptr;

}  // namespace

void SetWeftChannelSecurity(const Security& security) {
  absl::MutexLock lock(&security_mu);
  delete process_security;
  process_security = new Security(security);
}

Security WeftChannelSecurity() {
  absl::MutexLock lock(&security_mu);
  return process_security != nullptr ? *process_security : Security();
}

std::shared_ptr<grpc::Channel> MakeWeftChannel(const std::string& address, ChannelPeer peer) {
  return MakeWeftChannel(address, WeftChannelSecurity(), peer);
}

std::shared_ptr<grpc::Channel> MakeWeftChannel(const std::string& address,
                                               const Security& security, ChannelPeer peer) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  // Reconnect promptly when a peer or the scheduler comes (back) up: gRPC's default
  // backoff grows to two minutes, during which calls on the channel fail at once.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  if (peer == ChannelPeer::kScheduler) {
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  }
  return MakeSecureChannel(address, security, args);
}

absl::StatusOr<KeyValues> FetchValues(grpc::Channel& channel, const std::vector<std::string>& keys,
                                      absl::Time deadline, std::vector<std::string>* missing) {
  if (keys.empty()) return KeyValues();
  grpc::ClientContext context;
  if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
  proto::GetDataRequest request;
  for (const std::string& key : keys) request.add_keys(key);
  // Chunks are read as raw ByteBuffers (the DataChunk wire format, parsed by
  // ChunkReader) so that their data is copied once, into the value's buffer.
  static const grpc::internal::RpcMethod kGetData("/weft.proto.Worker/GetData",
                                                  grpc::internal::RpcMethod::SERVER_STREAMING);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(&channel, kGetData,
                                                                    &context, request));
  KeyValues out;
  out.reserve(keys.size());
  Assembly assembly;
  ChunkReader chunks;
  grpc::ByteBuffer buffer;
  absl::Status error;
  while (error.ok() && reader->Read(&buffer)) {
    error = chunks.Read(buffer, assembly, &out, missing);
    buffer.Clear();
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
