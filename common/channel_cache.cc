#include "common/channel_cache.h"

#include <utility>

#include "common/data_client.h"

namespace weft {

ChannelCache::ChannelCache(Security security) : security_(std::move(security)) {}

std::shared_ptr<grpc::Channel> ChannelCache::GetOrMake(const std::string& address, bool* made) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<grpc::Channel>& channel = channels_[address];
  *made = channel == nullptr;
  if (*made) channel = MakeWeftChannel(address, security_, ChannelPeer::kWorker);
  return channel;
}

std::shared_ptr<grpc::Channel> ChannelCache::Get(const std::string& address) {
  bool made;
  return GetOrMake(address, &made);
}

void ChannelCache::Connect(const std::string& address) {
  bool made;
  std::shared_ptr<grpc::Channel> channel = GetOrMake(address, &made);
  if (made) channel->GetState(/*try_to_connect=*/true);  // non-blocking: gRPC's threads connect it
}

}  // namespace weft
