// Value: what task arguments and results are.
//
// A Value is null, bool, int64, double, string, bytes, list, record (string → Value, in
// insertion order), or a bulk partition type kept as flat buffers:
//   - JsonLines: raw NDJSON text plus the offset of each line, parsed on demand;
//   - Int64Array / DoubleArray: packed numbers;
//   - BoolArray: packed booleans, one byte (0 or 1) each;
//   - CompressedLines: JsonLines held compressed, the storage form of a persisted Bag
//     partition (common/compressed_lines.h reads and writes it).
// Large payloads (bytes, JsonLines text, arrays) live in a Buffer: an immutable, shared,
// reference-counted byte range. Copying a Value never copies a Buffer's bytes, and the
// codec (codec.h) decodes them as slices of the received message, without a copy.
//
// Threading: Values are immutable after construction and safe to share between threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace weft {

// An immutable byte range that shares ownership of its storage.
class Buffer {
 public:
  Buffer() = default;
  // Takes ownership of `bytes`.
  explicit Buffer(std::string bytes);
  // A view of `data` kept alive by `owner`; no copy.
  Buffer(std::shared_ptr<const void> owner, std::string_view data)
      : owner_(std::move(owner)), data_(data) {}

  std::string_view view() const { return data_; }
  const char* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  // A sub-range sharing the same storage.
  Buffer Slice(size_t offset, size_t length) const {
    return Buffer(owner_, data_.substr(offset, length));
  }
  const std::shared_ptr<const void>& owner() const { return owner_; }

 private:
  std::shared_ptr<const void> owner_;
  std::string_view data_;
};

bool operator==(const Buffer& a, const Buffer& b);

class Value;
using ValueList = std::vector<Value>;
using Record = std::vector<std::pair<std::string, Value>>;

// Line-delimited JSON text: line i is text[offsets[i], offsets[i+1]) without its '\n'.
// offsets has num_lines()+1 entries, packed as uint64 in a Buffer.
struct JsonLines {
  Buffer text;
  Buffer offsets;  // uint64_t[num_lines + 1]
  size_t num_lines() const { return offsets.size() / 8 == 0 ? 0 : offsets.size() / 8 - 1; }
  // Inline: the bag's kernels call it once per line.
  std::string_view line(size_t i) const {
    if (i >= num_lines()) return {};
    const uint64_t begin = offset(i);
    const uint64_t end = offset(i + 1);
    // Hand-built (not decoded, so not validated) offsets must not read out of bounds.
    if (begin > end || end > text.size()) return {};
    std::string_view piece = text.view().substr(begin, end - begin);
    if (!piece.empty() && piece.back() == '\n') piece.remove_suffix(1);
    return piece;
  }
  // Where line i begins in `text` (i == num_lines(): where the last one ends), read from
  // `offsets` as it is (it may be unaligned: memcpy). REQUIRES: i <= num_lines().
  uint64_t offset(size_t i) const {
    uint64_t out;
    std::memcpy(&out, offsets.data() + i * sizeof(uint64_t), sizeof(uint64_t));
    return out;
  }
  // Lines [begin, end): a slice of `text` (sharing its bytes) with an index of its own. An
  // index that does not fit its text (hand-built, not decoded) gives a copy of what line()
  // reads. REQUIRES: begin <= end <= num_lines().
  JsonLines Slice(size_t begin, size_t end) const;
  // Builds the line index of `text` (a trailing line without '\n' counts; blank lines
  // are kept, the final empty piece after a trailing '\n' is not).
  static JsonLines FromText(Buffer text);
};

struct Int64Array {
  Buffer data;  // int64_t[size()]
  size_t size() const { return data.size() / sizeof(int64_t); }
  int64_t operator[](size_t i) const;
};

struct DoubleArray {
  Buffer data;  // double[size()]
  size_t size() const { return data.size() / sizeof(double); }
  double operator[](size_t i) const;
};

struct BoolArray {
  Buffer data;  // uint8_t[size()], each 0 or 1
  size_t size() const { return data.size(); }
  bool operator[](size_t i) const { return data.data()[i] != 0; }
};

// JsonLines held compressed: the lines in blocks, each block one zstd frame of whole lines
// ("line\n" each), so that a reader decompresses only the blocks it touches. Block b's
// frame is frames[index[b].frame_offset, index[b + 1].frame_offset), its text holds lines
// [index[b].first_line, index[b + 1].first_line) and is index[b + 1].text_offset -
// index[b].text_offset bytes long; a final entry closes the last block, so an empty
// partition has one entry {0, 0, 0}.
struct CompressedLines {
  struct BlockEntry {
    uint64_t frame_offset;
    uint64_t first_line;
    uint64_t text_offset;
  };
  Buffer frames;
  Buffer index;  // BlockEntry[num_blocks + 1], packed as uint64 LE
  size_t num_blocks() const {
    return index.size() / sizeof(BlockEntry) == 0 ? 0 : index.size() / sizeof(BlockEntry) - 1;
  }
  // REQUIRES: b <= num_blocks().
  BlockEntry entry(size_t b) const;
  size_t num_lines() const { return num_blocks() == 0 ? 0 : entry(num_blocks()).first_line; }
  // The bytes of the uncompressed text.
  uint64_t text_size() const { return num_blocks() == 0 ? 0 : entry(num_blocks()).text_offset; }
};

