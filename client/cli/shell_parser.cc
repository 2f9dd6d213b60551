#include "client/cli/shell_parser.h"

#include <cctype>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/output.h"
#include "common/status_macros.h"
#include "common/utf8.h"

namespace weft::cli::shell {
namespace {

struct Token {
  enum class Kind { kName, kString, kNumber, kPunct, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // a name, a string's unescaped contents, a number, or the punctuation
  Value number;
  int column = 0;
};

absl::Status ErrorAt(int column, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("column ", column, ": ", message));
}

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Token::Kind::kEnd:
      return "the end of the line";
    case Token::Kind::kString:
      return "a string";
    case Token::Kind::kNumber:
      return absl::StrCat("number ", t.text);
    default:
      return absl::StrCat("'", t.text, "'");
  }
}

// The 4 hex digits of a \u escape at s[*i], advancing past them.
absl::StatusOr<uint32_t> LexHex4(const std::string& s, size_t* i, int column) {
  if (*i + 4 > s.size()) return ErrorAt(column, "\\u needs 4 hex digits");
  uint32_t v = 0;
  for (int k = 0; k < 4; ++k) {
    const char c = s[(*i)++];
    const int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                      : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                      : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                                  : -1;
    if (digit < 0) return ErrorAt(column, "\\u needs 4 hex digits");
    v = v * 16 + static_cast<uint32_t>(digit);
  }
  return v;
}

// \uXXXX (s[*i] is just past the 'u'), joining a UTF-16 surrogate pair \uD83D\uDE00.
absl::Status LexUnicodeEscape(const std::string& s, size_t* i, int column, std::string* out) {
  WEFT_ASSIGN_OR_RETURN(uint32_t unit, LexHex4(s, i, column));
  if (unit >= 0xD800 && unit < 0xDC00 && *i + 1 < s.size() && s[*i] == '\\' && s[*i + 1] == 'u') {
    size_t j = *i + 2;
    WEFT_ASSIGN_OR_RETURN(uint32_t low, LexHex4(s, &j, column));
    if (low >= 0xDC00 && low < 0xE000) {
      *i = j;
      unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    }
  }
  AppendUtf8(unit, out);
  return absl::OkStatus();
}

absl::StatusOr<Token> LexString(const std::string& s, size_t* i) {
  Token t{Token::Kind::kString};
  t.column = static_cast<int>(*i) + 1;
  const char quote = s[(*i)++];
  while (*i < s.size() && s[*i] != quote) {
    char c = s[(*i)++];
    if (c == '\\' && *i < s.size()) {
      const int column = static_cast<int>(*i);  // the backslash's
      const char e = s[(*i)++];
      if (e == 'u') {
        WEFT_RETURN_IF_ERROR(LexUnicodeEscape(s, i, column, &t.text));
        continue;
      }
      // JSON's escapes; any other character stands for itself (\' \" \\ \/).
      c = e == 'n'   ? '\n'
          : e == 't' ? '\t'
          : e == 'r' ? '\r'
          : e == 'b' ? '\b'
          : e == 'f' ? '\f'
                     : e;
    }
    t.text.push_back(c);
  }
  if (*i >= s.size()) return ErrorAt(t.column, "unterminated string");
  ++*i;  // the closing quote
  return t;
}

absl::StatusOr<Token> LexNumber(const std::string& s, size_t* i) {
  Token t{Token::Kind::kNumber};
  t.column = static_cast<int>(*i) + 1;
  size_t begin = *i;
  if (s[*i] == '-') ++*i;
  auto digits = [&] {
    while (*i < s.size() && std::isdigit(static_cast<unsigned char>(s[*i]))) ++*i;
  };
  digits();
  bool decimal = false;
  if (*i < s.size() && s[*i] == '.' && *i + 1 < s.size() &&
      std::isdigit(static_cast<unsigned char>(s[*i + 1]))) {
    decimal = true;
    ++*i;
    digits();
  }
  if (*i < s.size() && (s[*i] == 'e' || s[*i] == 'E')) {
    decimal = true;
    ++*i;
    if (*i < s.size() && (s[*i] == '+' || s[*i] == '-')) ++*i;
    digits();
  }
  t.text = s.substr(begin, *i - begin);
  int64_t n;
  double d;
  if (!decimal && absl::SimpleAtoi(t.text, &n)) {
    t.number = Value(n);
  } else if (absl::SimpleAtod(t.text, &d)) {
    t.number = Value(d);
  } else {
    return ErrorAt(t.column, absl::StrCat("bad number '", t.text, "'"));
  }
  return t;
}

