// Helpers shared by the Bag partition functions (internal to worker/bag).
//
// Threading: free functions and a builder used by one thread; all thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "weft/value.h"
#include "worker/bag/column.h"
#include "worker/bag/json_access.h"

namespace weft::bag {

// A partition is JsonLines, CompressedLines (a persisted partition: common/
// compressed_lines.h; only the functions registered to take it see it) or a list.
//
// OK when `part` is JsonLines, CompressedLines or a list; else kInvalidArgument naming
// `function`.
absl::Status ExpectPartition(const Value& part, std::string_view function);
// Items in a partition. REQUIRES: ExpectPartition(part) is OK.
size_t NumItems(const Value& part);
// Item i of a bag of pairs, checked to be a [key, value] pair: kInvalidArgument naming
// `function` when the partition is not a list (JSON records: "use to_pairs or map first")
// or the 1-based item is not a two-item list.
absl::StatusOr<const ValueList*> PairAt(const Value& part, size_t i, std::string_view function);
// Item i as a Value (a JsonLines line is parsed; a CompressedLines' block is decompressed).
// Errors name the 1-based line.
absl::StatusOr<Value> ItemAt(const Value& part, size_t i);
// The column of `path` over the partition's items: cached for JsonLines and
// CompressedLines (ColumnCache)
// unless the path is "" (whole records), built on the spot for lists.
absl::StatusOr<std::shared_ptr<const Column>> ColumnOf(const Value& part, const Path& path);

// Builds a new JsonLines buffer line by line (each line gets a '\n').
class JsonLinesBuilder {
 public:
  void Reserve(size_t bytes, size_t lines);
  void Append(std::string_view line);
  JsonLines Finish() &&;

 private:
  std::string text_;
  std::vector<uint64_t> offsets_ = {0};
};

// The lines whose mask entry is non-zero, copied into a new buffer.
JsonLines SelectLines(const JsonLines& lines, const std::vector<uint8_t>& mask);
// The lines whose mask entry is non-zero, from the blocks that hold any.
absl::StatusOr<JsonLines> SelectLines(const CompressedLines& lines,
                                      const std::vector<uint8_t>& mask);

}  // namespace weft::bag
