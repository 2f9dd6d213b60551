#include "worker/bag/column.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/compressed_lines.h"
#include "common/status_macros.h"
#include "worker/bag/value_order.h"

namespace weft::bag {

namespace {

constexpr size_t kDefaultCacheBytes = size_t{512} << 20;

// Assigns codes to values in order of first appearance. Strings, by far the most common
// field values, are looked up by string_view so that a repeated string costs no
// allocation; the index holds only their codes (the strings themselves are the
// dictionary's), so a new string is allocated once.
class DictionaryBuilder {
 public:
  explicit DictionaryBuilder(Column* column)
      : column_(column),
        strings_(0, StringHash{&column->dictionary}, StringEq{&column->dictionary}) {}

  uint32_t Code(std::string_view s) {
    const absl::string_view key(s.data(), s.size());
    auto it = strings_.find(key);
    if (it != strings_.end()) return *it;
    const uint32_t code = NewCode(Value(s));
    strings_.insert(code);
    return code;
  }
  uint32_t Code(const Value& v) {
    if (v.is_string()) return Code(std::string_view(v.as_string()));
    auto it = others_.find(v);
    if (it != others_.end()) return it->second;
    const uint32_t code = NewCode(v);
    others_.emplace(v, code);
    return code;
  }

 private:
  // Codes of string entries, hashed and compared by their strings (heterogeneous lookup).
  struct StringHash {
    using is_transparent = void;
    const ValueList* dictionary;
    size_t operator()(absl::string_view s) const { return absl::Hash<absl::string_view>()(s); }
    size_t operator()(uint32_t code) const { return (*this)(View(*dictionary, code)); }
  };
  struct StringEq {
    using is_transparent = void;
    const ValueList* dictionary;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t a, absl::string_view b) const { return View(*dictionary, a) == b; }
    bool operator()(absl::string_view a, uint32_t b) const { return a == View(*dictionary, b); }
  };
  static absl::string_view View(const ValueList& dictionary, uint32_t code) {
    const std::string& s = dictionary[code].as_string();
    return absl::string_view(s.data(), s.size());
  }

  uint32_t NewCode(Value v) {
    column_->dictionary.push_back(std::move(v));
    return static_cast<uint32_t>(column_->dictionary.size() - 1);
  }

  Column* column_;
  absl::flat_hash_set<uint32_t, StringHash, StringEq> strings_;
  absl::flat_hash_map<Value, uint32_t, ValueHash, ValueEq> others_;
};

}  // namespace

const std::vector<uint32_t>& Column::ranks() const {
  std::call_once(ranks_once_, [this] {
    std::vector<uint32_t> order(dictionary.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [this](uint32_t a, uint32_t b) {
      return CompareValues(dictionary[a], dictionary[b]) < 0;
    });
    ranks_.resize(order.size());
    for (uint32_t r = 0; r < order.size(); ++r) ranks_[order[r]] = r;
  });
  return ranks_;
}

size_t Column::nbytes() const {
  // Counts the ranks too, computed or not: the cache's budget should not move later.
  size_t total =
      sizeof(Column) + codes.capacity() * sizeof(uint32_t) + dictionary.size() * sizeof(uint32_t);
  for (const Value& v : dictionary) total += sizeof(Value) + v.nbytes();
  return total;
}

struct ColumnBuilder::Impl {
  Impl() : column(std::make_shared<Column>()), dictionary(column.get()) {}
  std::shared_ptr<Column> column;
  DictionaryBuilder dictionary;
};

ColumnBuilder::ColumnBuilder() : impl_(std::make_unique<Impl>()) {}
ColumnBuilder::~ColumnBuilder() = default;
ColumnBuilder::ColumnBuilder(ColumnBuilder&&) noexcept = default;
ColumnBuilder& ColumnBuilder::operator=(ColumnBuilder&&) noexcept = default;

void ColumnBuilder::Reserve(size_t n) { impl_->column->codes.reserve(n); }

void ColumnBuilder::Add(const Extracted& value) {
  impl_->column->codes.push_back(value.is_string ? impl_->dictionary.Code(value.str)
                                                 : impl_->dictionary.Code(value.value));
}

void ColumnBuilder::Add(const Value& value) {
  impl_->column->codes.push_back(impl_->dictionary.Code(value));
}

size_t ColumnBuilder::distinct() const { return impl_->column->dictionary.size(); }

std::shared_ptr<const Column> ColumnBuilder::Finish() && { return std::move(impl_->column); }

absl::StatusOr<std::shared_ptr<const Column>> BuildColumn(const JsonLines& lines,
                                                          const Path& path) {
  const size_t n = lines.num_lines();
  ColumnBuilder builder;
  builder.Reserve(n);
  LineParser& parser = LineParser::ForThisThread();
  Extracted extracted;
  for (size_t i = 0; i < n; ++i) {
    absl::Status status = parser.Extract(lines, i, path, &extracted);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed JSON in line ", i + 1, ": ", status.message()));
    }
    builder.Add(extracted);
  }
  return std::move(builder).Finish();
}

