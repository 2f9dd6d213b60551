// Reading: listing files, reading and decompressing them into JsonLines, and validating
// the JSON of every line.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/io/io.h"
#include "common/status_macros.h"
#include "worker/bag/bag_ops.h"
#include "worker/bag/column.h"
#include "worker/bag/filter_expr.h"
#include "worker/bag/json_access.h"
#include "worker/bag/low_cardinality.h"
#include "worker/bag/partition.h"

namespace weft::bag {

namespace {

// io::ParseCompression, its error naming read_text.
absl::StatusOr<io::Compression> ParseCompression(const std::string& name) {
  absl::StatusOr<io::Compression> codec = io::ParseCompression(name);
  if (codec.ok()) return codec;
  return absl::Status(codec.status().code(),
                      absl::StrCat("bag.read_text(): ", codec.status().message()));
}

// The JsonLines without its trailing empty (or "\r") lines.
JsonLines DropFinalEmptyLines(JsonLines lines) {
  size_t n = lines.num_lines();
  while (n > 0 && LineAt(lines, n - 1).empty()) --n;
  if (n == lines.num_lines()) return lines;
  lines.offsets = lines.offsets.Slice(0, (n + 1) * sizeof(uint64_t));
  if (n == 0) lines.offsets = Buffer();
  return lines;
}

absl::Status ExpectLines(const Value& lines, const char* function) {
  if (lines.is_json_lines()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(function, "(): expected json_lines, got ", lines.kind_name()));
}

}  // namespace

absl::StatusOr<Value> ListFiles(const std::string& pattern, const io::IoOptions& options) {
  WEFT_ASSIGN_OR_RETURN(std::vector<io::FileInfo> files, io::ExpandGlob(pattern, options));
  ValueList urls;
  urls.reserve(files.size());
  for (const io::FileInfo& f : files) urls.emplace_back(f.url);
  return Value(std::move(urls));
}

namespace {

// The whole decompressed stream in one malloc'd block. It grows with realloc, which for
// large blocks remaps pages instead of copying them, and nothing is zero-filled: reading a
// 25 MB shard this way is several times faster than growing a std::string.
absl::StatusOr<Buffer> ReadToBuffer(io::InputStream& stream) {
  constexpr size_t kMinRead = 1 << 20;
  // Sized once where the stream knows its length (a local file read raw: the sort's 60 MB
  // partitions grew 32 → 64 → 128 MB, two copies into fresh pages), else so that an hour
  // of the GitHub Archive fits. The slack past the hint is never touched (no page faults
  // in), and lets the final read see the end without growing the buffer.
  size_t capacity = io::ReadCapacity(stream, /*slack=*/kMinRead, /*otherwise=*/size_t{32} << 20);
  size_t size = 0;
  std::unique_ptr<char, decltype(&std::free)> data(static_cast<char*>(std::malloc(capacity)),
                                                   &std::free);
  if (data == nullptr) return absl::ResourceExhaustedError("out of memory reading " + stream.url());
  while (true) {
    if (capacity - size < kMinRead) {
      capacity *= 2;
      char* grown = static_cast<char*>(std::realloc(data.get(), capacity));
      if (grown == nullptr) {
        return absl::ResourceExhaustedError("out of memory reading " + stream.url());
      }
      data.release();
      data.reset(grown);
    }
    WEFT_ASSIGN_OR_RETURN(size_t got, stream.Read(data.get() + size, capacity - size));
    if (got == 0) break;
    size += got;
  }
  if (char* shrunk = static_cast<char*>(std::realloc(data.get(), std::max<size_t>(size, 1)))) {
    data.release();
    data.reset(shrunk);
  }
  std::shared_ptr<const void> owner(data.release(), &std::free);
  return Buffer(owner, std::string_view(static_cast<const char*>(owner.get()), size));
}

}  // namespace

absl::StatusOr<Value> ReadText(const std::string& url, const std::string& compression,
                               const io::IoOptions& options) {
  WEFT_ASSIGN_OR_RETURN(io::Compression codec, ParseCompression(compression));
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<io::InputStream> stream,
                        io::OpenDecompressed(url, codec, options));
  WEFT_ASSIGN_OR_RETURN(Buffer text, ReadToBuffer(*stream));
  return Value(DropFinalEmptyLines(JsonLines::FromText(std::move(text))));
}