enum class ValueKind : uint8_t {
  kNull = 0,
  kBool = 1,
  kInt = 2,
  kDouble = 3,
  kString = 4,
  kBytes = 5,
  kList = 6,
  kRecord = 7,
  kJsonLines = 8,
  kInt64Array = 9,
  kDoubleArray = 10,
  kBoolArray = 11,
  kCompressedLines = 12,
};

// "null", "bool", "int", "double", "string", "bytes", "list", "record", "json_lines", ...
const char* ValueKindName(ValueKind kind);

class Value {
 public:
  Value() = default;  // null
  Value(std::nullptr_t) {}
  Value(bool b) : rep_(b) {}
  Value(int v) : rep_(int64_t{v}) {}
  Value(int64_t v) : rep_(v) {}
  Value(double v) : rep_(v) {}
  Value(const char* s) : rep_(std::string(s)) {}
  Value(std::string s) : rep_(std::move(s)) {}
  Value(std::string_view s) : rep_(std::string(s)) {}
  Value(ValueList items) : rep_(std::make_shared<const ValueList>(std::move(items))) {}
  Value(Record fields) : rep_(std::make_shared<const Record>(std::move(fields))) {}
  Value(JsonLines lines) : rep_(std::move(lines)) {}
  Value(Int64Array a) : rep_(std::move(a)) {}
  Value(DoubleArray a) : rep_(std::move(a)) {}
  Value(BoolArray a) : rep_(std::move(a)) {}
  Value(CompressedLines lines) : rep_(std::move(lines)) {}
  static Value Bytes(Buffer b) {
    Value v;
    v.rep_ = std::move(b);
    return v;
  }

  ValueKind kind() const { return static_cast<ValueKind>(rep_.index()); }
  const char* kind_name() const { return ValueKindName(kind()); }

  bool is_null() const { return kind() == ValueKind::kNull; }
  bool is_bool() const { return kind() == ValueKind::kBool; }
  bool is_int() const { return kind() == ValueKind::kInt; }
  bool is_double() const { return kind() == ValueKind::kDouble; }
  bool is_string() const { return kind() == ValueKind::kString; }
  bool is_bytes() const { return kind() == ValueKind::kBytes; }
  bool is_list() const { return kind() == ValueKind::kList; }
  bool is_record() const { return kind() == ValueKind::kRecord; }
  bool is_json_lines() const { return kind() == ValueKind::kJsonLines; }
  bool is_compressed_lines() const { return kind() == ValueKind::kCompressedLines; }

  // REQUIRES: the matching is_*() is true.
  bool as_bool() const { return std::get<bool>(rep_); }
  int64_t as_int() const { return std::get<int64_t>(rep_); }
  double as_double() const { return std::get<double>(rep_); }
  const std::string& as_string() const { return std::get<std::string>(rep_); }
  const Buffer& as_bytes() const { return std::get<Buffer>(rep_); }
  const ValueList& as_list() const { return *std::get<std::shared_ptr<const ValueList>>(rep_); }
  const Record& as_record() const { return *std::get<std::shared_ptr<const Record>>(rep_); }
  const JsonLines& as_json_lines() const { return std::get<JsonLines>(rep_); }
  const Int64Array& as_int64_array() const { return std::get<Int64Array>(rep_); }
  const DoubleArray& as_double_array() const { return std::get<DoubleArray>(rep_); }
  const BoolArray& as_bool_array() const { return std::get<BoolArray>(rep_); }
  const CompressedLines& as_compressed_lines() const { return std::get<CompressedLines>(rep_); }

  // The field named `name` of a record, or nullptr (also when this is not a record).
  const Value* Find(std::string_view name) const;

  // Approximate bytes of memory this value holds (buffers counted in full).
  size_t nbytes() const;

  // A short human-readable form, JSON-like, truncated to about `max_chars`.
  std::string DebugString(size_t max_chars = 200) const;
  // The whole value as JSON text, what the weft CLI prints: as DebugString (doubles in the
  // shortest form that reads back the same, 2.0 kept apart from 2, NaN and +-Infinity as
  // Python's json writes them; JsonLines as an array of its lines), but never truncated,
  // and bytes or compressed lines, which JSON lacks, as a string holding their debug form.
  std::string ToJson() const;

  // Deep equality: same kind (1 != 1.0), lists item by item, records field by field in
  // order, JsonLines by their lines, doubles and double arrays by value (NaN != NaN),
  // CompressedLines by their bytes (the same lines compressed otherwise compare unequal).
  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  // Alternative order must match ValueKind.
  std::variant<std::monostate, bool, int64_t, double, std::string, Buffer,
               std::shared_ptr<const ValueList>, std::shared_ptr<const Record>, JsonLines,
               Int64Array, DoubleArray, BoolArray, CompressedLines>
      rep_;
};

}  // namespace weft
