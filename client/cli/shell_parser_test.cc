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

namespace {

// The expression of `line`, fully parenthesised by ToString's rules.
std::string Normalised(const std::string& line) {
  auto st = Parse(line);
  REQUIRE(st.ok());
  return st->expr->ToString();
}

}  // namespace

TEST_CASE("operators: Python's precedence and associativity") {
  CHECK(Normalised("1 + 2 * 3") == "1 + 2 * 3");
  CHECK(Normalised("(1 + 2) * 3") == "(1 + 2) * 3");
  CHECK(Normalised("a - b - c") == "a - b - c");
  CHECK(Normalised("a - (b - c)") == "a - (b - c)");
  CHECK(Normalised("a ** b ** c") == "a ** b ** c");
  CHECK(Normalised("(a ** b) ** c") == "(a ** b) ** c");
  CHECK(Normalised("a | b ^ c & d + e * -f ** g < h") == "a | b ^ c & d + e * -f ** g < h");
  CHECK(Normalised("(a | b) & c") == "(a | b) & c");
  // As in Python (not C): comparisons bind more loosely than | ^ &.
  CHECK(Normalised("(x < 1) & (y < 1)") == "(x < 1) & (y < 1)");
  CHECK(Parse("x & 1 == 0")->expr->op == "==");
  CHECK(Parse("x | y & z")->expr->op == "|");
  CHECK(Normalised("a // b % c @ d / e") == "a // b % c @ d / e");

  // The tree, not only its text: -2**2 is -(2**2); ** takes a unary exponent.
  auto neg = Parse("-2**2");
  REQUIRE(neg.ok());
  CHECK(neg->expr->kind == Expr::Kind::kUnary);
  CHECK(neg->expr->op == "-");
  CHECK(neg->expr->operands[0]->op == "**");
  auto exponent = Parse("2**-1");
  REQUIRE(exponent.ok());
  CHECK(exponent->expr->op == "**");
  CHECK(exponent->expr->operands[1]->literal == Value(-1));  // -NUMBER folds
  auto sum = Parse("(x + 100).sum()");
  REQUIRE(sum.ok());
  CHECK(sum->expr->kind == Expr::Kind::kMethod);
  CHECK(sum->expr->receiver->kind == Expr::Kind::kBinary);
  CHECK(sum->expr->receiver->column == 4);  // the operator's column
  auto pi = Parse("4 * ((x**2 + y**2) < 1).sum() / n");
  REQUIRE(pi.ok());
  CHECK(pi->expr->op == "/");
  CHECK(pi->expr->operands[0]->op == "*");
  CHECK(pi->expr->ToString() == "4 * (x ** 2 + y ** 2 < 1).sum() / n");
  // Without spaces: x-1 is a subtraction, not x and -1.
  CHECK(Normalised("x-1") == "x - 1");
  CHECK(Normalised("~x & (y != 2)") == "~x & (y != 2)");
  CHECK(Normalised("-(x + 1)") == "-(x + 1)");
  CHECK(Normalised("(-x) ** 2") == "(-x) ** 2");
  // == is a comparison; a single = is still the keyword and the assignment.
  auto eq = Parse("b = a == 1");
  REQUIRE(eq.ok());
  CHECK(eq->kind == Statement::Kind::kAssign);
  CHECK(eq->expr->op == "==");
}

