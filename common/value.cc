#include "weft/value.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace weft {

Buffer::Buffer(std::string bytes) {
  // The string object lives inside the shared block and never moves again, so a view of
  // its characters (inline SSO storage included) stays valid as long as the block lives.
  auto storage = std::make_shared<const std::string>(std::move(bytes));
  data_ = std::string_view(*storage);
  owner_ = std::move(storage);
}

bool operator==(const Buffer& a, const Buffer& b) { return a.view() == b.view(); }

namespace {

// Reads a native (little-endian on every platform weft builds for) 8-byte number at
// element `i`. Buffers decoded by the codec are slices at arbitrary offsets, so the
// bytes may be unaligned: memcpy, never a pointer cast.
template <typename T>
T LoadAt(const Buffer& buffer, size_t i) {
  static_assert(sizeof(T) == 8);
  T out;
  std::memcpy(&out, buffer.data() + i * sizeof(T), sizeof(T));
  return out;
}

}  // namespace

JsonLines JsonLines::Slice(size_t begin, size_t end) const {
  const uint64_t base = offset(begin);
  const uint64_t limit = offset(end);
  if (base > limit || limit > text.size()) {
    std::string copy;
    for (size_t i = begin; i < end; ++i) copy.append(line(i)).push_back('\n');
    return FromText(Buffer(std::move(copy)));
  }
  if (begin == 0 && end == num_lines()) return *this;
  std::string index((end - begin + 1) * sizeof(uint64_t), '\0');
  for (size_t i = begin; i <= end; ++i) {
    const uint64_t at = offset(i) - base;
    std::memcpy(index.data() + (i - begin) * sizeof(uint64_t), &at, sizeof(at));
  }
  JsonLines out;
  out.text = text.Slice(base, limit - base);
  out.offsets = Buffer(std::move(index));
  return out;
}

JsonLines JsonLines::FromText(Buffer text) {
  std::string offsets;
  auto push = [&offsets](uint64_t offset) {
    char bytes[sizeof(offset)];
    std::memcpy(bytes, &offset, sizeof(offset));
    offsets.append(bytes, sizeof(bytes));
  };
  const std::string_view view = text.view();
  push(0);
  size_t start = 0;
  while (start < view.size()) {
    const size_t newline = view.find('\n', start);
    const size_t next = newline == std::string_view::npos ? view.size() : newline + 1;
    push(next);
    start = next;
  }
  JsonLines lines;
  lines.text = std::move(text);
  lines.offsets = Buffer(std::move(offsets));
  return lines;
}

int64_t Int64Array::operator[](size_t i) const { return LoadAt<int64_t>(data, i); }

CompressedLines::BlockEntry CompressedLines::entry(size_t b) const {
  return BlockEntry{LoadAt<uint64_t>(index, 3 * b), LoadAt<uint64_t>(index, 3 * b + 1),
                    LoadAt<uint64_t>(index, 3 * b + 2)};
}

double DoubleArray::operator[](size_t i) const { return LoadAt<double>(data, i); }

const char* ValueKindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kNull:
      return "null";
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kInt:
      return "int";
    case ValueKind::kDouble:
      return "double";
    case ValueKind::kString:
      return "string";
    case ValueKind::kBytes:
      return "bytes";
    case ValueKind::kList:
      return "list";
    case ValueKind::kRecord:
      return "record";
    case ValueKind::kJsonLines:
      return "json_lines";
    case ValueKind::kInt64Array:
      return "int64_array";
    case ValueKind::kDoubleArray:
      return "double_array";
    case ValueKind::kBoolArray:
      return "bool_array";
    case ValueKind::kCompressedLines:
      return "compressed_lines";
  }
  return "unknown";
}

const Value* Value::Find(std::string_view name) const {
  if (!is_record()) return nullptr;
  for (const auto& [field_name, field] : as_record()) {
    if (field_name == name) return &field;
  }
  return nullptr;
}

