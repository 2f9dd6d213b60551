// Spill files: one encoded Value per file in --local-directory, zstd-compressed.
//
// WriteSpillFile streams the Cord returned by EncodeValue through ZSTD's streaming
// compressor (level kSpillZstdLevel, with a frame checksum) straight into the file, so a large value is never
// flattened or held compressed in full. ReadSpillFile streams it back into one buffer of
// the encoded size and decodes it without copying large buffers (the Value slices it).
//
// Errors name the file: kInternal for I/O failures (open, write, short write, fsync-less
// close), kDataLoss for a file that is truncated, not zstd, of the wrong size, or does
// not decode.
//
// Threading: free functions, no shared state; callers must not read a file while it is
// still being written (the DataStore guarantees this).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "weft/value.h"

namespace weft {

inline constexpr int kSpillZstdLevel = 1;

// Writes `encoded` to `path` (created or truncated). Returns the bytes written to disk.
absl::StatusOr<int64_t> WriteSpillFile(const std::string& path, const absl::Cord& encoded);

// Reads `path`, which must decompress to exactly `encoded_bytes` bytes, and decodes it.
absl::StatusOr<Value> ReadSpillFile(const std::string& path, int64_t encoded_bytes);

}  // namespace weft
