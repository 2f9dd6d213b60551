#include "worker/bag/partition.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/compressed_lines.h"
#include "common/status_macros.h"

namespace weft::bag {

namespace {

Buffer PackOffsets(const std::vector<uint64_t>& offsets) {
  std::string bytes(offsets.size() * sizeof(uint64_t), '\0');
  if (!offsets.empty()) std::memcpy(bytes.data(), offsets.data(), bytes.size());
  return Buffer(std::move(bytes));
}

}  // namespace

absl::Status ExpectPartition(const Value& part, std::string_view function) {
  if (part.is_json_lines() || part.is_compressed_lines() || part.is_list()) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(function), "(): the partition must be json_lines or a list, got ",
                   part.kind_name()));
}

size_t NumItems(const Value& part) {
  if (part.is_json_lines()) return part.as_json_lines().num_lines();
  if (part.is_compressed_lines()) return part.as_compressed_lines().num_lines();
  return part.as_list().size();
}

absl::StatusOr<const ValueList*> PairAt(const Value& part, size_t i, std::string_view function) {
  if (!part.is_list()) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(function),
                     "(): expected a bag of [key, value] pairs (use to_pairs or map first), got ",
                     part.kind_name(), " records"));
  }
  const Value& item = part.as_list()[i];
  if (!item.is_list() || item.as_list().size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(function), "(): item ", i + 1,
                     " is not a [key, value] pair: ", item.DebugString(80)));
  }
  return &item.as_list();
}

absl::StatusOr<Value> ItemAt(const Value& part, size_t i) {
  if (part.is_list()) return part.as_list()[i];
  // Line i of the text, or of the block of a compressed partition that holds it.
  JsonLines block;
  size_t line = i;
  if (part.is_compressed_lines()) {
    const CompressedLines& lines = part.as_compressed_lines();
    const size_t b = BlockOfLine(lines, i);
    WEFT_ASSIGN_OR_RETURN(block, DecompressBlock(lines, b));
    line = i - lines.entry(b).first_line;
  }
  auto parsed = LineParser::ForThisThread().ParseLine(
      part.is_compressed_lines() ? block : part.as_json_lines(), line);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed JSON in line ", i + 1, ": ", parsed.status().message()));
  }
  return parsed;
}

absl::StatusOr<std::shared_ptr<const Column>> ColumnOf(const Value& part, const Path& path) {
  if (part.is_json_lines()) {
    // Whole records as Values are a tree of small objects, larger than the text: worth
    // building for one query, not keeping.
    if (path.empty()) return BuildColumn(part.as_json_lines(), path);
    return ColumnCache::Global().Get(part.as_json_lines(), path);
  }
  if (part.is_compressed_lines()) {
    if (path.empty()) return BuildColumn(part.as_compressed_lines(), path);
    return ColumnCache::Global().Get(part.as_compressed_lines(), path);
  }
  return BuildColumn(part.as_list(), path);
}

void JsonLinesBuilder::Reserve(size_t bytes, size_t lines) {
  text_.reserve(bytes);
  offsets_.reserve(lines + 1);
}

void JsonLinesBuilder::Append(std::string_view line) {
  text_.append(line);
  text_.push_back('\n');
  offsets_.push_back(text_.size());
}

JsonLines JsonLinesBuilder::Finish() && {
  JsonLines out;
  out.offsets = PackOffsets(offsets_);
  out.text = Buffer(std::move(text_));
  return out;
}

JsonLines SelectLines(const JsonLines& lines, const std::vector<uint8_t>& mask) {
  size_t bytes = 0, count = 0;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i]) bytes += LineAt(lines, i).size() + 1, ++count;
  }
  JsonLinesBuilder builder;
  builder.Reserve(bytes, count);
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i]) builder.Append(LineAt(lines, i));
  }
  return std::move(builder).Finish();
}

absl::StatusOr<JsonLines> SelectLines(const CompressedLines& lines,
                                      const std::vector<uint8_t>& mask) {
  JsonLinesBuilder builder;
  for (size_t b = 0; b < lines.num_blocks(); ++b) {
    const size_t first = lines.entry(b).first_line, end = lines.entry(b + 1).first_line;
    if (std::none_of(mask.begin() + first, mask.begin() + end, [](uint8_t m) { return m != 0; })) {
      continue;
    }
    WEFT_ASSIGN_OR_RETURN(JsonLines block, DecompressBlock(lines, b));
    for (size_t i = first; i < end; ++i) {
      if (mask[i]) builder.Append(LineAt(block, i - first));
    }
  }
  return std::move(builder).Finish();
}

}  // namespace weft::bag