size_t Value::nbytes() const {
  size_t total = sizeof(Value);
  switch (kind()) {
    case ValueKind::kString: {
      const std::string& s = as_string();
      // Short strings live inside the Value (SSO); long ones own a heap block.
      if (s.capacity() > std::string().capacity()) total += s.capacity();
      break;
    }
    case ValueKind::kBytes:
      total += as_bytes().size();
      break;
    case ValueKind::kList:
      total += sizeof(ValueList);
      for (const Value& item : as_list()) total += item.nbytes();
      break;
    case ValueKind::kRecord:
      total += sizeof(Record);
      for (const auto& [name, field] : as_record()) {
        total += sizeof(std::string) + name.size() + field.nbytes();
      }
      break;
    case ValueKind::kJsonLines:
      total += as_json_lines().text.size() + as_json_lines().offsets.size();
      break;
    case ValueKind::kInt64Array:
      total += as_int64_array().data.size();
      break;
    case ValueKind::kDoubleArray:
      total += as_double_array().data.size();
      break;
    case ValueKind::kBoolArray:
      total += as_bool_array().data.size();
      break;
    case ValueKind::kCompressedLines:
      total += as_compressed_lines().frames.size() + as_compressed_lines().index.size();
      break;
    default:
      break;
  }
  return total;
}

namespace {

// Writes the JSON-like form of a Value, giving up once `limit` characters are written so
// that printing the head of a huge list costs no more than the head. `json`: the kinds JSON
// lacks (bytes, compressed lines) are written as strings holding their debug form.
class DebugWriter {
 public:
  explicit DebugWriter(size_t limit, bool json = false) : limit_(limit), json_(json) {}

  bool full() const { return out_.size() > limit_; }

  void Append(std::string_view s) {
    if (!full()) out_.append(s);
  }

  void Write(const Value& v);

  std::string Finish() && {
    if (!full()) return std::move(out_);
    size_t cut = limit_;
    // Do not cut a UTF-8 sequence in half.
    while (cut > 0 && (static_cast<unsigned char>(out_[cut]) & 0xC0) == 0x80) --cut;
    out_.resize(cut);
    out_.append("...");
    return std::move(out_);
  }

 private:
  void WriteQuoted(std::string_view s, char prefix = 0);
  void WriteDouble(double d);
  template <typename Array>
  void WriteArray(const Array& array);

  // In JSON, a kind JSON lacks: a string of its debug form.
  void WriteAsString(const Value& v) { WriteQuoted(v.DebugString(limit_)); }

  const size_t limit_;
  const bool json_;
  std::string out_;
};

void DebugWriter::WriteQuoted(std::string_view s, char prefix) {
  if (prefix) out_.push_back(prefix);
  out_.push_back('"');
  for (char c : s) {
    if (full()) return;
    switch (c) {
      case '"':
        out_.append("\\\"");
        break;
      case '\\':
        out_.append("\\\\");
        break;
      case '\n':
        out_.append("\\n");
        break;
      case '\r':
        out_.append("\\r");
        break;
      case '\t':
        out_.append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 ||
            (prefix == 'b' && static_cast<unsigned char>(c) >= 0x7F)) {
          // Control characters everywhere; for bytes also anything non-ASCII.
          static constexpr char kHex[] = "0123456789abcdef";
          const auto u = static_cast<unsigned char>(c);
          out_.append(prefix == 'b' ? "\\x" : "\\u00");
          out_.push_back(kHex[u >> 4]);
          out_.push_back(kHex[u & 0xF]);
        } else {
          out_.push_back(c);
        }
    }
  }
  out_.push_back('"');
}

void DebugWriter::WriteDouble(double d) {
  if (std::isnan(d)) return Append("NaN");
  if (std::isinf(d)) return Append(d > 0 ? "Infinity" : "-Infinity");
  char buf[32];
  // Shortest form that reads back as the same double.
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  std::string_view text(buf, ec == std::errc() ? end - buf : 0);
  Append(text);
  // Keep doubles recognisable as doubles: 2.0, not 2.
  if (text.find_first_of(".e") == std::string_view::npos) Append(".0");
}

template <typename Array>
void DebugWriter::WriteArray(const Array& array) {
  Append("[");
  for (size_t i = 0; i < array.size() && !full(); ++i) {
    if (i) Append(",");
    if constexpr (std::is_same_v<Array, DoubleArray>) {
      WriteDouble(array[i]);
    } else if constexpr (std::is_same_v<Array, BoolArray>) {
      Append(array[i] ? "true" : "false");
    } else {
      Append(std::to_string(array[i]));
    }
  }
  Append("]");
}

