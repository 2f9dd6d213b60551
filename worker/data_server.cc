#include "worker/data_server.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/codec.h"
#include "common/logging.h"

namespace weft {
namespace {

// Sends `bytes` as the chunks of `key`. False when the client went away.
bool SendValue(const std::string& key, const absl::Cord& bytes, size_t chunk_bytes,
               grpc::ServerWriter<proto::DataChunk>* writer) {
  proto::DataChunk chunk;
  chunk.set_key(key);
  chunk.set_total_bytes(static_cast<int64_t>(bytes.size()));
  size_t sent = 0;
  auto flush = [&](bool last) {
    chunk.set_last(last);
    sent += chunk.data().size();
    bool ok = writer->Write(chunk);
    chunk.clear_data();
    chunk.clear_total_bytes();  // only the first chunk carries it
    return ok;
  };
  for (absl::string_view piece : bytes.Chunks()) {
    while (!piece.empty()) {
      size_t room = chunk_bytes - chunk.data().size();
      size_t take = std::min(room, piece.size());
      chunk.mutable_data()->append(piece.data(), take);
      piece.remove_prefix(take);
      bool more = !piece.empty() || sent + chunk.data().size() < bytes.size();
      if (chunk.data().size() == chunk_bytes && more && !flush(/*last=*/false)) return false;
    }
  }
  return flush(/*last=*/true);  // also the one chunk of an empty encoding
}

}  // namespace

grpc::Status DataService::GetData(grpc::ServerContext* context,
                                  const proto::GetDataRequest* request,
                                  grpc::ServerWriter<proto::DataChunk>* writer) {
  WEFT_LOG_DEBUG("GetData: {} keys for {}", request->keys_size(), request->requester());
  for (const std::string& key : request->keys()) {
    if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    std::optional<Value> value = store_.Get(key);
    if (!value.has_value()) {
      proto::DataChunk chunk;
      chunk.set_key(key);
      chunk.set_last(true);
      chunk.set_error(absl::StrCat("key ", key, " is not held by this worker"));
      if (!writer->Write(chunk)) return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
      continue;
    }
    if (!SendValue(key, EncodeValue(*value), kChunkBytes, writer)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
    }
  }
  return grpc::Status::OK;
}

}  // namespace weft
