// DataService: the Worker.GetData RPC — streams the requested values out of a DataStore.
//
// Each value is encoded with EncodeValue (a Cord that references the value's big buffers)
// and sent in chunks of about kChunkBytes, walking the Cord's own chunks so a large value
// is never flattened first. The first chunk of a key carries total_bytes; `last` closes it.
// A key the store does not hold is one chunk with `error` set; the stream goes on.
//
// Threading: gRPC's sync server calls GetData from its own threads, concurrently; the
// DataStore is thread-safe and values are immutable, so no lock is held while sending.
#pragma once

#include <cstddef>

#include "proto/weft.grpc.pb.h"
#include "worker/data_store.h"

namespace weft {

class DataService final : public proto::Worker::Service {
 public:
  static constexpr size_t kChunkBytes = size_t{1} << 20;

  // `store` must outlive the service.
  explicit DataService(const DataStore& store) : store_(store) {}

  grpc::Status GetData(grpc::ServerContext* context, const proto::GetDataRequest* request,
                       grpc::ServerWriter<proto::DataChunk>* writer) override;

 private:
  const DataStore& store_;
};

}  // namespace weft
