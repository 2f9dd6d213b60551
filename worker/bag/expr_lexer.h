// The tokenizer of Bag's two expression languages, the value expressions (expr.h) and the
// older filter predicates (filter_expr.h), and the wording of their parse errors. Internal
// to worker/bag: each language's parser reads its tokens through a Lexer and reports every
// parse error through it, so that both read a string, a number or a path the same way.
//
// Tokens, after any ASCII whitespace:
//   word     [A-Za-z_][A-Za-z0-9_.]*  a name or dotted path as written (a, repo.name, _.a);
//            a part may not be empty (a..b, a. are errors). "and", "or" and "not" are
//            symbols; "true", "false" and "null" are literals.
//   member   '.' then [A-Za-z0-9_.]+, only where Syntax::member_tokens: .a.b (parts as for
//            a word)
//   string   double-quoted with JSON's escapes; a surrogate pair of \u escapes is one code
//            point, a lone surrogate is encoded as it is. The literal is the string Value.
//   number   [0-9][0-9.eE]* with a sign after e or E, and where Syntax::signed_numbers a
//            leading '-' before a digit or '.'. Without '.', 'e' and 'E' and in int64 range
//            an int, otherwise a double (NumberValue).
//   symbol   the longest of Syntax::symbols that the text continues with.
// A lone '=' and any other character are errors.
//
// Errors are kInvalidArgument naming the 1-based column, worded by Syntax::errors:
//   kFilter      bad filter expression "<text>": <what>, got <token> at column <n>
//   kExpression  bad expression: <what>[, got <token>] at column <n>
//                  <text, with tabs and line breaks shown as spaces>
//                  <a caret under the column>
// where <token> is the current token ('x', or "the end" when there is none).
//
// Threading: a Lexer is one parser's cursor, used by one thread at a time; a Syntax is a
// constant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "weft/value.h"

namespace weft::bag::internal {

enum class TokenType {
  kWord,     // a name or dotted path, as written
  kMember,   // '.' and the dotted parts after it, as written (Syntax::member_tokens)
  kLiteral,  // a string, a number, true, false or null: `literal`
  kSymbol,   // one of Syntax::symbols, or the keyword and, or, not: `text`
  kEnd,      // the end of the text
};

struct Token {
  TokenType type = TokenType::kEnd;
  size_t column = 0;  // 1-based
  std::string text;   // as written
  Value literal;      // kLiteral
  bool is_number = false;

  bool IsSymbol(std::string_view symbol) const {
    return type == TokenType::kSymbol && text == symbol;
  }
};

enum class ErrorStyle { kFilter, kExpression };

// What a language's tokens are, beyond the common ones above.
struct Syntax {
  // A symbol that another begins with must come after it ("<=" before "<").
  absl::Span<const std::string_view> symbols;
  bool signed_numbers = false;  // -1 and -.5 are number tokens
  bool member_tokens = false;   // .a.b after a value is one token
  ErrorStyle errors = ErrorStyle::kExpression;
};

class Lexer {
 public:
  // REQUIRES: `text` and `syntax` outlive the Lexer.
  Lexer(std::string_view text, const Syntax& syntax) : text_(text), syntax_(syntax) {}

  // Moves to the next token (the first on the first call); at the end of the text that is
  // a kEnd token, again on every further call. A malformed token is an error.
  absl::Status Advance();

  const Token& token() const { return token_; }

  // Whether the text after the current token continues with '(' (after any spaces).
  bool NextIsLParen() const;

  // A problem at the current token, which the message names.
  absl::Status Error(absl::string_view what) const;
  // A problem at `column`. kFilter messages name the current token as well.
  absl::Status ErrorAt(absl::string_view what, size_t column) const;

 private:
  absl::Status LexWord(TokenType type);
  absl::Status LexNumber();
  absl::Status LexString();
  absl::Status LexEscape(std::string* out);
  bool LexHex4(uint32_t* cp);

  // Constant after construction.
  std::string_view text_;
  const Syntax& syntax_;

  size_t pos_ = 0;  // just after token_
  Token token_;
};

// A number token's text (a leading '-' allowed) as an int when it has no '.', 'e' or 'E'
// and fits int64, otherwise as a double; false if it is neither.
bool NumberValue(const std::string& text, Value* out);

}  // namespace weft::bag::internal
