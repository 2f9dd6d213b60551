// DataStore: the results a worker holds, key → Value, with byte counts and spilling.
//
// Values are immutable and shared: Get() hands out a copy of the Value, which shares the
// underlying buffers, so a reader keeps the data alive even if the key is erased meanwhile.
// Bytes are counted with Value::nbytes() at Put time.
//
// Spilling (a store made with Open() and a memory limit; the default-constructed store
// never spills): whenever the bytes held in memory exceed `target_fraction` of
// `memory_limit`, the least-recently-used values (Put and Get count as use) are written
// to the spill directory as zstd-compressed encodings (spill_file.h) and dropped from
// memory, until the bytes in memory are at or below the target again. This happens at
// store time, in the thread that calls Put() (or Get(), which may bring a value back):
// the executor or fetch thread that produced the data pays for writing it, which also
// slows producers down when the disk is the bottleneck. There is no background thread.
//
// Get() of a spilled value reads it back transparently: the value returns to memory
// (most recently used; its file is deleted), except a value larger than the whole target,
// which stays on disk and is read again at each Get. Peek() (serving a value to peers and
// clients) reads a spilled value without bringing it back. Erase() and replacing Put()s delete
// the key's file. A value larger than the target is still stored (then spilled at once).
// When writing a spill file fails, the value simply stays in memory (never lost), is not
// tried again, and last_spill_error() names the file; a file that cannot be read back is
// a kDataLoss / kInternal status from Get() naming the file and the key.
//
// Threading: thread-safe. The mutex is held only for bookkeeping: encoding, compression
// and disk I/O run outside it, so executors, fetches and GetData streams proceed while a
// value is being spilled or read back. A value being spilled is still served from memory.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "weft/value.h"
#include "worker/spill_file.h"

namespace weft {

struct DataStoreOptions {
  int64_t memory_limit = 0;      // bytes; 0: no limit, never spill
  double target_fraction = 0.6;  // spill above this fraction of memory_limit; 0: never
  // Where spill files go (--local-directory). Open() makes a private subdirectory in it,
  // removed by the destructor.
  std::string local_directory;
};

class DataStore {
 public:
  // A store that never spills.
  DataStore() = default;
  // A store that spills as `options` say; kInternal when the spill directory cannot be
  // created. With no limit, no fraction or no directory, the store does not spill.
  static absl::StatusOr<std::unique_ptr<DataStore>> Open(const DataStoreOptions& options);

  DataStore(const DataStore&) = delete;
  DataStore& operator=(const DataStore&) = delete;
  // Deletes the spill files and directory.
  ~DataStore();

  // Stores (or replaces) `key`, then spills if needed. Returns the value's size in bytes.
  int64_t Put(const std::string& key, Value value);
  // The value of `key`, read back from disk if it was spilled. kNotFound when the store
  // does not hold it; kDataLoss / kInternal (naming the file) when its spill file is
  // corrupt or unreadable.
  absl::StatusOr<Value> Get(const std::string& key);
  // For serving `key` to another process (GetData): Get()'s value and errors, except that
  // a spilled value is read from disk and stays there — it is wanted elsewhere, and
  // bringing it back would push other values out, or raise a paused worker's memory.
  // *from_disk (if given) says whether it was read from disk: a copy the caller alone
  // holds, not counted by the store.
  absl::StatusOr<Value> Peek(const std::string& key, bool* from_disk = nullptr);
  // Item `index` of the list value under `key` (a shuffle split's bucket), with Get's
  // errors; kInvalidArgument when that value is not a list or has no such item. A spilled
  // list is not brought back: its spill file holds each item apart, and only this one is
  // read (the shuffle reads every split bucket by bucket; bringing whole splits back
  // would thrash).
  absl::StatusOr<Value> GetItem(const std::string& key, int64_t index);
  // Drops items `indexes` of the list value under `key`, which stays held (a shuffle split
  // whose bucket every reader has read): the store's bytes fall by the items', and their
  // memory is freed once no reader holds them. From then on GetItem of a dropped item and
  // Get or Peek of the whole list are kNotFound, as for a key not held here, so that a
  // reader reports it missing and the scheduler recomputes it. A spilled list keeps its
  // file (only the counts fall). An absent key, a value that is not a list, and indexes
  // out of range or already dropped are ignored. Returns the bytes dropped.
  int64_t DropItems(const std::string& key, const std::vector<int64_t>& indexes);
  bool Contains(const std::string& key) const;
  // Size in bytes of `key`'s value (in memory or not), or -1 when absent.
  int64_t NBytes(const std::string& key) const;
  // Removes `key` (and its spill file); returns whether it was there.
  bool Erase(const std::string& key);
  // Spills the least recently used value in memory even below the target (the worker
  // calls it while paused with the process's memory still high). False when the store
  // does not spill or holds nothing spillable in memory.
  bool SpillOldest();

