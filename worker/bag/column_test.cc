#include "worker/bag/column.h"

#include <catch2/catch.hpp>
#include <string>

#include "worker/bag/value_order.h"

namespace weft::bag {
namespace {

JsonLines Lines(std::string text) { return JsonLines::FromText(Buffer(std::move(text))); }

JsonLines Events(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += "{\"type\":\"" + std::string(i % 3 == 0 ? "PushEvent" : "WatchEvent") +
            "\",\"n\":" + std::to_string(i % 2) + "}\n";
  }
  return Lines(text);
}

TEST_CASE("BuildColumn dictionary-encodes a path in order of first appearance") {
  JsonLines lines = Lines("{\"t\":\"b\"}\n{\"t\":\"a\"}\n{\"x\":1}\n{\"t\":\"b\"}\n{\"t\":2}\n");
  auto column = BuildColumn(lines, Path::Parse("t"));
  REQUIRE(column.ok());
  const Column& c = **column;
  CHECK(c.codes == std::vector<uint32_t>{0, 1, 2, 0, 3});
  CHECK(c.dictionary == ValueList{"b", "a", Value(), 2});
  CHECK(c.at(3) == Value("b"));
  CHECK(c.nbytes() > 0);
}

TEST_CASE("BuildColumn reports the malformed line") {
  JsonLines lines = Lines("{\"t\":1}\n{\"t\":1}\n{\"t\" 1}\n");
  auto column = BuildColumn(lines, Path::Parse("t"));
  REQUIRE_FALSE(column.ok());
  CHECK_THAT(std::string(column.status().message()), Catch::Contains("line 3"));
}

TEST_CASE("BuildColumn over Values") {
  ValueList items = {Value(Record{{"k", Value(1)}}), Value(Record{{"k", Value(1.0)}}),
                     Value(Record{{"k", Value(1)}}), Value(5)};
  auto column = BuildColumn(items, Path::Parse("k"));
  CHECK(column->codes == std::vector<uint32_t>{0, 1, 0, 2});
  CHECK(column->dictionary.size() == 3);  // 1 and 1.0 are distinct values
}

TEST_CASE("ColumnCache serves a second query from the cache") {
  ColumnCache cache(size_t{64} << 20);
  JsonLines lines = Events(100);
  auto first = cache.Get(lines, Path::Parse("type"));
  REQUIRE(first.ok());
  CHECK(cache.stats().misses == 1);
  CHECK(cache.stats().hits == 0);
  auto second = cache.Get(lines, Path::Parse("type"));
  REQUIRE(second.ok());
  CHECK(cache.stats().hits == 1);
  CHECK(first->get() == second->get());
  // A copy of the partition (same buffers) hits too; another path does not.
  JsonLines copy = lines;
  REQUIRE(cache.Get(copy, Path::Parse("type")).ok());
  CHECK(cache.stats().hits == 2);
  REQUIRE(cache.Get(lines, Path::Parse("n")).ok());
  CHECK(cache.stats().misses == 2);
  CHECK(cache.stats().entries == 2);
}

TEST_CASE("ColumnCache entries die with their buffers") {
  ColumnCache cache(size_t{64} << 20);
  {
    JsonLines lines = Events(50);
    REQUIRE(cache.Get(lines, Path::Parse("type")).ok());
    CHECK(cache.stats().entries == 1);
  }
  // The next insert drops the dead entry.
  JsonLines other = Events(10);
  REQUIRE(cache.Get(other, Path::Parse("type")).ok());
  CHECK(cache.stats().entries == 1);
  CHECK(cache.stats().misses == 2);
}

TEST_CASE("ColumnCache evicts the least recently used column when full") {
  JsonLines a = Events(1000), b = Events(1000), c = Events(1000);
  ColumnCache probe(size_t{1} << 30);
  REQUIRE(probe.Get(a, Path::Parse("type")).ok());
  const size_t one = probe.stats().bytes;
  ColumnCache cache(one * 2 + one / 2);  // room for two
  REQUIRE(cache.Get(a, Path::Parse("type")).ok());
  REQUIRE(cache.Get(b, Path::Parse("type")).ok());
  REQUIRE(cache.Get(a, Path::Parse("type")).ok());  // a is now the most recent
  REQUIRE(cache.Get(c, Path::Parse("type")).ok());  // evicts b
  CHECK(cache.stats().evictions == 1);
  CHECK(cache.stats().entries == 2);
  const int64_t hits = cache.stats().hits;
  REQUIRE(cache.Get(a, Path::Parse("type")).ok());
  CHECK(cache.stats().hits == hits + 1);
  REQUIRE(cache.Get(b, Path::Parse("type")).ok());
  CHECK(cache.stats().hits == hits + 1);  // b was evicted: a miss
  CHECK(cache.stats().bytes <= one * 2 + one / 2);
  // A column larger than the whole cache is returned but not kept.
  ColumnCache tiny(16);
  REQUIRE(tiny.Get(a, Path::Parse("type")).ok());
  CHECK(tiny.stats().entries == 0);
}

TEST_CASE("CompareValues orders kinds, numbers and containers") {
  CHECK(CompareValues(Value(), Value(false)) < 0);
  CHECK(CompareValues(Value(true), Value(0)) < 0);
  CHECK(CompareValues(Value(1), Value(1.5)) < 0);
  CHECK(CompareValues(Value(2), Value(1.5)) > 0);
  CHECK(CompareValues(Value(1), Value(1.0)) < 0);  // equal value: int first
  CHECK(CompareValues(Value(1.0), Value(1)) > 0);
  CHECK(CompareValues(Value(99), Value("a")) < 0);
  CHECK(CompareValues(Value("ab"), Value("b")) < 0);
  CHECK(CompareValues(Value(ValueList{1, 2}), Value(ValueList{1, 2, 0})) < 0);
  CHECK(CompareValues(Value(ValueList{1, 3}), Value(ValueList{1, 2, 0})) > 0);
  CHECK(CompareValues(Value(ValueList{1, "x"}), Value(ValueList{1, "x"})) == 0);
  CHECK(ValueHash()(Value(ValueList{1, "x"})) == ValueHash()(Value(ValueList{1, "x"})));
  CHECK(ValueHash()(Value(0.0)) == ValueHash()(Value(-0.0)));
}

}  // namespace
}  // namespace weft::bag

