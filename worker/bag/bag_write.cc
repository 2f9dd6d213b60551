// Writing: a partition as JSON lines, compressed, to a file or an S3 object.
#include "worker/bag/bag_write.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/io/io.h"
#include "common/status_macros.h"
#include "worker/bag/json_access.h"
#include "worker/bag/partition.h"

namespace weft::bag {
namespace {

constexpr char kName[] = "bag.write_text";

bool HoldsBytes(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kBytes:
      return true;
    case ValueKind::kList:
      return std::any_of(v.as_list().begin(), v.as_list().end(), HoldsBytes);
    case ValueKind::kRecord:
      return std::any_of(v.as_record().begin(), v.as_record().end(),
                         [](const auto& field) { return HoldsBytes(field.second); });
    default:
      return false;
  }
}

// Whether `lines.text` is already what ToJsonLinesText would write: every line followed
// by its '\n' and nothing else, no '\r' anywhere (LineAt drops one before a '\n'). Then
// it is written as it is, not copied line by line into a second buffer of the same size
// (a sorted partition of 60 MB, say). Reads the index once and the text's bytes at the
// line ends, then looks for a '\r' with memchr.
bool IsWrittenForm(const JsonLines& lines) {
  const size_t n = lines.num_lines();
  const std::string_view text = lines.text.view();
  if (n == 0) return text.empty();
  uint64_t begin = lines.offset(0);
  if (begin != 0 || lines.offset(n) != text.size()) return false;
  for (size_t i = 1; i <= n; ++i) {
    const uint64_t end = lines.offset(i);
    if (end <= begin || text[end - 1] != '\n') return false;
    begin = end;
  }
  return std::memchr(text.data(), '\r', text.size()) == nullptr;
}

// The partition's items as JSON lines. REQUIRES: ExpectPartition(part) is OK.
absl::StatusOr<std::string> ToJsonLinesText(const Value& part) {
  std::string text;
  if (part.is_json_lines()) {
    const JsonLines& lines = part.as_json_lines();
    text.reserve(lines.text.size() + 1);
    for (size_t i = 0; i < lines.num_lines(); ++i) {
      text.append(LineAt(lines, i));
      text.push_back('\n');
    }
    return text;
  }
  const ValueList& items = part.as_list();
  for (size_t i = 0; i < items.size(); ++i) {
    if (HoldsBytes(items[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(kName, "(): item ", i + 1,
                       " is or holds bytes, which have no JSON form: ", items[i].DebugString(80)));
    }
    // DebugString is weft's one Value → JSON writer; without a limit it never truncates.
    text.append(items[i].DebugString(std::numeric_limits<size_t>::max()));
    text.push_back('\n');
  }
  return text;
}

}  // namespace

absl::StatusOr<io::Compression> WriteCompression(const std::string& url,
                                                 const std::string& compression) {
  absl::StatusOr<io::Compression> codec = io::ParseCompression(compression);
  if (!codec.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(kName, "(): ", codec.status().message()));
  }
  return *codec == io::Compression::kInfer ? io::InferCompression(url) : *codec;
}

absl::StatusOr<int64_t> WriteText(const Value& part, const std::string& url,
                                  const std::string& compression, const io::IoOptions& options) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, kName));
  WEFT_ASSIGN_OR_RETURN(const io::Compression codec, WriteCompression(url, compression));
  std::string text;
  std::string_view written;  // what goes to the file: `text`, or the partition's own bytes
  if (part.is_json_lines() && IsWrittenForm(part.as_json_lines())) {
    written = part.as_json_lines().text.view();
  } else {
    WEFT_ASSIGN_OR_RETURN(text, ToJsonLinesText(part));
    written = text;
  }
  if (codec != io::Compression::kNone) {
    // The compressed bytes replace the text, which is freed as soon as they exist.
    WEFT_ASSIGN_OR_RETURN(std::string compressed, io::Compress(written, codec, url));
    text = std::move(compressed);
    written = text;
  }
  WEFT_RETURN_IF_ERROR(io::WriteFile(url, written, options));
  return static_cast<int64_t>(NumItems(part));
}

}  // namespace weft::bag
