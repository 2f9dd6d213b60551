#include "client/cli/shell_parser.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <utility>

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

// The length of the punctuation or operator at s[i] (the longest that matches), or 0.
size_t PunctLength(const std::string& s, size_t i) {
  static constexpr const char* kTwo[] = {"**", "//", "<=", ">=", "==", "!="};
  for (const char* p : kTwo) {
    if (s.compare(i, 2, p) == 0) return 2;
  }
  return std::string_view("()[]{},.=:+-*/%@<>&|^~").find(s[i]) != std::string_view::npos ? 1 : 0;
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
    } else if (std::isdigit(c)) {
      // A '-' before it is an operator; the parser folds -NUMBER into a literal.
      WEFT_ASSIGN_OR_RETURN(Token t, LexNumber(s, &i));
      out.push_back(std::move(t));
    } else if (size_t n = PunctLength(s, i); n > 0) {
      out.push_back(Token{Token::Kind::kPunct, s.substr(i, n), Value(), static_cast<int>(i) + 1});
      i += n;
    } else {
      return ErrorAt(
          static_cast<int>(i) + 1,
          absl::StrCat("unexpected character '", std::string(1, static_cast<char>(c)), "'"));
    }
  }
  out.push_back(Token{Token::Kind::kEnd, "", Value(), static_cast<int>(s.size()) + 1});
  return out;
}

