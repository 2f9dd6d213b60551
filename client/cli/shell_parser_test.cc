#include "client/cli/shell_parser.h"

#include <catch2/catch.hpp>

using weft::Record;
using weft::Value;
using weft::ValueList;
using weft::cli::shell::Expr;
using weft::cli::shell::Parse;
using weft::cli::shell::ParseLiteral;
using weft::cli::shell::Statement;

namespace {

std::string ErrorOf(const std::string& line) {
  auto st = Parse(line);
  REQUIRE_FALSE(st.ok());
  return std::string(st.status().message());
}

std::string LiteralErrorOf(const std::string& text) {
  auto v = ParseLiteral(text);
  REQUIRE_FALSE(v.ok());
  return std::string(v.status().message());
}

// The method names of a chain, receiver first: "from_sequence map flatten".
std::string ChainOf(const Expr& e) {
  if (e.kind != Expr::Kind::kMethod) return e.name;
  return ChainOf(*e.receiver) + " " + e.name;
}

}  // namespace

TEST_CASE("an assignment of a method chain") {
  auto st = Parse(R"(records = read_text("s3://b/2015-*.json.gz").parse_json())");
  REQUIRE(st.ok());
  CHECK(st->kind == Statement::Kind::kAssign);
  CHECK(st->target == "records");
  const Expr& e = *st->expr;
  CHECK(e.kind == Expr::Kind::kMethod);
  CHECK(e.name == "parse_json");
  CHECK(e.column == 46);
  REQUIRE(e.receiver != nullptr);
  CHECK(e.receiver->kind == Expr::Kind::kCall);
  CHECK(e.receiver->name == "read_text");
  REQUIRE(e.receiver->args.size() == 1);
  CHECK(e.receiver->args[0].value->literal == Value("s3://b/2015-*.json.gz"));
  CHECK(e.ToString() == R"(read_text("s3://b/2015-*.json.gz").parse_json())");
}

TEST_CASE("arguments: strings with both quotes and escapes, numbers, lists, keywords") {
  auto st = Parse(R"(x.filter('starts_with(repo.name, "jupyter/")').topk(5, key="1"))");
  REQUIRE(st.ok());
  CHECK(st->kind == Statement::Kind::kExpr);
  const Expr& topk = *st->expr;
  REQUIRE(topk.args.size() == 2);
  CHECK(topk.args[0].value->literal == Value(5));
  CHECK(topk.args[1].keyword == "key");
  CHECK(topk.args[1].value->literal == Value("1"));
  CHECK(topk.receiver->args[0].value->literal == Value("starts_with(repo.name, \"jupyter/\")"));

  auto seq = Parse(R"(from_sequence([1, -2, 2.5, "a\"b", [true, null]], npartitions=2))");
  REQUIRE(seq.ok());
  const Value& items = seq->expr->args[0].value->literal;
  CHECK(items == Value(ValueList{1, -2, 2.5, "a\"b", Value(ValueList{true, Value()})}));
  CHECK(seq->expr->args[1].value->literal == Value(2));

  auto nested = Parse("persist(records.filter(\"a == 1\"))");
  REQUIRE(nested.ok());
  CHECK(nested->expr->args[0].value->kind == Expr::Kind::kMethod);
}

TEST_CASE("commands, names, comments and empty lines") {
  CHECK(Parse("help")->kind == Statement::Kind::kHelp);
  auto topic = Parse("help topk");
  CHECK(topic->kind == Statement::Kind::kHelp);
  CHECK(topic->topic == "topk");
  CHECK(Parse("  bags ")->kind == Statement::Kind::kBags);
  CHECK(Parse("quit")->kind == Statement::Kind::kQuit);
  CHECK(Parse("exit")->kind == Statement::Kind::kQuit);
  CHECK(Parse("")->kind == Statement::Kind::kEmpty);
  CHECK(Parse("   # just a comment")->kind == Statement::Kind::kEmpty);
  auto name = Parse("records  # show it");
  REQUIRE(name.ok());
  CHECK(name->expr->kind == Expr::Kind::kName);
  CHECK(name->expr->name == "records");
  // A command word used as a name is an expression, not the command.
  CHECK(Parse("bags.count()")->kind == Statement::Kind::kExpr);
}

TEST_CASE("parse errors name the column") {
  CHECK(ErrorOf("records.count(") == "column 15: expected a value, found the end of the line");
  CHECK(ErrorOf("records.count()x") == "column 16: unexpected 'x'");
  CHECK(ErrorOf("x = read_text(\"abc") == "column 15: unterminated string");
  CHECK(ErrorOf("records.5") == "column 9: expected a method name after '.', found number 5");
  CHECK(ErrorOf("records.pluck(\"a\" \"b\")") == "column 19: expected ',', found a string");
  CHECK(ErrorOf("a.b(k=1, 2)") == "column 10: a positional argument after a keyword argument");
  CHECK(ErrorOf("from_sequence([x])") ==
        "column 16: lists and records hold literals only (strings, numbers, true, false, null, "
        "lists, records)");
  CHECK(ErrorOf("from_sequence([{\"a\": x}])") ==
        "column 22: lists and records hold literals only (strings, numbers, true, false, null, "
        "lists, records)");
  CHECK(ErrorOf("from_sequence([{1: 2}])") ==
        "column 17: expected a field name (a string), found number 1");
  CHECK(ErrorOf("from_sequence([{\"a\" 2}])") == "column 21: expected ':', found number 2");
  CHECK(ErrorOf("x.map(\"\\u12\")") == "column 8: \\u needs 4 hex digits");
  CHECK(ErrorOf("records ; count") == "column 9: unexpected character ';'");
  CHECK(ErrorOf("= 3") == "column 1: expected a value, found '='");
  CHECK(ErrorOf("x = ") == "column 5: expected a value, found the end of the line");
}

