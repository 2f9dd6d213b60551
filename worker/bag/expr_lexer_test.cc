#include "worker/bag/expr_lexer.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace weft::bag::internal {
namespace {

constexpr std::string_view kSymbols[] = {"==", "<=", "<", "-", "(", ")"};
constexpr Syntax kExpression = {kSymbols, /*signed_numbers=*/false, /*member_tokens=*/true,
                                ErrorStyle::kExpression};
constexpr Syntax kFilter = {kSymbols, /*signed_numbers=*/true, /*member_tokens=*/false,
                            ErrorStyle::kFilter};

// The tokens of `text` as "<type>:<text>", or the error's message last.
std::vector<std::string> Lex(std::string_view text, const Syntax& syntax) {
  static constexpr const char* kNames[] = {"word", "member", "literal", "symbol", "end"};
  Lexer lexer(text, syntax);
  std::vector<std::string> out;
  do {
    if (absl::Status s = lexer.Advance(); !s.ok()) {
      out.push_back(std::string(s.message()));
      break;
    }
    out.push_back(std::string(kNames[static_cast<int>(lexer.token().type)]) + ":" +
                  lexer.token().text);
  } while (lexer.token().type != TokenType::kEnd);
  return out;
}

Value Literal(std::string_view text) {
  Lexer lexer(text, kExpression);
  REQUIRE(lexer.Advance().ok());
  REQUIRE(lexer.token().type == TokenType::kLiteral);
  return lexer.token().literal;
}

TEST_CASE("Lexer: words, keywords, literals and symbols") {
  CHECK(Lex(" _.a.b <= -1 and not(x)", kExpression) ==
        std::vector<std::string>{"word:_.a.b", "symbol:<=", "symbol:-", "literal:1", "symbol:and",
                                 "symbol:not", "symbol:(", "word:x", "symbol:)", "end:"});
  CHECK(Lex("(a).b.0 < true", kExpression) ==
        std::vector<std::string>{"symbol:(", "word:a", "symbol:)", "member:.b.0", "symbol:<",
                                 "literal:true", "end:"});
  // The filter's numbers take a sign, and it has no member tokens.
  CHECK(Lex("a<-.5", kFilter) ==
        std::vector<std::string>{"word:a", "symbol:<", "literal:-.5", "end:"});
  CHECK(Lex("(a).b", kFilter).back() ==
        "bad filter expression \"(a).b\": unexpected character, got '.' at column 4");
}

TEST_CASE("Lexer: literal values") {
  CHECK(Literal("42") == Value(42));
  CHECK(Literal("4.0") == Value(4.0));
  CHECK(Literal("1e3") == Value(1000.0));
  CHECK(Literal("9223372036854775808") == Value(9223372036854775808.0));  // past int64
  CHECK(Literal("null") == Value());
  CHECK(Literal("false") == Value(false));
  CHECK(Literal(R"("a\"\\\/\b\f\n\r\t")") == Value("a\"\\/\b\f\n\r\t"));
  CHECK(Literal(R"("\u00e9")") == Value("\xC3\xA9"));
  CHECK(Literal(R"("\ud83d\ude00")") == Value("\xF0\x9F\x98\x80"));  // a surrogate pair
  CHECK(Literal(R"("\ud83d\u0041")") == Value("\xED\xA0\xBD"
                                              "A"));  // a lone one, as it is
  Value v;
  CHECK(NumberValue("-9223372036854775808", &v));
  CHECK(v == Value(std::numeric_limits<int64_t>::min()));
  CHECK_FALSE(NumberValue("1e", &v));
}

TEST_CASE("Lexer: errors in each style") {
  CHECK(Lex("a = 1", kExpression).back() ==
        "bad expression: expected '==' (not '='), got '=' at column 3\n  a = 1\n    ^");
  CHECK(Lex("a = 1", kFilter).back() ==
        "bad filter expression \"a = 1\": expected '==' (not '='), got '=' at column 3");
  CHECK(Lex("x\t\"\\q\"", kExpression).back() ==
        "bad expression: unknown escape '\\q' in string at column 4\n  x \"\\q\"\n     ^");
  CHECK(Lex("\"ab", kFilter).back() ==
        "bad filter expression \"\"ab\": unterminated string, got the end at column 1");
  CHECK(Lex("\"\\u12\"", kExpression)
            .back()
            .rfind("bad expression: bad \\u escape in string at "
                   "column 2\n",
                   0) == 0);
  CHECK(Lex("1e+", kExpression)
            .back()
            .rfind("bad expression: malformed number, got '1e+' at "
                   "column 1\n",
                   0) == 0);
  CHECK(Lex("a. b", kFilter).back() ==
        "bad filter expression \"a. b\": empty part in path, got 'a.' at column 1");
  CHECK(
      Lex("(a)..b", kExpression).back().rfind("bad expression: empty part in path, got '..b'", 0) ==
      0);
  CHECK(
      Lex("a # b", kExpression).back().rfind("bad expression: unexpected character, got '#'", 0) ==
      0);
}

TEST_CASE("Lexer: a name followed by '('") {
  Lexer lexer("f  (x) g", kExpression);
  REQUIRE(lexer.Advance().ok());
  CHECK(lexer.NextIsLParen());
  REQUIRE(lexer.Advance().ok());  // (
  REQUIRE(lexer.Advance().ok());  // x
  CHECK_FALSE(lexer.NextIsLParen());
  CHECK(lexer.ErrorAt("here", 2) ==
        absl::InvalidArgumentError("bad expression: here at column 2\n  f  (x) g\n   ^"));
}

}  // namespace
}  // namespace weft::bag::internal
