// ChannelCache: one gRPC channel per peer address, every one made by MakeWeftChannel with
// the same credentials (TLS and/or token) — the credentials of the process that owns the
// cache, handed to it explicitly. A worker keeps one for its fetches and its pipeline
// stages' streams, a client one for its gathers and scatters, so calls to one peer share
// one connection.
//
// Channels are kept for the cache's lifetime (a cluster has few peers; a channel to a
// departed one costs an idle socket at most, and reconnects when that address comes back).
//
// Threading: thread-safe.
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/security.h"
#include "grpcpp/channel.h"

namespace weft {

class ChannelCache {
 public:
  // `security`: the credentials of every channel; insecure by default.
  explicit ChannelCache(Security security = Security());
  ChannelCache(const ChannelCache&) = delete;
  ChannelCache& operator=(const ChannelCache&) = delete;

  // The channel to the worker at `address` (host:port), made at the first call.
  std::shared_ptr<grpc::Channel> Get(const std::string& address);
  // Makes the channel to `address` if there is none yet and starts connecting it, without
  // waiting (a client does so when it learns of a worker, so that its first call there
  // does not wait for TCP and HTTP/2 set-up). A channel already made is left as it is.
  void Connect(const std::string& address);

 private:
  // The channel to `address`; *made says whether this call made it.
  std::shared_ptr<grpc::Channel> GetOrMake(const std::string& address, bool* made);

  const Security security_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft
