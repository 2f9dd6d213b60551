#include "client/cli/shell_parser.h"

#include <catch2/catch.hpp>

using weft::Value;
using weft::ValueList;
using weft::cli::shell::Expr;
using weft::cli::shell::Parse;
using weft::cli::shell::Statement;

namespace {

std::string ErrorOf(const std::string& line) {
  auto st = Parse(line);
  REQUIRE_FALSE(st.ok());
  return std::string(st.status().message());
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
  CHECK(ErrorOf("from_sequence([x])") == "column 16: a list holds literals only (strings, numbers, lists)");
  CHECK(ErrorOf("records ; count") == "column 9: unexpected character ';'");
  CHECK(ErrorOf("= 3") == "column 1: expected a value, found '='");
  CHECK(ErrorOf("x = ") == "column 5: expected a value, found the end of the line");
}
