#include "codec.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace weft {
namespace {

template <typename T>
Buffer Pack(const std::vector<T>& numbers) {
  std::string bytes(numbers.size() * sizeof(T), '\0');
  if (!numbers.empty()) std::memcpy(bytes.data(), numbers.data(), bytes.size());
  return Buffer(std::move(bytes));
}

Value RoundTrip(const Value& v) {
  absl::StatusOr<Value> decoded = DecodeValue(EncodeValueToString(v));
  REQUIRE(decoded.ok());
  return *decoded;
}

// One value of every kind, nested, large and small: the fuzzing seed too.
Value Sample() {
  return Value(Record{
      {"null", nullptr},
      {"flags", ValueList{true, false}},
      {"ints", ValueList{0, 1, -1, std::numeric_limits<int64_t>::max(),
                         std::numeric_limits<int64_t>::min()}},
      {"double", 3.25},
      {"text", "héllo, 世界 🌍"},
      {"bytes", Value::Bytes(Buffer(std::string("\0\1\2", 3)))},
      {"lines", JsonLines::FromText(Buffer("{\"a\":1}\n\n[2]"))},
      {"i64", Int64Array{Pack<int64_t>({7, -7})}},
      {"f64", DoubleArray{Pack<double>({0.5})}},
      {"bool", BoolArray{Buffer(std::string("\1\0\1", 3))}},
      {"nested", ValueList{ValueList{Record{{"k", ValueList{}}}}, Record{}}},
  });
}

absl::Status DecodeStatus(std::string bytes) { return DecodeValue(std::move(bytes)).status(); }

TEST_CASE("every kind round-trips") {
  const std::vector<Value> values = {
      Value(),
      Value(true),
      Value(false),
      Value(0),
      Value(-1),
      Value(63),
      Value(-64),
      Value(std::numeric_limits<int64_t>::max()),
      Value(std::numeric_limits<int64_t>::min()),
      Value(0.0),
      Value(-2.5e-300),
      Value(std::numeric_limits<double>::infinity()),
      Value(""),
      Value("plain"),
      Value("unicode: ünïcødé ✓ 🎉"),
      Value(std::string("embedded\0nul", 12)),
      Value::Bytes(Buffer()),
      Value::Bytes(Buffer("abc")),
      Value(ValueList{}),
      Value(Record{}),
      Value(JsonLines{}),
      Value(JsonLines::FromText(Buffer("1\n2\n"))),
      Value(Int64Array{}),
      Value(DoubleArray{Pack<double>({1.0, -0.0, 1e-310})}),
      Value(BoolArray{}),
      Value(BoolArray{Buffer(std::string("\0\1", 2))}),
      Sample(),
  };
  for (const Value& v : values) {
    INFO(v.DebugString());
    Value back = RoundTrip(v);
    CHECK(back == v);
    CHECK(back.kind() == v.kind());
  }
}

TEST_CASE("NaN and record order survive") {
  CHECK(std::isnan(RoundTrip(Value(std::nan(""))).as_double()));
  Value r(Record{{"z", 1}, {"a", 2}, {"m", 3}});
  const Value decoded = RoundTrip(r);
  const Record& back = decoded.as_record();
  REQUIRE(back.size() == 3);
  CHECK(back[0].first == "z");
  CHECK(back[1].first == "a");
  CHECK(back[2].first == "m");
}

TEST_CASE("JsonLines keep their lines, blank ones included") {
  Value v(JsonLines::FromText(Buffer("{\"x\":1}\n\n{\"x\":2}\n")));
  const Value decoded = RoundTrip(v);
  const JsonLines& back = decoded.as_json_lines();
  REQUIRE(back.num_lines() == 3);
  CHECK(back.line(0) == "{\"x\":1}");
  CHECK(back.line(1).empty());
  CHECK(back.line(2) == "{\"x\":2}");
}

TEST_CASE("10 MB of bytes are neither copied by encoding nor by decoding") {
  Buffer big(std::string(10 << 20, 'z'));
  absl::Cord encoded = EncodeValue(Value::Bytes(big));
  CHECK(encoded.size() > big.size());
  // Encoding referenced the buffer: one of the Cord's chunks is the buffer itself.
  bool referenced = false;
  for (absl::string_view chunk : encoded.Chunks()) {
    if (chunk.data() == big.data() && chunk.size() == big.size()) referenced = true;
  }
  CHECK(referenced);

  Buffer input{std::string(encoded)};
  absl::StatusOr<Value> decoded = DecodeValue(input);
  REQUIRE(decoded.ok());
  const Buffer& bytes = decoded->as_bytes();
  CHECK(bytes == big);
  CHECK(bytes.data() >= input.data());
  CHECK(bytes.data() + bytes.size() <= input.data() + input.size());
  CHECK(bytes.owner() == input.owner());

  // The Cord outlives the Value it came from.
  big = Buffer();
  CHECK(std::string(encoded.Subcord(encoded.size() - 3, 3)) == "zzz");
}

TEST_CASE("large JsonLines and arrays decode as slices, small ones as copies") {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "{\"i\":" + std::to_string(i) + "}\n";
  std::vector<int64_t> numbers(1000, 5);
  std::string flags(5000, '\1');
  Value v(ValueList{JsonLines::FromText(Buffer(text)), Int64Array{Pack(numbers)},
                    Value::Bytes(Buffer("tiny")), BoolArray{Buffer(flags)}});
  Buffer input(EncodeValueToString(v));
  absl::StatusOr<Value> decoded = DecodeValue(input);
  REQUIRE(decoded.ok());
  CHECK(*decoded == v);
  const ValueList& items = decoded->as_list();
  CHECK(items[0].as_json_lines().text.owner() == input.owner());
  CHECK(items[0].as_json_lines().offsets.owner() == input.owner());
  CHECK(items[1].as_int64_array().data.owner() == input.owner());
  CHECK(items[1].as_int64_array()[999] == 5);
  CHECK(items[2].as_bytes().owner() != input.owner());
  CHECK(items[3].as_bool_array().data.owner() == input.owner());
  CHECK(items[3].as_bool_array()[4999]);
}

TEST_CASE("every truncation of a valid encoding is rejected") {
  const std::string full = EncodeValueToString(Sample());
  REQUIRE(DecodeValue(full).ok());
  for (size_t n = 0; n < full.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    absl::Status status = DecodeStatus(full.substr(0, n));
    CHECK(absl::IsDataLoss(status));
  }
}

TEST_CASE("trailing bytes are rejected") {
  absl::Status status = DecodeStatus(EncodeValueToString(Value(1)) + "x");
  CHECK(absl::IsDataLoss(status));
  CHECK_THAT(std::string(status.message()), Catch::Contains("trailing"));
}

TEST_CASE("bad magic and version") {
  std::string good = EncodeValueToString(Value(1));
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  CHECK(absl::IsDataLoss(DecodeStatus(bad_magic)));
  std::string bad_version = good;
  bad_version[2] = static_cast<char>(kCodecVersion + 1);
  absl::Status status = DecodeStatus(bad_version);
  CHECK(absl::IsInvalidArgument(status));
  CHECK_THAT(std::string(status.message()), Catch::Contains("version 2"));
}

std::string Header() { return std::string("WV") + static_cast<char>(kCodecVersion); }

TEST_CASE("corrupt payloads give clear errors") {
  auto message_of = [](std::string bytes) {
    absl::Status status = DecodeStatus(std::move(bytes));
    CHECK(absl::IsDataLoss(status));
    return std::string(status.message());
  };
  CHECK_THAT(message_of(Header() + "\x63"), Catch::Contains("unknown kind"));
  CHECK_THAT(message_of(Header() + "\x01\x02"), Catch::Contains("bool"));
  // An 11-byte varint, and a 10-byte one with more than bit 63 in its last byte.
  CHECK_THAT(message_of(Header() + "\x02" + std::string(10, '\xff') + "\x01"),
             Catch::Contains("varint"));
  CHECK_THAT(message_of(Header() + "\x02" + std::string(9, '\xff') + "\x02"),
             Catch::Contains("overflow"));
  // A string claiming 2^63 bytes.
  CHECK_THAT(message_of(Header() + "\x04" + std::string(9, '\x80') + "\x01"),
             Catch::Contains("beyond the end"));
  // A list claiming a billion items.
  CHECK_THAT(message_of(Header() + "\x06\x80\x94\xeb\xdc\x03"), Catch::Contains("list"));
  // An int64 array of 7 bytes.
  CHECK_THAT(message_of(Header() + "\x09\x07" + std::string(7, '\0')),
             Catch::Contains("multiple of 8"));
  // A bool array holding a 2.
  CHECK_THAT(message_of(Header() + "\x0b\x02\x01\x02"), Catch::Contains("bool_array"));
  // JsonLines over "ab": offsets {0, 5} point past the text, {2, 1} decrease.
  auto json_lines = [](uint64_t a, uint64_t b) {
    std::string offsets(16, '\0');
    std::memcpy(offsets.data(), &a, 8);
    std::memcpy(offsets.data() + 8, &b, 8);
    return Header() + "\x08\x02" + "ab" + "\x10" + offsets;
  };
  REQUIRE(DecodeValue(json_lines(0, 2)).ok());
  CHECK_THAT(message_of(json_lines(0, 5)), Catch::Contains("beyond a text"));
  CHECK_THAT(message_of(json_lines(2, 1)), Catch::Contains("decrease"));
  // The maximal varint (bit 63 set) is valid: zigzag of INT64_MIN.
  CHECK(DecodeValue(Header() + "\x02" + std::string(9, '\xff') + "\x01")->as_int() ==
        std::numeric_limits<int64_t>::min());
}

TEST_CASE("nesting is limited to kMaxDepth containers") {
  auto nested = [](int depth) {
    Value v;
    for (int i = 0; i < depth; ++i) v = Value(ValueList{v});
    return v;
  };
  Value ok = nested(kMaxDepth);
  CHECK(RoundTrip(ok) == ok);
  absl::Status status = DecodeValue(EncodeValueToString(nested(kMaxDepth + 1))).status();
  CHECK(absl::IsInvalidArgument(status));
  CHECK_THAT(std::string(status.message()), Catch::Contains("deeper"));

  // Records count too, and a hostile input nested a million deep fails fast.
  Value records;
  for (int i = 0; i <= kMaxDepth; ++i) records = Value(Record{{"r", records}});
  CHECK_FALSE(DecodeValue(EncodeValueToString(records)).ok());
  std::string deep = Header();
  for (int i = 0; i < 1000000; ++i) deep += "\x06\x01";
  deep += '\0';
  CHECK(absl::IsInvalidArgument(DecodeStatus(deep)));
}

TEST_CASE("random corruption never crashes") {
  const std::string full = EncodeValueToString(Sample());
  std::mt19937 rng(12345);
  int accepted = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string bytes = full;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      bytes[rng() % bytes.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    absl::StatusOr<Value> decoded = DecodeValue(bytes);
    if (decoded.ok()) {
      ++accepted;
      // Whatever was accepted is a well-formed value: printing and re-encoding it work.
      (void)decoded->DebugString();
      const bool has_nan = decoded->DebugString(1 << 20).find("NaN") != std::string::npos;
      CHECK((RoundTrip(*decoded) == *decoded || has_nan));
    } else {
      CHECK((absl::IsDataLoss(decoded.status()) || absl::IsInvalidArgument(decoded.status())));
    }
  }
  // Flips inside string bodies or numbers still decode: the test saw both outcomes.
  CHECK(accepted > 0);
  CHECK(accepted < 5000);
}

TEST_CASE("a Buffer without an owner is decoded into copies") {
  static const std::string kEncoded =
      EncodeValueToString(Value::Bytes(Buffer(std::string(5000, 'q'))));
  Buffer unowned(nullptr, kEncoded);
  absl::StatusOr<Value> decoded = DecodeValue(unowned);
  REQUIRE(decoded.ok());
  CHECK(decoded->as_bytes().owner() != nullptr);
  CHECK(decoded->as_bytes().view() == std::string(5000, 'q'));
}

}  // namespace
}  // namespace weft
