#include "worker/data_server.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/codec.h"
#include "common/key.h"
#include "common/logging.h"
#include "common/same_host.h"
#include "grpcpp/support/method_handler.h"
#include "grpcpp/support/slice.h"

namespace weft {
namespace {

// Smaller pieces are copied into the message: a slice reference costs more than that.
constexpr size_t kCopyBelow = 16 * 1024;

// DataChunk field tags (proto/weft.proto): (field number << 3) | wire type.
constexpr uint8_t kKeyTag = (1 << 3) | 2;
constexpr uint8_t kDataTag = (2 << 3) | 2;
constexpr uint8_t kLastTag = (3 << 3) | 0;
constexpr uint8_t kTotalBytesTag = (4 << 3) | 0;
constexpr uint8_t kBatchTag = (7 << 3) | 2;

// Values whose encoding is smaller than this travel in batches, many keys to a message (a
// gather of 10,000 small results would otherwise be 10,000 messages: a write here and a
// read there for each); a batch is written once it holds kBatchBytes.
constexpr size_t kBatchBelow = 16 * 1024;
constexpr size_t kBatchBytes = 256 * 1024;

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutBytesField(uint8_t tag, absl::string_view bytes, std::string* out) {
  out->push_back(static_cast<char>(tag));
  PutVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

// A slice of `piece`, which lives in `cord`'s memory: kept alive by a Cord copy (a
// reference count, not a copy of the bytes) that gRPC releases when it is done.
grpc::Slice SliceOf(const absl::Cord& cord, absl::string_view piece) {
  auto* keep = new absl::Cord(cord);
  return grpc::Slice(
      const_cast<char*>(piece.data()), piece.size(),
      [](void* p) { delete static_cast<absl::Cord*>(p); }, keep);
}

// A DataChunk's fields before its data: the key, total_bytes on a key's first chunk, `last`
// on its last, and the data field's tag and length.
std::string ChunkHeader(const std::string& key, int64_t total_bytes, bool first, bool last,
                        size_t data_size) {
  std::string header;
  PutBytesField(kKeyTag, key, &header);
  if (first && total_bytes != 0) {
    header.push_back(static_cast<char>(kTotalBytesTag));
    PutVarint(static_cast<uint64_t>(total_bytes), &header);
  }
  if (last) {
    header.push_back(static_cast<char>(kLastTag));
    header.push_back(1);
  }
  if (data_size > 0) {
    header.push_back(static_cast<char>(kDataTag));
    PutVarint(data_size, &header);
  }
  return header;
}

// One DataChunk: header fields, then `data` (a sub-range of the encoding) as slices.
grpc::ByteBuffer Chunk(const std::string& key, int64_t total_bytes, bool first, bool last,
                       const absl::Cord& data) {
  std::string header = ChunkHeader(key, total_bytes, first, last, data.size());
  std::vector<grpc::Slice> slices;
  std::string small;  // consecutive small pieces, copied
  auto flush_small = [&] {
    if (small.empty()) return;
    slices.emplace_back(small);
    small.clear();
  };
  slices.emplace_back(header);
  for (absl::string_view piece : data.Chunks()) {
    if (piece.size() < kCopyBelow) {
      small.append(piece.data(), piece.size());
    } else {
      flush_small();
      slices.push_back(SliceOf(data, piece));
    }
  }
  flush_small();
  return grpc::ByteBuffer(slices.data(), slices.size());
}

using Streamer = grpc::ServerSplitStreamer<proto::GetDataRequest, grpc::ByteBuffer>;

// Complete chunks of small values (or errors), written together as one DataChunk whose
// only field is `batch`.
class ChunkBatch {
 public:
  void Add(const std::string& chunk) { PutBytesField(kBatchTag, chunk, &bytes_); }
  bool full() const { return bytes_.size() >= kBatchBytes; }
  // Writes what is pending. False when the client went away.
  bool Flush(Streamer* stream) {
    if (bytes_.empty()) return true;
    grpc::Slice slice(bytes_);
    bytes_.clear();
    return stream->Write(grpc::ByteBuffer(&slice, 1));
  }

 private:
  std::string bytes_;
};

grpc::ByteBuffer Serialized(const proto::DataChunk& chunk) {
  grpc::Slice slice(chunk.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

std::string ErrorChunk(const std::string& key, const std::string& error) {
  proto::DataChunk chunk;
  chunk.set_key(key);
  chunk.set_last(true);
  chunk.set_error(error);
  return chunk.SerializeAsString();
}

// The one chunk of a key lent to a same-host requester (common/same_host.h).
grpc::ByteBuffer MemoryChunk(const std::string& key, int64_t total_bytes,
                             proto::HolderMemory memory) {
  proto::DataChunk chunk;
  chunk.set_key(key);
  chunk.set_total_bytes(total_bytes);
  chunk.set_last(true);
  *chunk.mutable_memory() = std::move(memory);
  return Serialized(chunk);
}

// Returns once the call is over: a same-host requester cancels it when it has copied
// every value lent to it, and a requester that goes away ends it too.
void WaitForCallEnd(grpc::ServerContext* context) {
  absl::Duration pause = absl::Microseconds(50);
  while (!context->IsCancelled()) {
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(5));
  }
}

// Sends `bytes` as the chunks of `key`. False when the client went away.
bool SendValue(const std::string& key, const absl::Cord& bytes, size_t chunk_bytes,
               Streamer* stream) {
  const size_t total = bytes.size();
  size_t offset = 0;
  do {  // also the one chunk of an empty encoding
    size_t take = std::min(chunk_bytes, total - offset);
    absl::Cord data = bytes.Subcord(offset, take);  // shares the Cord's memory
    bool last = offset + take == total;
    if (!stream->Write(Chunk(key, static_cast<int64_t>(total), offset == 0, last, data))) {
      return false;
    }
    offset += take;
  } while (offset < total);
  return true;
}

}  // namespace

DataService::DataService(DataStore& store, const FunctionRegistry* views)
    : store_(store), views_(views) {
  // GetData and GetView are methods 0 and 2 of proto::Worker. Their handlers are replaced
  // by one that writes ByteBuffers, so that chunks reference the values' memory (see the
  // header); the request's view says which a call is.
  for (int method : {0, 2}) {
    MarkMethodStreamed(
        method,
        new grpc::internal::SplitServerStreamingHandler<proto::GetDataRequest, grpc::ByteBuffer>(
            [this](grpc::ServerContext* context,
                   grpc::ServerSplitStreamer<proto::GetDataRequest, grpc::ByteBuffer>* stream) {
              return StreamData(context, stream);
            }));
  }
}

grpc::Status DataService::StreamData(
    grpc::ServerContext* context,
    grpc::ServerSplitStreamer<proto::GetDataRequest, grpc::ByteBuffer>* stream) {
  proto::GetDataRequest request;
  if (!stream->Read(&request)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no GetDataRequest");
  }
  WEFT_LOG_DEBUG("GetData: {} keys for {}", request.keys_size(), request.requester());
  const bool same_host = !request.same_host().empty() && request.same_host_lease() != 0 &&
                         request.same_host() == SameHostIdentity();
  std::optional<MemoryLease> lease;  // values the requester copies out of our memory
  ChunkBatch batch;                  // small values and errors, sent in order with the large ones
  auto gone = [] { return grpc::Status(grpc::StatusCode::CANCELLED, "client gone"); };
  // Whether the requester went away is asked once per message written (the question
  // costs ~20 µs of gRPC polling, as much as sending a small value); a write to a
  // requester that has gone fails anyway.
  auto cancelled = [&] {
    return context->IsCancelled() ? grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")
                                  : grpc::Status::OK;
  };
  // A small value's chunk (or an error) into the batch; the batch out once full.
  auto add = [&](const std::string& chunk) {
    batch.Add(chunk);
    if (!batch.full()) return grpc::Status::OK;
    if (grpc::Status status = cancelled(); !status.ok()) return status;
    return batch.Flush(stream) ? grpc::Status::OK : gone();
  };
  // A value under kBatchBelow as one complete chunk, into the batch.
  auto add_small = [&](const std::string& key, const absl::Cord& encoding) {
    const int64_t total = static_cast<int64_t>(encoding.size());
    std::string chunk = ChunkHeader(key, total, /*first=*/true, /*last=*/true, encoding.size());
    for (absl::string_view piece : encoding.Chunks()) chunk.append(piece.data(), piece.size());
    return add(chunk);
  };
  // TOTAL_LENGTH: each key's LENGTH view, summed here; the total is sent after the keys
  // (whose errors, if any, are sent instead of it).
  proto::DataView view = request.view();
  const bool total_length = view.kind() == proto::DataView::TOTAL_LENGTH;
  if (total_length) view.set_kind(proto::DataView::LENGTH);
  int64_t length_sum = 0;
  int counted = 0;  // keys whose length is in length_sum
  for (const std::string& key : request.keys()) {
    bool from_disk = false;
    absl::StatusOr<Value> value = store_.Peek(key, &from_disk);
    std::string base;
    int64_t index;
    if (absl::IsNotFound(value.status()) && ParseSliceKey(key, &base, &index)) {
      value = store_.GetItem(base, index);  // one bucket of a shuffle split
    }
    if (!value.ok()) {
      if (!absl::IsNotFound(value.status())) {  // its spill file is unreadable
        WEFT_LOG_ERROR("GetData: {}", value.status().ToString());
      }
    } else if (view.kind() != proto::DataView::WHOLE) {
      value = View(*value, view);  // an error when the view does not apply to this value
      if (value.ok() && total_length && !value->is_int()) {
        value = absl::InternalError("its length is not an integer");
      }
    }
    if (!value.ok()) {  // not held, unreadable, or without the view asked: the message says
      if (grpc::Status status = add(ErrorChunk(key, std::string(value.status().message())));
          !status.ok()) {
        return status;
      }
      continue;
    }
    if (total_length) {
      length_sum += value->as_int();
      ++counted;
      continue;
    }
    absl::Cord encoding = EncodeValue(*value);
    if (encoding.size() < kBatchBelow) {
      if (grpc::Status status = add_small(key, encoding); !status.ok()) return status;
      continue;
    }
    if (grpc::Status status = cancelled(); !status.ok()) return status;
    if (!batch.Flush(stream)) return gone();
    // A value read from disk is this call's own copy: lent, it would stay alive until the
    // call ends, with every other one read back meanwhile. Streamed, one at a time is.
    if (same_host && !from_disk && encoding.size() >= kSameHostMinBytes) {
      if (!lease.has_value()) lease.emplace(request.same_host_lease());
      const int64_t total = static_cast<int64_t>(encoding.size());
      if (!stream->Write(MemoryChunk(key, total, lease->Lend(encoding)))) {
        return gone();
      }
      continue;
    }
    if (!SendValue(key, encoding, kChunkBytes, stream)) return gone();
  }
  if (total_length && counted == request.keys_size()) {
    if (grpc::Status status = add_small("", EncodeValue(Value(length_sum))); !status.ok()) {
      return status;
    }
  }
  if (!batch.Flush(stream)) return gone();
  // The lent values stay alive (the lease's destructor releases them) until the requester
  // is done copying.
  if (lease.has_value()) WaitForCallEnd(context);
  return grpc::Status::OK;
}

absl::StatusOr<Value> DataService::View(const Value& value, const proto::DataView& view) const {
  if (views_ == nullptr) return absl::UnimplementedError("this worker answers no views");
  const TaskContext context("", "GetData view");
  switch (view.kind()) {
    case proto::DataView::HEAD:
      return views_->Call("bag.take", {value, Value(view.n())}, context);
    case proto::DataView::LENGTH:
      return views_->Call("bag.count", {value}, context);
    default:
      return absl::InvalidArgumentError(absl::StrCat("unknown view kind ", view.kind()));
  }
}

void DataService::SetPutListener(PutListener listener) {
  absl::MutexLock lock(&listener_mu_);
  listener_ = std::move(listener);
}

grpc::Status DataService::PutData(grpc::ServerContext* context,
                                  grpc::ServerReader<proto::PutDataChunk>* reader,
                                  proto::PutDataReply* reply) {
  // One value at a time: its chunks are appended to `encoding`, reserved up front from
  // total_bytes (capped: the client's word is not trusted with our memory).
  constexpr int64_t kMaxReserve = int64_t{1} << 30;
  proto::PutDataChunk chunk;
  std::string key, requester, encoding;
  int64_t total = 0;
  bool open = false;
  while (reader->Read(&chunk)) {
    if (requester.empty()) requester = chunk.requester();
    if (chunk.key().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "PutData: a chunk without a key");
    }
    if (!open) {
      key = chunk.key();
      total = chunk.total_bytes();
      if (total < 0) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            absl::StrCat("PutData: negative total_bytes for ", key));
      }
      encoding.clear();
      encoding.reserve(static_cast<size_t>(std::min(total, kMaxReserve)));
      open = true;
    } else if (chunk.key() != key) {
      return grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("PutData: chunks of ", key, " and ", chunk.key(), " are interleaved"));
    }
    if (static_cast<int64_t>(encoding.size() + chunk.data().size()) > total) {
      return grpc::Status(
          grpc::StatusCode::DATA_LOSS,
          absl::StrCat("PutData: ", key, " is longer than its total_bytes ", total));
    }
    encoding.append(chunk.data());
    if (!chunk.last()) continue;
    open = false;
    if (static_cast<int64_t>(encoding.size()) != total) {
      return grpc::Status(grpc::StatusCode::DATA_LOSS,
                          absl::StrCat("PutData: ", key, " ended after ", encoding.size(), " of ",
                                       total, " bytes"));
    }
    grpc::Status stored = StorePut(key, std::move(encoding), reply);
    if (!stored.ok()) return stored;
    encoding = std::string();
  }
  if (open) {
    return grpc::Status(grpc::StatusCode::DATA_LOSS,
                        absl::StrCat("PutData: the stream ended inside ", key));
  }
  WEFT_LOG_DEBUG("PutData: {} keys from {}", reply->stored_size(), requester);
  return grpc::Status::OK;
}

grpc::Status DataService::StorePut(const std::string& key, std::string encoding,
                                   proto::PutDataReply* reply) {
  absl::StatusOr<Value> value = DecodeValue(Buffer(std::move(encoding)));
  if (!value.ok()) {
    return grpc::Status(
        grpc::StatusCode::DATA_LOSS,
        absl::StrCat("PutData: cannot decode the value of ", key, ": ", value.status().message()));
  }
  const std::string type_name = value->kind_name();
  const int64_t nbytes = store_.Put(key, *std::move(value));
  {
    absl::MutexLock lock(&listener_mu_);
    if (listener_) listener_(key, nbytes, type_name);
  }
  proto::KeyLocation* stored = reply->add_stored();
  stored->set_key(key);
  stored->set_nbytes(nbytes);
  return grpc::Status::OK;
}

}  // namespace weft
