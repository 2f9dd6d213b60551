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
#include "common/security.h"
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

// A channel with no limit on received message size (values arrive in chunks of ~1 MiB
// anyway), secured as SetWeftChannelSecurity said (insecure by default). Use it for every
// channel to a worker or the scheduler.
std::shared_ptr<grpc::Channel> MakeWeftChannel(const std::string& address);
// The same with explicit credentials.
std::shared_ptr<grpc::Channel> MakeWeftChannel(const std::string& address,
                                               const Security& security);

// The credentials (TLS and/or token) of every channel MakeWeftChannel(address) makes from
// now on, process-wide: weft-worker sets them once in main(), before it makes any channel,
// so that its scheduler session and its peer transfers share them.
void SetWeftChannelSecurity(const Security& security);
// What SetWeftChannelSecurity last set (insecure before).
Security WeftChannelSecurity();

}  // namespace weft