TEST_CASE("postfix: attributes, subscripts with slices, dotted function names, tuples") {
  auto attr = Parse("x.T.sum(axis=0).shape");
  REQUIRE(attr.ok());
  CHECK(attr->expr->kind == Expr::Kind::kAttribute);
  CHECK(attr->expr->name == "shape");
  CHECK(attr->expr->receiver->kind == Expr::Kind::kMethod);
  CHECK(attr->expr->receiver->receiver->kind == Expr::Kind::kAttribute);
  CHECK(Normalised("x.T.sum(axis=0).shape") == "x.T.sum(axis=0).shape");

  auto step = Parse("x[::2]");
  REQUIRE(step.ok());
  REQUIRE(step->expr->kind == Expr::Kind::kSubscript);
  REQUIRE(step->expr->subscripts.size() == 1);
  const auto& s = step->expr->subscripts[0];
  CHECK(s.is_slice);
  CHECK(s.start == nullptr);
  CHECK(s.stop == nullptr);
  CHECK(s.step->literal == Value(2));
  CHECK(Normalised("x[1:-1, 0]") == "x[1:-1, 0]");
  CHECK(Normalised("x[:, ::-1]") == "x[:, ::-1]");
  CHECK(Normalised("x[a + 1:]") == "x[a + 1:]");
  CHECK(Normalised("arange(10, chunks=3)[::-2].compute()") ==
        "arange(10, chunks=3)[::-2].compute()");
  auto two = Parse("x[1:-1, 0]");
  REQUIRE(two.ok());
  CHECK(two->expr->subscripts[1].index->literal == Value(0));
  CHECK(two->expr->subscripts[0].stop->literal == Value(-1));

  auto uniform = Parse("random.uniform(-1, 1, size=n, chunks=5000000, seed=1)");
  REQUIRE(uniform.ok());
  CHECK(uniform->expr->kind == Expr::Kind::kCall);
  CHECK(uniform->expr->name == "random.uniform");
  CHECK(uniform->expr->args[0].value->literal == Value(-1));
  // Another name's dot is a method call.
  CHECK(Parse("rand.uniform(1)")->expr->kind == Expr::Kind::kMethod);

  // Tuples of literals are list literals; others list expressions.
  auto ones = Parse("ones((3, 4), chunks=(2,))");
  REQUIRE(ones.ok());
  CHECK(ones->expr->args[0].value->literal == Value(ValueList{3, 4}));
  CHECK(ones->expr->args[1].value->literal == Value(ValueList{2}));
  auto shaped = Parse("ones((n, n))");
  REQUIRE(shaped.ok());
  CHECK(shaped->expr->args[0].value->kind == Expr::Kind::kList);
  CHECK(shaped->expr->args[0].value->tuple);
  CHECK(shaped->expr->ToString() == "ones((n, n))");
  CHECK(Parse("()")->expr->literal == Value(ValueList{}));
  CHECK(Parse("(1)")->expr->literal == Value(1));
  CHECK(Parse("x.shape[0]")->expr->kind == Expr::Kind::kSubscript);

  // concatenate's list holds expressions; other lists literals only.
  auto cat = Parse("concatenate([a, b + 1], axis=0)");
  REQUIRE(cat.ok());
  CHECK(cat->expr->args[0].value->kind == Expr::Kind::kList);
  CHECK(cat->expr->ToString() == "concatenate([a, b + 1], axis=0)");
  CHECK(ErrorOf("from_array([a, b])") ==
        "column 13: lists and records hold literals only (strings, numbers, true, false, null, "
        "lists, records)");
  CHECK(Parse("from_array([[1, -2.5], [3, 4]])")->expr->args[0].value->literal ==
        Value(ValueList{Value(ValueList{1, -2.5}), Value(ValueList{3, 4})}));

  CHECK(Parse("help random.uniform")->topic == "random.uniform");
  CHECK(Parse("from_array([True, False])")->expr->args[0].value->literal ==
        Value(ValueList{true, false}));
}

TEST_CASE("operator errors name the column") {
  CHECK(ErrorOf("a < b < c") ==
        "column 7: comparisons do not chain: write (a < b) & (b < c), not a < b < c");
  CHECK(ErrorOf("x > 0 & x < 5") ==
        "column 11: comparisons do not chain: write (a < b) & (b < c), not a < b < c");
  CHECK(ErrorOf("1 +") == "column 4: expected a value, found the end of the line");
  CHECK(ErrorOf("x[1:2") == "column 6: expected ']', found the end of the line");
  CHECK(ErrorOf("x[]") == "column 3: expected a value, found ']'");
  CHECK(ErrorOf("(1, 2") == "column 6: expected ',', found the end of the line");
  CHECK(ErrorOf("x ! y") == "column 3: unexpected character '!'");
  CHECK(ErrorOf("x.") == "column 3: expected a method name after '.', found the end of the line");
  CHECK(ErrorOf("* 2") == "column 1: expected a value, found '*'");
}
