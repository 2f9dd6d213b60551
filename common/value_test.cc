#include "weft/value.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

namespace weft {
namespace {

template <typename T>
Buffer Pack(const std::vector<T>& numbers) {
  std::string bytes(numbers.size() * sizeof(T), '\0');
  if (!numbers.empty()) std::memcpy(bytes.data(), numbers.data(), bytes.size());
  return Buffer(std::move(bytes));
}

std::vector<std::string> Lines(const JsonLines& lines) {
  std::vector<std::string> out;
  for (size_t i = 0; i < lines.num_lines(); ++i) out.emplace_back(lines.line(i));
  return out;
}

TEST_CASE("Buffer owns its string and slices share it") {
  std::string text(100, 'x');
  text[50] = 'y';
  const char* original = text.data();
  Buffer buffer(std::move(text));
  CHECK(buffer.size() == 100);
  CHECK(buffer.data() == original);  // moved, not copied
  CHECK(buffer.owner() != nullptr);

  Buffer slice = buffer.Slice(50, 10);
  CHECK(slice.size() == 10);
  CHECK(slice.data() == buffer.data() + 50);
  CHECK(slice.view() == "y" + std::string(9, 'x'));
  CHECK(slice.owner() == buffer.owner());

  // The slice keeps the storage alive after the original is gone.
  std::string_view before = slice.view();
  buffer = Buffer();
  CHECK(slice.view() == before);
}

TEST_CASE("Buffer equality compares bytes") {
  CHECK(Buffer("abc") == Buffer(std::string("abc")));
  CHECK_FALSE(Buffer("abc") == Buffer("abd"));
  CHECK(Buffer() == Buffer(""));
  Buffer short_string("hi");  // small-string storage must survive the move too
  CHECK(short_string.view() == "hi");
}

TEST_CASE("JsonLines::FromText builds the line index") {
  SECTION("trailing newline") {
    JsonLines lines = JsonLines::FromText(Buffer("{\"a\":1}\n{\"a\":2}\n"));
    CHECK(Lines(lines) == std::vector<std::string>{"{\"a\":1}", "{\"a\":2}"});
  }
  SECTION("no trailing newline") {
    JsonLines lines = JsonLines::FromText(Buffer("{\"a\":1}\n{\"a\":2}"));
    CHECK(Lines(lines) == std::vector<std::string>{"{\"a\":1}", "{\"a\":2}"});
  }
  SECTION("blank lines are kept") {
    JsonLines lines = JsonLines::FromText(Buffer("1\n\n2\n\n"));
    CHECK(Lines(lines) == std::vector<std::string>{"1", "", "2", ""});
  }
  SECTION("empty text has no lines") {
    JsonLines lines = JsonLines::FromText(Buffer(""));
    CHECK(lines.num_lines() == 0);
    CHECK(JsonLines().num_lines() == 0);
  }
  SECTION("a lone newline is one blank line") {
    CHECK(Lines(JsonLines::FromText(Buffer("\n"))) == std::vector<std::string>{""});
  }
  SECTION("line views point into the text") {
    Buffer text("abc\ndef");
    JsonLines lines = JsonLines::FromText(text);
    CHECK(lines.line(1).data() == text.data() + 4);
  }
  SECTION("out-of-range and inconsistent offsets read nothing") {
    JsonLines lines = JsonLines::FromText(Buffer("a\nb\n"));
    CHECK(lines.line(2).empty());
    JsonLines bad{Buffer("abc"), Pack<uint64_t>({0, 10})};
    CHECK(bad.line(0).empty());
  }
}

TEST_CASE("JsonLines::offset reads the index; Slice shares the text") {
  Buffer text("a\nbb\nccc\ndddd\n");
  JsonLines lines = JsonLines::FromText(text);
  CHECK(lines.offset(0) == 0);
  CHECK(lines.offset(2) == 5);
  CHECK(lines.offset(4) == text.size());
  JsonLines middle = lines.Slice(1, 3);
  CHECK(Lines(middle) == std::vector<std::string>{"bb", "ccc"});
  CHECK(middle.text.data() == text.data() + 2);  // a slice, not a copy
  CHECK(middle.offset(0) == 0);
  CHECK(middle.offset(2) == 7);
  CHECK(lines.Slice(2, 2).num_lines() == 0);
  CHECK(Lines(lines.Slice(0, 4)) == Lines(lines));
  // An offset index on an unaligned slice of its buffer reads the same.
  JsonLines shifted{lines.text, Buffer("x" + std::string(lines.offsets.view())).Slice(1, 40)};
  CHECK(Lines(shifted.Slice(3, 4)) == std::vector<std::string>{"dddd"});
  // A hand-built index that overruns its text: a copy of what line() reads.
  JsonLines bad{Buffer("abc\n"), Pack<uint64_t>({0, 4, 10})};
  JsonLines copied = bad.Slice(0, 2);
  CHECK(Lines(copied) == std::vector<std::string>{"abc", ""});
  CHECK(copied.offset(2) == copied.text.size());
}

TEST_CASE("arrays read unaligned elements") {
  std::vector<int64_t> ints = {1, -2, std::numeric_limits<int64_t>::max()};
  Buffer packed = Pack(ints);
  // Shift by one byte so that the elements are not 8-byte aligned.
  Buffer shifted = Buffer(" " + std::string(packed.view())).Slice(1, packed.size());
  Int64Array a{shifted};
  REQUIRE(a.size() == 3);
  CHECK(a[0] == 1);
  CHECK(a[1] == -2);
  CHECK(a[2] == std::numeric_limits<int64_t>::max());

  Buffer doubles = Pack<double>({0.5, -1e300});
  DoubleArray d{Buffer("abc" + std::string(doubles.view())).Slice(3, doubles.size())};
  REQUIRE(d.size() == 2);
  CHECK(d[0] == 0.5);
  CHECK(d[1] == -1e300);
}

TEST_CASE("kinds and their names") {
  CHECK(Value().kind() == ValueKind::kNull);
  CHECK(Value(nullptr).is_null());
  CHECK(Value(true).is_bool());
  CHECK(Value(3).is_int());
  CHECK(Value(int64_t{3}).as_int() == 3);
  CHECK(Value(3.5).is_double());
  CHECK(Value("s").is_string());
  CHECK(Value(std::string_view("s")).as_string() == "s");
  CHECK(Value::Bytes(Buffer("b")).is_bytes());
  CHECK(Value(ValueList{}).is_list());
  CHECK(Value(Record{}).is_record());
  CHECK(Value(JsonLines{}).is_json_lines());
  CHECK(Value(Int64Array{}).kind() == ValueKind::kInt64Array);
  CHECK(Value(DoubleArray{}).kind() == ValueKind::kDoubleArray);
  CHECK(Value(BoolArray{}).kind() == ValueKind::kBoolArray);
  CHECK(static_cast<int>(ValueKind::kBoolArray) == 11);

  CHECK(std::string(ValueKindName(ValueKind::kNull)) == "null");
  CHECK(std::string(Value(1.0).kind_name()) == "double");
  CHECK(std::string(Value(Record{}).kind_name()) == "record");
  CHECK(std::string(Value(JsonLines{}).kind_name()) == "json_lines");
  CHECK(std::string(Value(Int64Array{}).kind_name()) == "int64_array");
  CHECK(std::string(Value(DoubleArray{}).kind_name()) == "double_array");
  CHECK(std::string(Value(BoolArray{}).kind_name()) == "bool_array");
  CHECK(std::string(ValueKindName(static_cast<ValueKind>(99))) == "unknown");
}

TEST_CASE("Find looks up record fields") {
  Value r(Record{{"a", 1}, {"b", "x"}, {"a", 2}});
  REQUIRE(r.Find("b") != nullptr);
  CHECK(r.Find("b")->as_string() == "x");
  CHECK(r.Find("a")->as_int() == 1);  // the first of duplicate names
  CHECK(r.Find("c") == nullptr);
  CHECK(Value(5).Find("a") == nullptr);
}

TEST_CASE("nbytes counts contents") {
  const size_t base = Value().nbytes();
  CHECK(base >= sizeof(int64_t));
  CHECK(Value(1).nbytes() == base);
  CHECK(Value::Bytes(Buffer(std::string(1 << 20, 'x'))).nbytes() >= (1u << 20));
  CHECK(Value(std::string(1000, 'x')).nbytes() >= 1000 + base);
  Value list(
      ValueList{Value::Bytes(Buffer(std::string(5000, 'x'))), Value(std::string(3000, 'y'))});
  CHECK(list.nbytes() >= 8000);
  Value record(Record{{"k", list}});
  CHECK(record.nbytes() > list.nbytes());
  JsonLines lines = JsonLines::FromText(Buffer(std::string(999, 'x') + "\n"));
  CHECK(Value(lines).nbytes() >= 1000 + 16);
  CHECK(Value(Int64Array{Pack<int64_t>({1, 2, 3})}).nbytes() == base + 24);
}

TEST_CASE("DebugString is JSON-like") {
  CHECK(Value().DebugString() == "null");
  CHECK(Value(true).DebugString() == "true");
  CHECK(Value(-42).DebugString() == "-42");
  CHECK(Value(2.0).DebugString() == "2.0");
  CHECK(Value(0.1).DebugString() == "0.1");
  CHECK(Value(1e300).DebugString() == "1e+300");
  CHECK(Value(std::nan("")).DebugString() == "NaN");
  CHECK(Value(-HUGE_VAL).DebugString() == "-Infinity");
  CHECK(Value("a\"b\n\x01").DebugString() == R"("a\"b\n\u0001")");
  CHECK(Value::Bytes(Buffer(std::string("ab\0\xff", 4))).DebugString() == R"(b"ab\x00\xff")");
  Value nested(Record{{"name", "x"}, {"items", ValueList{1, 2.5, nullptr, ValueList{}}}});
  CHECK(nested.DebugString() == R"({"name":"x","items":[1,2.5,null,[]]})");
  CHECK(Value(Record{}).DebugString() == "{}");
  CHECK(Value(JsonLines::FromText(Buffer("{\"a\":1}\n[2]\n"))).DebugString() == R"([{"a":1},[2]])");
  CHECK(Value(Int64Array{Pack<int64_t>({1, -2})}).DebugString() == "[1,-2]");
  CHECK(Value(DoubleArray{Pack<double>({1, 0.5})}).DebugString() == "[1.0,0.5]");
  CHECK(Value(BoolArray{Buffer(std::string("\1\0\1", 3))}).DebugString() == "[true,false,true]");
  CHECK(Value("héllo").DebugString() == "\"héllo\"");
}

TEST_CASE("ToJson is DebugString whole, and JSON where DebugString is not") {
  Value nested(Record{{"name", "x\"y"}, {"items", ValueList{1, 2.0, 1.0 / 3, nullptr}}});
  CHECK(nested.ToJson() == R"({"name":"x\"y","items":[1,2.0,0.3333333333333333,null]})");
  CHECK(Value(std::nan("")).ToJson() == "NaN");  // as Python's json.dumps
  CHECK(Value(JsonLines::FromText(Buffer("{\"a\":1}\n[2]\n"))).ToJson() == R"([{"a":1},[2]])");
  CHECK(Value(DoubleArray{Pack<double>({1, 0.5})}).ToJson() == "[1.0,0.5]");
  // Bytes: a JSON string of their debug form.
  CHECK(Value::Bytes(Buffer(std::string("ab\0", 3))).ToJson() == R"("b\"ab\\x00\"")");
  // Never truncated.
  ValueList many(100000, Value(123456));
  const std::string all = Value(many).ToJson();
  CHECK(all.size() == 1 + 100000 * 7);
  CHECK(all.back() == ']');
}

TEST_CASE("DebugString truncates, also huge values, without splitting UTF-8") {
  ValueList many(1000000, Value(123456));
  std::string s = Value(many).DebugString(50);
  CHECK(s.size() == 53);
  CHECK(s.substr(0, 8) == "[123456,");
  CHECK(s.substr(50) == "...");

  std::string text = Value(std::string(100, 'x')).DebugString(20);
  CHECK(text == "\"" + std::string(19, 'x') + "...");

  // "é" is two bytes; a cut between them backs off to the character boundary.
  std::string accented = Value("\xc3\xa9\xc3\xa9\xc3\xa9").DebugString(2);
  CHECK(accented == "\"...");
  CHECK(Value("short").DebugString(200) == "\"short\"");
}

TEST_CASE("operator== is deep and typed") {
  CHECK(Value() == Value());
  CHECK(Value(1) == Value(int64_t{1}));
  CHECK(Value(1) != Value(1.0));  // different kinds
  CHECK(Value(0.0) == Value(-0.0));
  CHECK(Value(std::nan("")) != Value(std::nan("")));
  CHECK(Value("a") != Value::Bytes(Buffer("a")));
  CHECK(Value::Bytes(Buffer("a")) == Value::Bytes(Buffer(std::string("a"))));

  Value a(ValueList{1, Record{{"x", ValueList{"deep"}}}});
  Value b(ValueList{1, Record{{"x", ValueList{"deep"}}}});
  Value c(ValueList{1, Record{{"x", ValueList{"deeq"}}}});
  CHECK(a == b);
  CHECK(a != c);
  CHECK(Value(ValueList{1}) != Value(ValueList{1, 2}));
  // Field order is part of a record.
  CHECK(Value(Record{{"a", 1}, {"b", 2}}) != Value(Record{{"b", 2}, {"a", 1}}));
  CHECK(Value(Record{{"a", 1}}) != Value(Record{{"b", 1}}));

  // JsonLines compare by their lines, not by how the text is laid out.
  Value l1(JsonLines::FromText(Buffer("1\n2\n")));
  Value l2(JsonLines::FromText(Buffer("1\n2")));
  Value l3(JsonLines::FromText(Buffer("1\n3")));
  CHECK(l1 == l2);
  CHECK(l1 != l3);

  CHECK(Value(Int64Array{Pack<int64_t>({1, 2})}) == Value(Int64Array{Pack<int64_t>({1, 2})}));
  CHECK(Value(Int64Array{Pack<int64_t>({1, 2})}) != Value(Int64Array{Pack<int64_t>({1, 3})}));
  CHECK(Value(DoubleArray{Pack<double>({0.0})}) == Value(DoubleArray{Pack<double>({-0.0})}));
  CHECK(Value(DoubleArray{Pack<double>({1.0})}) != Value(DoubleArray{Pack<double>({1.5})}));
  const Value bools(BoolArray{Buffer(std::string("\1\0", 2))});
  CHECK(bools == Value(BoolArray{Buffer(std::string("\1\0", 2))}));
  CHECK(bools != Value(BoolArray{Buffer(std::string("\1\1", 2))}));
  CHECK(bools != Value(BoolArray{Buffer(std::string("\1", 1))}));
  CHECK(bools != Value(Int64Array{}));
}

TEST_CASE("bool arrays index their bytes and count them in nbytes") {
  BoolArray a{Buffer(std::string("\0\1\1", 3))};
  REQUIRE(a.size() == 3);
  CHECK_FALSE(a[0]);
  CHECK(a[1]);
  CHECK(a[2]);
  CHECK(Value(a).nbytes() == sizeof(Value) + 3);
  CHECK(Value(BoolArray{}).DebugString() == "[]");
}

}  // namespace
}  // namespace weft
