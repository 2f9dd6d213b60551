// The shuffle's split and unpack functions, on partitions built in the test.
#include "worker/bag/shuffle_ops.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "worker/bag/bag_ops.h"
#include "worker/bag/partition.h"
#include "worker/bag/value_order.h"

namespace weft::bag {
namespace {

Value Lines(std::string text) { return Value(JsonLines::FromText(Buffer(std::move(text)))); }

template <typename T>
T Ok(absl::StatusOr<T> r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *std::move(r);
}

Value Pair(Value k, Value v) { return Value(ValueList{std::move(k), std::move(v)}); }

const char kEvents[] =
    "{\"a\":{\"l\":\"x\"},\"n\":1}\n{\"a\":{\"l\":\"y\"},\"n\":2}\n{\"a\":{\"l\":\"x\"},\"n\":3}\n"
    "{\"n\":4}\n{\"a\":{\"l\":\"z\"},\"n\":5}\n";

TEST_CASE("equal keys hash alike, whatever their kind") {
  CHECK(StableKeyHash(Value(1)) == StableKeyHash(Value(1.0)));
  CHECK(StableKeyHash(Value(0)) == StableKeyHash(Value(-0.0)));
  CHECK(StableKeyHash(Value("1")) != StableKeyHash(Value(1)));
  CHECK(StableKeyHash(Value(ValueList{Value("a"), Value(2)})) ==
        StableKeyHash(Value(ValueList{Value("a"), Value(2.0)})));
}

TEST_CASE("a hash split keeps JSON lines as text and puts each key in one bucket") {
  Value split = Ok(HashSplit(Lines(kEvents), "a.l", 3));
  REQUIRE(split.as_list().size() == 3);
  size_t lines = 0;
  int x_buckets = 0;
  for (const Value& bucket : split.as_list()) {
    REQUIRE(bucket.is_json_lines());
    lines += bucket.as_json_lines().num_lines();
    std::string text(bucket.as_json_lines().text.view());
    if (text.find("\"x\"") != std::string::npos) {
      ++x_buckets;
      CHECK(text.find("\"x\"", text.find("\"x\"") + 1) != std::string::npos);  // both x records
    }
  }
  CHECK(lines == 5);
  CHECK(x_buckets == 1);
  // Grouping the buckets back gives the groups, null key for the record without a.l.
  Value groups = Ok(GroupUnpack(split.as_list(), "a.l"));
  REQUIRE(groups.as_list().size() == 4);
  CHECK(groups.as_list()[0].as_list()[0].is_null());
  CHECK(groups.as_list()[1].as_list()[0] == Value("x"));
  CHECK(groups.as_list()[1].as_list()[1].as_list().size() == 2);
}

TEST_CASE("the fused pairs split agrees with to_pairs then a combine split") {
  TaskContext context;
  for (const char* op : {"sum", "count", "min", "max", "mean"}) {
    INFO(op);
    Value fused = Ok(PairsCombineSplit(context, Lines(kEvents), "a.l", "n", op, 2));
    Value pairs = Ok(ToPairs(Lines(kEvents), "a.l", "n"));
    Value plain = Ok(CombineSplit(context, pairs, op, 2));
    Value a = Ok(ReduceUnpack(context, fused.as_list(), op));
    Value b = Ok(ReduceUnpack(context, plain.as_list(), op));
    CHECK(CompareValues(a, b) == 0);
  }
  Value sums = Ok(ReduceUnpack(
      context, Ok(PairsCombineSplit(context, Lines(kEvents), "a.l", "n", "sum", 1)).as_list(),
      "sum"));
  CHECK(sums == Value(ValueList{Pair(Value(), Value(4)), Pair(Value("x"), Value(4)),
                                Pair(Value("y"), Value(2)), Pair(Value("z"), Value(5))}));
  // "_" and "_.path" are paths too; a computed key takes the general path.
  Value words = Value(ValueList{Value("a"), Value("b"), Value("a")});
  CHECK(Ok(ReduceUnpack(
            context, Ok(PairsCombineSplit(context, words, "_", "1", "sum", 1)).as_list(), "sum")) ==
        Value(ValueList{Pair(Value("a"), Value(2)), Pair(Value("b"), Value(1))}));
  CHECK(Ok(PairsCombineSplit(context, Lines(kEvents), "_.a.l", "n", "sum", 1)) ==
        Ok(PairsCombineSplit(context, Lines(kEvents), "a.l", "n", "sum", 1)));
  Value upper = Ok(ReduceUnpack(
      context,
      Ok(PairsCombineSplit(context, Lines(kEvents), "upper(a.l)", "1", "count", 1)).as_list(),
      "count"));
  CHECK(upper.as_list()[1] == Pair(Value("X"), Value(2)));
}

TEST_CASE("means combine as [sum, count] partials") {
  TaskContext context;
  Value left = Ok(CombineSplit(
      context, Value(ValueList{Pair(Value("k"), Value(1)), Pair(Value("k"), Value(2))}), "mean",
      1));
  Value right = Ok(CombineSplit(context, Value(ValueList{Pair(Value("k"), Value(6))}), "mean", 1));
  Value mean = Ok(ReduceUnpack(context, {left.as_list()[0], right.as_list()[0]}, "mean"));
  CHECK(mean == Value(ValueList{Pair(Value("k"), Value(3.0))}));
  // Without a registry a named function cannot be called: a clear error.
  auto unknown = CombineSplit(
      context, Value(ValueList{Pair(Value("k"), Value(1)), Pair(Value("k"), Value(2))}), "my_add",
      1);
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(std::string(unknown.status().message()), Catch::Contains("my_add"));
}

TEST_CASE("range splits and sorted unpacks order keys across partitions") {
  ValueList items;
  for (int i : {5, 3, 9, 1, 7, 3}) items.push_back(Pair(Value(i), Value(i * 10)));
  Value sample = Ok(SampleKeys(Value(items), "", 100));
  Value bounds = Ok(RangeBoundaries({sample}, 3));
  REQUIRE(bounds.as_list().size() == 2);
  Value split = Ok(RangeSplit(Value(items), "", bounds, /*ascending=*/true));
  REQUIRE(split.as_list().size() == 3);
  ValueList keys;
  for (const Value& bucket : split.as_list()) {
    Value sorted = Ok(SortUnpack({bucket}, "_[0]", true));
    for (const Value& p : sorted.as_list()) keys.push_back(p.as_list()[0]);
  }
  CHECK(keys == ValueList{Value(1), Value(3), Value(3), Value(5), Value(7), Value(9)});
  Value down = Ok(RangeSplit(Value(items), "", bounds, /*ascending=*/false));
  CHECK(Ok(SortUnpack({down.as_list()[0]}, "", false)).as_list()[0].as_list()[0] == Value(9));
}

TEST_CASE("a range split puts each key after exactly the boundaries below it") {
  // Random strings over a small alphabet, so that keys share long prefixes and equal the
  // boundaries; every count of boundaries from none to 70.
  std::mt19937 random(7);
  auto random_key = [&] {
    std::string key(1 + random() % 12, 'a');
    for (char& c : key) c = static_cast<char>('a' + random() % 3);
    return key;
  };
  ValueList items;
  for (int i = 0; i < 2000; ++i) items.push_back(Pair(Value(random_key()), Value(i)));
  for (size_t nbounds : {0, 1, 2, 7, 63, 70}) {
    ValueList bounds;
    for (size_t b = 0; b < nbounds; ++b) bounds.push_back(Value(random_key()));
    std::sort(bounds.begin(), bounds.end(),
              [](const Value& a, const Value& b) { return CompareValues(a, b) < 0; });
    const Value split = Ok(RangeSplit(Value(items), "", Value(bounds), /*ascending=*/true));
    REQUIRE(split.as_list().size() == nbounds + 1);
    size_t seen = 0;
    for (size_t bucket = 0; bucket <= nbounds; ++bucket) {
      for (const Value& pair : split.as_list()[bucket].as_list()) {
        const Value& key = pair.as_list()[0];
        const auto below = std::count_if(bounds.begin(), bounds.end(),
                                         [&](const Value& b) { return CompareValues(b, key) < 0; });
        INFO(key.as_string() << " with " << nbounds << " boundaries");
        CHECK(static_cast<size_t>(below) == bucket);
        ++seen;
      }
    }
    CHECK(seen == items.size());
  }
}

TEST_CASE("the fused parse and range split agrees with parse_json then range_split") {
  // Raw lines: keys of several kinds, a missing key, nested paths, and a "\r\n" ending.
  const std::string text =
      "{\"k\":\"m\",\"a\":{\"b\":3}}\n{\"k\":2}\r\n{\"a\":{\"b\":1}}\n{\"k\":\"c\",\"a\":{\"b\":2}}"
      "\n"
      "{\"k\":\"zz\",\"a\":{\"b\":5}}\n{\"k\":\"c\",\"a\":{\"b\":4}}\n";
  const Value bounds(ValueList{Value("b"), Value("d")});
  const Value nested_bounds(ValueList{Value(2), Value(4)});
  auto both = [&](const std::string& lines, const std::string& on_error, const std::string& key,
                  const Value& b, bool ascending) {
    absl::StatusOr<Value> fused =
        ParseRangeSplit(Lines(lines), "f.json", on_error, key, b, ascending);
    absl::StatusOr<Value> parsed = ParseJson(Lines(lines), "f.json", on_error);
    absl::StatusOr<Value> apart =
        parsed.ok() ? RangeSplit(*parsed, key, b, ascending) : parsed.status();
    INFO(key << " " << on_error << " " << ascending);
    REQUIRE(fused.ok() == apart.ok());
    if (!fused.ok()) {
      CHECK(fused.status() == apart.status());
      return;
    }
    REQUIRE(fused->as_list().size() == apart->as_list().size());
    for (size_t j = 0; j < fused->as_list().size(); ++j) {
      CHECK(fused->as_list()[j].as_json_lines().text.view() ==
            apart->as_list()[j].as_json_lines().text.view());
    }
  };
  for (bool ascending : {true, false}) {
    both(text, "raise", "k", bounds, ascending);
    both(text, "raise", "a.b", nested_bounds, ascending);
    both(text, "raise", "a.b * 2", nested_bounds, ascending);  // not a path: parsed, then split
  }
  // Every line lands in one bucket, in input order within it.
  Value split = Ok(ParseRangeSplit(Lines(text), "f.json", "raise", "k", bounds, true));
  CHECK(split.as_list()[0].as_json_lines().num_lines() == 2);  // 2, then the missing key
  CHECK(split.as_list()[1].as_json_lines().num_lines() == 2);  // "c", "c"
  CHECK(split.as_list()[2].as_json_lines().num_lines() == 2);  // "m", "zz"
  // A malformed line: parse_json's error in raise mode, dropped in skip mode.
  const std::string bad = text + "{oops\n{\"k\":\"a\"}\n";
  both(bad, "raise", "k", bounds, true);
  CHECK_THAT(
      std::string(
          ParseRangeSplit(Lines(bad), "f.json", "raise", "k", bounds, true).status().message()),
      Catch::StartsWith("malformed JSON in f.json line 7: "));
  both(bad, "skip", "k", bounds, true);
  CHECK(Ok(ParseRangeSplit(Lines(bad), "f.json", "skip", "k", bounds, true))
            .as_list()[0]
            .as_json_lines()
            .num_lines() == 3);
  both(text, "neither", "k", bounds, true);  // parse_json's error for on_error
  CHECK_FALSE(ParseRangeSplit(Lines(text), "f.json", "raise", "k", Value(1), true).ok());
}

TEST_CASE("sort_unpack gathers JsonLines buckets in key order, stable, as lines") {
  // Three buckets (one with \r\n endings, one empty) and a short one of fewer lines than
  // the gather reads ahead.
  std::vector<std::string> texts(4);
  std::vector<std::pair<int, std::string>> expected;  // (key, line), in input order
  for (int b = 0; b < 3; ++b) {
    if (b == 1) continue;
    for (int i = 0; i < 1000; ++i) {
      const int key = (i * 7919 + b * 31) % 257;
      const std::string line = "{\"k\":" + std::to_string(key) + ",\"b\":" + std::to_string(b) +
                               ",\"i\":" + std::to_string(i) + "}";
      texts[b] += line + (b == 2 ? "\r\n" : "\n");
      expected.emplace_back(key, line);
    }
  }
  texts[3] = "{\"k\":3,\"b\":3}\n{\"k\":1,\"b\":3}\n";
  expected.emplace_back(3, "{\"k\":3,\"b\":3}");
  expected.emplace_back(1, "{\"k\":1,\"b\":3}");
  ValueList buckets;
  for (const std::string& text : texts) buckets.push_back(Lines(text));
  std::stable_sort(expected.begin(), expected.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  const Value sorted = Ok(SortUnpack(buckets, "k", true));
  REQUIRE(sorted.is_json_lines());
  const JsonLines& lines = sorted.as_json_lines();
  REQUIRE(lines.num_lines() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) CHECK(lines.line(i) == expected[i].second);
  // Fewer lines than the read-ahead.
  const Value short_sorted = Ok(SortUnpack({buckets[3]}, "k", true));
  CHECK(short_sorted.as_json_lines().line(0) == "{\"k\":1,\"b\":3}");
  CHECK(short_sorted.as_json_lines().line(1) == "{\"k\":3,\"b\":3}");
}

TEST_CASE("an inner join pairs every left value with every right value of a key") {
  ValueList left = {Pair(Value("a"), Value(1)), Pair(Value("b"), Value(2)),
                    Pair(Value("a"), Value(3))};
  ValueList right = {Pair(Value("a"), Value("x")), Pair(Value("c"), Value("y"))};
  Value joined = Ok(JoinUnpack({Value(left)}, {Value(right)}));
  CHECK(joined == Value(ValueList{Pair(Value("a"), Pair(Value(1), Value("x"))),
                                  Pair(Value("a"), Pair(Value(3), Value("x")))}));
  auto not_pairs = JoinUnpack({Value(ValueList{Value(1)})}, {Value(right)});
  REQUIRE_FALSE(not_pairs.ok());
  CHECK_THAT(std::string(not_pairs.status().message()), Catch::Contains("not a [key, value] pair"));
}

}  // namespace
}  // namespace weft::bag