// Recursive descent over the tokens of one line, one function per precedence level
// (shell_parser.h's grammar).
class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  // One literal filling the whole line.
  absl::StatusOr<Value> ParseOnlyLiteral() {
    const int column = Peek().column;
    WEFT_ASSIGN_OR_RETURN(ExprPtr e, ParseLiteralItem());
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
    if (Peek().kind == Token::Kind::kName && IsPunct("=", 1)) {
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
  bool IsName(size_t ahead = 0) const { return Peek(ahead).kind == Token::Kind::kName; }
  bool IsEnd(size_t ahead = 0) const { return Peek(ahead).kind == Token::Kind::kEnd; }
  // The operator at the cursor when it is one of `ops`, else nullptr.
  const char* PeekOperator(std::initializer_list<const char*> ops) const {
    for (const char* op : ops) {
      if (IsPunct(op)) return op;
    }
    return nullptr;
  }
  absl::Status Expect(const char* p) {
    if (!IsPunct(p)) {
      return ErrorAt(Peek().column, absl::StrCat("expected '", p, "', found ", Describe(Peek())));
    }
    Next();
    return absl::OkStatus();
  }

  // `help`, `help NAME`, `help random.NAME`, `bags`, `quit`, `exit`, each alone on the line.
  bool IsCommand() const {
    const std::string& w = Peek().text;
    if (w == "help") {
      return IsEnd(1) || (IsName(1) && IsEnd(2)) ||
             (IsName(1) && IsPunct(".", 2) && IsName(3) && IsEnd(4));
    }
    return (w == "bags" || w == "quit" || w == "exit") && IsEnd(1);
  }
  Statement ParseCommand() {
    Statement st;
    const std::string w = Next().text;
    if (w == "help") {
      st.kind = Statement::Kind::kHelp;
      while (!IsEnd()) st.topic += Next().text;
    } else {
      st.kind = w == "bags" ? Statement::Kind::kBags : Statement::Kind::kQuit;
    }
    return st;
  }

  static ExprPtr Binary(std::string op, int column, ExprPtr lhs, ExprPtr rhs) {
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kBinary;
    e->op = std::move(op);
    e->column = column;
    e->operands.push_back(std::move(lhs));
    e->operands.push_back(std::move(rhs));
    return e;
  }

  // A left-associative level: next (op next)*.
  absl::StatusOr<ExprPtr> ParseLeft(std::initializer_list<const char*> ops,
                                    absl::StatusOr<ExprPtr> (Parser::*next)()) {
    WEFT_ASSIGN_OR_RETURN(ExprPtr e, (this->*next)());
    while (const char* op = PeekOperator(ops)) {
      const int column = Next().column;
      WEFT_ASSIGN_OR_RETURN(ExprPtr rhs, (this->*next)());
      e = Binary(op, column, std::move(e), std::move(rhs));
    }
    return e;
  }

  absl::StatusOr<ExprPtr> ParseExpr() { return ParseComparison(); }
  absl::StatusOr<ExprPtr> ParseOr() { return ParseLeft({"|"}, &Parser::ParseXor); }
  absl::StatusOr<ExprPtr> ParseXor() { return ParseLeft({"^"}, &Parser::ParseAnd); }
  absl::StatusOr<ExprPtr> ParseAnd() { return ParseLeft({"&"}, &Parser::ParseSum); }
  absl::StatusOr<ExprPtr> ParseSum() { return ParseLeft({"+", "-"}, &Parser::ParseTerm); }
  absl::StatusOr<ExprPtr> ParseTerm() {
    return ParseLeft({"*", "/", "//", "%", "@"}, &Parser::ParseUnary);
  }

  // Comparisons bind more loosely than | ^ &, as in Python: (x < 1) & (y < 1) needs its
  // parentheses. Python chains comparisons (a < b < c means a < b and b < c); arrays
  // cannot, so a chain is an error rather than a silent (a < b) < c — which also catches
  // the classic x > 0 & x < 5.
  absl::StatusOr<ExprPtr> ParseComparison() {
    static constexpr std::initializer_list<const char*> kComparisons = {"<",  "<=", ">",
                                                                        ">=", "==", "!="};
    WEFT_ASSIGN_OR_RETURN(ExprPtr e, ParseOr());
    if (const char* op = PeekOperator(kComparisons)) {
      const int column = Next().column;
      WEFT_ASSIGN_OR_RETURN(ExprPtr rhs, ParseOr());
      e = Binary(op, column, std::move(e), std::move(rhs));
      if (PeekOperator(kComparisons) != nullptr) {
        return ErrorAt(Peek().column,
                       "comparisons do not chain: write (a < b) & (b < c), not a < b < c");
      }
    }
    return e;
  }

  // -NUMBER folds into the literal; -x, +x, ~x are kUnary.
  absl::StatusOr<ExprPtr> ParseUnary() {
    const char* op = PeekOperator({"-", "+", "~"});
    if (op == nullptr) return ParsePower();
    const int column = Next().column;
    WEFT_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary());
    if (std::string_view(op) != "~" && operand->kind == Expr::Kind::kLiteral &&
        (operand->literal.is_int() || operand->literal.is_double())) {
      if (*op == '-') operand->literal = Negated(operand->literal);
      operand->column = column;
      return operand;
    }
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kUnary;
    e->op = op;
    e->column = column;
    e->operands.push_back(std::move(operand));
    return e;
  }
  static Value Negated(const Value& v) {
    if (v.is_double()) return Value(-v.as_double());
    // -(-2^63) overflows: the double then, as Python's int would not.
    if (v.as_int() == INT64_MIN) return Value(-static_cast<double>(v.as_int()));
    return Value(-v.as_int());
  }

  // The exponent is a unary expression: 2**-1, and -2**2 is -(2**2).
  absl::StatusOr<ExprPtr> ParsePower() {
    WEFT_ASSIGN_OR_RETURN(ExprPtr e, ParsePostfix());
    if (!IsPunct("**")) return e;
    const int column = Next().column;
    WEFT_ASSIGN_OR_RETURN(ExprPtr rhs, ParseUnary());
    return Binary("**", column, std::move(e), std::move(rhs));
  }

  absl::StatusOr<ExprPtr> ParsePostfix() {
    WEFT_ASSIGN_OR_RETURN(ExprPtr e, ParsePrimary());
    while (IsPunct(".") || IsPunct("[")) {
      if (IsPunct("[")) {
        WEFT_ASSIGN_OR_RETURN(e, ParseSubscripts(std::move(e)));
        continue;
      }
      Next();  // '.'
      if (!IsName()) {
        return ErrorAt(Peek().column,
                       absl::StrCat("expected a method name after '.', found ", Describe(Peek())));
      }
      auto m = std::make_unique<Expr>();
      m->kind = Expr::Kind::kAttribute;
      m->column = Peek().column;
      m->name = Next().text;
      m->receiver = std::move(e);
      if (IsPunct("(")) {
        m->kind = Expr::Kind::kMethod;
        WEFT_ASSIGN_OR_RETURN(m->args, ParseArgs(""));
      }
      e = std::move(m);
    }
    return e;
  }

  // receiver '[' subscript (',' subscript)* ']'
  absl::StatusOr<ExprPtr> ParseSubscripts(ExprPtr receiver) {
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kSubscript;
    e->column = Next().column;  // '['
    e->receiver = std::move(receiver);
    do {
      if (!e->subscripts.empty()) Next();  // ','
      WEFT_ASSIGN_OR_RETURN(Subscript item, ParseSubscript());
      e->subscripts.push_back(std::move(item));
    } while (IsPunct(","));
    WEFT_RETURN_IF_ERROR(Expect("]"));
    return e;
  }

  // expr | [expr] ':' [expr] [':' [expr]]
  absl::StatusOr<Subscript> ParseSubscript() {
    Subscript item;
    item.column = Peek().column;
    auto part_ends = [&] { return IsPunct(":") || IsPunct(",") || IsPunct("]"); };
    ExprPtr first;
    if (!IsPunct(":")) {
      WEFT_ASSIGN_OR_RETURN(first, ParseExpr());
    }
    if (!IsPunct(":")) {
      item.index = std::move(first);
      return item;
    }
    item.is_slice = true;
    item.start = std::move(first);
    Next();  // ':'
    if (!part_ends()) {
      WEFT_ASSIGN_OR_RETURN(item.stop, ParseExpr());
    }
    if (IsPunct(":")) {
      Next();
      if (!part_ends()) {
        WEFT_ASSIGN_OR_RETURN(item.step, ParseExpr());
      }
    }
    return item;
  }

  absl::StatusOr<ExprPtr> ParsePrimary() {
    // Only the primary that starts an argument of concatenate() may be a list of
    // expressions.
    const bool expression_list = std::exchange(expression_list_allowed_, false);
    const Token& t = Peek();
    auto e = std::make_unique<Expr>();
    e->column = t.column;
    if (t.kind == Token::Kind::kString || t.kind == Token::Kind::kNumber) {
      e->literal = t.kind == Token::Kind::kString ? Value(t.text) : t.number;
      Next();
      return e;
    }
    if (t.kind == Token::Kind::kName) return ParseNamed();
    if (IsPunct("[")) return expression_list ? ParseExpressionList() : ParseList();
    if (IsPunct("{")) return ParseRecord();
    if (IsPunct("(")) return ParseParenthesized();
    return ErrorAt(t.column, absl::StrCat("expected a value, found ", Describe(t)));
  }

  // A name, a word literal, a call, or a namespace's call (random.uniform(...)).
  absl::StatusOr<ExprPtr> ParseNamed() {
    auto e = std::make_unique<Expr>();
    e->column = Peek().column;
    e->name = Next().text;
    if (e->name == "true" || e->name == "false" || e->name == "True" || e->name == "False") {
      e->literal = Value(e->name == "true" || e->name == "True");
      e->name.clear();
    } else if (e->name == "null" || e->name == "None") {
      e->name.clear();
    } else if (IsPunct("(")) {
      e->kind = Expr::Kind::kCall;
      WEFT_ASSIGN_OR_RETURN(e->args, ParseArgs(e->name));
    } else if (IsNamespace(e->name) && IsPunct(".") && IsName(1) && IsPunct("(", 2)) {
      Next();  // '.'
      e->kind = Expr::Kind::kCall;
      absl::StrAppend(&e->name, ".", Next().text);
      WEFT_ASSIGN_OR_RETURN(e->args, ParseArgs(e->name));
    } else {
      e->kind = Expr::Kind::kName;
    }
    return e;
  }
  static bool IsNamespace(const std::string& name) {
    for (const char* n : kNamespaces) {
      if (name == n) return true;
    }
    return false;
  }

  // (expr), or a tuple: (), (a,), (a, b): a list literal when every item is a literal.
  absl::StatusOr<ExprPtr> ParseParenthesized() {
    const int column = Next().column;  // '('
    std::vector<ExprPtr> items;
    bool tuple = IsPunct(")");
    while (!IsPunct(")")) {
      WEFT_ASSIGN_OR_RETURN(ExprPtr item, ParseExpr());
      items.push_back(std::move(item));
      if (IsPunct(")")) break;
      WEFT_RETURN_IF_ERROR(Expect(","));
      tuple = true;
    }
    Next();  // ')'
    if (!tuple) return std::move(items.front());
    return Sequence(column, std::move(items), /*tuple=*/true);
  }

  // Items as a list literal when each is one, else a kList expression.
  static ExprPtr Sequence(int column, std::vector<ExprPtr> items, bool tuple) {
    auto e = std::make_unique<Expr>();
    e->column = column;
    if (std::all_of(items.begin(), items.end(),
                    [](const ExprPtr& i) { return i->kind == Expr::Kind::kLiteral; })) {
      ValueList values;
      for (ExprPtr& item : items) values.push_back(std::move(item->literal));
      e->literal = Value(std::move(values));
      return e;
    }
    e->kind = Expr::Kind::kList;
    e->tuple = tuple;
    e->operands = std::move(items);
    return e;
  }

  // A literal, or '-' and a number literal (the item of a list or record literal, or a
  // whole JSON text).
  absl::StatusOr<ExprPtr> ParseLiteralItem() {
    if (IsPunct("-") && Peek(1).kind == Token::Kind::kNumber) {
      const int column = Next().column;
      WEFT_ASSIGN_OR_RETURN(ExprPtr e, ParsePrimary());
      e->literal = Negated(e->literal);
      e->column = column;
      return e;
    }
    return ParsePrimary();
  }

  // An item of a list or record literal.
  absl::StatusOr<Value> ParseLiteralValue() {
    const int column = Peek().column;
    WEFT_ASSIGN_OR_RETURN(ExprPtr item, ParseLiteralItem());
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

  // [expr, ...]: concatenate's list of arrays.
  absl::StatusOr<ExprPtr> ParseExpressionList() {
    const int column = Next().column;  // '['
    std::vector<ExprPtr> items;
    while (!IsPunct("]")) {
      if (!items.empty()) WEFT_RETURN_IF_ERROR(Expect(","));
      WEFT_ASSIGN_OR_RETURN(ExprPtr item, ParseExpr());
      items.push_back(std::move(item));
    }
    Next();  // ']'
    return Sequence(column, std::move(items), /*tuple=*/false);
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

  // The arguments of a call to `callee` (a function's name; empty for a method).
  absl::StatusOr<std::vector<Argument>> ParseArgs(const std::string& callee) {
    WEFT_RETURN_IF_ERROR(Expect("("));
    std::vector<Argument> args;
    bool keywords = false;
    while (!IsPunct(")")) {
      if (!args.empty()) WEFT_RETURN_IF_ERROR(Expect(","));
      Argument a;
      a.column = Peek().column;
      if (IsName() && IsPunct("=", 1)) {
        a.keyword = Next().text;
        Next();  // '='
        keywords = true;
      } else if (keywords) {
        return ErrorAt(a.column, "a positional argument after a keyword argument");
      }
      expression_list_allowed_ = callee == kConcatenateLists;
      WEFT_ASSIGN_OR_RETURN(a.value, ParseExpr());
      args.push_back(std::move(a));
    }
    Next();  // ')'
    return args;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  bool expression_list_allowed_ = false;  // for the next ParsePrimary only
};

// How tightly an operator binds (shell_parser.h's grammar): operands that bind less
// tightly are printed in parentheses.
int Precedence(const Expr& e) {
  if (e.kind == Expr::Kind::kUnary) return 7;
  if (e.kind != Expr::Kind::kBinary) return 9;
  static const auto* levels = new std::vector<std::pair<std::vector<std::string>, int>>{
      {{"<", "<=", ">", ">=", "==", "!="}, 1}, {{"|"}, 2}, {{"^"}, 3}, {{"&"}, 4}, {{"+", "-"}, 5},
      {{"*", "/", "//", "%", "@"}, 6},         {{"**"}, 8}};
  for (const auto& [ops, level] : *levels) {
    if (std::find(ops.begin(), ops.end(), e.op) != ops.end()) return level;
  }
  return 9;
}

std::string Operand(const Expr& e, bool parenthesize) {
  return parenthesize ? absl::StrCat("(", e.ToString(), ")") : e.ToString();
}

std::string SubscriptToString(const Subscript& s) {
  if (!s.is_slice) return s.index->ToString();
  auto part = [](const ExprPtr& p) { return p ? p->ToString() : ""; };
  std::string out = absl::StrCat(part(s.start), ":", part(s.stop));
  if (s.step) absl::StrAppend(&out, ":", part(s.step));
  return out;
}

}  // namespace

std::string Expr::ToString() const {
  std::vector<std::string> parts;
  for (const Argument& a : args) {
    parts.push_back(a.keyword.empty() ? a.value->ToString()
                                      : absl::StrCat(a.keyword, "=", a.value->ToString()));
  }
  switch (kind) {
    case Kind::kLiteral:
      return literal.ToJson();
    case Kind::kName:
      return name;
    case Kind::kCall:
      return absl::StrCat(name, "(", absl::StrJoin(parts, ", "), ")");
    case Kind::kMethod:
      return absl::StrCat(Operand(*receiver, Precedence(*receiver) < 9), ".", name, "(",
                          absl::StrJoin(parts, ", "), ")");
    case Kind::kAttribute:
      return absl::StrCat(Operand(*receiver, Precedence(*receiver) < 9), ".", name);
    case Kind::kSubscript: {
      std::vector<std::string> items;
      for (const Subscript& s : subscripts) items.push_back(SubscriptToString(s));
      return absl::StrCat(Operand(*receiver, Precedence(*receiver) < 9), "[",
                          absl::StrJoin(items, ", "), "]");
    }
    case Kind::kBinary: {
      const int level = Precedence(*this);
      const bool right_assoc = op == "**";
      const Expr& lhs = *operands[0];
      const Expr& rhs = *operands[1];
      return absl::StrCat(
          Operand(lhs, Precedence(lhs) < level || (right_assoc && Precedence(lhs) == level) ||
                           (right_assoc && lhs.kind == Kind::kUnary)),
          " ", op, " ",
          Operand(rhs, Precedence(rhs) < level || (!right_assoc && Precedence(rhs) == level)));
    }
    case Kind::kUnary:
      return absl::StrCat(op, Operand(*operands[0], Precedence(*operands[0]) < 7));
    case Kind::kList: {
      std::vector<std::string> items;
      for (const ExprPtr& item : operands) items.push_back(item->ToString());
      if (!tuple) return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
      return absl::StrCat("(", absl::StrJoin(items, ", "), items.size() == 1 ? ",)" : ")");
    }
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
