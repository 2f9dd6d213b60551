// Wire format (version 1), after the header "WV" <version byte>:
//
//   value      := kind:u8 payload
//   null       := (nothing)
//   bool       := u8 (0 or 1)
//   int        := varint(zigzag(v))
//   double     := 8 bytes, IEEE-754 little-endian
//   string     := varint(n) n bytes
//   bytes      := varint(n) n bytes
//   list       := varint(count) value*count
//   record     := varint(count) (varint(n) name:n bytes, value)*count
//   json_lines := varint(n) text:n bytes, varint(m) offsets:m bytes (uint64 LE, m % 8 == 0)
//   int64/double array := varint(m) m bytes (LE, m % 8 == 0)
//   bool array := varint(m) m bytes (each 0 or 1)
//   compressed_lines := varint(n) frames:n bytes, varint(m) index:m bytes (uint64 LE,
//                       m % 24 == 0, m >= 24; entries non-decreasing, the first {0, 0, 0},
//                       the last's frame offset == n)
//
// Varints are LEB128 (7 bits a byte, low bits first), at most 10 bytes.
#include "codec.h"

#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "status_macros.h"

namespace weft {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the codec copies buffers as they are; it assumes a little-endian host");

constexpr char kMagic[2] = {'W', 'V'};
constexpr size_t kHeaderSize = 3;

// Appends small items to a scratch string and large buffers to the Cord by reference.
class Encoder {
 public:
  void Write(const Value& v);

  absl::Cord Finish() && {
    FlushScratch();
    return std::move(cord_);
  }

  void Raw(std::string_view bytes) { scratch_.append(bytes); }

 private:
  void Byte(uint8_t b) { scratch_.push_back(static_cast<char>(b)); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      Byte(static_cast<uint8_t>(v) | 0x80);
      v >>= 7;
    }
    Byte(static_cast<uint8_t>(v));
  }
  void Fixed64(uint64_t v) {
    char bytes[8];
    std::memcpy(bytes, &v, 8);
    scratch_.append(bytes, 8);
  }
  void LengthPrefixed(std::string_view bytes) {
    Varint(bytes.size());
    scratch_.append(bytes);
  }
  void LengthPrefixed(const Buffer& buffer);

  void FlushScratch() {
    if (scratch_.empty()) return;
    cord_.Append(std::move(scratch_));
    scratch_.clear();
  }

  absl::Cord cord_;
  std::string scratch_;
};

void Encoder::LengthPrefixed(const Buffer& buffer) {
  // A Buffer without an owner promises nothing about its lifetime: copy it.
  if (buffer.size() < kZeroCopyThreshold || buffer.owner() == nullptr) {
    return LengthPrefixed(buffer.view());
  }
  Varint(buffer.size());
  FlushScratch();
  // The releaser holds a reference to the storage until the Cord drops the chunk.
  // (Debian's Abseil has its own absl::string_view, not an alias of std::string_view.)
  cord_.Append(absl::MakeCordFromExternal(absl::string_view(buffer.data(), buffer.size()),
                                          [owner = buffer.owner()]() {}));
}

void Encoder::Write(const Value& v) {
  Byte(static_cast<uint8_t>(v.kind()));
  switch (v.kind()) {
    case ValueKind::kNull:
      return;
    case ValueKind::kBool:
      return Byte(v.as_bool() ? 1 : 0);
    case ValueKind::kInt: {
      const auto u = static_cast<uint64_t>(v.as_int());
      return Varint((u << 1) ^ (v.as_int() < 0 ? ~uint64_t{0} : 0));
    }
    case ValueKind::kDouble: {
      uint64_t bits;
      const double d = v.as_double();
      std::memcpy(&bits, &d, 8);
      return Fixed64(bits);
    }
    case ValueKind::kString:
      return LengthPrefixed(std::string_view(v.as_string()));
    case ValueKind::kBytes:
      return LengthPrefixed(v.as_bytes());
    case ValueKind::kList:
      Varint(v.as_list().size());
      for (const Value& item : v.as_list()) Write(item);
      return;
    case ValueKind::kRecord:
      Varint(v.as_record().size());
      for (const auto& [name, field] : v.as_record()) {
        LengthPrefixed(std::string_view(name));
        Write(field);
      }
      return;
    case ValueKind::kJsonLines:
      LengthPrefixed(v.as_json_lines().text);
      return LengthPrefixed(v.as_json_lines().offsets);
    case ValueKind::kInt64Array:
      return LengthPrefixed(v.as_int64_array().data);
    case ValueKind::kDoubleArray:
      return LengthPrefixed(v.as_double_array().data);
    case ValueKind::kBoolArray:
      return LengthPrefixed(v.as_bool_array().data);
    case ValueKind::kCompressedLines:
      LengthPrefixed(v.as_compressed_lines().frames);
      return LengthPrefixed(v.as_compressed_lines().index);
  }
}

