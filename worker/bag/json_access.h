// JSON access for Bag partitions: dotted paths, line views, and simdjson parsing of single
// lines of a JsonLines buffer into weft::Values.
//
// Paths are dotted: "actor.login", "payload.commits". A part that is a non-negative integer
// also indexes lists ("payload.commits.0.sha"). The empty path "" names the item itself.
// A missing field (or a path through a non-container) is null.
//
// LineParser parses one line at a time with simdjson, or for ValidateEach many lines at
// once. simdjson reads up to SIMDJSON_PADDING bytes past the end of its input: a line
// whose buffer still has that many bytes after it is parsed in place, any other line (the
// last lines of a buffer) is copied into a padded scratch buffer first.
//
// Threading: Path and the free functions are thread-safe. A LineParser holds simdjson
// parsers and is used by one thread at a time; LineParser::ForThisThread() gives each
// thread its own.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "weft/value.h"

namespace weft::bag {

class Path {
 public:
  Path() = default;
  static Path Parse(std::string_view dotted);

  bool empty() const { return parts_.empty(); }
  const std::string& str() const { return dotted_; }
  const std::vector<std::string>& parts() const { return parts_; }

 private:
  std::string dotted_;
  std::vector<std::string> parts_;
};

// The value at `path` inside `item` (records by field name, lists by index), or nullptr
// when it is missing. The result points into `item`.
const Value* FindPath(const Value& item, const Path& path);
// Same, as a Value: null when missing.
Value ValueAtPath(const Value& item, const Path& path);

// Line i of `lines`, without its '\n' and without a trailing '\r'.
// REQUIRES: i < lines.num_lines(). Inline: the bag's kernels call it once per line.
inline std::string_view LineAt(const JsonLines& lines, size_t i) {
  std::string_view line = lines.line(i);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// The result of extracting a path from one line. When the value is a JSON string,
// `is_string` is set and `str` views it (valid until the parser's next call); otherwise
// `value` holds it (null when missing).
struct Extracted {
  bool is_string = false;
  std::string_view str;
  Value value;
};

class LineParser {
 public:
  LineParser();
  ~LineParser();
  LineParser(const LineParser&) = delete;
  LineParser& operator=(const LineParser&) = delete;

  // The calling thread's parser.
  static LineParser& ForThisThread();

  // Fully validates line i as one JSON document (UTF-8 included). OK, or
  // kInvalidArgument with simdjson's message.
  absl::Status Validate(const JsonLines& lines, size_t i);
  // Same for text that is not in a JsonLines buffer (copied to the scratch buffer).
  absl::Status ValidateText(std::string_view text);

  // Validate(), and the value at each of `paths` in line i from the same parse (as
  // Extract gives them; strings view the parser's buffer until its next call): a filter's
  // columns read in the pass that validates the line, instead of a second parse.
  absl::Status ValidateAndExtract(const JsonLines& lines, size_t i, const std::vector<Path>& paths,
                                  std::vector<Extracted>* out);

  // ValidateAndExtract for every line of `lines` in order, handing each line's outcome to
  // `visit(i, status, values)`: `values` hold line i's values at `paths` when `status` is
  // OK (`paths` is read afresh for each line). Stops at, and returns, the first error
  // `visit` returns. Lines are parsed many at a time (simdjson's parse_many: one stage-1
  // pass over a megabyte of lines instead of one a line; a sort's 100-byte records parse
  // 1.8 times as fast) while each line holds one document and nothing else; from the first
  // line that does not, or is malformed, or lies within simdjson's padding of the buffer's
  // end, one at a time to the end, with the same results.
  using LineVisitor = absl::FunctionRef<absl::Status(size_t i, const absl::Status& status,
                                                     const std::vector<Extracted>& values)>;
  absl::Status ValidateEach(const JsonLines& lines, const std::vector<Path>& paths,
                            LineVisitor visit);

  // The names of line i's top-level fields whose values are scalars (strings, numbers,
  // booleans, nulls), in order, each once; none when the line is not an object. Names a
  // Path cannot spell as one part (empty, or holding a '.') are left out. Errors only for
  // malformed JSON.
  absl::Status TopLevelScalarFields(const JsonLines& lines, size_t i,
                                    std::vector<std::string>* names);
  // Line i as a Value: objects become Records (field order kept), arrays ValueLists.
  absl::StatusOr<Value> ParseLine(const JsonLines& lines, size_t i);
  // The value at `path` in line i. Errors only for malformed JSON.
  absl::Status Extract(const JsonLines& lines, size_t i, const Path& path, Extracted* out);

 private:
  struct Impl;
  // Returns a view of line i that is safe to hand to simdjson: `*capacity` is how many
  // bytes may be read from its start (at least size + SIMDJSON_PADDING).
  std::string_view PaddedLine(const JsonLines& lines, size_t i, size_t* capacity);
  std::string_view PaddedCopy(std::string_view text, size_t* capacity);

  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::bag