TEST_CASE("the book's word count: a chain of key/value methods") {
  auto st = Parse(R"(from_sequence(["the cat sat on the mat", "the dog sat on the mat"], 2))"
                  R"(.map('split(_, " ")').flatten().to_pairs("_", "1").reduce_by_key("sum"))");
  REQUIRE(st.ok());
  const Expr& e = *st->expr;
  CHECK(ChainOf(e) == "from_sequence map flatten to_pairs reduce_by_key");
  CHECK(e.args[0].value->literal == Value("sum"));
  const Expr& to_pairs = *e.receiver;
  REQUIRE(to_pairs.args.size() == 2);
  CHECK(to_pairs.args[0].value->literal == Value("_"));
  CHECK(to_pairs.args[1].value->literal == Value("1"));
  const Expr& map = *to_pairs.receiver->receiver;
  CHECK(map.args[0].value->literal == Value("split(_, \" \")"));
  const Expr& seq = *map.receiver;
  CHECK(seq.args[0].value->literal ==
        Value(ValueList{"the cat sat on the mat", "the dog sat on the mat"}));
  CHECK(seq.args[1].value->literal == Value(2));

  // Booleans, keywords and bags as arguments.
  auto sorted = Parse("counts.sort_by_key(false).first()");
  REQUIRE(sorted.ok());
  CHECK(ChainOf(*sorted->expr) == "counts sort_by_key first");
  CHECK(sorted->expr->receiver->args[0].value->literal == Value(false));
  auto join = Parse("counts.join(kinds, npartitions=4).sort_by(\"_[1]\", ascending=false)");
  REQUIRE(join.ok());
  const Expr& joined = *join->expr->receiver;
  CHECK(joined.args[0].value->kind == Expr::Kind::kName);
  CHECK(joined.args[0].value->name == "kinds");
  CHECK(joined.args[1].keyword == "npartitions");
  CHECK(join->expr->args[1].keyword == "ascending");
  CHECK(join->expr->ToString() ==
        R"(counts.join(kinds, npartitions=4).sort_by("_[1]", ascending=false))");
  auto visits = Parse(R"(visits.to_pairs("[user, date(timestamp)]", "1").count_by_key())");
  REQUIRE(visits.ok());
  CHECK(visits->expr->receiver->args[0].value->literal == Value("[user, date(timestamp)]"));
}

TEST_CASE("record literals keep their field order") {
  auto st = Parse(R"(from_sequence([{"user": "b", "n": 1}, {'user': 'a', "tags": [1, {}]}]))");
  REQUIRE(st.ok());
  const Value& items = st->expr->args[0].value->literal;
  CHECK(items == Value(ValueList{Value(Record{{"user", "b"}, {"n", 1}}),
                                 Value(Record{{"user", "a"},
                                              {"tags", Value(ValueList{1, Value(Record{})})}})}));
  CHECK(st->expr->ToString() ==
        R"(from_sequence([{"user":"b","n":1},{"user":"a","tags":[1,{}]}]))");
}

TEST_CASE("ParseLiteral reads JSON texts: what weft bag --sequence takes") {
  auto v = ParseLiteral(
      R"( [ "the cat", -1.5e3, 7, true, false, null, [], {"k": [1, "x"], "e": {}} ] )");
  REQUIRE(v.ok());
  CHECK(*v ==
        Value(ValueList{"the cat", -1500.0, 7, true, false, Value(), Value(ValueList{}),
                        Value(Record{{"k", Value(ValueList{1, "x"})}, {"e", Value(Record{})}})}));
  // JSON's escapes, \u with a surrogate pair written as UTF-8.
  auto s = ParseLiteral(R"("a\"b\\c\/d\n\t\r\b\f\u00e9\ud83d\ude00")");
  REQUIRE(s.ok());
  CHECK(*s == Value("a\"b\\c/d\n\t\r\b\f\xc3\xa9\xf0\x9f\x98\x80"));
  CHECK(*ParseLiteral("42") == Value(42));

  CHECK(LiteralErrorOf("[1, 2") == "column 6: expected ',', found the end of the line");
  CHECK(LiteralErrorOf("[1] 2") == "column 5: unexpected number 2");
  CHECK(LiteralErrorOf("records") ==
        "column 1: expected a literal (a JSON text), found a name or a call");
  CHECK(LiteralErrorOf("{\"a\": 1,}") == "column 9: expected a field name (a string), found '}'");
  CHECK(LiteralErrorOf("") == "column 1: expected a value, found the end of the line");
}