absl::Status Corrupt(absl::string_view what, size_t at) {
  return absl::DataLossError(absl::StrCat("corrupt weft value at byte ", at, ": ", what));
}

// `depth` counts the containers around the one being read: at most kMaxDepth nest.
absl::Status CheckDepth(int depth) {
  if (depth < kMaxDepth) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("weft value nests containers deeper than ", kMaxDepth, " levels"));
}

// Reads one encoded value from `input`, never past its end.
class Decoder {
 public:
  explicit Decoder(const Buffer& input) : input_(input) {}

  absl::StatusOr<Value> Decode();

 private:
  size_t remaining() const { return input_.size() - pos_; }

  absl::StatusOr<Value> ReadValue(int depth);
  absl::StatusOr<Value> ReadList(int depth);
  absl::StatusOr<Value> ReadRecord(int depth);
  absl::StatusOr<Value> ReadJsonLines();
  absl::StatusOr<Value> ReadCompressedLines();

  absl::StatusOr<uint8_t> Byte() {
    if (remaining() < 1) return Corrupt("truncated", pos_);
    return static_cast<uint8_t>(input_.data()[pos_++]);
  }
  absl::StatusOr<uint64_t> Varint();
  absl::StatusOr<uint64_t> Fixed64() {
    if (remaining() < 8) return Corrupt("truncated number", pos_);
    uint64_t v;
    std::memcpy(&v, input_.data() + pos_, 8);
    pos_ += 8;
    return v;
  }
  // A length followed by that many bytes; the view points into the input.
  absl::StatusOr<std::string_view> LengthPrefixed() {
    WEFT_ASSIGN_OR_RETURN(uint64_t n, Varint());
    if (n > remaining()) {
      return Corrupt(absl::StrCat("length ", n, " beyond the end of the input"), pos_);
    }
    std::string_view bytes = input_.view().substr(pos_, n);
    pos_ += n;
    return bytes;
  }
  absl::StatusOr<Buffer> BufferField();
  absl::StatusOr<Buffer> ArrayField();
  absl::StatusOr<Buffer> BoolArrayField();

  const Buffer& input_;
  size_t pos_ = 0;
};

absl::StatusOr<uint64_t> Decoder::Varint() {
  const size_t start = pos_;
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    WEFT_ASSIGN_OR_RETURN(uint8_t b, Byte());
    // The 10th byte holds bit 63 only.
    if (shift == 63 && b > 1) return Corrupt("varint overflows 64 bits", start);
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return v;
  }
  return Corrupt("varint longer than 10 bytes", start);
}

absl::StatusOr<Buffer> Decoder::BufferField() {
  WEFT_ASSIGN_OR_RETURN(std::string_view bytes, LengthPrefixed());
  // Large payloads are slices of the input (no copy). Small ones are copied, so that a
  // small value kept for long does not pin a large message in memory. Inputs without
  // an owner promise nothing about their lifetime, so everything is copied from them.
  if (bytes.size() >= kZeroCopyThreshold && input_.owner() != nullptr) {
    return input_.Slice(bytes.data() - input_.data(), bytes.size());
  }
  return Buffer(std::string(bytes));
}