absl::StatusOr<Value> ReadTextSample(const std::string& url, const std::string& compression,
                                     int64_t blocks, int64_t block_bytes,
                                     const io::IoOptions& options) {
  WEFT_ASSIGN_OR_RETURN(io::Compression codec, ParseCompression(compression));
  if (codec == io::Compression::kInfer) codec = io::InferCompression(url);
  if (codec != io::Compression::kNone || blocks <= 0 || block_bytes <= 0) {
    return ReadText(url, compression, options);
  }
  std::optional<uint64_t> size;
  {
    WEFT_ASSIGN_OR_RETURN(std::unique_ptr<io::InputStream> whole, io::OpenRead(url, options));
    size = whole->size_hint();
  }
  const uint64_t n = static_cast<uint64_t>(blocks), range = static_cast<uint64_t>(block_bytes);
  if (!size.has_value() || *size <= 2 * n * range) return ReadText(url, compression, options);
  std::string text;
  text.reserve(n * range);
  size_t lines = 0;
  for (uint64_t b = 0; b < n; ++b) {
    // The first range starts the file, the last one ends it.
    const uint64_t offset = n == 1 ? 0 : (*size - range) * b / (n - 1);
    const uint64_t end = std::min(offset + range, *size);
    // From the byte before the range: the end of the line the range's first byte is in.
    const uint64_t from = offset == 0 ? 0 : offset - 1;
    WEFT_ASSIGN_OR_RETURN(std::unique_ptr<io::InputStream> stream,
                          io::OpenRead(url, options, from, end - from));
    WEFT_ASSIGN_OR_RETURN(std::string chunk, io::ReadStream(*stream));
    std::string_view whole_lines = chunk;
    if (offset > 0) {  // skip to the first line that starts within the range
      const size_t first = whole_lines.find('\n');
      if (first == std::string_view::npos) continue;
      whole_lines.remove_prefix(first + 1);
    }
    if (from + chunk.size() < *size) {  // the last line goes on past the range
      const size_t last = whole_lines.rfind('\n');
      if (last == std::string_view::npos) continue;
      whole_lines = whole_lines.substr(0, last + 1);
    }
    if (whole_lines.empty()) continue;
    text.append(whole_lines);
    if (text.back() != '\n') text.push_back('\n');
    lines += std::count(whole_lines.begin(), whole_lines.end(), '\n') +
             (whole_lines.back() != '\n' ? 1 : 0);
  }
  if (lines < n) return ReadText(url, compression, options);
  return Value(DropFinalEmptyLines(JsonLines::FromText(Buffer(std::move(text)))));
}

absl::StatusOr<Value> ParseLines(const Value& lines, const std::string& source,
                                 const std::string& on_error, ParsedLineSink& sink) {
  WEFT_RETURN_IF_ERROR(ExpectLines(lines, "bag.parse_json"));
  const bool skip = on_error == "skip";
  if (!skip && on_error != "raise") {
    return absl::InvalidArgumentError(absl::StrCat(
        "bag.parse_json(): on_error must be \"raise\" or \"skip\", got \"", on_error, "\""));
  }
  const JsonLines& in = lines.as_json_lines();
  std::vector<uint8_t> valid;  // filled only once a line fails in skip mode
  WEFT_RETURN_IF_ERROR(LineParser::ForThisThread().ValidateEach(
      in, sink.paths(),
      [&](size_t i, const absl::Status& status, const std::vector<Extracted>& values) {
        if (status.ok()) {
          if (!valid.empty()) valid[i] = 1;
          sink.Add(values);
          return absl::OkStatus();
        }
        if (!skip) {
          return absl::InvalidArgumentError(
              absl::StrCat("malformed JSON in ", source, " line ", i + 1, ": ", status.message()));
        }
        if (valid.empty()) {
          valid.assign(in.num_lines(), 0);
          std::fill(valid.begin(), valid.begin() + i, 1);
        }
        return absl::OkStatus();
      }));
  // Every line is valid: zero copy.
  return valid.empty() ? lines : Value(SelectLines(in, valid));
}