absl::StatusOr<std::vector<Token>> Lex(const std::string& s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    if (std::isspace(c)) {
      ++i;
    } else if (c == '#') {
      break;  // a comment to the end of the line
    } else if (std::isalpha(c) || c == '_') {
      Token t{Token::Kind::kName};
      t.column = static_cast<int>(i) + 1;
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) {
        t.text.push_back(s[i++]);
      }
      out.push_back(std::move(t));
    } else if (c == '"' || c == '\'') {
      WEFT_ASSIGN_OR_RETURN(Token t, LexString(s, &i));
      out.push_back(std::move(t));
    } else if (std::isdigit(c) || (c == '-' && i + 1 < s.size() &&
                                   std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      WEFT_ASSIGN_OR_RETURN(Token t, LexNumber(s, &i));
      out.push_back(std::move(t));
    } else if (std::string("()[]{},.=:").find(static_cast<char>(c)) != std::string::npos) {
      out.push_back(Token{Token::Kind::kPunct, std::string(1, static_cast<char>(c)), Value(),
                          static_cast<int>(i) + 1});
      ++i;
    } else {
      return ErrorAt(
          static_cast<int>(i) + 1,
          absl::StrCat("unexpected character '", std::string(1, static_cast<char>(c)), "'"));
    }
  }
  out.push_back(Token{Token::Kind::kEnd, "", Value(), static_cast<int>(s.size()) + 1});
  return out;
}

