#include "common/data_client.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/codec.h"
#include "common/same_host.h"
#include "common/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/channel_arguments.h"
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
constexpr uint32_t kMemoryTag = (6 << 3) | 2;
constexpr uint32_t kBatchTag = (7 << 3) | 2;

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

// Values at least this large are received into a mapping of their own.
constexpr size_t kOwnMappingFrom = size_t{1} << 20;
constexpr size_t kPageBytes = 4096;
constexpr size_t kHugePageBytes = size_t{2} << 20;

std::atomic<LargeValueMemory> large_value_memory{LargeValueMemory::kOwnMapping};

// `size` bytes of uninitialised memory for a received value. With kOwnMapping, a large one
// is mapped on its own, starting at a 2 MiB boundary, with transparent huge pages asked
// for: page faults are most of the cost of filling fresh memory (one per 4 KiB otherwise,
// and very slow in some VMs). Only whole 2 MiB blocks inside the mapping become huge
// pages, so the tail wastes nothing.
std::shared_ptr<char> AllocateValueBytes(size_t size) {
  if (size >= kOwnMappingFrom &&
      large_value_memory.load(std::memory_order_relaxed) == LargeValueMemory::kOwnMapping) {
    const size_t length = (size + kPageBytes - 1) / kPageBytes * kPageBytes;
    void* mapped = mmap(nullptr, length + kHugePageBytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped != MAP_FAILED) {
      // Keep `length` bytes from the first 2 MiB boundary; unmap the rest.
      const auto start = reinterpret_cast<uintptr_t>(mapped);
      const uintptr_t aligned = (start + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
      if (aligned > start) munmap(mapped, aligned - start);
      const uintptr_t end = start + length + kHugePageBytes;
      if (end > aligned + length) {
        munmap(reinterpret_cast<void*>(aligned + length), end - (aligned + length));
      }
      auto* bytes = reinterpret_cast<char*>(aligned);
      madvise(bytes, length, MADV_HUGEPAGE);  // advice: no harm where THP is off
      return std::shared_ptr<char>(bytes, [length](char* p) { munmap(p, length); });
    }
  }
  return std::shared_ptr<char>(new char[std::max<size_t>(size, 1)], std::default_delete<char[]>());
}

}  // namespace

void SetLargeValueMemory(LargeValueMemory memory) {
  large_value_memory.store(memory, std::memory_order_relaxed);
}

namespace {

// One key being reassembled, straight into one uninitialised buffer of its final size.
struct Assembly {
  std::string key;
  std::shared_ptr<char> bytes;
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
    bytes = AllocateValueBytes(static_cast<size_t>(total));
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

// Reads the DataChunks of one GetData stream, in wire format. A chunk's data goes
// straight from gRPC's slices into the assembly (one copy) when the chunk's key and size
// are known before its data, as weft's DataService writes them; otherwise through a
// temporary string. A value lent by a same-host holder (`memory`) is copied straight out
// of the holder's memory; when that copy is refused or the lease is gone, the key is
// noted in refetch() instead, to be fetched again through the stream.
class ChunkReader {
 public:
  // `lease`: the request's same_host_lease (0 when it offered none).
  ChunkReader(uint64_t lease, KeyValues* out, std::vector<std::string>* missing)
      : lease_(lease), out_(out), missing_(missing) {}

  // One message: a chunk, or a batch of complete chunks (DataChunk.batch).
  absl::Status Read(grpc::ByteBuffer& buffer) {
    grpc::ProtoBufferReader stream(&buffer);
    google::protobuf::io::CodedInputStream in(&stream);
    WEFT_RETURN_IF_ERROR(ReadChunk(in, /*outer=*/true));
    if (!in.ConsumedEntireMessage()) return absl::DataLossError("malformed data chunk");
    return absl::OkStatus();
  }

  // Keys whose last chunk (or error) has arrived.
  size_t finished() const { return finished_; }
  // True once a holder lent a value: it then waits for this call to be cancelled.
  bool borrowed() const { return borrowed_; }
  bool inside_value() const { return assembly_.open; }
  const std::string& open_key() const { return assembly_.key; }
  std::vector<std::string>& refetch() { return refetch_; }

