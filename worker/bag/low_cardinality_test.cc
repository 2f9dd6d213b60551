#include "worker/bag/low_cardinality.h"

#include <catch2/catch.hpp>
#include <string>

#include "common/compressed_lines.h"
#include "worker/bag/bag_ops.h"

namespace weft::bag {
namespace {

Value Lines(std::string text) { return Value(JsonLines::FromText(Buffer(std::move(text)))); }

template <typename T>
T Ok(absl::StatusOr<T> r) {
  REQUIRE(r.ok());
  return *std::move(r);
}

// 600 events: a type of three, an id each (many distinct), a flag, a number missing in
// every fifth, an actor object, a field with a dot, a "kind" that turns into an object at
// line 400, a "late" field missing from the first line.
std::string Events() {
  static const char* kTypes[] = {"PushEvent", "WatchEvent", "ForkEvent"};
  std::string text;
  for (int i = 0; i < 600; ++i) {
    text += "{\"id\":\"" + std::to_string(1000 + i) + "\",\"type\":\"" +
            kTypes[i % 3 == 0 ? 0 : i % 2 + 1] + "\",\"public\":" + (i % 7 == 0 ? "false" : "true");
    if (i % 5 != 1) text += ",\"n\":" + std::to_string(i % 4);
    text += ",\"actor\":{\"login\":\"u" + std::to_string(i % 11) + "\"},\"a.b\":1";
    text += i < 400 ? ",\"kind\":\"k\"" : ",\"kind\":{\"x\":1}";
    if (i > 0) text += ",\"late\":\"l\"";
    text += "}\n";
  }
  return text;
}

TEST_CASE("the first line's top-level scalar fields, each once, in order") {
  LineParser& parser = LineParser::ForThisThread();
  std::vector<std::string> names;
  JsonLines lines = Lines(
                        "{\"s\":\"x\",\"o\":{\"a\":1},\"n\":1.5,\"b\":true,\"z\":null,\"l\":[1],"
                        "\"\":1,\"a.b\":2,\"s\":3}\n[1,2]\n{\"s\":\n")
                        .as_json_lines();
  REQUIRE(parser.TopLevelScalarFields(lines, 0, &names).ok());
  CHECK(names == std::vector<std::string>{"s", "n", "b", "z"});
  REQUIRE(parser.TopLevelScalarFields(lines, 1, &names).ok());
  CHECK(names.empty());
  CHECK_FALSE(parser.TopLevelScalarFields(lines, 2, &names).ok());
}

TEST_CASE("a kept column is BuildColumn's; fields with many values or objects are dropped") {
  const JsonLines lines = Lines(Events()).as_json_lines();
  LineParser& parser = LineParser::ForThisThread();
  std::vector<std::string> names;
  REQUIRE(parser.TopLevelScalarFields(lines, 0, &names).ok());
  LowCardinalityColumns low({.max_fields = 16, .max_distinct = 8});
  low.Start(names, lines.num_lines());
  std::vector<Extracted> values;
  for (size_t i = 0; i < lines.num_lines(); ++i) {
    const std::vector<Path> paths = low.paths();
    REQUIRE(parser.ValidateAndExtract(lines, i, paths, &values).ok());
    low.Add(values);
  }
  auto kept = std::move(low).Finish();
  std::vector<std::string> kept_paths;
  for (const auto& [path, column] : kept) {
    kept_paths.push_back(path.str());
    INFO(path.str());
    std::shared_ptr<const Column> built = Ok(BuildColumn(lines, path));
    CHECK(column->codes == built->codes);
    CHECK(column->dictionary == built->dictionary);
  }
  // id: 600 distinct; actor: an object; a.b: no one-part path; kind: an object from line
  // 400; late: not in the first line.
  CHECK(kept_paths == std::vector<std::string>{"type", "public", "n"});
}

TEST_CASE("parse_json_compressed is compress(parse_json), its first frequencies read no block") {
  const Value lines = Lines(Events());
  const Value compressed = Ok(ParseJsonCompressed(lines, "f.json", "raise", 1));
  REQUIRE(compressed.is_compressed_lines());
  CHECK(Ok(DecompressValue(compressed)) == Ok(ParseJson(lines, "f.json", "raise")));
  ColumnCache::Stats before = ColumnCache::Global().stats();
  CHECK(Ok(Frequencies(compressed, "type")) == Ok(Frequencies(lines, "type")));
  CHECK(Ok(FilterCount(compressed, "public == false")) ==
        Ok(FilterCount(lines, "public == false")));
  ColumnCache::Stats after = ColumnCache::Global().stats();
  CHECK(after.hits == before.hits + 2);  // type and public were kept by the persist
  // A field with many values was not kept: built (and cached) on first use.
  before = after;
  CHECK(Ok(Frequencies(compressed, "actor.login")) == Ok(Frequencies(lines, "actor.login")));
  after = ColumnCache::Global().stats();
  CHECK(after.misses == before.misses + 2);  // the compressed and the raw partition's
}

TEST_CASE("parse_json_compressed skips or raises on malformed lines as parse_json does") {
  const Value bad = Lines(
      "{\"t\":\"a\",\"v\":1}\n{\"t\":\"b\"}\n{\"t\":\n{\"t\":\"a\",\"v\":2}\nnope\n{\"t\":\"c\"}"
      "\n");
  auto raised = ParseJsonCompressed(bad, "f.json", "raise", 1);
  REQUIRE_FALSE(raised.ok());
  CHECK(raised.status().message() == ParseJson(bad, "f.json", "raise").status().message());
  const Value skipped = Ok(ParseJsonCompressed(bad, "f.json", "skip", 1));
  const Value parsed = Ok(ParseJson(bad, "f.json", "skip"));
  CHECK(Ok(DecompressValue(skipped)) == parsed);
  const ColumnCache::Stats before = ColumnCache::Global().stats();
  CHECK(Ok(Frequencies(skipped, "t")) == Ok(Frequencies(parsed, "t")));
  CHECK(Ok(Frequencies(skipped, "v")) == Ok(Frequencies(parsed, "v")));
  CHECK(ColumnCache::Global().stats().hits == before.hits + 2);
  // A malformed first line offers no fields: no columns, the same answers.
  const Value first_bad = Lines("nope\n{\"t\":\"a\"}\n");
  const Value compressed = Ok(ParseJsonCompressed(first_bad, "f.json", "skip", 1));
  CHECK(Ok(Frequencies(compressed, "t")) ==
        Ok(Frequencies(Ok(ParseJson(first_bad, "f.json", "skip")), "t")));
  // A level zstd does not have: refused (on valid lines, so that the level is the reason).
  auto bad_level = ParseJsonCompressed(first_bad, "f.json", "skip", 99);
  REQUIRE_FALSE(bad_level.ok());
  CHECK_THAT(std::string(bad_level.status().message()), Catch::Contains("zstd level"));
}

}  // namespace
}  // namespace weft::bag