// Recursive descent over the tokens of one line.
class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  // One literal filling the whole line.
  absl::StatusOr<Value> ParseOnlyLiteral() {
    const int column = Peek().column;
    WEFT_ASSIGN_OR_RETURN(ExprPtr e, ParsePrimary());
    if (e->kind != Expr::Kind::kLiteral) {
      return ErrorAt(column, "expected a literal (a JSON text), found a name or a call");
    }
    if (Peek().kind != Token::Kind::kEnd) {
      return ErrorAt(Peek().column, absl::StrCat("unexpected ", Describe(Peek())));
    }
    return std::move(e->literal);
  }

  absl::StatusOr<Statement> ParseStatement() {
    Statement st;
    if (Peek().kind == Token::Kind::kEnd) return st;
    if (Peek().kind == Token::Kind::kName && IsCommand()) return ParseCommand();
    if (Peek().kind == Token::Kind::kName && Peek(1).kind == Token::Kind::kPunct &&
        Peek(1).text == "=") {
      st.kind = Statement::Kind::kAssign;
      st.target = Next().text;
      Next();  // '='
    } else {
      st.kind = Statement::Kind::kExpr;
    }
    WEFT_ASSIGN_OR_RETURN(st.expr, ParseExpr());
    if (Peek().kind != Token::Kind::kEnd) {
      return ErrorAt(Peek().column, absl::StrCat("unexpected ", Describe(Peek())));
    }
    return st;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Next() { return tokens_[std::min(pos_++, tokens_.size() - 1)]; }
  bool IsPunct(const char* p, size_t ahead = 0) const {
    return Peek(ahead).kind == Token::Kind::kPunct && Peek(ahead).text == p;
  }
  absl::Status Expect(const char* p) {
    if (!IsPunct(p)) {
      return ErrorAt(Peek().column, absl::StrCat("expected '", p, "', found ", Describe(Peek())));
    }
    Next();
    return absl::OkStatus();
  }

  // `help`, `help NAME`, `bags`, `quit`, `exit`, each alone on the line.
  bool IsCommand() const {
    const std::string& w = Peek().text;
    if (w == "help") {
      return Peek(1).kind == Token::Kind::kEnd ||
             (Peek(1).kind == Token::Kind::kName && Peek(2).kind == Token::Kind::kEnd);
    }
    return (w == "bags" || w == "quit" || w == "exit") && Peek(1).kind == Token::Kind::kEnd;
  }
  Statement ParseCommand() {
    Statement st;
    const std::string w = Next().text;
    if (w == "help") {
      st.kind = Statement::Kind::kHelp;
      if (Peek().kind == Token::Kind::kName) st.topic = Next().text;
    } else {
      st.kind = w == "bags" ? Statement::Kind::kBags : Statement::Kind::kQuit;
    }
    return st;
  }

  absl::StatusOr<ExprPtr> ParseExpr() {
    WEFT_ASSIGN_OR_RETURN(ExprPtr e, ParsePrimary());
    while (IsPunct(".")) {
      Next();
      if (Peek().kind != Token::Kind::kName) {
        return ErrorAt(Peek().column,
                       absl::StrCat("expected a method name after '.', found ", Describe(Peek())));
      }
      auto m = std::make_unique<Expr>();
      m->kind = Expr::Kind::kMethod;
      m->column = Peek().column;
      m->name = Next().text;
      m->receiver = std::move(e);
      WEFT_ASSIGN_OR_RETURN(m->args, ParseArgs());
      e = std::move(m);
    }
    return e;
  }

  absl::StatusOr<ExprPtr> ParsePrimary() {
    const Token& t = Peek();
    auto e = std::make_unique<Expr>();
    e->column = t.column;
    if (t.kind == Token::Kind::kString || t.kind == Token::Kind::kNumber) {
      e->literal = t.kind == Token::Kind::kString ? Value(t.text) : t.number;
      Next();
      return e;
    }
    if (t.kind == Token::Kind::kName) {
      e->name = Next().text;
      if (e->name == "true" || e->name == "false") {
        e->literal = Value(e->name == "true");
        e->name.clear();
      } else if (e->name == "null" || e->name == "None") {
        e->name.clear();
      } else if (IsPunct("(")) {
        e->kind = Expr::Kind::kCall;
        WEFT_ASSIGN_OR_RETURN(e->args, ParseArgs());
      } else {
        e->kind = Expr::Kind::kName;
      }
      return e;
    }
    if (IsPunct("[")) return ParseList();
    if (IsPunct("{")) return ParseRecord();
    if (IsPunct("(")) {
      Next();
      WEFT_ASSIGN_OR_RETURN(e, ParseExpr());
      WEFT_RETURN_IF_ERROR(Expect(")"));
      return e;
    }
    return ErrorAt(t.column, absl::StrCat("expected a value, found ", Describe(t)));
  }

  // An item of a list or record literal.
  absl::StatusOr<Value> ParseLiteralValue() {
    const int column = Peek().column;
    WEFT_ASSIGN_OR_RETURN(ExprPtr item, ParsePrimary());
    if (item->kind != Expr::Kind::kLiteral) {
      return ErrorAt(column,
                     "lists and records hold literals only (strings, numbers, true, false, "
                     "null, lists, records)");
    }
    return std::move(item->literal);
  }

  absl::StatusOr<ExprPtr> ParseList() {
    auto e = std::make_unique<Expr>();
    e->column = Next().column;  // '['
    ValueList items;
    while (!IsPunct("]")) {
      if (!items.empty()) WEFT_RETURN_IF_ERROR(Expect(","));
      WEFT_ASSIGN_OR_RETURN(Value item, ParseLiteralValue());
      items.push_back(std::move(item));
    }
    Next();  // ']'
    e->literal = Value(std::move(items));
    return e;
  }

  // {"name": literal, ...}: a record, its fields in the order written.
  absl::StatusOr<ExprPtr> ParseRecord() {
    auto e = std::make_unique<Expr>();
    e->column = Next().column;  // '{'
    Record fields;
    while (!IsPunct("}")) {
      if (!fields.empty()) WEFT_RETURN_IF_ERROR(Expect(","));
      if (Peek().kind != Token::Kind::kString) {
        return ErrorAt(Peek().column,
                       absl::StrCat("expected a field name (a string), found ", Describe(Peek())));
      }
      std::string name = Next().text;
      WEFT_RETURN_IF_ERROR(Expect(":"));
      WEFT_ASSIGN_OR_RETURN(Value value, ParseLiteralValue());
      fields.emplace_back(std::move(name), std::move(value));
    }
    Next();  // '}'
    e->literal = Value(std::move(fields));
    return e;
  }

  absl::StatusOr<std::vector<Argument>> ParseArgs() {
    WEFT_RETURN_IF_ERROR(Expect("("));
    std::vector<Argument> args;
    bool keywords = false;
    while (!IsPunct(")")) {
      if (!args.empty()) WEFT_RETURN_IF_ERROR(Expect(","));
      Argument a;
      a.column = Peek().column;
      if (Peek().kind == Token::Kind::kName && IsPunct("=", 1)) {
        a.keyword = Next().text;
        Next();  // '='
        keywords = true;
      } else if (keywords) {
        return ErrorAt(a.column, "a positional argument after a keyword argument");
      }
      WEFT_ASSIGN_OR_RETURN(a.value, ParseExpr());
      args.push_back(std::move(a));
    }
    Next();  // ')'
    return args;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

std::string Expr::ToString() const {
  std::vector<std::string> parts;
  for (const Argument& a : args) {
    parts.push_back(a.keyword.empty() ? a.value->ToString()
                                      : absl::StrCat(a.keyword, "=", a.value->ToString()));
  }
  switch (kind) {
    case Kind::kLiteral:
      return ToJson(literal);
    case Kind::kName:
      return name;
    case Kind::kCall:
      return absl::StrCat(name, "(", absl::StrJoin(parts, ", "), ")");
    case Kind::kMethod:
      return absl::StrCat(receiver->ToString(), ".", name, "(", absl::StrJoin(parts, ", "), ")");
  }
  return "";
}

absl::StatusOr<Statement> Parse(const std::string& line) {
  WEFT_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(line));
  return Parser(std::move(tokens)).ParseStatement();
}

absl::StatusOr<Value> ParseLiteral(const std::string& text) {
  WEFT_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(text));
  return Parser(std::move(tokens)).ParseOnlyLiteral();
}

}  // namespace weft::cli::shell
