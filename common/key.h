// Deterministic task keys: `<name>-<hash of function and arguments>[-<index>]`, as dask
// names its tasks (`inc-5e3c0a1f...`). The same function on the same arguments always
// gets the same key, in every process and across runs, so submitting identical work
// twice finds the task that is already there.
//
// Threading: free functions, no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/cord.h"

namespace weft {

// A stable 128-bit hash, as 32 lowercase hex digits. Stable across processes, builds and
// machines (not absl::Hash, which is seeded per process).
std::string StableHashHex(const absl::Cord& bytes);
std::string StableHashHex(std::string_view bytes);

// The low 64 bits of the same hash (the shuffle's partitioning hash).
uint64_t StableHash64(std::string_view bytes);

// Slices: item `index` of the list value under `key` (proto KeySlice), as one key that a
// worker can fetch with GetData and keep in its data store: "<key>\x1f<index>". Task keys
// never contain the separator (0x1f, ASCII unit separator).
inline constexpr std::string_view kSliceSeparator = "\x1f";
std::string SliceKey(std::string_view key, int64_t index);
// Splits a slice key; false for a plain key.
bool ParseSliceKey(std::string_view slice_key, std::string* key, int64_t* index);

// `prefix` is the task's name (usually the function name); `token` is what identifies the
// work (function name plus encoded arguments). The key is prefix + "-" + hash(token),
// with "-<index>" appended when index >= 0.
std::string MakeKey(std::string_view prefix, const absl::Cord& token, int64_t index = -1);

// The prefix of a key, as dask's key_split: its leading words up to the first hash or
// number ("inc-5e3c..." → "inc", "read-text-5e3c...-7" → "read-text", "leaf-12" → "leaf").
// Tasks of one prefix share duration estimates and progress bars.
std::string KeyPrefix(std::string_view key);

}  // namespace weft