absl::StatusOr<Buffer> Decoder::ArrayField() {
  const size_t start = pos_;
  WEFT_ASSIGN_OR_RETURN(Buffer data, BufferField());
  if (data.size() % 8 != 0) {
    return Corrupt(absl::StrCat("array of ", data.size(), " bytes, not a multiple of 8"), start);
  }
  return data;
}

absl::StatusOr<Buffer> Decoder::BoolArrayField() {
  const size_t start = pos_;
  WEFT_ASSIGN_OR_RETURN(Buffer data, BufferField());
  // Kernels use the bytes as 0/1 numbers directly, so anything else is corrupt.
  unsigned char seen = 0;
  for (char c : data.view()) seen |= static_cast<unsigned char>(c);
  if (seen > 1) return Corrupt("bool_array byte other than 0 or 1", start);
  return data;
}

absl::StatusOr<Value> Decoder::ReadList(int depth) {
  WEFT_RETURN_IF_ERROR(CheckDepth(depth));
  const size_t start = pos_;
  WEFT_ASSIGN_OR_RETURN(uint64_t count, Varint());
  // Every item takes at least one byte: this bounds the reserve() below.
  if (count > remaining()) return Corrupt("list longer than the input", start);
  ValueList items;
  items.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    WEFT_ASSIGN_OR_RETURN(Value item, ReadValue(depth + 1));
    items.push_back(std::move(item));
  }
  return Value(std::move(items));
}

absl::StatusOr<Value> Decoder::ReadRecord(int depth) {
  WEFT_RETURN_IF_ERROR(CheckDepth(depth));
  const size_t start = pos_;
  WEFT_ASSIGN_OR_RETURN(uint64_t count, Varint());
  // Every field takes at least two bytes (name length and kind).
  if (count > remaining() / 2) return Corrupt("record longer than the input", start);
  Record fields;
  fields.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    WEFT_ASSIGN_OR_RETURN(std::string_view name, LengthPrefixed());
    WEFT_ASSIGN_OR_RETURN(Value field, ReadValue(depth + 1));
    fields.emplace_back(std::string(name), std::move(field));
  }
  return Value(std::move(fields));
}

absl::StatusOr<Value> Decoder::ReadJsonLines() {
  JsonLines lines;
  WEFT_ASSIGN_OR_RETURN(lines.text, BufferField());
  const size_t offsets_at = pos_;
  WEFT_ASSIGN_OR_RETURN(lines.offsets, ArrayField());
  const size_t count = lines.offsets.size() / 8;
  uint64_t previous = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t offset;
    std::memcpy(&offset, lines.offsets.data() + 8 * i, 8);
    if (offset < previous) return Corrupt("json_lines offsets decrease", offsets_at);
    if (offset > lines.text.size()) {
      return Corrupt(absl::StrCat("json_lines offset ", offset, " beyond a text of ",
                                  lines.text.size(), " bytes"),
                     offsets_at);
    }
    previous = offset;
  }
  return Value(std::move(lines));
}

absl::StatusOr<Value> Decoder::ReadCompressedLines() {
  CompressedLines lines;
  WEFT_ASSIGN_OR_RETURN(lines.frames, BufferField());
  const size_t index_at = pos_;
  WEFT_ASSIGN_OR_RETURN(lines.index, ArrayField());
  if (lines.index.size() % sizeof(CompressedLines::BlockEntry) != 0 || lines.index.empty()) {
    return Corrupt(absl::StrCat("compressed_lines index of ", lines.index.size(), " bytes"),
                   index_at);
  }
  CompressedLines::BlockEntry previous{0, 0, 0};
  for (size_t b = 0; b <= lines.num_blocks(); ++b) {
    const CompressedLines::BlockEntry e = lines.entry(b);
    if ((b == 0 && (e.frame_offset != 0 || e.first_line != 0 || e.text_offset != 0)) ||
        e.frame_offset < previous.frame_offset || e.first_line < previous.first_line ||
        e.text_offset < previous.text_offset) {
      return Corrupt(absl::StrCat("compressed_lines index entry ", b, " out of order"), index_at);
    }
    previous = e;
  }
  if (previous.frame_offset != lines.frames.size()) {
    return Corrupt(absl::StrCat("compressed_lines index ends at byte ", previous.frame_offset,
                                " of ", lines.frames.size(), " bytes of frames"),
                   index_at);
  }
  return Value(std::move(lines));
}

