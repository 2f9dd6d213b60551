#include "worker/bag/json_access.h"

#include <catch2/catch.hpp>
#include <string>

namespace weft::bag {
namespace {

JsonLines Lines(std::string text) { return JsonLines::FromText(Buffer(std::move(text))); }

Value ExtractValue(const JsonLines& lines, size_t i, const std::string& path) {
  Extracted e;
  REQUIRE(LineParser::ForThisThread().Extract(lines, i, Path::Parse(path), &e).ok());
  return e.is_string ? Value(std::string(e.str)) : e.value;
}

TEST_CASE("Path splits dotted names and finds values in records and lists") {
  Path p = Path::Parse("a.b.1");
  REQUIRE(p.parts() == std::vector<std::string>{"a", "b", "1"});
  CHECK(Path::Parse("").empty());
  Value item(Record{{"a", Value(Record{{"b", Value(ValueList{10, 20})}})}});
  CHECK(ValueAtPath(item, p) == Value(20));
  CHECK(ValueAtPath(item, Path::Parse("a.b.7")).is_null());
  CHECK(ValueAtPath(item, Path::Parse("a.c")).is_null());
  CHECK(ValueAtPath(item, Path::Parse("a.b.x")).is_null());
  CHECK(ValueAtPath(item, Path::Parse("")) == item);
  CHECK(FindPath(Value(5), Path::Parse("a")) == nullptr);
}

TEST_CASE("LineAt drops a trailing carriage return") {
  JsonLines lines = Lines("{\"a\":1}\r\n{\"a\":2}\n");
  REQUIRE(lines.num_lines() == 2);
  CHECK(LineAt(lines, 0) == "{\"a\":1}");
  CHECK(LineAt(lines, 1) == "{\"a\":2}");
}

TEST_CASE("Extract reads paths from lines in place and from the padded copy") {
  // Many lines so that the first ones are parsed in place and the last one is copied.
  std::string text;
  for (int i = 0; i < 10; ++i) {
    text += "{\"id\":" + std::to_string(i) + ",\"actor\":{\"login\":\"user" + std::to_string(i) +
            "\"},\"n\":1.5,\"ok\":true}\n";
  }
  text += "{\"id\":10,\"actor\":{\"login\":\"last\"},\"tags\":[\"x\",\"y\"]}";  // no '\n'
  JsonLines lines = Lines(text);
  REQUIRE(lines.num_lines() == 11);
  CHECK(ExtractValue(lines, 0, "actor.login") == Value("user0"));
  CHECK(ExtractValue(lines, 3, "id") == Value(3));
  CHECK(ExtractValue(lines, 3, "n") == Value(1.5));
  CHECK(ExtractValue(lines, 3, "ok") == Value(true));
  CHECK(ExtractValue(lines, 3, "missing").is_null());
  CHECK(ExtractValue(lines, 3, "actor.login.deeper").is_null());
  CHECK(ExtractValue(lines, 10, "actor.login") == Value("last"));
  CHECK(ExtractValue(lines, 10, "tags") == Value(ValueList{"x", "y"}));
  CHECK(ExtractValue(lines, 10, "tags.1") == Value("y"));
  CHECK(ExtractValue(lines, 10, "tags.2").is_null());
  CHECK(ExtractValue(lines, 10, "actor") == Value(Record{{"login", Value("last")}}));
}

TEST_CASE("ParseLine converts JSON to Values, keeping field order and number kinds") {
  JsonLines lines = Lines(
      "{\"z\":1,\"a\":{\"y\":null,\"b\":[1,2.5,\"s\\u00e9\\n\"]},\"big\":18446744073709551615,"
      "\"neg\":-7,\"f\":false}\n");
  auto v = LineParser::ForThisThread().ParseLine(lines, 0);
  REQUIRE(v.ok());
  Value expected(
      Record{{"z", Value(1)},
             {"a", Value(Record{{"y", Value()}, {"b", Value(ValueList{1, 2.5, "s\xC3\xA9\n"})}})},
             {"big", Value(18446744073709551615.0)},
             {"neg", Value(-7)},
             {"f", Value(false)}});
  CHECK(*v == expected);
  REQUIRE(v->as_record()[0].first == "z");  // order as in the text, not sorted
}

TEST_CASE("ParseLine keeps integers beyond 64 bits as doubles, duplicate fields in order") {
  JsonLines lines =
      Lines("{\"huge\":123456789012345678901234567890,\"k\":1,\"k\":2}\n[1,{\"a\":[]},{}]\n");
  auto v = LineParser::ForThisThread().ParseLine(lines, 0);
  REQUIRE(v.ok());
  CHECK(*v ==
        Value(Record{
            {"huge", Value(123456789012345678901234567890.0)}, {"k", Value(1)}, {"k", Value(2)}}));
  auto list = LineParser::ForThisThread().ParseLine(lines, 1);
  REQUIRE(list.ok());
  CHECK(*list == Value(ValueList{1, Value(Record{{"a", Value(ValueList{})}}), Value(Record{})}));
  CHECK_FALSE(LineParser::ForThisThread().ParseLine(Lines("{\"a\":1,}\n"), 0).ok());
}

TEST_CASE("Validate reports malformed lines and accepts valid ones") {
  JsonLines lines = Lines("{\"a\":1}\n{\"a\":}\n\n{\"a\":\"\xff\"}\n[1,2]\n{\"a\":1} x\n");
  LineParser& parser = LineParser::ForThisThread();
  CHECK(parser.Validate(lines, 0).ok());
  absl::Status bad = parser.Validate(lines, 1);
  CHECK(bad.code() == absl::StatusCode::kInvalidArgument);
  CHECK_FALSE(bad.message().empty());
  CHECK_FALSE(parser.Validate(lines, 2).ok());  // empty line
  CHECK_FALSE(parser.Validate(lines, 3).ok());  // invalid UTF-8
  CHECK(parser.Validate(lines, 4).ok());
  CHECK_FALSE(parser.Validate(lines, 5).ok());  // trailing content
  CHECK(parser.ValidateText("{\"x\":[true]}").ok());
  CHECK_FALSE(parser.ValidateText("{\"x\":[tru]}").ok());
}

TEST_CASE("A 211 KB line parses in place, at the end of the buffer, and alone") {
  std::string big = "{\"type\":\"PushEvent\",\"payload\":{\"commits\":[";
  for (int i = 0; big.size() < 211 * 1024; ++i) {
    if (i > 0) big += ",";
    big += "{\"sha\":\"" + std::string(40, 'a' + i % 26) + "\",\"message\":\"m" +
           std::to_string(i) + "\"}";
  }
  big += "]}}";
  // First line (in place), last line without '\n' (copied).
  const std::vector<std::pair<std::string, size_t>> cases = {{big + "\n{\"type\":\"X\"}\n", 0},
                                                             {"{\"type\":\"X\"}\n" + big, 1}};
  for (const auto& [text, at] : cases) {
    JsonLines lines = Lines(text);
    REQUIRE(lines.num_lines() == 2);
    CHECK(LineParser::ForThisThread().Validate(lines, at).ok());
    CHECK(ExtractValue(lines, at, "type") == Value("PushEvent"));
    CHECK(ExtractValue(lines, at, "payload.commits.0.message") == Value("m0"));
    auto record = LineParser::ForThisThread().ParseLine(lines, at);
    REQUIRE(record.ok());
    CHECK(ValueAtPath(*record, Path::Parse("payload.commits")).as_list().size() > 1000);
  }
}

// ValidateEach's outcome for every line, against ValidateAndExtract's (Validate's when
// `paths` is empty) line by line.
void CheckValidateEachAsLineByLine(const std::string& text, const std::vector<Path>& paths) {
  const JsonLines lines = Lines(text);
  LineParser& parser = LineParser::ForThisThread();
  size_t visited = 0;
  REQUIRE(parser
              .ValidateEach(
                  lines, paths,
                  [&](size_t i, const absl::Status& status, const std::vector<Extracted>& values) {
                    INFO("line " << i + 1 << ": " << LineAt(lines, i).substr(0, 40));
                    CHECK(i == visited);
                    ++visited;
                    // The expected outcome from a parser of its own: `values`
                    // views this parser's buffers.
                    LineParser alone;
                    std::vector<Extracted> expected;
                    absl::Status want = paths.empty()
                                            ? alone.Validate(lines, i)
                                            : alone.ValidateAndExtract(lines, i, paths, &expected);
                    CHECK(status == want);
                    if (!status.ok() || !want.ok()) return absl::OkStatus();
                    REQUIRE(values.size() == paths.size());
                    for (size_t p = 0; p < paths.size(); ++p) {
                      CHECK(values[p].is_string == expected[p].is_string);
                      CHECK(values[p].str == expected[p].str);
                      CHECK(values[p].value == expected[p].value);
                    }
                    return absl::OkStatus();
                  })
              .ok());
  CHECK(visited == lines.num_lines());
}

TEST_CASE("ValidateEach gives every line the outcome it has alone") {
  std::string good;
  for (int i = 0; i < 60; ++i) {
    good += "{\"k\":\"key" + std::to_string(i) + "\",\"n\":" + std::to_string(i) +
            ",\"o\":{\"x\":[1,2]}}\n";
  }
  const std::vector<Path> paths = {Path::Parse("k"), Path::Parse("n"), Path::Parse("o.x.1"),
                                   Path::Parse("missing")};
  SECTION("valid lines") {
    CheckValidateEachAsLineByLine(good, paths);
    CheckValidateEachAsLineByLine(good, {});
    CheckValidateEachAsLineByLine(good + good.substr(0, good.size() - 1), paths);  // no final \n
  }
  // One odd line amid valid ones: the lines before it, it, and those after it.
  const std::vector<std::string> odd = {
      "{\"k\":}",                                           // malformed
      "",                                                   // blank
      "{\"k\":\"\xff\"}",                                   // invalid UTF-8
      "{\"k\":1} x",                                        // trailing content
      "{\"k\":1} {\"k\":2}",                                // two documents
      "{\"k\":[1,",                                         // a document cut by the line's end...
      "   {\"k\":\"spaced\"}  \t",                          // whitespace around a document
      "{\"k\":\"crlf\"}\r",                                 // a Windows line end
      "7",                                                  // scalars and an array
      "\"text\"",                                           // ...
      "[1,{\"k\":2}]",                                      // ...
      "{\"k\":123456789012345678901234567890}",             // beyond 64 bits
      "{\"k\":\"" + std::string(1200 * 1024, 'x') + "\"}",  // longer than a batch
  };
  for (const std::string& line : odd) {
    DYNAMIC_SECTION("odd line " << line.substr(0, 30)) {
      const std::string text = good.substr(0, good.size() / 2) + line + "\n" +
                               (line == "{\"k\":[1," ? "2]}\n" : "") + good;
      CheckValidateEachAsLineByLine(text, paths);
      CheckValidateEachAsLineByLine(text, {});
    }
  }
  SECTION("visit's error stops it") {
    size_t calls = 0;
    absl::Status status = LineParser::ForThisThread().ValidateEach(
        Lines(good), paths, [&](size_t i, const absl::Status&, const std::vector<Extracted>&) {
          ++calls;
          return i == 20 ? absl::CancelledError("enough") : absl::OkStatus();
        });
    CHECK(status == absl::CancelledError("enough"));
    CHECK(calls == 21);
  }
}

}  // namespace
}  // namespace weft::bag
