// Compressing JsonLines into CompressedLines (weft/value.h) and reading them back: the
// storage form of persisted Bag partitions. Lines go into blocks of about `block_bytes` of
// text, each block one zstd frame, so that a query reading a few lines (take, a cached
// column's first build) decompresses only their blocks.
//
// Threading: free functions, thread-safe (each thread keeps its own zstd contexts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "weft/value.h"

namespace weft {

struct LineCompression {
  // zstd's level: 1 is its fastest with a full match finder; negative levels trade ratio for
  // speed.
  int level = 1;
  // Text per block: 256 KiB keeps a take(1) at about a tenth of a millisecond of
  // decompression while losing little ratio against whole-file frames.
  size_t block_bytes = 256 << 10;
};

// REQUIRES: no line contains '\n' (true of every JsonLines weft builds).
CompressedLines CompressLines(const JsonLines& lines, const LineCompression& options = {});

// Block b's lines. kDataLoss naming the block when its frame is corrupt.
// REQUIRES: b < lines.num_blocks().
absl::StatusOr<JsonLines> DecompressBlock(const CompressedLines& lines, size_t b);
// Lines [begin, end) as one JsonLines (the blocks they span, trimmed).
// REQUIRES: begin <= end <= lines.num_lines().
absl::StatusOr<JsonLines> DecompressRange(const CompressedLines& lines, size_t begin, size_t end);
// Every line.
absl::StatusOr<JsonLines> DecompressLines(const CompressedLines& lines);
// The block that holds line i. REQUIRES: i < lines.num_lines().
size_t BlockOfLine(const CompressedLines& lines, size_t i);

// The partitions one after another, their frames copied as they are (no recompression).
CompressedLines ConcatCompressed(const std::vector<const CompressedLines*>& parts);

// Whether `value` is a CompressedLines or a list with one as an item.
bool HoldsCompressedLines(const Value& value);
// `value` with every CompressedLines in it, at the top or as an item of a top-level list,
// decompressed to JsonLines; the value itself when it holds none.
absl::StatusOr<Value> DecompressValue(const Value& value);

}  // namespace weft
