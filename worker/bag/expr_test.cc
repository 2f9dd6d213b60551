#include "worker/bag/expr.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>

#include "worker/bag/column.h"
#include "worker/bag/partition.h"

namespace weft::bag {
namespace {

Value Lines(std::string text) { return Value(JsonLines::FromText(Buffer(std::move(text)))); }

Value List(ValueList items) { return Value(std::move(items)); }

// A GitHub Archive event, cut down.
Value Event() {
  return Value(
      Record{{"type", Value("PushEvent")},
             {"created_at", Value("2016-01-01T15:04:05Z")},
             {"actor", Value(Record{{"login", Value("Ann")}})},
             {"repo", Value(Record{{"name", Value("jupyter/notebook")}})},
             {"payload", Value(Record{{"size", Value(3)},
                                      {"commits", List({Value(Record{{"sha", Value("abc")}}),
                                                        Value(Record{{"sha", Value("def")}})})}})},
             {"and", Value("field named like a keyword")},
             {"none", Value()}});
}

Value Eval(const std::string& text, const Value& item = Event()) {
  auto expr = Expr::Parse(text);
  INFO(text << " → " << expr.status().ToString());
  REQUIRE(expr.ok());
  auto v = expr->Evaluate(item);
  INFO(text << " → " << v.status().ToString());
  REQUIRE(v.ok());
  return *v;
}

std::string EvalError(const std::string& text, const Value& item = Event()) {
  auto expr = Expr::Parse(text);
  INFO(text << " → " << expr.status().ToString());
  REQUIRE(expr.ok());
  auto v = expr->Evaluate(item);
  INFO(text << " → " << (v.ok() ? v->DebugString() : ""));
  REQUIRE_FALSE(v.ok());
  CHECK(v.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(v.status().message());
}

std::string ParseError(const std::string& text) {
  auto expr = Expr::Parse(text);
  INFO(text);
  REQUIRE_FALSE(expr.ok());
  CHECK(expr.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(expr.status().message());
}

TEST_CASE("Expressions: parse errors name the column and point at it") {
  CHECK(ParseError("type = \"x\"") ==
        "bad expression: expected '==' (not '='), got '=' at column 6\n"
        "  type = \"x\"\n"
        "       ^");
  CHECK_THAT(ParseError("a +"), Catch::Contains("got the end at column 4"));
  CHECK_THAT(ParseError("lowr(a)"),
             Catch::Contains("unknown function 'lowr' (known: starts_with,"));
  CHECK_THAT(ParseError("lowr(a)"), Catch::Contains("substr, split, concat, length, date, hour"));
  CHECK_THAT(ParseError("x + substr(a)"),
             Catch::Contains("substr() takes 2 or 3 argument(s), not 1 at column 5"));
  CHECK_THAT(ParseError("concat()"), Catch::Contains("takes at least 1 argument(s), not 0"));
  CHECK_THAT(ParseError("lower(a, b)"), Catch::Contains("lower() takes 1 argument(s), not 2"));
  CHECK_THAT(ParseError("(a + 1"), Catch::Contains("expected ')', got the end at column 7"));
  CHECK_THAT(ParseError("[1, 2"), Catch::Contains("expected ',' or ']'"));
  CHECK_THAT(ParseError("a[0"), Catch::Contains("expected ']'"));
  CHECK_THAT(ParseError("x == \"abc"), Catch::Contains("unterminated string at column 6"));
  CHECK_THAT(ParseError("\"\\q\""), Catch::Contains("unknown escape '\\q' in string at column 2"));
  CHECK_THAT(ParseError("a..b"), Catch::Contains("empty part in path"));
  CHECK_THAT(ParseError("a # b"), Catch::Contains("unexpected character, got '#' at column 3"));
  CHECK_THAT(ParseError("1 < 2 < 3"), Catch::Contains("column 7"));  // no chained comparisons
  CHECK_THAT(ParseError("a b"), Catch::Contains("column 3"));
  CHECK_THAT(ParseError(""), Catch::Contains("column 1"));
  CHECK_THAT(ParseError("* 2"), Catch::Contains("expected a value"));
  CHECK_THAT(ParseError(std::string(3000, '(') + "1" + std::string(3000, ')')),
             Catch::Contains("nested too deeply"));
  std::string chain = "1";
  for (int i = 0; i < 2000; ++i) chain += " + 1";
  CHECK_THAT(ParseError(chain), Catch::Contains("too deep"));
}

TEST_CASE("Expressions: filter expressions mean the same and give bools") {
  CHECK(Eval("type == \"PushEvent\"") == Value(true));
  CHECK(Eval("type != \"PushEvent\"") == Value(false));
  CHECK(Eval("starts_with(repo.name, \"jupyter/\")") == Value(true));
  CHECK(Eval("starts_with(\"repo.name\", \"jupyter/\")") == Value(true));  // path as a string
  CHECK(Eval("ends_with(repo.name, \"/notebook\") && contains(repo.name, \"ter/no\")") ==
        Value(true));
  CHECK(Eval("exists(payload.size) and not exists(payload.nope)") == Value(true));
  CHECK(Eval("payload.size > 2 and payload.size <= 3 and payload.size == 3.0") == Value(true));
  CHECK(Eval("2 < payload.size") == Value(true));
  CHECK(Eval("-1 < payload.size") == Value(true));
  CHECK(Eval("payload.size < \"9\"") == Value(false));  // number vs string: not ordered
  CHECK(Eval("missing > 1") == Value(false));
  CHECK(Eval("missing == null and none == null") == Value(true));
  CHECK(Eval("! type == \"X\"") == Value(true));
  CHECK(Eval("not (type == \"WatchEvent\") and (type == \"X\" or payload.size >= 3)") ==
        Value(true));
  CHECK(Eval("type == \"Push\\u0045vent\"") == Value(true));
  CHECK(Eval("\"\\ud83d\\ude00\"") == Value("\xF0\x9F\x98\x80"));  // a surrogate pair
  CHECK(Eval("payload.commits.1.sha == \"def\"") == Value(true));
  // Beyond filter: any operand may be an expression.
  CHECK(Eval("payload.size * 2 == payload.size + 3") == Value(true));
  CHECK(Eval("starts_with(lower(actor.login), \"an\")") == Value(true));
  CHECK(Eval("contains(split(\"a b\", \" \"), \"b\") and contains([1, 2.0], 2)") == Value(true));
  CHECK(Eval("type == actor.login") == Value(false));
}

TEST_CASE("Expressions: and, or, not take bools or null, and stop early") {
  CHECK(Eval("not missing") == Value(true));  // null counts as false
  CHECK(Eval("missing or true") == Value(true));
  CHECK(Eval("false and 1") == Value(false));   // the right side is not evaluated
  CHECK(Eval("true or 1 / 0") == Value(true));  // nor here
  CHECK_THAT(EvalError("1 and true"),
             Catch::Contains("'and' needs bool operands (or null), got int (1)"));
  CHECK_THAT(EvalError("true and type"), Catch::Contains("got string (\"PushEvent\")"));
  CHECK_THAT(EvalError("not payload.size"), Catch::Contains("'not' needs bool"));
}

TEST_CASE("Expressions: arithmetic") {
  CHECK(Eval("1 + 2 * 3") == Value(7));
  CHECK(Eval("(1 + 2) * 3") == Value(9));
  CHECK(Eval("7 - 2 - 1") == Value(4));  // left to right
  CHECK(Eval("2 * 3 % 4") == Value(2));
  CHECK(Eval("-payload.size * 2") == Value(-6));
  CHECK(Eval("- -3") == Value(3));
  CHECK(Eval("7 / 2") == Value(3.5));
  CHECK(Eval("6 / 3") == Value(2.0));  // true division: a double, not the int 2
  CHECK(Eval("1 + 2.5") == Value(3.5));
  CHECK(Eval("2 * 1.5") == Value(3.0));
  CHECK(Eval("1e3 + 1") == Value(1001.0));
  // Python's modulo: the result has the divisor's sign.
  CHECK(Eval("7 % 3") == Value(1));
  CHECK(Eval("-7 % 3") == Value(2));
  CHECK(Eval("7 % -3") == Value(-2));
  CHECK(Eval("-7 % -3") == Value(-1));
  CHECK(Eval("-7.5 % 2") == Value(0.5));
  CHECK(Eval("7.5 % -2") == Value(-0.5));
  // Overflow leaves int for double.
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  CHECK(Eval("-9223372036854775808") == Value(kMin));
  CHECK(Eval("9223372036854775807 + 1") == Value(9223372036854775808.0));
  CHECK(Eval("-9223372036854775808 - 1") == Value(-9223372036854775809.0));
  CHECK(Eval("9223372036854775807 * 2") == Value(18446744073709551614.0));
  CHECK(Eval("-(-9223372036854775808)") == Value(9223372036854775808.0));
  CHECK(Eval("-9223372036854775808 % -1") == Value(0));
  CHECK(Eval("9223372036854775807 - 1") == Value(int64_t{9223372036854775806}));
  // Strings and nulls.
  CHECK(Eval("\"ab\" + \"cd\"") == Value("abcd"));
  CHECK(Eval("missing + 1").is_null());
  CHECK(Eval("null * 2").is_null());
  CHECK(Eval("\"a\" + none").is_null());
  CHECK(Eval("-missing").is_null());
  CHECK(Eval("1 / missing").is_null());
  // Errors.
  CHECK(EvalError("a + 1", Value(Record{{"a", Value("x")}})) ==
        "expression `a + 1`: cannot add string (\"x\") and int (1)");
  CHECK_THAT(EvalError("1 / 0"), Catch::Contains("division by zero: int (1) / int (0)"));
  CHECK_THAT(EvalError("1.5 / 0.0"), Catch::Contains("division by zero"));
  CHECK_THAT(EvalError("5 % 0"), Catch::Contains("modulo by zero"));
  CHECK_THAT(EvalError("5.0 % 0"), Catch::Contains("modulo by zero"));
  CHECK_THAT(EvalError("true + 1"), Catch::Contains("cannot add bool (true) and int (1)"));
  CHECK_THAT(EvalError("type * 2"), Catch::Contains("cannot multiply string (\"PushEvent\")"));
  CHECK_THAT(EvalError("1 - \"a\""), Catch::Contains("cannot subtract string (\"a\") from int"));
  CHECK_THAT(EvalError("-type"), Catch::Contains("cannot negate string"));
  CHECK_THAT(EvalError("[1] + [2]"), Catch::Contains("cannot add list"));
}

TEST_CASE("Expressions: string functions") {
  CHECK(Eval("lower(\"HeLLo 1\")") == Value("hello 1"));
  CHECK(Eval("upper(actor.login)") == Value("ANN"));
  CHECK(Eval("lower(missing)").is_null());
  CHECK_THAT(EvalError("lower(1)"), Catch::Contains("lower() needs a string, got int (1)"));
  CHECK(Eval("substr(\"hello\", 1)") == Value("ello"));
  CHECK(Eval("substr(\"hello\", 1, 3)") == Value("ell"));
  CHECK(Eval("substr(\"hello\", -3)") == Value("llo"));
  CHECK(Eval("substr(\"hello\", -3, 2)") == Value("ll"));
  CHECK(Eval("substr(\"hello\", 10)") == Value(""));
  CHECK(Eval("substr(\"hello\", -10, 2)") == Value("he"));
  CHECK(Eval("substr(\"hello\", 2, 100)") == Value("llo"));
  CHECK(Eval("substr(\"hello\", 0, 0)") == Value(""));
  CHECK(Eval("substr(repo.name, 0, 7)") == Value("jupyter"));
  CHECK(Eval("substr(missing, 1)").is_null());
  CHECK(Eval("substr(\"abc\", missing)").is_null());
  CHECK_THAT(EvalError("substr(\"hello\", 1, -1)"), Catch::Contains("non-negative int length"));
  CHECK_THAT(EvalError("substr(\"hello\", 1.5)"), Catch::Contains("an int start, got double"));
  CHECK(Eval("split(\"the cat sat\", \" \")") == List({"the", "cat", "sat"}));
  CHECK(Eval("split(\"a,,b\", \",\")") == List({"a", "", "b"}));
  CHECK(Eval("split(\"\", \",\")") == List({""}));
  CHECK(Eval("split(\"a--b--\", \"--\")") == List({"a", "b", ""}));
  CHECK(Eval("split(repo.name, \"/\")[1]") == Value("notebook"));
  CHECK(Eval("split(missing, \" \")").is_null());
  CHECK_THAT(EvalError("split(\"abc\", \"\")"), Catch::Contains("non-empty string separator"));
  CHECK(Eval("concat(\"a\", 1, 2.5, true)") == Value("a12.5true"));
  CHECK(Eval("concat(\"x\", 2.0, \"-\", -3)") == Value("x2.0--3"));
  CHECK(Eval("concat(actor.login, \"/\", [1, \"b\"])") == Value("Ann/[1,\"b\"]"));
  CHECK(Eval("concat(\"a\", missing)").is_null());
  CHECK(Eval("length(\"h\\u00e9llo\")") == Value(6));  // bytes
  CHECK(Eval("length(payload.commits)") == Value(2));
  CHECK(Eval("length(payload)") == Value(2));
  CHECK(Eval("length(missing)").is_null());
  CHECK_THAT(EvalError("length(3)"), Catch::Contains("length() needs a string, list or record"));
}

TEST_CASE("Expressions: date and hour of GitHub Archive timestamps") {
  CHECK(Eval("date(\"2016-01-01T15:04:05Z\")") == Value("2016-01-01"));
  CHECK(Eval("hour(\"2016-01-01T15:04:05Z\")") == Value(15));
  CHECK(Eval("[date(created_at), hour(created_at)]") == List({"2016-01-01", 15}));
  CHECK(Eval("hour(\"2016-01-01T00:00:00Z\")") == Value(0));
  CHECK(Eval("hour(\"2015-12-31T23:59:59Z\")") == Value(23));
  CHECK(Eval("hour(\"2016-01-01T15:04:05.123+02:00\")") == Value(15));  // as written
  CHECK(Eval("hour(\"2016-01-01 07:30\")") == Value(7));
  CHECK(Eval("date(\"2016-02-29\")") == Value("2016-02-29"));
  CHECK(Eval("date(missing)").is_null());
  CHECK(Eval("hour(none)").is_null());
  CHECK_THAT(EvalError("date(\"yesterday\")"),
             Catch::Contains("date() needs an ISO-8601 timestamp like \"2016-01-01T15:04:05Z\", "
                             "got string (\"yesterday\")"));
  CHECK_THAT(EvalError("date(\"2015-02-29T00:00:00Z\")"), Catch::Contains("ISO-8601"));
  CHECK_THAT(EvalError("date(\"2016-13-01T00:00:00Z\")"), Catch::Contains("ISO-8601"));
  CHECK_THAT(EvalError("date(\"2016-01-01T15:04:05Q\")"), Catch::Contains("ISO-8601"));
  CHECK_THAT(EvalError("hour(\"2016-01-01T24:00:00Z\")"), Catch::Contains("ISO-8601"));
  CHECK_THAT(EvalError("hour(\"2016-01-01\")"), Catch::Contains("hour() needs"));
  CHECK_THAT(EvalError("date(20160101)"), Catch::Contains("got int (20160101)"));
}

TEST_CASE("Expressions: conversions") {
  CHECK(Eval("int(\"42\")") == Value(42));
  CHECK(Eval("int(3.9)") == Value(3));
  CHECK(Eval("int(-3.9)") == Value(-3));
  CHECK(Eval("int(true)") == Value(1));
  CHECK(Eval("int(payload.size)") == Value(3));
  CHECK(Eval("int(missing)").is_null());
  CHECK_THAT(EvalError("int(\"4.5\")"), Catch::Contains("int() needs"));
  CHECK_THAT(EvalError("int(1e300)"), Catch::Contains("int() needs"));
  CHECK_THAT(EvalError("int(float(\"nan\"))"), Catch::Contains("int() needs"));
  CHECK(Eval("float(\"1e3\")") == Value(1000.0));
  CHECK(Eval("float(2)") == Value(2.0));
  CHECK(Eval("float(false)") == Value(0.0));
  CHECK_THAT(EvalError("float(\"x\")"), Catch::Contains("float() needs"));
  CHECK(Eval("str(1)") == Value("1"));
  CHECK(Eval("str(2.5)") == Value("2.5"));
  CHECK(Eval("str(2.0)") == Value("2.0"));
  CHECK(Eval("str(false)") == Value("false"));
  CHECK(Eval("str(type)") == Value("PushEvent"));
  CHECK(Eval("str([1, \"a\", null])") == Value("[1,\"a\",null]"));
  CHECK(Eval("str(actor)") == Value("{\"login\":\"Ann\"}"));
  CHECK(Eval("str(missing)").is_null());
}

TEST_CASE("Expressions: the item, paths, indexing and lists") {
  CHECK(Eval("_", Value(5)) == Value(5));
  CHECK(Eval("_ * 2", Value(5)) == Value(10));
  const Value pair = List({"a", "b"});
  CHECK(Eval("_[0]", pair) == Value("a"));
  CHECK(Eval("_[-1]", pair) == Value("b"));
  CHECK(Eval("_.1", pair) == Value("b"));
  CHECK(Eval("_[\"1\"]", pair) == Value("b"));  // a string key is a path part
  CHECK(Eval("_[2]", pair).is_null());
  CHECK(Eval("_[-3]", pair).is_null());
  CHECK(Eval("_[\"x\"]", pair).is_null());
  CHECK(Eval("_.a", pair).is_null());
  CHECK(Eval("_.repo.name") == Value("jupyter/notebook"));
  CHECK(Eval("_[\"repo\"][\"name\"]") == Value("jupyter/notebook"));
  CHECK(Eval("repo .name") == Value("jupyter/notebook"));
  CHECK(Eval("_.and") == Value("field named like a keyword"));
  CHECK(Eval("_[\"and\"]") == Value("field named like a keyword"));
  CHECK(Eval("payload.commits[0].sha") == Value("abc"));
  CHECK(Eval("payload.commits[-1][\"sha\"]") == Value("def"));
  CHECK(Eval("payload.commits[1 - 1].sha") == Value("abc"));
  CHECK(Eval("(payload).commits.1.sha") == Value("def"));
  CHECK(Eval("payload.commits[5].sha").is_null());
  CHECK(Eval("type[0]").is_null());  // no string indexing
  CHECK(Eval("actor[0]").is_null());
  CHECK(Eval("missing[0]").is_null());
  CHECK(Eval("[10, 20, 30][1]") == Value(20));
  CHECK(Eval("[type, payload.size + 1, missing]") == List({"PushEvent", 4, Value()}));
  CHECK(Eval("[]") == List({}));
  CHECK(Eval("[[1], []]") == List({List({1}), List({})}));
  CHECK_THAT(EvalError("_[1.5]", pair), Catch::Contains("cannot index with double (1.5)"));
  CHECK_THAT(EvalError("_[true]", pair), Catch::Contains("cannot index with bool"));

  auto expr = Expr::Parse("_.a.b + a.b + a[\"b\"] + a .b + c");
  REQUIRE(expr.ok());
  REQUIRE(expr->paths().size() == 2);
  CHECK(expr->paths()[0].str() == "a.b");
  CHECK(expr->paths()[1].str() == "c");
}

// The events of a JsonLines partition: missing fields, nulls and kinds that differ.
const char kEvents[] =
    "{\"type\":\"PushEvent\",\"created_at\":\"2016-01-01T15:04:05Z\",\"actor\":{\"login\":\"Ann\"},"
    "\"payload\":{\"size\":3}}\n"
    "{\"type\":\"WatchEvent\",\"created_at\":\"2016-01-01T03:00:00Z\",\"actor\":{\"login\":\"bob\"}"
    "}\n"
    "{\"type\":\"PushEvent\",\"created_at\":\"2016-01-02T23:59:59Z\",\"actor\":{\"login\":\"Ann\"},"
    "\"payload\":{\"size\":1.5}}\n"
    "{\"type\":\"ForkEvent\",\"created_at\":null,\"actor\":{\"login\":\"cy\"},\"payload\":{}}\n";

TEST_CASE("Expressions: EvaluatePartition on JsonLines agrees with Evaluate per item") {
  const Value lines = Lines(kEvents);
  ValueList items;
  for (size_t i = 0; i < NumItems(lines); ++i) {
    auto item = ItemAt(lines, i);
    REQUIRE(item.ok());
    items.push_back(*item);
  }
  const char* kExpressions[] = {
      "payload.size * 2",
      "concat(actor.login, \"/\", type)",
      "lower(type)",  // one path: evaluated once per distinct value
      "[date(created_at), hour(created_at)]",
      "_[\"type\"] == \"PushEvent\" and payload.size > 1",
      "length(_)",  // the whole item: each line is parsed
      "1 + 2",      // no path at all
  };
  for (const char* text : kExpressions) {
    INFO(text);
    auto expr = Expr::Parse(text);
    REQUIRE(expr.ok());
    auto from_lines = expr->EvaluatePartition(lines);
    INFO(from_lines.status().ToString());
    REQUIRE(from_lines.ok());
    auto from_list = expr->EvaluatePartition(List(items));
    REQUIRE(from_list.ok());
    REQUIRE(from_lines->size() == items.size());
    CHECK(Value(*from_lines) == Value(*from_list));
    for (size_t i = 0; i < items.size(); ++i) {
      auto one = expr->Evaluate(items[i]);
      REQUIRE(one.ok());
      CHECK((*from_lines)[i] == *one);
    }
  }
  auto hours = Expr::Parse("hour(created_at)")->EvaluatePartition(lines);
  REQUIRE(hours.ok());
  CHECK(Value(*hours) == List({15, 3, 23, Value()}));
  auto sizes = Expr::Parse("payload.size * 2")->EvaluatePartition(lines);
  REQUIRE(sizes.ok());
  CHECK(Value(*sizes) == List({6, Value(), 3.0, Value()}));
}

TEST_CASE("Expressions: EvaluatePartition reads paths through the column cache") {
  const Value lines = Lines(kEvents);
  auto expr = Expr::Parse("concat(actor.login, \":\", type, \":\", actor.login)");
  REQUIRE(expr.ok());
  REQUIRE(expr->paths().size() == 2);
  const ColumnCache::Stats before = ColumnCache::Global().stats();
  REQUIRE(expr->EvaluatePartition(lines).ok());
  const ColumnCache::Stats first = ColumnCache::Global().stats();
  CHECK(first.misses - before.misses == 2);
  auto again = expr->EvaluatePartition(lines);
  REQUIRE(again.ok());
  const ColumnCache::Stats second = ColumnCache::Global().stats();
  CHECK(second.hits - first.hits == 2);
  CHECK(second.misses == first.misses);
  CHECK((*again)[1] == Value("bob:WatchEvent:bob"));
}

TEST_CASE("Expressions: EvaluatePartition errors name the item") {
  const Value lines = Lines(
      "{\"a\":1,\"b\":1}\n{\"a\":2,\"b\":1}\n{\"a\":\"x\",\"b\":1}\n"
      "{\"a\":\"x\",\"b\":1}\n");
  auto one_path = Expr::Parse("a + 1");
  REQUIRE(one_path.ok());
  auto result = one_path->EvaluatePartition(lines);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().message() ==
        "expression `a + 1`: line 3: cannot add string (\"x\") and int (1)");

  auto two_paths = Expr::Parse("a + b");
  REQUIRE(two_paths.ok());
  CHECK_THAT(std::string(two_paths->EvaluatePartition(lines).status().message()),
             Catch::Contains("line 3: cannot add string (\"x\") and int (1)"));

  auto whole = Expr::Parse("_.a * 2");  // `_.a` is the path a
  REQUIRE(whole.ok());
  CHECK_THAT(std::string(whole->EvaluatePartition(lines).status().message()),
             Catch::Contains("line 3: cannot multiply"));

  auto item = Expr::Parse("_[\"a\"] + length(_)");
  REQUIRE(item.ok());
  CHECK_THAT(std::string(item->EvaluatePartition(lines).status().message()),
             Catch::Contains("line 3: cannot add"));

  const Value list = List({1, 2, "x"});
  CHECK(Expr::Parse("_ % 2")->EvaluatePartition(list).status().message() ==
        "expression `_ % 2`: item 3: cannot take string (\"x\") modulo int (2)");

  const Value malformed = Lines("{\"a\":1}\n{\"a\":\n");
  CHECK_THAT(std::string(one_path->EvaluatePartition(malformed).status().message()),
             Catch::Contains("malformed JSON in line 2"));
  CHECK_THAT(std::string(item->EvaluatePartition(malformed).status().message()),
             Catch::Contains("malformed JSON in line 2"));

  auto not_a_partition = one_path->EvaluatePartition(Value(1));
  CHECK(not_a_partition.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(not_a_partition.status().message()),
             Catch::Contains("must be json_lines or a list, got int"));
}

}  // namespace
}  // namespace weft::bag