 private:
  // Reads one chunk's fields up to the stream's current limit (the message's end, or a
  // batch entry's); an outer message may instead hold a batch, each entry a chunk.
  absl::Status ReadChunk(google::protobuf::io::CodedInputStream& in, bool outer) {
    std::string key, error, pending, memory;
    bool batched = false;
    int64_t total = 0;
    bool has_total = false, last = false, has_memory = false;
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
        case kMemoryTag:
          ok = in.ReadVarint32(&length) && in.ReadString(&memory, static_cast<int>(length));
          has_memory = true;
          break;
        case kBatchTag: {
          ok = outer && in.ReadVarint32(&length);
          if (!ok) break;
          const auto limit = in.PushLimit(static_cast<int>(length));
          WEFT_RETURN_IF_ERROR(ReadChunk(in, /*outer=*/false));
          ok = in.BytesUntilLimit() == 0;
          in.PopLimit(limit);
          batched = true;
          break;
        }
        case kDataTag: {
          ok = in.ReadVarint32(&length);
          if (!ok) break;
          if (!assembly_.open && has_total && error.empty()) {
            WEFT_RETURN_IF_ERROR(assembly_.Open(key, total));
          }
          if (assembly_.open && assembly_.key == key && pending.empty()) {
            char* at = assembly_.Reserve(length);
            if (at == nullptr) return Overflow();
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
    if (!outer && in.BytesUntilLimit() != 0) {
      return absl::DataLossError(absl::StrCat("malformed data chunk of ", key));
    }
    if (batched) {  // a batch is all the message holds
      if (!key.empty() || has_total || has_memory || !error.empty() || !pending.empty()) {
        return absl::DataLossError("a batch of data chunks with fields of its own");
      }
      return absl::OkStatus();
    }
    if (!error.empty()) {
      ++finished_;
      if (missing_ != nullptr) missing_->push_back(key);
      return absl::OkStatus();
    }
    if (has_memory) return CopyLent(key, total, memory);
    if (!assembly_.open) {
      WEFT_RETURN_IF_ERROR(assembly_.Open(key, total));
    } else if (assembly_.key != key) {
      return absl::DataLossError(
          absl::StrCat("chunks of ", assembly_.key, " and ", key, " are interleaved"));
    }
    if (!pending.empty()) {
      char* at = assembly_.Reserve(static_cast<int64_t>(pending.size()));
      if (at == nullptr) return Overflow();
      std::memcpy(at, pending.data(), pending.size());
    }
    if (!last) return absl::OkStatus();
    ++finished_;
    return Finish(assembly_, out_);
  }

  absl::Status CopyLent(const std::string& key, int64_t total, const std::string& bytes) {
    if (assembly_.open) {
      return absl::DataLossError(
          absl::StrCat("chunks of ", assembly_.key, " and ", key, " are interleaved"));
    }
    proto::HolderMemory memory;
    if (!memory.ParseFromString(bytes)) {
      return absl::DataLossError(absl::StrCat("malformed data chunk of ", key));
    }
    borrowed_ = true;
    ++finished_;
    WEFT_RETURN_IF_ERROR(assembly_.Open(key, total));
    absl::Status copied =
        CopyHolderMemory(memory, lease_, assembly_.bytes.get(), static_cast<size_t>(total));
    if (copied.ok()) {
      assembly_.filled = total;
      return Finish(assembly_, out_);
    }
    assembly_ = Assembly();
    if (absl::IsPermissionDenied(copied)) DisableSameHostTransfers(copied.message());
    if (absl::IsPermissionDenied(copied) || absl::IsAborted(copied)) {
      refetch_.push_back(key);
      return absl::OkStatus();
    }
    return copied;
  }

  absl::Status Overflow() const {
    return absl::DataLossError(
        absl::StrCat("value of ", assembly_.key, " exceeds its ", assembly_.total_bytes, " bytes"));
  }

  const uint64_t lease_;
  KeyValues* out_;
  std::vector<std::string>* missing_;
  Assembly assembly_;
  size_t finished_ = 0;
  bool borrowed_ = false;
  std::vector<std::string> refetch_;
};

// One GetData call for `keys`; `same_host` is this process's identity to offer, or empty.
// Keys lent by the holder but not readable here are appended to `refetch`.
absl::StatusOr<KeyValues> FetchStream(grpc::Channel& channel, const std::vector<std::string>& keys,
                                      absl::Time deadline, const std::string& same_host,
                                      const proto::DataView& view,
                                      std::vector<std::string>* missing,
                                      std::vector<std::string>* refetch) {
  grpc::ClientContext context;
  if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
  proto::GetDataRequest request;
  for (const std::string& key : keys) request.add_keys(key);
  if (view.kind() != proto::DataView::WHOLE) *request.mutable_view() = view;
  if (!same_host.empty()) {
    request.set_same_host(same_host);
    request.set_same_host_lease(NewLease());
  }
  // Chunks are read as raw ByteBuffers (the DataChunk wire format, parsed by
  // ChunkReader) so that their data is copied once, into the value's buffer.
  static const grpc::internal::RpcMethod kGetData("/weft.proto.Worker/GetData",
                                                  grpc::internal::RpcMethod::SERVER_STREAMING);
  static const grpc::internal::RpcMethod kGetView("/weft.proto.Worker/GetView",
                                                  grpc::internal::RpcMethod::SERVER_STREAMING);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
          &channel, view.kind() == proto::DataView::WHOLE ? kGetData : kGetView, &context,
          request));
  KeyValues out;
  out.reserve(keys.size());
  ChunkReader chunks(request.same_host_lease(), &out, missing);
  grpc::ByteBuffer buffer;
  absl::Status error;
  // A holder that lent values waits for the call's end: once every key is in, end it.
  auto all_in = [&] { return chunks.borrowed() && chunks.finished() == keys.size(); };
  while (error.ok() && !all_in() && reader->Read(&buffer)) {
    error = chunks.Read(buffer);
    buffer.Clear();
  }
  if (!error.ok() || all_in()) {
    context.TryCancel();
    reader->Finish();  // CANCELLED, by us
    if (!error.ok()) return error;
  } else if (grpc::Status status = reader->Finish(); !status.ok()) {
    return FromGrpc(status);
  }
  if (chunks.inside_value()) {
    return absl::DataLossError(
        absl::StrCat("the stream ended inside the value of ", chunks.open_key()));
  }
  refetch->insert(refetch->end(), chunks.refetch().begin(), chunks.refetch().end());
  return out;
}

// `values` sorted as `keys` requested them.
void SortAsRequested(const std::vector<std::string>& keys, KeyValues& values) {
  absl::flat_hash_map<std::string, size_t> position;
  for (size_t i = 0; i < keys.size(); ++i) position.try_emplace(keys[i], i);
  std::stable_sort(values.begin(), values.end(), [&](const auto& a, const auto& b) {
    return position[a.first] < position[b.first];
  });
}

}  // namespace

std::shared_ptr<grpc::Channel> MakeWeftChannel(const std::string& address, const Security& security,
                                               ChannelPeer peer) {
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
  std::vector<std::string> refetch;
  const proto::DataView whole;
  WEFT_ASSIGN_OR_RETURN(KeyValues out, FetchStream(channel, keys, deadline, SameHostIdentity(),
                                                   whole, missing, &refetch));
  if (refetch.empty()) return out;
  // Lent values this process could not read: through the stream this time.
  std::vector<std::string> none;
  WEFT_ASSIGN_OR_RETURN(KeyValues again, FetchStream(channel, refetch, deadline,
                                                     /*same_host=*/"", whole, missing, &none));
  for (auto& key_value : again) out.push_back(std::move(key_value));
  SortAsRequested(keys, out);
  return out;
}

absl::StatusOr<KeyValues> FetchViews(grpc::Channel& channel, const std::vector<std::string>& keys,
                                     const proto::DataView& view, absl::Time deadline,
                                     std::vector<std::string>* missing) {
  if (keys.empty()) return KeyValues();
  std::vector<std::string> none;  // views are small: never lent
  return FetchStream(channel, keys, deadline, /*same_host=*/"", view, missing, &none);
}

absl::Status ClassifyFetchError(const absl::Status& status, const std::string& address) {
  // Calls on the channel fail at once while it backs off, so retrying them, or
  // recomputing the value on the same worker, would spin.
  const std::string host = UnnamedPeerHost(status);
  if (host.empty()) return status;
  return absl::FailedPreconditionError(absl::StrCat(
      "worker ", address, ": its TLS certificate does not name the address ", host,
      " its peers reach it at, so they refuse it (give that worker a certificate whose "
      "subjectAltName includes ",
      host, ", or a --contact-address its certificate names): ", status.message()));
}

}  // namespace weft
