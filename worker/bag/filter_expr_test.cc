#include "worker/bag/filter_expr.h"

#include <catch2/catch.hpp>
#include <string>

namespace weft::bag {
namespace {

Value Event(const std::string& type, const std::string& repo, int64_t size) {
  return Value(Record{
      {"type", Value(type)},
      {"repo", Value(Record{{"name", Value(repo)}})},
      {"payload", Value(Record{{"size", Value(size)}, {"tags", Value(ValueList{"a", "b"})}})}});
}

bool Matches(const std::string& expr, const Value& item) {
  auto parsed = FilterExpr::Parse(expr);
  REQUIRE(parsed.ok());
  return parsed->Matches(item);
}

std::string ParseError(const std::string& expr) {
  auto parsed = FilterExpr::Parse(expr);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

TEST_CASE("Filter expressions: comparisons, functions and boolean logic") {
  const Value push = Event("PushEvent", "jupyter/notebook", 3);
  CHECK(Matches("type == \"PushEvent\"", push));
  CHECK_FALSE(Matches("type != \"PushEvent\"", push));
  CHECK(Matches("starts_with(repo.name, \"jupyter/\")", push));
  CHECK(Matches("starts_with(\"repo.name\", \"jupyter/\")", push));  // path as a string
  CHECK_FALSE(Matches("starts_with(repo.name, \"ipython/\")", push));
  CHECK(Matches("ends_with(repo.name, \"/notebook\")", push));
  CHECK(Matches("contains(repo.name, \"ter/no\")", push));
  CHECK(Matches("contains(payload.tags, \"b\")", push));
  CHECK_FALSE(Matches("contains(payload.tags, \"c\")", push));
  CHECK(Matches("exists(payload.size)", push));
  CHECK_FALSE(Matches("exists(payload.nope)", push));
  CHECK(Matches("payload.size > 2 and payload.size <= 3", push));
  CHECK(Matches("payload.size == 3.0", push));
  CHECK(Matches("2 < payload.size", push));            // literal on the left
  CHECK_FALSE(Matches("payload.size < \"9\"", push));  // number vs string: not ordered
  CHECK(Matches("type >= \"Push\" && type < \"Q\"", push));
  CHECK(Matches("not (type == \"WatchEvent\") and (type == \"X\" or payload.size >= 3)", push));
  CHECK(Matches("! type == \"X\"", push));
  CHECK(Matches("missing == null", push));
  CHECK(Matches("missing != 1", push));
  CHECK_FALSE(Matches("missing > 1", push));
  CHECK(Matches("type == \"Push\\u0045vent\"", push));  // \u escape
  CHECK(Matches("payload.tags.1 == \"b\"", push));
  CHECK(Matches("payload.size == 3 or payload.size == 4 or payload.size == 5", push));
}

TEST_CASE("Filter expressions: parse errors name the column") {
  CHECK_THAT(ParseError("type = \"x\""), Catch::Contains("column 6"));
  CHECK_THAT(ParseError("type = \"x\""), Catch::Contains("'=='"));
  CHECK_THAT(ParseError("type == \"x"), Catch::Contains("unterminated string"));
  CHECK_THAT(ParseError("type == \"x\" and"), Catch::Contains("column 16"));
  CHECK_THAT(ParseError("startswith(type, \"x\")"), Catch::Contains("unknown function"));
  CHECK_THAT(ParseError("(type == 1"), Catch::Contains("expected ')'"));
  CHECK_THAT(ParseError("type == 1 type"), Catch::Contains("column 11"));
  CHECK_THAT(ParseError("type == actor"), Catch::Contains("two fields"));
  CHECK_THAT(ParseError("1 == 2"), Catch::Contains("field path"));
  CHECK_THAT(ParseError(""), Catch::Contains("column 1"));
  CHECK_THAT(ParseError("starts_with(type, 1)"), Catch::Contains("string"));
  CHECK_THAT(ParseError("type == \"\\q\""), Catch::Contains("unknown escape"));
  CHECK_THAT(ParseError("type == 1 # x"), Catch::Contains("unexpected character"));
  CHECK_THAT(ParseError("a..b == 1"), Catch::Contains("empty part"));
}

TEST_CASE("Filter expressions evaluate the same on columns as on items") {
  ValueList items = {Event("PushEvent", "jupyter/a", 1), Event("WatchEvent", "jupyter/b", 0),
                     Event("PushEvent", "other/c", 5), Value(Record{{"type", Value("X")}})};
  auto expr = FilterExpr::Parse(
      "(starts_with(repo.name, \"jupyter/\") and type == \"PushEvent\") or payload.size > 4 "
      "or not exists(repo)");
  REQUIRE(expr.ok());
  REQUIRE(expr->paths().size() == 4);
  CHECK(expr->paths()[0].str() == "repo.name");
  std::vector<std::shared_ptr<const Column>> owned;
  std::vector<const Column*> columns;
  for (const Path& p : expr->paths()) {
    owned.push_back(BuildColumn(items, p));
    columns.push_back(owned.back().get());
  }
  std::vector<uint8_t> mask = expr->Evaluate(columns, items.size());
  CHECK(mask == std::vector<uint8_t>{1, 0, 1, 1});
  for (size_t i = 0; i < items.size(); ++i) CHECK(expr->Matches(items[i]) == (mask[i] != 0));
}

}  // namespace
}  // namespace weft::bag
