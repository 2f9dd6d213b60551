// The versioned binary encoding of Values: what travels in proto `bytes` fields and
// what the worker spills to disk.
//
// Layout: magic "WV", a format version byte (kCodecVersion), then one tagged value:
// a kind byte followed by its payload (varint lengths, little-endian fixed numbers).
// Large buffers (bytes, JsonLines, arrays) are not copied when encoding: the result is an
// absl::Cord whose chunks reference the Value's Buffers. Decoding from a Buffer returns
// Values whose large buffers are slices of that Buffer, again without a copy.
//
// Decoding never trusts its input: truncated or corrupt bytes, an unknown version or kind,
// absurd lengths, or nesting deeper than kMaxDepth give kDataLoss / kInvalidArgument,
// never a crash.
//
// Threading: free functions, no shared state.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "weft/value.h"

namespace weft {

inline constexpr uint8_t kCodecVersion = 1;
inline constexpr int kMaxDepth = 64;
// Buffers at least this large are referenced, not copied, by EncodeValue.
inline constexpr size_t kZeroCopyThreshold = 4096;

absl::Cord EncodeValue(const Value& value);
// Convenience: the encoding flattened into one string (copies).
std::string EncodeValueToString(const Value& value);

// Decodes `bytes`, which must hold exactly one encoded value.
absl::StatusOr<Value> DecodeValue(const Buffer& bytes);
absl::StatusOr<Value> DecodeValue(std::string bytes);

}  // namespace weft
