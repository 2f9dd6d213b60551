// Spill files: one encoded Value per file in --local-directory, zstd-compressed.
//
// WriteSpillFile streams the Cord returned by EncodeValue through ZSTD's streaming
// compressor (level kSpillZstdLevel, with a frame checksum) straight into the file, so a large
// value is never flattened or held compressed in full. ReadSpillFile streams it back into one
// buffer of the encoded size and decodes it without copying large buffers (the Value slices it).
//
// Sectioned files hold a list value one item per zstd frame, with the frames' places kept
// by the caller (SpillSection): ReadSpillSection reads one item without the others (a
// shuffle's unpack needs bucket j of a spilled split, not the whole split), and
// ReadSectionedSpillFile the whole list.
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
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "weft/value.h"

namespace weft {

// zstd's fastest levels are negative: -1 compresses and decompresses about 1.4 times as fast
// as level 1 (a sort's 100-byte records: 2.1 against 1.5 GB/s in, 5.5 against 3.8 GB/s
// out; a GitHub Archive hour: 1.1 against 1.0 GB/s) for files 20-25% larger, an lz4-like
// trade, as Spark's and dask's spill codecs (lz4) make: a spill is read back once, soon.
inline constexpr int kSpillZstdLevel = -1;

// Writes `encoded` to `path` (created or truncated). Returns the bytes written to disk.
absl::StatusOr<int64_t> WriteSpillFile(const std::string& path, const absl::Cord& encoded);

// Reads `path`, which must decompress to exactly `encoded_bytes` bytes, and decodes it.
absl::StatusOr<Value> ReadSpillFile(const std::string& path, int64_t encoded_bytes);

// Where one item of a sectioned spill file lives.
struct SpillSection {
  int64_t offset = 0;         // of its zstd frame in the file
  int64_t disk_bytes = 0;     // compressed
  int64_t encoded_bytes = 0;  // EncodeValue(item).size()
  int64_t nbytes = 0;         // the item's Value::nbytes() in memory
};

// Writes each item of `items` as its own frame to `path` (created or truncated).
absl::StatusOr<std::vector<SpillSection>> WriteSectionedSpillFile(const std::string& path,
                                                                  const ValueList& items);
// Item of `path` at `section`.
absl::StatusOr<Value> ReadSpillSection(const std::string& path, const SpillSection& section);
// The whole list of a sectioned file.
absl::StatusOr<Value> ReadSectionedSpillFile(const std::string& path,
                                             const std::vector<SpillSection>& sections);

}  // namespace weft
