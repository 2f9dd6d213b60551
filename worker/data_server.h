// DataService: the Worker.GetData RPC (and GetView) — streams the requested values (or
// views of them) out of a DataStore.
//
// Each value is encoded with EncodeValue (a Cord that references the value's big buffers)
// and sent as DataChunk messages of about kChunkBytes. The chunks are written as raw
// gRPC ByteBuffers in the DataChunk wire format (the schema in proto/weft.proto is
// unchanged): a few header bytes, then slices that point into the Cord's own memory, so
// a large value is neither flattened nor copied into protobuf strings before gRPC sends
// it. The first chunk of a key carries total_bytes; `last` closes it. A key the store
// does not hold (or whose spill file cannot be read) is one chunk with `error` set; the
// stream goes on. Values under 16 KiB and errors are not a message each: they are
// gathered, in order, into messages of up to 256 KiB (DataChunk.batch), so that a gather
// of many small results is a few writes and reads rather than one per key.
//
// A requester on the same host (GetDataRequest.same_host equal to this process's
// SameHostIdentity()) gets each value of at least kSameHostMinBytes as one chunk that
// lends it (`memory`: where its encoding lies in this process) instead of its data; the
// call then keeps those values alive until the requester ends it (common/same_host.h).
// Spilled values are read from disk without going back into the store's memory
// (DataStore::Peek) and are always streamed, never lent: a call holds at most one of
// them at a time, so serving spilled data does not raise the worker's memory by more.
//
// Worker.GetView, a request with a view (GetDataRequest.view: HEAD n, LENGTH), gets for
// each key the view of its value instead of the value: the result of the registered
// function a task would run for it (bag.take, bag.count) on the held value, computed in
// this RPC's thread. A service made without a registry, or a value the function refuses, answers
// the key with an error chunk. Views are cheap by construction (a partition's length is
// in its index; its head decompresses only the blocks that hold it). TOTAL_LENGTH sums
// the keys' lengths here and sends one value, under the key "", after them (none when a
// key could not be counted: its error chunk says why).
//
// Worker.PutData (Client::scatter): a client streams values in as PutDataChunks; each
// key's chunks are gathered into one buffer (sized from total_bytes), decoded without
// copying its large buffers, stored in the DataStore (counted and spillable like any
// result), and handed to the put listener (the Worker's state machine, which pins the
// key until the scheduler accepts it). The reply lists every key stored, with its size.
// Bad input (a key missing, interleaved keys, chunks that do not add up to total_bytes,
// bytes that do not decode) fails the call with kInvalidArgument / kDataLoss; keys
// completed before it stay stored, and are freed once the scheduler hears of nobody
// wanting them (the client announces what the reply listed, or nothing).
//
// Threading: gRPC's sync server calls the handler from its own threads, concurrently;
// the DataStore is thread-safe and values are immutable, so no lock is held while
// sending. A spilled value is read from disk by the store, in this RPC's thread. A
// call that lent values holds its thread until the requester is done copying them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/sync_stream.h"
#include "proto/weft.grpc.pb.h"
#include "worker/data_store.h"
#include "worker/function_registry.h"

namespace weft {

class DataService final : public proto::Worker::Service {
 public:
  static constexpr size_t kChunkBytes = size_t{1} << 20;

  // Called after each key a client put is stored: its key, size and Value kind name.
  using PutListener =
      std::function<void(const std::string& key, int64_t nbytes, const std::string& type_name)>;

  // `store` (and `views`, when given) must outlive the service. `views` computes the
  // answers to requests with a view; null refuses them.
  explicit DataService(DataStore& store, const FunctionRegistry* views = nullptr);

  // Where puts are reported from now on (null: nowhere; the Worker is made after the
  // server starts). The listener must stay valid until the server has shut down.
  void SetPutListener(PutListener listener);

  grpc::Status PutData(grpc::ServerContext* context,
                       grpc::ServerReader<proto::PutDataChunk>* reader,
                       proto::PutDataReply* reply) override;

 private:
  grpc::Status StreamData(
      grpc::ServerContext* context,
      grpc::ServerSplitStreamer<proto::GetDataRequest, grpc::ByteBuffer>* stream);

  // Stores one complete value put by a client, reports it, and lists it in *reply.
  grpc::Status StorePut(const std::string& key, std::string encoding, proto::PutDataReply* reply);

  // The view of `value` a request asked for (not WHOLE).
  absl::StatusOr<Value> View(const Value& value, const proto::DataView& view) const;

  DataStore& store_;
  const FunctionRegistry* const views_;
  absl::Mutex listener_mu_;
  PutListener listener_ ABSL_GUARDED_BY(listener_mu_);
};

}  // namespace weft
