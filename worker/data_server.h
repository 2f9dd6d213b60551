// DataService: the Worker.GetData RPC — streams the requested values out of a DataStore.
//
// Each value is encoded with EncodeValue (a Cord that references the value's big buffers)
// and sent as DataChunk messages of about kChunkBytes. The chunks are written as raw
// gRPC ByteBuffers in the DataChunk wire format (the schema in proto/weft.proto is
// unchanged): a few header bytes, then slices that point into the Cord's own memory, so
// a large value is neither flattened nor copied into protobuf strings before gRPC sends
// it. The first chunk of a key carries total_bytes; `last` closes it. A key the store
// does not hold (or whose spill file cannot be read) is one chunk with `error` set; the
// stream goes on.
//
// A requester on the same host (GetDataRequest.same_host equal to this process's
// SameHostIdentity()) gets each value of at least kSameHostMinBytes as one chunk that
// lends it (`memory`: where its encoding lies in this process) instead of its data; the
// call then keeps those values alive until the requester ends it (worker/same_host.h).
//
// Threading: gRPC's sync server calls the handler from its own threads, concurrently;
// the DataStore is thread-safe and values are immutable, so no lock is held while
// sending. A spilled value is read back from disk by the store, in this RPC's thread. A
// call that lent values holds its thread until the requester is done copying them.
#pragma once

#include <cstddef>

#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/sync_stream.h"
#include "proto/weft.grpc.pb.h"
#include "worker/data_store.h"

namespace weft {

class DataService final : public proto::Worker::Service {
 public:
  static constexpr size_t kChunkBytes = size_t{1} << 20;

  // `store` must outlive the service.
  explicit DataService(DataStore& store);

 private:
  grpc::Status StreamData(
      grpc::ServerContext* context,
      grpc::ServerSplitStreamer<proto::GetDataRequest, grpc::ByteBuffer>* stream);

  DataStore& store_;
};

}  // namespace weft
