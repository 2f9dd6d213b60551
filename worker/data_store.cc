#include "worker/data_store.h"

#include <utility>

namespace weft {

int64_t DataStore::Put(const std::string& key, Value value) {
  // Measured outside the lock: nbytes() walks nested lists.
  const int64_t nbytes = static_cast<int64_t>(value.nbytes());
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = entries_.try_emplace(key, Entry{Value(), 0});
  if (!inserted) memory_bytes_ -= it->second.nbytes;
  it->second = Entry{std::move(value), nbytes};
  memory_bytes_ += nbytes;
  return nbytes;
}

std::optional<Value> DataStore::Get(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second.value;
}

bool DataStore::Contains(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  return entries_.contains(key);
}

int64_t DataStore::NBytes(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? -1 : it->second.nbytes;
}

bool DataStore::Erase(const std::string& key) {
  Value doomed;  // destroyed after the lock is released: freeing big buffers takes time
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  memory_bytes_ -= it->second.nbytes;
  doomed = std::move(it->second.value);
  entries_.erase(it);
  return true;
}

int64_t DataStore::memory_bytes() const {
  absl::MutexLock lock(&mu_);
  return memory_bytes_;
}

int64_t DataStore::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(entries_.size());
}

std::vector<std::string> DataStore::Keys() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> keys;
  keys.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) keys.push_back(key);
  return keys;
}

}  // namespace weft
