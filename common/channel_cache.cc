#include "common/channel_cache.h"

#include <utility>

#include "common/data_client.h"

namespace weft {

ChannelCache::ChannelCache(Security security) : security_(std::move(security)) {}

std::shared_ptr<grpc::Channel> ChannelCache::Get(const std::string& address) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<grpc::Channel>& channel = channels_[address];
  if (channel == nullptr) channel = MakeWeftChannel(address, security_, ChannelPeer::kWorker);
  return channel;
}

void ChannelCache::Connect(const std::string& address) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<grpc::Channel>& channel = channels_[address];
  if (channel != nullptr) return;
  channel = MakeWeftChannel(address, security_, ChannelPeer::kWorker);
  channel->GetState(/*try_to_connect=*/true);  // non-blocking: gRPC's threads connect it
}

}  // namespace weft
