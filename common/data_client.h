// FetchValues: gets values from a worker's GetData service (peer-to-peer dependency
// transfer, and the client's gather).
//
// The chunks of each key are reassembled into one buffer (allocated from the first
// chunk's total_bytes; a large one where SetLargeValueMemory says):
// chunks are read as raw gRPC ByteBuffers and their data copied once, from gRPC's slices
// into that buffer, which is then decoded without copying large buffers: the returned
// Values slice it. From a holder on the same host, large values skip the stream: they are
// copied once, straight out of the holder's memory, into that buffer (common/same_host.h);
// keys whose copy is refused are fetched again through the stream. Values come back in
// the requested order. A key the worker does not hold is not an error of the call: it is
// left out of the result and, when `missing` is given, appended to it.
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
#include "proto/weft.pb.h"
#include "weft/value.h"

namespace weft {

using KeyValues = std::vector<std::pair<std::string, Value>>;

absl::StatusOr<KeyValues> FetchValues(grpc::Channel& channel, const std::vector<std::string>& keys,
                                      absl::Time deadline,
                                      std::vector<std::string>* missing = nullptr);

// Views of values (Worker.GetView, GetDataRequest.view: the head or the length of a
// partition), computed by the worker that holds them: a Value per key, in order. Keys it does not
// hold, or whose value the view does not apply to, are left out and, when `missing` is given,
// appended to it. Errors as FetchValues; kUnimplemented from a worker that knows no views.
absl::StatusOr<KeyValues> FetchViews(grpc::Channel& channel, const std::vector<std::string>& keys,
                                     const proto::DataView& view, absl::Time deadline,
                                     std::vector<std::string>* missing = nullptr);

// Where FetchValues puts a received value of 1 MiB or more.
//   kOwnMapping (the default): a mapping of its own, at a 2 MiB boundary, with transparent
//     huge pages asked for, unmapped when the value goes. Right beside glibc's malloc (the
//     client), which would map it on its own too, with 4 KiB pages.
//   kMalloc: malloc. Right in a worker on jemalloc (one arena, freed memory kept), where a
//     fetched value reuses the memory that freed values left instead of faulting in fresh
//     pages for every fetch. A 1 GB sort's unpacks fetch 256 MB per
//     worker while they free as much: ten runs each, its worker CPU fell 13% (537 -> 468
//     ticks), its huge-page faults 8%, its time 3.40 -> 3.04 s.
// Process-wide: set it once at start-up, before the first fetch.
enum class LargeValueMemory { kOwnMapping, kMalloc };
void SetLargeValueMemory(LargeValueMemory memory);

// The error of a failed FetchValues from the worker at `address`, made
// kFailedPrecondition when no retry can succeed until that worker is set up otherwise: its
// TLS certificate does not name the host it is reached at (gRPC refuses the handshake
// with "Peer name HOST is not in peer certificate"). The message names the worker, the
// host and the fix. Any other status is returned unchanged.
absl::Status ClassifyFetchError(const absl::Status& status, const std::string& address);

// Who is at the other end of a channel. Long-lived session streams to the scheduler are
// kept alive with pings (the scheduler permits them), so a dead scheduler host is noticed
// even while the stream is quiet; calls to workers are short and need none.
enum class ChannelPeer { kWorker, kScheduler };

// A channel with no limit on message sizes (values arrive in chunks of ~1 MiB anyway) that
// reconnects promptly, with `security`'s credentials. Every channel of every weft process
// (workers, clients) is made here; the credentials are always the caller's own (a worker's
// come from its flags, a client's from its options), never set process-wide. Channels to
// peers are kept in a ChannelCache (common/channel_cache.h).
std::shared_ptr<grpc::Channel> MakeWeftChannel(const std::string& address, const Security& security,
                                               ChannelPeer peer = ChannelPeer::kWorker);

}  // namespace weft