  int64_t memory_bytes() const;   // bytes of the values held in memory
  int64_t spilled_bytes() const;  // bytes (as in memory) of the values on disk
  // The most memory_bytes() + spilled_bytes() has been since the store was made: what
  // the worker held at once, wherever it was.
  int64_t peak_held_bytes() const;
  int64_t size() const;  // keys held, in memory or on disk
  std::vector<std::string> Keys() const;
  // Spill when memory_bytes() exceeds this; 0 when the store never spills.
  int64_t target_bytes() const { return target_bytes_; }
  // The last failure to write a spill file (OK if none).
  absl::Status last_spill_error() const;
  // Whether a value in memory may still go to disk: the store spills, and holds a value
  // in memory that has not failed to spill (one that failed stays in memory for good), or
  // is writing one now.
  bool can_spill() const;

  // Test hooks: whether `key` is on disk, and its spill file ("" when not spilled).
  bool TEST_IsSpilled(const std::string& key) const;
  std::string TEST_SpillPath(const std::string& key) const;
  const std::string& TEST_spill_directory() const { return spill_directory_; }

 private:
  enum class Where { kMemory, kSpilling, kDisk };
  struct Entry {
    Value value;  // null while on disk
    int64_t nbytes = 0;
    uint64_t id = 0;       // unique per Put
    uint64_t file_id = 0;  // names the spill file (kDisk); unique per spill
    Where where = Where::kMemory;
    int64_t encoded_bytes = 0;  // size of the encoding in the spill file (kDisk)
    bool sectioned = false;     // a list spilled an item per frame (kDisk)
    std::vector<SpillSection> sections;
    absl::flat_hash_set<int64_t> dropped;  // items dropped by DropItems (a list's)
    bool in_lru = false;                   // a spill candidate: in memory, not spilling, spillable
    std::list<std::string>::iterator lru;
  };

  DataStore(int64_t target_bytes, std::string spill_directory);

  // Get and Peek: `bring_back` a spilled value into memory or not.
  absl::StatusOr<Value> Read(const std::string& key, bool bring_back, bool* from_disk);

  std::string SpillPath(uint64_t file_id) const;
  // Unaccounts `entry` (about to be dropped or replaced). Its value moves to *doomed and
  // its spill file's path to *doomed_file (both to be disposed of outside the lock).
  void DetachLocked(Entry& entry, Value* doomed, std::string* doomed_file)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TouchLocked(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // kNotFound for a read of the whole value of `entry`, some of whose items were dropped.
  static absl::Status NotWhole(const std::string& key, const Entry& entry);
  // Spills LRU values until the bytes in memory (not counting those being spilled) are
  // at or below the target.
  void SpillIfNeeded() ABSL_LOCKS_EXCLUDED(mu_);
  // Spills one value chosen under the lock (the LRU one, if above the target or `force`);
  // false when there was nothing to do.
  bool SpillOne(bool force) ABSL_LOCKS_EXCLUDED(mu_);

  // Constant after construction.
  const int64_t target_bytes_ = 0;  // 0: never spill
  const std::string spill_directory_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // spill candidates, oldest first
  int64_t memory_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t spilling_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // part of memory_bytes_ being written
  int64_t spilled_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t peak_held_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_spill_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft
