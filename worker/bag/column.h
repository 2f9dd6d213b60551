// Dictionary-encoded columns of Bag partitions, and the process-wide cache that keeps the
// columns of persisted JsonLines partitions so that a field is parsed out of the raw JSON
// text only once.
//
// A Column holds, for one path, a code per item and the dictionary of distinct values
// (in order of first appearance). Queries on a column (frequencies, distinct, filter
// predicates, foldby keys) work on codes and evaluate values once per dictionary entry.
//
// ColumnCache: bounded by bytes, least recently used first out. An entry is keyed by the
// identity of the partition's buffers (the owner's address, the data pointer and size of
// the text and of the line index) plus the path, and holds weak_ptrs to the owners: once
// the partition's buffers are freed the entry is dead and never served again (dead entries
// are dropped on the next insert). Buffers without an owner are never cached.
//
// Threading: Column is immutable once built and shared by shared_ptr (the cache and the
// tasks using it hold it together). ColumnCache is thread-safe; columns are built outside
// its lock, so two threads may build the same column at once (the first insert wins).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "weft/value.h"
#include "worker/bag/json_access.h"

namespace weft::bag {

struct Column {
  std::vector<uint32_t> codes;  // one per item: an index into dictionary
  ValueList dictionary;         // distinct values, first appearance first

  size_t size() const { return codes.size(); }
  const Value& at(size_t i) const { return dictionary[codes[i]]; }
  // ranks()[code]: the position of dictionary[code] in ascending value order
  // (value_order.h). Computed on first use, once, so that sorting a cached column again
  // compares integers. Thread-safe.
  const std::vector<uint32_t>& ranks() const;
  // Approximate memory held.
  size_t nbytes() const;

 private:
  mutable std::once_flag ranks_once_;
  mutable std::vector<uint32_t> ranks_;
};

// Builds a Column item by item (values as LineParser extracts them).
class ColumnBuilder {
 public:
  ColumnBuilder();
  ~ColumnBuilder();
  ColumnBuilder(ColumnBuilder&&) noexcept;
  ColumnBuilder& operator=(ColumnBuilder&&) noexcept;
  void Reserve(size_t n);
  void Add(const Extracted& value);
  void Add(const Value& value);
  // How many distinct values so far.
  size_t distinct() const;
  std::shared_ptr<const Column> Finish() &&;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses `path` out of every line (simdjson). Errors name the 1-based line.
absl::StatusOr<std::shared_ptr<const Column>> BuildColumn(const JsonLines& lines, const Path& path);
// The same over compressed lines, decompressing one block at a time.
absl::StatusOr<std::shared_ptr<const Column>> BuildColumn(const CompressedLines& lines,
                                                          const Path& path);
// The value at `path` of every item (null when missing).
std::shared_ptr<const Column> BuildColumn(const ValueList& items, const Path& path);

class ColumnCache {
 public:
  explicit ColumnCache(size_t capacity_bytes) : capacity_bytes_(capacity_bytes) {}
  ColumnCache(const ColumnCache&) = delete;
  ColumnCache& operator=(const ColumnCache&) = delete;

  // The worker's cache. Capacity: env WEFT_BAG_COLUMN_CACHE_BYTES, default 512 MiB.
  static ColumnCache& Global();

  // The cached column of (lines, path), or a new one built now and cached.
  absl::StatusOr<std::shared_ptr<const Column>> Get(const JsonLines& lines, const Path& path);
  absl::StatusOr<std::shared_ptr<const Column>> Get(const CompressedLines& lines, const Path& path);
  // Caches `column` as (lines, path)'s, built elsewhere (parse_json reads a filter's
  // columns as it validates the lines). Ignored for buffers without an owner.
  void Put(const JsonLines& lines, const Path& path, std::shared_ptr<const Column> column);
  // The same for a compressed partition (persist keeps its low-cardinality columns).
  void Put(const CompressedLines& lines, const Path& path, std::shared_ptr<const Column> column);

  struct Stats {
    int64_t hits = 0;
    int64_t misses = 0;
    int64_t evictions = 0;
    size_t bytes = 0;
    size_t entries = 0;
  };
  Stats stats() const;
  void Clear();

 private:
  // A partition's two buffers: text and line index, or frames and block index.
  struct Key {
    const void* text_owner;
    const char* text_data;
    size_t text_size;
    const char* offsets_data;
    size_t offsets_size;
    std::string path;

    bool operator==(const Key& o) const {
      return text_owner == o.text_owner && text_data == o.text_data && text_size == o.text_size &&
             offsets_data == o.offsets_data && offsets_size == o.offsets_size && path == o.path;
    }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.text_owner, k.text_data, k.text_size, k.offsets_data,
                        k.offsets_size, k.path);
    }
  };
  struct Entry {
    Key key;
    std::weak_ptr<const void> text_owner;
    std::weak_ptr<const void> offsets_owner;
    std::shared_ptr<const Column> column;
    size_t bytes = 0;
  };
  using Lru = std::list<Entry>;  // most recently used first

  static bool Alive(const Entry& e);
  static Key KeyOf(const Buffer& text, const Buffer& offsets, const Path& path);
  template <typename Lines>
  absl::StatusOr<std::shared_ptr<const Column>> GetOrBuild(const Lines& lines, const Buffer& text,
                                                           const Buffer& offsets, const Path& path);
  void PutBuffers(const Buffer& text, const Buffer& offsets, const Path& path,
                  std::shared_ptr<const Column> column);
  void EraseLocked(Lru::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void InsertLocked(Entry entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const size_t capacity_bytes_;

  mutable absl::Mutex mu_;
  Lru lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Key, Lru::iterator> index_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::bag
