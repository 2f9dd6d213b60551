// DataStore: the results a worker holds, key → Value, with a running byte count.
//
// Values are immutable and shared: Get() hands out a copy of the Value, which shares the
// underlying buffers, so a reader keeps the data alive even if the key is erased meanwhile.
// Bytes are counted with Value::nbytes() at Put time.
//
// Not done here (yet): spilling to --local-directory above a memory target; the worker
// reports memory_bytes() in its heartbeats so the scheduler can see the pressure.
//
// Threading: thread-safe; every method takes the internal mutex briefly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "weft/value.h"

namespace weft {

class DataStore {
 public:
  DataStore() = default;
  DataStore(const DataStore&) = delete;
  DataStore& operator=(const DataStore&) = delete;

  // Stores (or replaces) `key`. Returns the value's size in bytes.
  int64_t Put(const std::string& key, Value value);
  // The value of `key`, or nullopt.
  std::optional<Value> Get(const std::string& key) const;
  bool Contains(const std::string& key) const;
  // Size in bytes of `key`'s value, or -1 when absent.
  int64_t NBytes(const std::string& key) const;
  // Removes `key`; returns whether it was there.
  bool Erase(const std::string& key);

  int64_t memory_bytes() const;
  int64_t size() const;
  std::vector<std::string> Keys() const;

 private:
  struct Entry {
    Value value;
    int64_t nbytes;
  };

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  int64_t memory_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace weft
