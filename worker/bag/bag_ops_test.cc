#include "worker/bag/bag_ops.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/compressed_lines.h"
#include "worker/bag/column.h"
#include "worker/bag/json_access.h"

namespace weft::bag {
namespace {

Value Lines(std::string text) { return Value(JsonLines::FromText(Buffer(std::move(text)))); }

const char kEvents[] =
    "{\"type\":\"PushEvent\",\"actor\":{\"login\":\"ann\"},\"repo\":{\"name\":\"jupyter/"
    "a\"},\"n\":3}\n"
    "{\"type\":\"WatchEvent\",\"actor\":{\"login\":\"bob\"},\"repo\":{\"name\":\"x/b\"},\"n\":1}\n"
    "{\"type\":\"PushEvent\",\"actor\":{\"login\":\"bob\"},\"repo\":{\"name\":\"jupyter/"
    "c\"},\"n\":7}\n"
    "{\"type\":\"ForkEvent\",\"actor\":{\"login\":\"cy\"},\"repo\":{\"name\":\"jupyter/a\"}}\n"
    "{\"type\":\"PushEvent\",\"actor\":{\"login\":\"ann\"},\"repo\":{\"name\":\"y/d\"},\"n\":2}\n";

Value Pair(Value a, Value b) { return Value(ValueList{std::move(a), std::move(b)}); }

template <typename T>
T Ok(absl::StatusOr<T> r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *std::move(r);
}

std::string WriteTemp(const std::string& content, const std::string& suffix) {
  std::string path = std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") +
                     "/bag_ops_test_" + std::to_string(getpid()) + suffix;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST_CASE("read_text reads a file into JsonLines, dropping final empty lines") {
  const std::string path = WriteTemp("{\"a\":1}\r\n{\"a\":2}\n\n\n", ".json");
  Value v = Ok(ReadText(path, "infer"));
  REQUIRE(v.is_json_lines());
  REQUIRE(v.as_json_lines().num_lines() == 2);
  CHECK(LineAt(v.as_json_lines(), 0) == "{\"a\":1}");
  CHECK(Ok(ReadText(path, "none")).as_json_lines().num_lines() == 2);
  CHECK(ReadText(path, "lzma").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ReadText(path + ".nope", "none").status().code() == absl::StatusCode::kNotFound);
  Value listed = Ok(ListFiles(path));
  CHECK(listed == Value(ValueList{path}));
  const std::string empty = WriteTemp("", ".empty");
  CHECK(Ok(ReadText(empty, "none")).as_json_lines().num_lines() == 0);
  std::remove(path.c_str());
  std::remove(empty.c_str());
}

TEST_CASE("read_text_sample: the whole lines of evenly spaced ranges of a plain file") {
  // 20,000 numbered lines of 11 to 50 bytes.
  std::string text;
  std::vector<size_t> starts;
  for (int i = 0; i < 20000; ++i) {
    starts.push_back(text.size());
    text += "{\"i\":" + std::to_string(i) + ",\"p\":\"" + std::string(i % 37, 'x') + "\"}\n";
  }
  const std::string path = WriteTemp(text, ".sample.json");
  const JsonLines whole = Ok(ReadText(path, "infer")).as_json_lines();
  const JsonLines sample = Ok(ReadTextSample(path, "infer", 8, 4096)).as_json_lines();
  // Each range of 4 KiB holds about 4096 / 30 lines, less the two it cuts.
  CHECK(sample.num_lines() > 8 * 100);
  CHECK(sample.num_lines() < 8 * 140);
  // Whole lines of the file, in its order, from each of the 8 ranges.
  std::set<size_t> ranges;
  int64_t previous = -1;
  for (size_t k = 0; k < sample.num_lines(); ++k) {
    const std::string line(LineAt(sample, k));
    const size_t colon = line.find(':'), comma = line.find(',');
    REQUIRE(colon != std::string::npos);
    const int64_t i = std::stoll(line.substr(colon + 1, comma - colon - 1));
    REQUIRE(i >= 0);
    REQUIRE(i < 20000);
    CHECK(line == LineAt(whole, i));
    CHECK(i > previous);
    previous = i;
    ranges.insert(starts[i] * 7 / (text.size() - 4096));
  }
  CHECK(ranges.size() == 8);
  // The first range starts the file and the last one ends it: their lines are in, the
  // last one with or without a final newline.
  CHECK(LineAt(sample, 0) == LineAt(whole, 0));
  CHECK(LineAt(sample, sample.num_lines() - 1) == LineAt(whole, 19999));
  const std::string unterminated = WriteTemp(text.substr(0, text.size() - 1), ".sample2.json");
  const JsonLines cut = Ok(ReadTextSample(unterminated, "none", 8, 4096)).as_json_lines();
  CHECK(LineAt(cut, cut.num_lines() - 1) == LineAt(whole, 19999));

  SECTION("read whole: a small file, a compressed one, lines longer than the ranges") {
    CHECK(Ok(ReadTextSample(path, "infer", 8, 65536)).as_json_lines().text.view() == text);
    const std::string gz = path + ".gz";
    REQUIRE(std::system(("gzip -c " + path + " > " + gz).c_str()) == 0);
    CHECK(Ok(ReadTextSample(gz, "infer", 8, 4096)).as_json_lines().text.view() == text);
    CHECK_FALSE(ReadTextSample(path, "gzip", 8, 4096).ok());  // not gzip: read as such
    std::string long_lines;
    for (int i = 0; i < 40; ++i) long_lines += "\"" + std::string(5000, 'a' + i % 26) + "\"\n";
    const std::string wide = WriteTemp(long_lines, ".wide.json");
    CHECK(Ok(ReadTextSample(wide, "none", 8, 1024)).as_json_lines().num_lines() == 40);
    std::remove(gz.c_str());
    std::remove(wide.c_str());
  }
  CHECK(ReadTextSample(path + ".nope", "none", 8, 4096).status().code() ==
        absl::StatusCode::kNotFound);
  std::remove(path.c_str());
  std::remove(unterminated.c_str());
}

TEST_CASE("read_text decompresses gzip by extension") {
  const std::string plain = WriteTemp(kEvents, ".json");
  const std::string gz = plain + ".gz";
  REQUIRE(std::system(("gzip -c " + plain + " > " + gz).c_str()) == 0);
  Value v = Ok(ReadText(gz, "infer"));
  CHECK(v.as_json_lines().num_lines() == 5);
  CHECK(v.as_json_lines().text.view() == kEvents);
  std::remove(plain.c_str());
  std::remove(gz.c_str());
}

TEST_CASE("parse_json validates, raises with the line number, or skips") {
  Value good = Lines(kEvents);
  Value same = Ok(ParseJson(good, "f.json", "raise"));
  CHECK(same.as_json_lines().text.data() == good.as_json_lines().text.data());  // zero copy
  CHECK(Ok(ParseJson(good, "f.json", "skip")).as_json_lines().text.data() ==
        good.as_json_lines().text.data());
  Value bad = Lines("{\"a\":1}\n{\"a\":2}\n{\"a\":\n{\"a\":4}\nnope\n");
  auto raised = ParseJson(bad, "s3://b/f.json.gz", "raise");
  REQUIRE_FALSE(raised.ok());
  CHECK(raised.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(raised.status().message()),
             Catch::StartsWith("malformed JSON in s3://b/f.json.gz line 3: "));
  Value skipped = Ok(ParseJson(bad, "f", "skip"));
  REQUIRE(skipped.as_json_lines().num_lines() == 3);
  CHECK(LineAt(skipped.as_json_lines(), 2) == "{\"a\":4}");
  CHECK(Ok(CountMalformed(bad)) == 2);
  CHECK(Ok(CountMalformed(good)) == 0);
  CHECK_FALSE(ParseJson(bad, "f", "ignore").ok());
  CHECK_FALSE(ParseJson(Value(ValueList{}), "f", "raise").ok());
  CHECK(Ok(ParseJson(Lines(""), "f", "raise")).as_json_lines().num_lines() == 0);
}

TEST_CASE("parse_json_columns is parse_json, with the filter's columns read on the way") {
  Value bad = Lines("{\"t\":\"a\"}\n{\"t\":\"b\"}\n{\"t\":\n{\"t\":\"a\"}\nnope\n");
  const std::string filter = "t == \"a\"";
  auto raised = ParseJsonColumns(bad, "f.json", "raise", filter);
  REQUIRE_FALSE(raised.ok());
  CHECK(raised.status().message() == ParseJson(bad, "f.json", "raise").status().message());
  const ColumnCache::Stats before = ColumnCache::Global().stats();
  Value skipped = Ok(ParseJsonColumns(bad, "f", "skip", filter));
  CHECK(skipped == Ok(ParseJson(bad, "f", "skip")));
  CHECK(Ok(FilterCount(skipped, filter)) == 2);
  const ColumnCache::Stats after = ColumnCache::Global().stats();
  CHECK(after.hits == before.hits + 1);  // the column parse_json_columns read
  CHECK(after.misses == before.misses);
  // The value language's expressions and `_` read no column; the answer is the same.
  Value good = Lines(kEvents);
  for (const char* expression : {"n > 2", "length(actor.login) == 3", "_ != null"}) {
    INFO(expression);
    Value parsed = Ok(ParseJsonColumns(good, "f", "raise", expression));
    CHECK(parsed.as_json_lines().text.data() == good.as_json_lines().text.data());
    CHECK(Ok(FilterCount(parsed, expression)) == Ok(FilterCount(good, expression)));
  }
}

TEST_CASE("pluck reads a path from JsonLines and from Values; missing is null") {
  Value part = Lines(kEvents);
  CHECK(Ok(Pluck(part, "actor.login")) == Value(ValueList{"ann", "bob", "bob", "cy", "ann"}));
  CHECK(Ok(Pluck(part, "n")) == Value(ValueList{3, 1, 7, Value(), 2}));
  CHECK(Ok(Pluck(part, "actor")).as_list()[0] == Value(Record{{"login", Value("ann")}}));
  Value records = Ok(Take(part, 100));
  CHECK(Ok(Pluck(records, "actor.login")) == Ok(Pluck(part, "actor.login")));
  CHECK(Ok(Pluck(Lines(""), "x")) == Value(ValueList{}));
  CHECK_FALSE(Pluck(Value(3), "x").ok());
  CHECK_FALSE(Pluck(Lines("{\"a\":1}\n{bad\n"), "a").ok());
}

TEST_CASE("filter keeps the kind of its input") {
  Value part = Lines(kEvents);
  Value jupyter =
      Ok(Filter(part, "starts_with(repo.name, \"jupyter/\") and type == \"PushEvent\""));
  REQUIRE(jupyter.is_json_lines());
  CHECK(jupyter.as_json_lines().num_lines() == 2);
  CHECK(Ok(Pluck(jupyter, "actor.login")) == Value(ValueList{"ann", "bob"}));
  // All selected: the input itself.
  Value all = Ok(Filter(part, "exists(type)"));
  CHECK(all.as_json_lines().text.data() == part.as_json_lines().text.data());
  CHECK(Ok(Filter(part, "n > 100")).as_json_lines().num_lines() == 0);
  Value records = Ok(Take(part, 5));
  Value filtered = Ok(Filter(records, "n >= 3"));
  REQUIRE(filtered.is_list());
  CHECK(filtered.as_list().size() == 2);
  auto bad = Filter(part, "type = 1");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("column 6"));
  CHECK(Ok(Filter(Lines(""), "n > 1")).as_json_lines().num_lines() == 0);
}

TEST_CASE("count, take, concat and split") {
  Value part = Lines(kEvents);
  CHECK(Ok(Count(part)) == 5);
  CHECK(Ok(Count(Value(ValueList{1, 2}))) == 2);
  CHECK(Ok(Count(Lines(""))) == 0);
  CHECK_FALSE(Count(Value("x")).ok());

  Value two = Ok(Take(part, 2));
  REQUIRE(two.as_list().size() == 2);
  CHECK(two.as_list()[0].as_record()[0].first == "type");
  CHECK(two.as_list()[1].Find("actor")->Find("login")->as_string() == "bob");
  CHECK(Ok(Take(part, std::numeric_limits<int64_t>::max())).as_list().size() == 5);
  CHECK(Ok(Take(part, 0)).as_list().empty());
  CHECK_FALSE(Take(part, -1).ok());

  // split then concat gives the partition back.
  ValueList pieces;
  for (int i = 0; i < 3; ++i) pieces.push_back(Ok(Split(part, i, 3)));
  CHECK(Ok(Count(pieces[0])) + Ok(Count(pieces[1])) + Ok(Count(pieces[2])) == 5);
  CHECK(pieces[1].as_json_lines().text.owner() == part.as_json_lines().text.owner());  // no copy
  Value joined = Ok(Concat(pieces));
  REQUIRE(joined.is_json_lines());
  CHECK(joined.as_json_lines().text.view() == kEvents);
  CHECK(Ok(Pluck(pieces[2], "actor.login")) == Value(ValueList{"cy", "ann"}));
  CHECK_FALSE(Split(part, 3, 3).ok());
  CHECK(Ok(Split(Lines(""), 0, 2)).as_json_lines().num_lines() == 0);
  CHECK(Ok(Split(Value(ValueList{1, 2, 3, 4}), 1, 2)) == Value(ValueList{3, 4}));

  // Mixed kinds become a list of Values; empty parts are neutral.
  Value mixed = Ok(Concat({Ok(Split(part, 0, 5)), Value(ValueList{7})}));
  REQUIRE(mixed.is_list());
  CHECK(mixed.as_list().size() == 2);
  CHECK(mixed.as_list()[1] == Value(7));
  CHECK(Ok(Concat({Value(ValueList{}), part})).as_json_lines().text.data() ==
        part.as_json_lines().text.data());
  CHECK(Ok(Concat({})) == Value(ValueList{}));
}

TEST_CASE("frequencies and merge_frequencies") {
  Value part = Lines(kEvents);
  Value f = Ok(Frequencies(part, "type"));
  CHECK(f == Value(ValueList{Pair("PushEvent", 3), Pair("ForkEvent", 1), Pair("WatchEvent", 1)}));
  Value plucked = Ok(Pluck(part, "actor.login"));
  CHECK(Ok(Frequencies(plucked, "")) ==
        Value(ValueList{Pair("ann", 2), Pair("bob", 2), Pair("cy", 1)}));
  CHECK(Ok(Frequencies(part, "n")).as_list().size() == 5);  // null counted
  Value merged = Ok(MergeFrequencies({Ok(Frequencies(Ok(Split(part, 0, 2)), "type")),
                                      Ok(Frequencies(Ok(Split(part, 1, 2)), "type"))}));
  CHECK(merged == f);
  CHECK(Ok(MergeFrequencies({})) == Value(ValueList{}));
  CHECK(Ok(Frequencies(Lines(""), "type")) == Value(ValueList{}));
  CHECK_FALSE(MergeFrequencies({Value(ValueList{Value(1)})}).ok());
  CHECK_FALSE(MergeFrequencies({Value(3)}).ok());
}

TEST_CASE("a second frequencies on the same buffer is served from the column cache") {
  Value part = Lines(kEvents);
  const auto before = ColumnCache::Global().stats();
  Value first = Ok(Frequencies(part, "actor.login"));
  CHECK(ColumnCache::Global().stats().misses == before.misses + 1);
  Value second = Ok(Frequencies(part, "actor.login"));
  CHECK(ColumnCache::Global().stats().hits == before.hits + 1);
  CHECK(ColumnCache::Global().stats().misses == before.misses + 1);
  CHECK(first == second);
  // distinct and filter reuse it too.
  REQUIRE(Distinct(part, "actor.login").ok());
  REQUIRE(Filter(part, "actor.login == \"bob\"").ok());
  CHECK(ColumnCache::Global().stats().hits == before.hits + 3);
}

TEST_CASE("topk and merge_topk") {
  Value part = Lines(kEvents);
  Value top = Ok(TopK(part, 2, "n"));
  REQUIRE(top.as_list().size() == 2);
  CHECK(*top.as_list()[0].Find("n") == Value(7));
  CHECK(*top.as_list()[1].Find("n") == Value(3));
  CHECK(Ok(TopK(Value(ValueList{3, 1, 4, 1, 5}), 3, "")) == Value(ValueList{5, 4, 3}));
  Value freq = Value(ValueList{Pair("a", 1), Pair("b", 5), Pair("c", 5), Pair("d", 2)});
  CHECK(Ok(TopK(freq, 2, "1")) == Value(ValueList{Pair("b", 5), Pair("c", 5)}));  // ties in order
  Value merged = Ok(MergeTopK(
      {Ok(TopK(Value(ValueList{1, 9, 2}), 2, "")), Ok(TopK(Value(ValueList{8, 3}), 2, ""))}, 3,
      ""));
  CHECK(merged == Value(ValueList{9, 8, 3}));
  CHECK(Ok(TopK(part, 0, "n")).as_list().empty());
  CHECK(Ok(TopK(Lines(""), 3, "n")).as_list().empty());
  CHECK(Ok(TopK(part, 100, "n")).as_list().size() == 5);
  CHECK_FALSE(TopK(part, -1, "n").ok());
  CHECK_FALSE(MergeTopK({Value(1)}, 1, "").ok());
}

TEST_CASE("distinct and merge_distinct keep first appearance") {
  Value part = Lines(kEvents);
  CHECK(Ok(Distinct(part, "repo.name")) ==
        Value(ValueList{"jupyter/a", "x/b", "jupyter/c", "y/d"}));
  CHECK(Ok(Distinct(Value(ValueList{2, 1, 2, 3}), "")) == Value(ValueList{2, 1, 3}));
  CHECK(Ok(MergeDistinct({Value(ValueList{"a", "b"}), Value(ValueList{"c", "a"})})) ==
        Value(ValueList{"a", "b", "c"}));
  CHECK(Ok(Distinct(Lines(""), "x")) == Value(ValueList{}));
}

TEST_CASE("foldby and merge_foldby") {
  Value part = Lines(kEvents);
  CHECK(Ok(Foldby(part, "actor.login", "count", "")) ==
        Value(ValueList{Pair("ann", 2), Pair("bob", 2), Pair("cy", 1)}));
  CHECK(Ok(Foldby(part, "actor.login", "sum", "n")) ==
        Value(ValueList{Pair("ann", 5), Pair("bob", 8), Pair("cy", 0)}));
  CHECK(Ok(Foldby(part, "actor.login", "max", "n")) ==
        Value(ValueList{Pair("ann", 3), Pair("bob", 7), Pair("cy", Value())}));
  CHECK(Ok(Foldby(part, "type", "min", "repo.name")) ==
        Value(ValueList{Pair("ForkEvent", "jupyter/a"), Pair("PushEvent", "jupyter/a"),
                        Pair("WatchEvent", "x/b")}));
  CHECK_FALSE(Foldby(part, "type", "avg", "n").ok());
  CHECK_FALSE(Foldby(part, "type", "sum", "actor.login").ok());  // strings do not add
  ValueList partials;
  for (int i = 0; i < 2; ++i)
    partials.push_back(Ok(Foldby(Ok(Split(part, i, 2)), "actor.login", "count", "")));
  CHECK(Ok(MergeFoldby(partials, "count")) == Ok(Foldby(part, "actor.login", "count", "")));
  partials.clear();
  for (int i = 0; i < 2; ++i)
    partials.push_back(Ok(Foldby(Ok(Split(part, i, 2)), "actor.login", "sum", "n")));
  CHECK(Ok(MergeFoldby(partials, "sum")) == Ok(Foldby(part, "actor.login", "sum", "n")));
  CHECK(Ok(MergeFoldby({Value(ValueList{Pair("k", 2.5)}), Value(ValueList{Pair("k", 1)})},
                       "min")) == Value(ValueList{Pair("k", 1)}));
  CHECK(Ok(MergeFoldby({Value(ValueList{Pair("k", int64_t{1} << 62)}),
                        Value(ValueList{Pair("k", int64_t{1} << 62)})},
                       "sum"))
            .as_list()[0]
            .as_list()[1]
            .is_double());  // overflow turns into a double
}

// The 10-line excerpt with one 211 KB line, from the shared data when available.
TEST_CASE("the edge excerpt: a 211 KB line and a duplicated line") {
  const char* dir = std::getenv("WEFT_GHARCHIVE_DIR");
  if (dir == nullptr || !std::filesystem::is_directory(dir)) {
    WARN("WEFT_GHARCHIVE_DIR is not set or not a folder: skipping the edge excerpt");
    return;
  }
  Value lines = Ok(ReadText(std::string(dir) + "/edge/2015-01-01-2-excerpt.json", "infer"));
  REQUIRE(Ok(Count(lines)) == 10);
  Value parsed = Ok(ParseJson(lines, "edge", "raise"));
  CHECK(LineAt(parsed.as_json_lines(), 8).size() == 211240);
  Value types = Ok(Pluck(parsed, "type"));
  CHECK(types.as_list()[8].is_string());
  Value records = Ok(Take(parsed, 10));
  REQUIRE(records.as_list().size() == 10);
  CHECK(records.as_list()[8].Find("payload") != nullptr);
  // The duplicated line shows up once in distinct over whole records.
  CHECK(Ok(Distinct(parsed, "")).as_list().size() == 9);
  CHECK(Ok(Distinct(parsed, "id")).as_list().size() == 9);
}

TEST_CASE("filter_count counts what filter keeps, without building it") {
  Value part = Lines("{\"n\": 1}\n{\"n\": 5}\n{\"x\": 2}\n{\"n\": 7}\n");
  for (const char* expr : {"n > 2", "exists(n)", "n == 99", "not exists(n)"}) {
    INFO(expr);
    CHECK(Ok(FilterCount(part, expr)) == Ok(Count(Ok(Filter(part, expr)))));
  }
  CHECK(Ok(FilterCount(part, "n > 2")) == 2);
  ValueList items = {Value(Record{{"n", Value(3)}}), Value(Record{{"n", Value(1)}})};
  CHECK(Ok(FilterCount(Value(items), "n >= 3")) == 1);
  CHECK_FALSE(FilterCount(part, "n >").ok());
}

TEST_CASE("filter takes value expressions the filter language cannot say") {
  Value nums = Value(ValueList{Value(1), Value(5), Value(60), Value(70)});
  CHECK(Ok(Filter(nums, "_ > 50")) == Value(ValueList{Value(60), Value(70)}));
  CHECK(Ok(FilterCount(nums, "_ % 2 == 0")) == 2);
  Value lines = Lines("{\"c\":[1,2]}\n{\"c\":[1]}\n{\"d\":1}\n");
  Value kept = Ok(Filter(lines, "length(c) > 1"));
  REQUIRE(kept.is_json_lines());
  CHECK(kept.as_json_lines().num_lines() == 1);
  // Neither language: the filter language's error.
  auto bad = Filter(nums, "_ >");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("column"));
}

// Many events, so that a small block size gives a partition of many blocks.
std::string ManyEvents(int copies) {
  std::string text;
  for (int i = 0; i < copies; ++i) text += kEvents;
  text +=
      "{\"type\":\"GollumEvent\",\"actor\":{\"login\":\"zed\"},\"n\":" + std::to_string(copies) +
      "}\n";
  return text;
}

TEST_CASE("compressed partitions answer every query as the JsonLines they hold") {
  const Value lines = Lines(ManyEvents(400));
  const Value compressed = Ok(Compress(lines, 1));
  REQUIRE(compressed.is_compressed_lines());
  REQUIRE(compressed.as_compressed_lines().num_lines() == 2001);
  REQUIRE(compressed.nbytes() < lines.nbytes() / 10);
  // Several blocks: the same lines in 4 KiB blocks.
  const Value blocks(CompressLines(lines.as_json_lines(), {.level = 1, .block_bytes = 4096}));
  REQUIRE(blocks.as_compressed_lines().num_blocks() > 10);

  for (const Value& c : {compressed, blocks}) {
    CHECK(Ok(Count(c)) == 2001);
    CHECK(Ok(Take(c, 3)) == Ok(Take(lines, 3)));
    CHECK(Ok(Take(c, 5000)) == Ok(Take(lines, 5000)));
    CHECK(Ok(Pluck(c, "actor.login")) == Ok(Pluck(lines, "actor.login")));
    CHECK(Ok(Frequencies(c, "type")) == Ok(Frequencies(lines, "type")));
    CHECK(Ok(Distinct(c, "actor.login")) == Ok(Distinct(lines, "actor.login")));
    CHECK(Ok(TopK(c, 3, "n")) == Ok(TopK(lines, 3, "n")));
    CHECK(Ok(Foldby(c, "actor.login", "sum", "n")) == Ok(Foldby(lines, "actor.login", "sum", "n")));
    for (const char* expr : {"type == \"PushEvent\"", "starts_with(repo.name, \"jupyter/\")",
                             "n > 2", "length(actor.login) > 2", "type == \"none\""}) {
      INFO(expr);
      const Value kept = Ok(Filter(c, expr));
      CHECK(kept.is_json_lines());  // the selection, decompressed
      CHECK(kept == Ok(Filter(lines, expr)));
      CHECK(Ok(FilterCount(c, expr)) == Ok(FilterCount(lines, expr)));
    }
    CHECK(Ok(Filter(c, "n > -1000 or n == null or n != null")) ==
          c);  // everything passes: as it is
    CHECK(Ok(Split(c, 1, 3)) == Ok(Split(lines, 1, 3)));
    CHECK(Ok(Split(c, 2, 3)).is_json_lines());
    // Concat of compressed parts keeps them compressed; with JsonLines it opens them.
    const Value both = Ok(Concat({c, compressed}));
    CHECK(both.is_compressed_lines());
    CHECK(Ok(Count(both)) == 4002);
    CHECK(Ok(Take(both, 4002)) == Ok(Take(Ok(Concat({lines, lines})), 4002)));
    CHECK(Ok(Concat({c, lines})) == Ok(Concat({lines, lines})));
    CHECK(Ok(Compress(c, 1)) == c);
  }
  CHECK(Ok(Compress(Value(ValueList{1, 2}), 1)) == Value(ValueList{1, 2}));
  CHECK(Compress(lines, 40).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a malformed line in a compressed partition is named by its line number") {
  const Value lines = Lines(ManyEvents(50) + "{\"type\": nope}\n");
  const Value c(CompressLines(lines.as_json_lines(), {.level = 1, .block_bytes = 1024}));
  absl::StatusOr<Value> freq = Frequencies(c, "type");
  REQUIRE(!freq.ok());
  CHECK_THAT(std::string(freq.status().message()), Catch::Contains("line 252"));
  absl::StatusOr<Value> take = Take(c, 300);
  REQUIRE(!take.ok());
  CHECK_THAT(std::string(take.status().message()), Catch::Contains("line 252"));
}

TEST_CASE("a compressed partition's columns are cached like the JsonLines' are") {
  const Value c = Ok(Compress(Lines(ManyEvents(100)), 1));
  const ColumnCache::Stats before = ColumnCache::Global().stats();
  Ok(Frequencies(c, "actor.login"));
  Ok(Frequencies(c, "actor.login"));
  const ColumnCache::Stats after = ColumnCache::Global().stats();
  CHECK(after.misses == before.misses + 1);
  CHECK(after.hits == before.hits + 1);
}

}  // namespace
}  // namespace weft::bag