absl::StatusOr<Value> Decoder::ReadValue(int depth) {
  const size_t start = pos_;
  WEFT_ASSIGN_OR_RETURN(uint8_t kind, Byte());
  switch (static_cast<ValueKind>(kind)) {
    case ValueKind::kNull:
      return Value();
    case ValueKind::kBool: {
      WEFT_ASSIGN_OR_RETURN(uint8_t b, Byte());
      if (b > 1) return Corrupt(absl::StrCat("bool byte ", b), start);
      return Value(b == 1);
    }
    case ValueKind::kInt: {
      WEFT_ASSIGN_OR_RETURN(uint64_t u, Varint());
      return Value(static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1)));
    }
    case ValueKind::kDouble: {
      WEFT_ASSIGN_OR_RETURN(uint64_t bits, Fixed64());
      double d;
      std::memcpy(&d, &bits, 8);
      return Value(d);
    }
    case ValueKind::kString: {
      WEFT_ASSIGN_OR_RETURN(std::string_view s, LengthPrefixed());
      return Value(std::string(s));
    }
    case ValueKind::kBytes: {
      WEFT_ASSIGN_OR_RETURN(Buffer b, BufferField());
      return Value::Bytes(std::move(b));
    }
    case ValueKind::kList:
      return ReadList(depth);
    case ValueKind::kRecord:
      return ReadRecord(depth);
    case ValueKind::kJsonLines:
      return ReadJsonLines();
    case ValueKind::kCompressedLines:
      return ReadCompressedLines();
    case ValueKind::kInt64Array: {
      WEFT_ASSIGN_OR_RETURN(Buffer data, ArrayField());
      return Value(Int64Array{std::move(data)});
    }
    case ValueKind::kDoubleArray: {
      WEFT_ASSIGN_OR_RETURN(Buffer data, ArrayField());
      return Value(DoubleArray{std::move(data)});
    }
    case ValueKind::kBoolArray: {
      WEFT_ASSIGN_OR_RETURN(Buffer data, BoolArrayField());
      return Value(BoolArray{std::move(data)});
    }
  }
  return Corrupt(absl::StrCat("unknown kind byte ", kind), start);
}

absl::StatusOr<Value> Decoder::Decode() {
  if (input_.size() < kHeaderSize || input_.data()[0] != kMagic[0] ||
      input_.data()[1] != kMagic[1]) {
    return absl::DataLossError("not a weft value: bad magic (expected \"WV\")");
  }
  const auto version = static_cast<uint8_t>(input_.data()[2]);
  if (version != kCodecVersion) {
    return absl::InvalidArgumentError(absl::StrCat("weft value format version ", version,
                                                   " is not supported (this build reads ",
                                                   kCodecVersion, ")"));
  }
  pos_ = kHeaderSize;
  WEFT_ASSIGN_OR_RETURN(Value value, ReadValue(/*depth=*/0));
  if (remaining() != 0) {
    return Corrupt(absl::StrCat(remaining(), " trailing bytes after the value"), pos_);
  }
  return value;
}

}  // namespace

absl::Cord EncodeValue(const Value& value) {
  Encoder encoder;
  encoder.Raw(std::string_view(kMagic, 2));
  encoder.Raw(std::string_view(reinterpret_cast<const char*>(&kCodecVersion), 1));
  encoder.Write(value);
  return std::move(encoder).Finish();
}

std::string EncodeValueToString(const Value& value) { return std::string(EncodeValue(value)); }

absl::StatusOr<Value> DecodeValue(const Buffer& bytes) { return Decoder(bytes).Decode(); }

absl::StatusOr<Value> DecodeValue(std::string bytes) {
  return DecodeValue(Buffer(std::move(bytes)));
}

}  // namespace weft
