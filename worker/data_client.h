// FetchValues: gets values from a worker's GetData service (peer-to-peer dependency
// transfer, and the client's gather).
//
// The chunks of each key are reassembled into one buffer (allocated from the first
// chunk's total_bytes): chunks are read as raw gRPC ByteBuffers and their data copied
// once, from gRPC's slices into that buffer, which is then decoded without copying large
// buffers: the returned Values slice it. Values come back in the order the worker sent them (the requested
// order). A key the worker does not hold is not an error of the call: it is left out of
// the result and, when `missing` is given, appended to it.
//
// Errors: the RPC's status mapped to absl (kUnavailable when the worker is unreachable,
// kDeadlineExceeded past `deadline`), kDataLoss for chunks that do not add up or bytes
// that do not decode.
//
// Threading: free functions; safe to call concurrently (gRPC channels are thread-safe).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "weft/value.h"

namespace weft {

using KeyValues = std::vector<std::pair<std::string, Value>>;

absl::StatusOr<KeyValues> FetchValues(grpc::Channel& channel, const std::vector<std::string>& keys,
                                      absl::Time deadline,
                                      std::vector<std::string>* missing = nullptr);

// Convenience: a new channel to `address` (host:port) for this one call.
absl::StatusOr<KeyValues> FetchValues(const std::string& address,
                                      const std::vector<std::string>& keys, absl::Time deadline,
                                      std::vector<std::string>* missing = nullptr);

// An insecure channel with no limit on received message size (values arrive in chunks of
// ~1 MiB anyway). Use it for every channel to a worker or the scheduler.
std::shared_ptr<grpc::Channel> MakeWeftChannel(const std::string& address);

}  // namespace weft
