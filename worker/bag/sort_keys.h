// SortKeys: the keys of a sort (sort_by, sort_by_key, their sampling and range split) held
// compactly, so that ordering millions of items costs integer compares, not Value compares.
//
// Each key gets a 64-bit prefix that agrees with value_order.h's order: a < b implies
// prefix(a) <= prefix(b). The top 4 bits are the kind's rank; then, for numbers, the order-
// preserving bits of the value as a double; for strings and bytes, the first 7 bytes and
// the length (up to 8). Items compare by prefix first; only equal prefixes look at the keys
// themselves: strings and bytes bytewise from one arena (no allocation per key), other
// kinds as Values with CompareValues. A JSON-lines partition sorted by a field path is read
// line by line with simdjson, each key copied once into the arena, without the dictionary
// of a cached Column (a sort's keys are mostly distinct, and used once).
//
// Threading: a SortKeys is built by one thread, then immutable; const methods are
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "weft/value.h"
#include "worker/bag/json_access.h"

namespace weft::bag {

// The prefix of a key (see above).
uint64_t OrderPrefix(const Value& key);

class SortKeys {
 public:
  // Appends the key of every item of `part` (a JsonLines or list partition): the value of
  // `key_expression` (expr.h) over the item, or with "" the key of a [key, value] pair.
  // Errors name `function` (and the 1-based line of malformed JSON). With `stride` > 1,
  // only items 0, stride, 2 * stride, ... (a sample).
  absl::Status Append(const Value& part, const std::string& key_expression, const char* function,
                      size_t stride = 1);
  // Appends one key.
  void AppendKey(const Value& key);
  // Appends one key read from a JSON line (a string is copied, without a Value).
  void AppendExtracted(const Extracted& key);
  // Room for `more` keys beyond those held (a caller that knows how many will come).
  void Reserve(size_t more);

  size_t size() const { return slots_.size(); }
  // <0, 0, >0 as key i is before, equal to, after key j (CompareValues' order).
  int Compare(size_t i, size_t j) const;
  // Same, key i against a Value (with its OrderPrefix precomputed).
  int CompareTo(size_t i, const Value& key, uint64_t key_prefix) const;
  // Key i's prefix (OrderPrefix of KeyAt(i)).
  uint64_t prefix(size_t i) const { return slots_[i].prefix; }
  // Key i as a Value.
  Value KeyAt(size_t i) const;

  // Item indices in ascending key order (descending when !ascending); equal keys keep
  // their input order.
  std::vector<uint32_t> Order(bool ascending) const;

 private:
  struct Slot {
    uint64_t prefix;
    uint64_t at;  // string/bytes: offset in arena_; other kinds: index in values_
    uint32_t length;
    bool in_arena;
  };
  void AppendBytes(ValueKind kind, std::string_view bytes);
  std::string_view ArenaBytes(const Slot& s) const { return {arena_.data() + s.at, s.length}; }

  std::vector<Slot> slots_;
  std::string arena_;
  ValueList values_;
};

}  // namespace weft::bag
