// SortKeys against the definition of the order: CompareValues (value_order.h).
#include "worker/bag/sort_keys.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>

#include "worker/bag/json_access.h"
#include "worker/bag/shuffle_ops.h"
#include "worker/bag/value_order.h"

namespace weft::bag {
namespace {

// Keys of every kind a sort meets, with the cases the prefix has to get right: strings
// sharing 7 and more leading bytes, prefixes of one another, NUL and high bytes; ints and
// doubles of equal value, -0.0, NaN, infinities, ints beyond 2^53.
ValueList MixedKeys(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](size_t k) { return static_cast<size_t>(rng() % k); };
  const std::string stems[] = {"", "a", "abcdefg", "abcdefgh", "abcdefgz", "zz", "\xff\xfe"};
  ValueList keys;
  for (size_t i = 0; i < n; ++i) {
    switch (pick(9)) {
      case 0:
        keys.push_back(Value());
        break;
      case 1:
        keys.push_back(Value(pick(2) == 1));
        break;
      case 2:
        keys.push_back(Value(static_cast<int64_t>(pick(11)) - 5));
        break;
      case 3: {
        const int64_t big[] = {std::numeric_limits<int64_t>::max(),
                               std::numeric_limits<int64_t>::min(), (int64_t{1} << 53) + 1,
                               int64_t{1} << 53};
        keys.push_back(Value(big[pick(4)]));
        break;
      }
      case 4: {
        const double d[] = {-0.0,         0.0,           1.0,      -2.5,      2.5,
                            std::nan(""), -std::nan(""), INFINITY, -INFINITY, 9007199254740992.0};
        keys.push_back(Value(d[pick(10)]));
        break;
      }
      case 5:
      case 6: {
        std::string s = stems[pick(7)];
        const size_t extra = pick(4);
        for (size_t c = 0; c < extra; ++c) s.push_back("\0ab\xff"[pick(4)]);
        keys.push_back(Value(std::move(s)));
        break;
      }
      case 7:
        keys.push_back(Value::Bytes(Buffer(std::string(stems[pick(7)]) + "\x01")));
        break;
      default:
        keys.push_back(Value(ValueList{Value(static_cast<int64_t>(pick(3))), Value("x")}));
        break;
    }
  }
  return keys;
}

TEST_CASE("a key's prefix never contradicts the order") {
  const ValueList keys = MixedKeys(400, 1);
  for (const Value& a : keys) {
    for (const Value& b : keys) {
      if (CompareValues(a, b) < 0) {
        INFO(a.DebugString() << " < " << b.DebugString());
        CHECK(OrderPrefix(a) <= OrderPrefix(b));
      }
    }
  }
}

// SortKeys::Order, both ways, equals a stable sort of `keys` by CompareValues.
void CheckOrderBothWays(const SortKeys& sort_keys, const ValueList& keys) {
  for (bool ascending : {true, false}) {
    std::vector<uint32_t> expected(keys.size());
    std::iota(expected.begin(), expected.end(), 0);
    std::stable_sort(expected.begin(), expected.end(), [&](uint32_t a, uint32_t b) {
      const int c = CompareValues(keys[a], keys[b]);
      return ascending ? c < 0 : c > 0;
    });
    INFO((ascending ? "ascending" : "descending"));
    CHECK(sort_keys.Order(ascending) == expected);
  }
}

TEST_CASE("SortKeys orders as a stable sort with CompareValues, both ways") {
  const ValueList keys = MixedKeys(5000, 2);
  SortKeys sort_keys;
  for (const Value& k : keys) sort_keys.AppendKey(k);
  REQUIRE(sort_keys.size() == keys.size());
  CheckOrderBothWays(sort_keys, keys);
  for (size_t i = 0; i < 300; ++i) {
    for (size_t j = 0; j < 300; ++j) {
      const int c = CompareValues(keys[i], keys[j]);
      INFO(keys[i].DebugString() << " vs " << keys[j].DebugString());
      CHECK(sort_keys.Compare(i, j) == c);
      CHECK(sort_keys.CompareTo(i, keys[j], OrderPrefix(keys[j])) == c);
    }
    // (NaN != NaN with ==: compare with the order, and the kind.)
    CHECK(CompareValues(sort_keys.KeyAt(i), keys[i]) == 0);
    CHECK(sort_keys.KeyAt(i).kind() == keys[i].kind());
  }
}

// Many distinct keys, as a sort benchmark's partition holds (every byte of the prefix
// varies, so every pass of the radix sort runs), with some repeated to tie.
TEST_CASE("SortKeys orders many random strings as a stable sort does, both ways") {
  std::mt19937 rng(7);
  ValueList keys;
  for (size_t i = 0; i < 100000; ++i) {
    std::string s;
    const size_t length = 1 + rng() % 12;
    for (size_t c = 0; c < length; ++c) s.push_back(static_cast<char>(32 + rng() % 95));
    keys.push_back(i % 10 == 9 ? keys[rng() % i] : Value(std::move(s)));
  }
  SortKeys sort_keys;
  for (const Value& k : keys) sort_keys.AppendKey(k);
  CheckOrderBothWays(sort_keys, keys);
}

TEST_CASE("SortKeys reads a field of JSON lines as the parsed records would give it") {
  const std::string text =
      "{\"k\":\"beta\",\"n\":1}\n{\"k\":\"alphabet soup\",\"n\":2}\n{\"n\":3}\n"
      "{\"k\":7,\"n\":4}\n{\"k\":\"alphabet\",\"n\":5}\n{\"k\":[1,\"a\"],\"n\":6}\n"
      "{\"k\":\"caf\\u00e9\",\"n\":7}\n{\"k\":6.5,\"n\":8}\n";
  const Value part(JsonLines::FromText(Buffer(text)));
  SortKeys keys;
  REQUIRE(keys.Append(part, "k", "test").ok());
  REQUIRE(keys.size() == 8);
  CHECK(keys.KeyAt(0) == Value("beta"));
  CHECK(keys.KeyAt(2) == Value());  // missing: null
  CHECK(keys.KeyAt(3) == Value(int64_t{7}));
  CHECK(keys.KeyAt(6) == Value("caf\xc3\xa9"));
  // null, numbers, strings bytewise, lists.
  CHECK(keys.Order(true) == std::vector<uint32_t>{2, 7, 3, 4, 1, 0, 6, 5});

  SortKeys by_expression;
  REQUIRE(by_expression.Append(part, "n % 3", "test").ok());
  CHECK(by_expression.Order(true) == std::vector<uint32_t>{2, 5, 0, 3, 6, 1, 4, 7});
}

TEST_CASE("SortKeys reads every line's key as Extract does, many lines to a parse") {
  // Enough lines to be parsed many at a time, with lines that a full parse refuses and
  // Extract reads: a key before malformed JSON, an integer beyond 64 bits.
  std::string text;
  for (int i = 0; i < 40; ++i) text += "{\"k\":" + std::to_string((i * 7) % 40) + "}\n";
  text += "{\"k\":\"before\",\"rest\":}\n{\"k\":123456789012345678901234567890}\n";
  for (int i = 0; i < 40; ++i) text += "{\"k\":\"s" + std::to_string((i * 3) % 40) + "\"}\n";
  const JsonLines lines = JsonLines::FromText(Buffer(text));
  SortKeys keys;
  REQUIRE(keys.Append(Value(lines), "k", "test").ok());
  REQUIRE(keys.size() == lines.num_lines());
  for (size_t i = 0; i < lines.num_lines(); ++i) {
    Extracted e;
    REQUIRE(LineParser::ForThisThread().Extract(lines, i, Path::Parse("k"), &e).ok());
    INFO("line " << i + 1);
    CHECK(keys.KeyAt(i) == (e.is_string ? Value(std::string(e.str)) : e.value));
  }
  CHECK(keys.KeyAt(40) == Value("before"));
}

TEST_CASE("a stride appends every stride-th item's key, by path or by expression") {
  std::string text;
  for (int i = 0; i < 10; ++i) text += "{\"n\":" + std::to_string(i) + "}\n";
  const Value part(JsonLines::FromText(Buffer(text)));
  SortKeys by_path, by_expression;
  REQUIRE(by_path.Append(part, "n", "test", 3).ok());
  REQUIRE(by_expression.Append(part, "n * 2", "test", 3).ok());
  REQUIRE(by_path.size() == 4);
  REQUIRE(by_expression.size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    CHECK(by_path.KeyAt(i) == Value(static_cast<int64_t>(3 * i)));
    CHECK(by_expression.KeyAt(i) == Value(static_cast<int64_t>(6 * i)));
  }
}

TEST_CASE("a sample of a large partition still cuts it into near-even ranges") {
  // 200,000 distinct keys in a scrambled order; 16 samples come from every 39th item.
  constexpr int64_t kN = 200000;
  ValueList items;
  for (int64_t i = 0; i < kN; ++i) {
    items.push_back(Value(ValueList{Value((i * 7919) % kN), Value(i)}));
  }
  const Value sample = SampleKeys(Value(items), "", 16).value();
  REQUIRE(sample.as_list().size() == 16);
  for (size_t i = 0; i < 16; ++i) {
    const double expected = (2.0 * i + 1) * kN / 32;
    INFO("sample " << i << " = " << sample.as_list()[i].as_int());
    CHECK(std::abs(sample.as_list()[i].as_int() - expected) < 0.02 * kN);
  }
}

TEST_CASE("SortKeys names the function and the line of malformed JSON, and non-pairs") {
  const Value part(JsonLines::FromText(Buffer(std::string("{\"k\":1}\n{\"k\":\n"))));
  SortKeys keys;
  absl::Status status = keys.Append(part, "k", "bag.sort_unpack");
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(status.message()),
             Catch::StartsWith("bag.sort_unpack(): key: malformed JSON in line 2"));
  SortKeys pairs;
  status = pairs.Append(Value(ValueList{Value(1)}), "", "bag.sort_unpack");
  CHECK_THAT(std::string(status.message()), Catch::Contains("item 1 is not a [key, value] pair"));
}

}  // namespace
}  // namespace weft::bag