namespace {

using Columns = std::vector<std::pair<Path, std::shared_ptr<const Column>>>;

// The columns of a parse: of `paths`, or when `low_cardinality` is set (and `paths` empty)
// those it keeps.
class ColumnSink : public ParsedLineSink {
 public:
  ColumnSink(const std::vector<Path>& paths, LowCardinalityColumns* low_cardinality, size_t lines)
      : paths_(paths), low_cardinality_(low_cardinality), builders_(paths.size()) {
    for (ColumnBuilder& builder : builders_) builder.Reserve(lines);
  }
  const std::vector<Path>& paths() const override {
    return low_cardinality_ != nullptr ? low_cardinality_->paths() : paths_;
  }
  void Add(const std::vector<Extracted>& values) override {
    if (low_cardinality_ != nullptr) {
      if (!values.empty()) low_cardinality_->Add(values);
      return;
    }
    for (size_t p = 0; p < paths_.size(); ++p) builders_[p].Add(values[p]);
  }
  Columns Finish() && {
    if (low_cardinality_ != nullptr) return std::move(*low_cardinality_).Finish();
    Columns columns;
    for (size_t p = 0; p < paths_.size(); ++p) {
      columns.emplace_back(paths_[p], std::move(builders_[p]).Finish());
    }
    return columns;
  }

 private:
  const std::vector<Path>& paths_;
  LowCardinalityColumns* low_cardinality_;
  std::vector<ColumnBuilder> builders_;
};

// parse_json, and from the same parse the columns of `paths` or, when `low_cardinality`
// is set (and `paths` empty), the columns it keeps; the columns are returned in `columns`,
// one item per line of the result.
absl::StatusOr<Value> ParseAndRead(const Value& lines, const std::string& source,
                                   const std::string& on_error, const std::vector<Path>& paths,
                                   LowCardinalityColumns* low_cardinality, Columns* columns) {
  const size_t n = lines.is_json_lines() ? lines.as_json_lines().num_lines() : 0;
  if (low_cardinality != nullptr && n > 0) {
    std::vector<std::string> names;
    // A malformed first line has no fields to offer: no columns (its error comes below).
    if (LineParser::ForThisThread().TopLevelScalarFields(lines.as_json_lines(), 0, &names).ok()) {
      low_cardinality->Start(names, n);
    }
  }
  ColumnSink sink(paths, low_cardinality, n);
  WEFT_ASSIGN_OR_RETURN(Value out, ParseLines(lines, source, on_error, sink));
  *columns = std::move(sink).Finish();
  return out;
}

}  // namespace

absl::StatusOr<Value> ParseJson(const Value& lines, const std::string& source,
                                const std::string& on_error) {
  Columns none;
  return ParseAndRead(lines, source, on_error, {}, nullptr, &none);
}

absl::StatusOr<Value> ParseJsonColumns(const Value& lines, const std::string& source,
                                       const std::string& on_error,
                                       const std::string& filter_expression) {
  std::vector<Path> paths;
  if (absl::StatusOr<FilterExpr> expr = FilterExpr::Parse(filter_expression); expr.ok()) {
    paths = expr->paths();
    // `_` is the value language's item (bag_ops.cc Selection): no column of it.
    if (std::any_of(paths.begin(), paths.end(),
                    [](const Path& path) { return path.empty() || path.parts().front() == "_"; })) {
      paths.clear();
    }
  }
  Columns columns;
  WEFT_ASSIGN_OR_RETURN(Value out, ParseAndRead(lines, source, on_error, paths, nullptr, &columns));
  for (auto& [path, column] : columns) {
    ColumnCache::Global().Put(out.as_json_lines(), path, std::move(column));
  }
  return out;
}

absl::StatusOr<Value> ParseJsonCompressed(const Value& lines, const std::string& source,
                                          const std::string& on_error, int64_t level) {
  LowCardinalityColumns low_cardinality;
  Columns columns;
  WEFT_ASSIGN_OR_RETURN(Value parsed,
                        ParseAndRead(lines, source, on_error, {}, &low_cardinality, &columns));
  WEFT_ASSIGN_OR_RETURN(Value out, Compress(parsed, level));
  for (auto& [path, column] : columns) {
    ColumnCache::Global().Put(out.as_compressed_lines(), path, std::move(column));
  }
  return out;
}

absl::StatusOr<int64_t> CountMalformed(const Value& lines) {
  WEFT_RETURN_IF_ERROR(ExpectLines(lines, "bag.count_malformed"));
  const JsonLines& in = lines.as_json_lines();
  LineParser& parser = LineParser::ForThisThread();
  int64_t bad = 0;
  for (size_t i = 0; i < in.num_lines(); ++i) bad += !parser.Validate(in, i).ok();
  return bad;
}

}  // namespace weft::bag