absl::StatusOr<std::shared_ptr<const Column>> BuildColumn(const CompressedLines& lines,
                                                          const Path& path) {
  ColumnBuilder builder;
  builder.Reserve(lines.num_lines());
  LineParser& parser = LineParser::ForThisThread();
  Extracted extracted;
  for (size_t b = 0; b < lines.num_blocks(); ++b) {
    WEFT_ASSIGN_OR_RETURN(JsonLines block, DecompressBlock(lines, b));
    const size_t first = lines.entry(b).first_line;
    for (size_t i = 0; i < block.num_lines(); ++i) {
      absl::Status status = parser.Extract(block, i, path, &extracted);
      if (!status.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("malformed JSON in line ", first + i + 1, ": ", status.message()));
      }
      builder.Add(extracted);
    }
  }
  return std::move(builder).Finish();
}

std::shared_ptr<const Column> BuildColumn(const ValueList& items, const Path& path) {
  ColumnBuilder builder;
  builder.Reserve(items.size());
  static const Value kNull;
  for (const Value& item : items) {
    const Value* v = FindPath(item, path);
    builder.Add(v == nullptr ? kNull : *v);
  }
  return std::move(builder).Finish();
}

// ---------------------------------------------------------------------------
// ColumnCache

ColumnCache& ColumnCache::Global() {
  static ColumnCache* cache = [] {
    size_t capacity = kDefaultCacheBytes;
    const char* env = std::getenv("WEFT_BAG_COLUMN_CACHE_BYTES");
    uint64_t parsed;
    if (env != nullptr && absl::SimpleAtoi(env, &parsed)) capacity = parsed;
    return new ColumnCache(capacity);
  }();
  return *cache;
}

bool ColumnCache::Alive(const Entry& e) {
  // A freed owner's address may be reused by a new buffer with an equal key; the entry's
  // weak_ptr still points at the old, expired owner, so it is never served for the new one.
  return !e.text_owner.expired() && !e.offsets_owner.expired();
}

ColumnCache::Key ColumnCache::KeyOf(const Buffer& text, const Buffer& offsets, const Path& path) {
  return Key{text.owner().get(), text.data(),    text.size(),
             offsets.data(),     offsets.size(), path.str()};
}

void ColumnCache::Put(const JsonLines& lines, const Path& path,
                      std::shared_ptr<const Column> column) {
  PutBuffers(lines.text, lines.offsets, path, std::move(column));
}

void ColumnCache::Put(const CompressedLines& lines, const Path& path,
                      std::shared_ptr<const Column> column) {
  PutBuffers(lines.frames, lines.index, path, std::move(column));
}

void ColumnCache::PutBuffers(const Buffer& text, const Buffer& offsets, const Path& path,
                             std::shared_ptr<const Column> column) {
  if (text.owner() == nullptr || offsets.owner() == nullptr) return;
  Entry entry{KeyOf(text, offsets, path), text.owner(), offsets.owner(), std::move(column), 0};
  entry.bytes = entry.column->nbytes() + entry.key.path.size() + sizeof(Entry);
  absl::MutexLock lock(&mu_);
  InsertLocked(std::move(entry));
}

absl::StatusOr<std::shared_ptr<const Column>> ColumnCache::Get(const JsonLines& lines,
                                                               const Path& path) {
  return GetOrBuild(lines, lines.text, lines.offsets, path);
}

absl::StatusOr<std::shared_ptr<const Column>> ColumnCache::Get(const CompressedLines& lines,
                                                               const Path& path) {
  return GetOrBuild(lines, lines.frames, lines.index, path);
}

template <typename Lines>
absl::StatusOr<std::shared_ptr<const Column>> ColumnCache::GetOrBuild(const Lines& lines,
                                                                      const Buffer& text,
                                                                      const Buffer& offsets,
                                                                      const Path& path) {
  if (text.owner() == nullptr || offsets.owner() == nullptr) return BuildColumn(lines, path);
  Key key = KeyOf(text, offsets, path);
  {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      if (Alive(*it->second)) {
        lru_.splice(lru_.begin(), lru_, it->second);
        ++stats_.hits;
        return it->second->column;
      }
      EraseLocked(it->second);
    }
    ++stats_.misses;
  }
  auto built = BuildColumn(lines, path);
  if (!built.ok()) return built.status();
  PutBuffers(text, offsets, path, *built);
  return *built;
}

void ColumnCache::EraseLocked(Lru::iterator it) {
  stats_.bytes -= it->bytes;
  index_.erase(it->key);
  lru_.erase(it);
}

void ColumnCache::InsertLocked(Entry entry) {
  // Dead entries first: their partitions are gone.
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (!Alive(*it)) EraseLocked(it);
    it = next;
  }
  if (entry.bytes > capacity_bytes_ || index_.contains(entry.key)) return;
  while (!lru_.empty() && stats_.bytes + entry.bytes > capacity_bytes_) {
    EraseLocked(std::prev(lru_.end()));
    ++stats_.evictions;
  }
  stats_.bytes += entry.bytes;
  lru_.push_front(std::move(entry));
  index_.emplace(lru_.front().key, lru_.begin());
}

ColumnCache::Stats ColumnCache::stats() const {
  absl::MutexLock lock(&mu_);
  Stats s = stats_;
  s.entries = lru_.size();
  return s;
}

void ColumnCache::Clear() {
  absl::MutexLock lock(&mu_);
  lru_.clear();
  index_.clear();
  stats_.bytes = 0;
}

}  // namespace weft::bag