void DebugWriter::Write(const Value& v) {
  if (full()) return;
  switch (v.kind()) {
    case ValueKind::kNull:
      return Append("null");
    case ValueKind::kBool:
      return Append(v.as_bool() ? "true" : "false");
    case ValueKind::kInt:
      return Append(std::to_string(v.as_int()));
    case ValueKind::kDouble:
      return WriteDouble(v.as_double());
    case ValueKind::kString:
      return WriteQuoted(v.as_string());
    case ValueKind::kBytes:
      if (json_) return WriteAsString(v);
      return WriteQuoted(v.as_bytes().view(), 'b');
    case ValueKind::kList: {
      Append("[");
      bool first = true;
      for (const Value& item : v.as_list()) {
        if (full()) break;
        if (!first) Append(",");
        first = false;
        Write(item);
      }
      return Append("]");
    }
    case ValueKind::kRecord: {
      Append("{");
      bool first = true;
      for (const auto& [name, field] : v.as_record()) {
        if (full()) break;
        if (!first) Append(",");
        first = false;
        WriteQuoted(name);
        Append(":");
        Write(field);
      }
      return Append("}");
    }
    case ValueKind::kJsonLines: {
      // The lines are JSON already: print them as one JSON array.
      const JsonLines& lines = v.as_json_lines();
      Append("[");
      for (size_t i = 0; i < lines.num_lines() && !full(); ++i) {
        if (i) Append(",");
        Append(lines.line(i));
      }
      return Append("]");
    }
    case ValueKind::kInt64Array:
      return WriteArray(v.as_int64_array());
    case ValueKind::kDoubleArray:
      return WriteArray(v.as_double_array());
    case ValueKind::kBoolArray:
      return WriteArray(v.as_bool_array());
    case ValueKind::kCompressedLines: {
      if (json_) return WriteAsString(v);
      const CompressedLines& lines = v.as_compressed_lines();
      return Append("<compressed_lines: " + std::to_string(lines.num_lines()) + " lines, " +
                    std::to_string(lines.text_size()) + " bytes in " +
                    std::to_string(lines.frames.size()) + ">");
    }
  }
}

bool ListsEqual(const ValueList& a, const ValueList& b) {
  if (&a == &b) return true;
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Field order matters: records keep insertion order, and two records that list the same
// fields in a different order encode differently (and so hash to different keys).
bool RecordsEqual(const Record& a, const Record& b) {
  if (&a == &b) return true;
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first || a[i].second != b[i].second) return false;
  }
  return true;
}

// The same sequence of lines, however the text around them is laid out.
bool JsonLinesEqual(const JsonLines& a, const JsonLines& b) {
  if (a.num_lines() != b.num_lines()) return false;
  for (size_t i = 0; i < a.num_lines(); ++i) {
    if (a.line(i) != b.line(i)) return false;
  }
  return true;
}

bool DoubleArraysEqual(const DoubleArray& a, const DoubleArray& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;  // by value: NaN differs, 0.0 == -0.0
  }
  return true;
}

}  // namespace

std::string Value::DebugString(size_t max_chars) const {
  DebugWriter writer(max_chars);
  writer.Write(*this);
  return std::move(writer).Finish();
}

std::string Value::ToJson() const {
  DebugWriter writer(std::numeric_limits<size_t>::max(), /*json=*/true);
  writer.Write(*this);
  return std::move(writer).Finish();
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::kNull:
      return true;
    case ValueKind::kBool:
      return a.as_bool() == b.as_bool();
    case ValueKind::kInt:
      return a.as_int() == b.as_int();
    case ValueKind::kDouble:
      return a.as_double() == b.as_double();
    case ValueKind::kString:
      return a.as_string() == b.as_string();
    case ValueKind::kBytes:
      return a.as_bytes() == b.as_bytes();
    case ValueKind::kList:
      return ListsEqual(a.as_list(), b.as_list());
    case ValueKind::kRecord:
      return RecordsEqual(a.as_record(), b.as_record());
    case ValueKind::kJsonLines:
      return JsonLinesEqual(a.as_json_lines(), b.as_json_lines());
    case ValueKind::kInt64Array:
      return a.as_int64_array().data == b.as_int64_array().data;
    case ValueKind::kDoubleArray:
      return DoubleArraysEqual(a.as_double_array(), b.as_double_array());
    case ValueKind::kBoolArray:
      return a.as_bool_array().data == b.as_bool_array().data;
    case ValueKind::kCompressedLines:
      return a.as_compressed_lines().frames == b.as_compressed_lines().frames &&
             a.as_compressed_lines().index == b.as_compressed_lines().index;
  }
  return false;
}

}  // namespace weft