namespace weft::bag {
namespace {

TEST_CASE("columns read while validating equal the columns parsed on their own") {
  // Strings (escaped too), numbers of each kind, booleans, nulls, nested records and lists,
  // missing fields, list indices, a field named like an index.
  const JsonLines lines = Lines(
      "{\"a\":{\"b\":\"x\\\"y\",\"c\":[1,2.5,{\"d\":true}]},\"n\":-3,\"0\":\"zero\"}\n"
      "{\"a\":{\"b\":18446744073709551615,\"c\":[]},\"n\":null}\n"
      "{\"a\":[\"p\",\"q\"],\"n\":1e300}\n"
      "{\"n\":{\"deep\":[null,false]}}\n");
  std::vector<Path> paths;
  for (const char* p : {"a.b", "a.c", "a.c.1", "a.c.2.d", "a.1", "n", "0", "missing.x", "a"}) {
    paths.push_back(Path::Parse(p));
  }
  LineParser& parser = LineParser::ForThisThread();
  std::vector<ColumnBuilder> built(paths.size());
  std::vector<Extracted> extracted;
  for (size_t i = 0; i < lines.num_lines(); ++i) {
    REQUIRE(parser.ValidateAndExtract(lines, i, paths, &extracted).ok());
    for (size_t p = 0; p < paths.size(); ++p) built[p].Add(extracted[p]);
  }
  for (size_t p = 0; p < paths.size(); ++p) {
    INFO("path " << paths[p].str());
    auto parsed = BuildColumn(lines, paths[p]);
    REQUIRE(parsed.ok());
    std::shared_ptr<const Column> read = std::move(built[p]).Finish();
    REQUIRE(read->size() == (*parsed)->size());
    for (size_t i = 0; i < read->size(); ++i) {
      INFO("line " << i + 1 << ": " << read->at(i).DebugString() << " vs "
                   << (*parsed)->at(i).DebugString());
      CHECK(CompareValues(read->at(i), (*parsed)->at(i)) == 0);
      CHECK(read->at(i).kind() == (*parsed)->at(i).kind());
    }
  }
  CHECK_FALSE(parser.ValidateAndExtract(Lines("{\"a\":1,}\n"), 0, paths, &extracted).ok());
}

TEST_CASE("a column put in the cache is served for those lines, and only while they live") {
  ColumnCache cache(1 << 20);
  JsonLines lines = Events(10);
  ColumnBuilder builder;
  for (int i = 0; i < 10; ++i) builder.Add(Value(int64_t{i}));
  cache.Put(lines, Path::Parse("type"), std::move(builder).Finish());
  auto column = cache.Get(lines, Path::Parse("type"));
  REQUIRE(column.ok());
  CHECK((*column)->at(7) == Value(int64_t{7}));  // the one put, not one parsed
  CHECK(cache.stats().hits == 1);
  CHECK(cache.stats().misses == 0);
}

}  // namespace
}  // namespace weft::bag
