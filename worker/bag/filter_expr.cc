#include "worker/bag/filter_expr.h"

#include <cctype>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "worker/bag/value_order.h"

namespace weft::bag {

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kStartsWith, kEndsWith, kContains, kExists };

struct FilterExpr::Node {
  enum class Kind { kAnd, kOr, kNot, kLeaf };
  Kind kind = Kind::kLeaf;
  std::vector<std::unique_ptr<const Node>> children;
  // Leaf only.
  Op op = Op::kEq;
  size_t path_index = 0;
  Value literal;
};

namespace {

using Node = FilterExpr::Node;

// ---------------------------------------------------------------------------
// Leaf predicates

bool IsNumber(const Value& v) { return v.is_int() || v.is_double(); }

// <0, 0, >0 between two numbers, ints exactly, otherwise as doubles.
int CompareNumeric(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) {
    return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  }
  const double x = a.is_int() ? static_cast<double>(a.as_int()) : a.as_double();
  const double y = b.is_int() ? static_cast<double>(b.as_int()) : b.as_double();
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool Ordered(const Value& v, const Value& lit, int* cmp) {
  if (IsNumber(v) && IsNumber(lit)) {
    *cmp = CompareNumeric(v, lit);
    return true;
  }
  if (v.is_string() && lit.is_string()) {
    *cmp = v.as_string().compare(lit.as_string());
    return true;
  }
  return false;
}

bool Equal(const Value& v, const Value& lit) {
  if (IsNumber(v) && IsNumber(lit)) return CompareNumeric(v, lit) == 0;
  return CompareValues(v, lit) == 0;
}

bool LeafMatches(Op op, const Value& v, const Value& lit) {
  int cmp = 0;
  switch (op) {
    case Op::kEq:
      return Equal(v, lit);
    case Op::kNe:
      return !Equal(v, lit);
    case Op::kLt:
      return Ordered(v, lit, &cmp) && cmp < 0;
    case Op::kLe:
      return Ordered(v, lit, &cmp) && cmp <= 0;
    case Op::kGt:
      return Ordered(v, lit, &cmp) && cmp > 0;
    case Op::kGe:
      return Ordered(v, lit, &cmp) && cmp >= 0;
    case Op::kStartsWith:
      return v.is_string() && absl::StartsWith(v.as_string(), lit.as_string());
    case Op::kEndsWith:
      return v.is_string() && absl::EndsWith(v.as_string(), lit.as_string());
    case Op::kContains:
      if (v.is_string() && lit.is_string())
        return absl::StrContains(v.as_string(), lit.as_string());
      if (v.is_list()) {
        for (const Value& item : v.as_list()) {
          if (Equal(item, lit)) return true;
        }
      }
      return false;
    case Op::kExists:
      return !v.is_null();
  }
  return false;
}

// ---------------------------------------------------------------------------
// Tokens

enum class Tok {
  kPath,
  kString,
  kNumber,
  kTrue,
  kFalse,
  kNull,
  kAnd,
  kOr,
  kNot,
  kLParen,
  kRParen,
  kComma,
  kOp,
  kEnd
};

struct Token {
  Tok type = Tok::kEnd;
  size_t column = 0;  // 1-based
  std::string text;   // path, operator, or the source text
  Value literal;      // strings and numbers
};

// Appends code point `cp` as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<std::unique_ptr<const Node>> ParseAll(std::vector<Path>* paths) {
    paths_ = paths;
    if (auto s = Advance(); !s.ok()) return s;
    auto root = ParseOr();
    if (!root.ok()) return root.status();
    if (tok_.type != Tok::kEnd) return Error("expected 'and', 'or' or the end");
    return root;
  }

 private:
  absl::Status Error(std::string_view what) const { return ErrorAt(what, tok_.column); }
  absl::Status ErrorAt(std::string_view what, size_t column) const {
    std::string got = tok_.type == Tok::kEnd ? "the end" : absl::StrCat("'", tok_.text, "'");
    return absl::InvalidArgumentError(absl::StrCat("bad filter expression \"", std::string(text_),
                                                   "\": ", std::string(what), ", got ", got,
                                                   " at column ", column));
  }

  // ---- lexer
  absl::Status Advance() {
    while (pos_ < text_.size() && absl::ascii_isspace(text_[pos_])) ++pos_;
    tok_ = Token();
    tok_.column = pos_ + 1;
    if (pos_ >= text_.size()) return absl::OkStatus();
    const char c = text_[pos_];
    if (c == '"') return LexString();
    if (absl::ascii_isdigit(c) ||
        (c == '-' && pos_ + 1 < text_.size() &&
         (absl::ascii_isdigit(text_[pos_ + 1]) || text_[pos_ + 1] == '.'))) {
      return LexNumber();
    }
    if (absl::ascii_isalpha(c) || c == '_') return LexWord();
    static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "&&", "||"};
    for (std::string_view op : kTwo) {
      if (text_.substr(pos_, 2) == op) {
        pos_ += 2;
        tok_.text = std::string(op);
        tok_.type = op == "&&" ? Tok::kAnd : op == "||" ? Tok::kOr : Tok::kOp;
        return absl::OkStatus();
      }
    }
    tok_.text = std::string(1, c);
    ++pos_;
    switch (c) {
      case '(':
        tok_.type = Tok::kLParen;
        return absl::OkStatus();
      case ')':
        tok_.type = Tok::kRParen;
        return absl::OkStatus();
      case ',':
        tok_.type = Tok::kComma;
        return absl::OkStatus();
      case '<':
      case '>':
        tok_.type = Tok::kOp;
        return absl::OkStatus();
      case '!':
        tok_.type = Tok::kNot;
        return absl::OkStatus();
      default:
        break;
    }
    tok_.type = Tok::kOp;  // for the message only
    return ErrorAt(c == '=' ? "expected '==' (not '=')" : "unexpected character", tok_.column);
  }

  absl::Status LexWord() {
    const size_t start = pos_;
    while (pos_ < text_.size() &&
           (absl::ascii_isalnum(text_[pos_]) || text_[pos_] == '_' || text_[pos_] == '.')) {
      ++pos_;
    }
    tok_.text = std::string(text_.substr(start, pos_ - start));
    if (tok_.text == "and")
      tok_.type = Tok::kAnd;
    else if (tok_.text == "or")
      tok_.type = Tok::kOr;
    else if (tok_.text == "not")
      tok_.type = Tok::kNot;
    else if (tok_.text == "true")
      tok_.type = Tok::kTrue, tok_.literal = Value(true);
    else if (tok_.text == "false")
      tok_.type = Tok::kFalse, tok_.literal = Value(false);
    else if (tok_.text == "null")
      tok_.type = Tok::kNull;
    else
      tok_.type = Tok::kPath;
    if (tok_.type == Tok::kPath &&
        (tok_.text.back() == '.' || absl::StrContains(tok_.text, ".."))) {
      return ErrorAt("empty part in path", tok_.column);
    }
    return absl::OkStatus();
  }

  absl::Status LexNumber() {
    const size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    bool is_double = false;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (absl::ascii_isdigit(c)) {
        ++pos_;
      } else if (c == '.' || c == 'e' || c == 'E' ||
                 ((c == '+' || c == '-') && (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E'))) {
        is_double = true;
        ++pos_;
      } else {
        break;
      }
    }
    tok_.text = std::string(text_.substr(start, pos_ - start));
    tok_.type = Tok::kNumber;
    int64_t i;
    double d;
    if (!is_double && absl::SimpleAtoi(tok_.text, &i)) {
      tok_.literal = Value(i);
    } else if (absl::SimpleAtod(tok_.text, &d)) {
      tok_.literal = Value(d);
    } else {
      return ErrorAt("malformed number", tok_.column);
    }
    return absl::OkStatus();
  }

  absl::Status LexString() {
    const size_t start = pos_++;
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) break;
      const size_t escape_column = pos_;
      c = text_[pos_++];
      switch (c) {
        case '"':
        case '\\':
        case '/':
          out.push_back(c);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (pos_ + 4 > text_.size() ||
              !absl::SimpleHexAtoi(std::string(text_.substr(pos_, 4)), &cp)) {
            return ErrorAt("bad \\u escape in string", escape_column);
          }
          pos_ += 4;
          AppendUtf8(cp, &out);
          break;
        }
        default:
          return ErrorAt(absl::StrCat("unknown escape '\\", std::string(1, c), "' in string"),
                         escape_column);
      }
    }
    if (pos_ >= text_.size()) return ErrorAt("unterminated string", start + 1);
    ++pos_;  // closing quote
    tok_.type = Tok::kString;
    tok_.text = std::string(text_.substr(start, pos_ - start));
    tok_.literal = Value(std::move(out));
    return absl::OkStatus();
  }

  // ---- grammar
  using NodeOr = absl::StatusOr<std::unique_ptr<const Node>>;

  NodeOr ParseBinary(Tok op_token, Node::Kind kind, NodeOr (Parser::*operand)()) {
    NodeOr left = (this->*operand)();
    if (!left.ok() || tok_.type != op_token) return left;
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->children.push_back(std::move(*left));
    while (tok_.type == op_token) {
      if (auto s = Advance(); !s.ok()) return s;
      NodeOr right = (this->*operand)();
      if (!right.ok()) return right;
      node->children.push_back(std::move(*right));
    }
    return std::unique_ptr<const Node>(std::move(node));
  }
  NodeOr ParseOr() { return ParseBinary(Tok::kOr, Node::Kind::kOr, &Parser::ParseAnd); }
  NodeOr ParseAnd() { return ParseBinary(Tok::kAnd, Node::Kind::kAnd, &Parser::ParseUnary); }

  NodeOr ParseUnary() {
    if (tok_.type != Tok::kNot) return ParsePrimary();
    if (auto s = Advance(); !s.ok()) return s;
    NodeOr inner = ParseUnary();
    if (!inner.ok()) return inner;
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::kNot;
    node->children.push_back(std::move(*inner));
    return std::unique_ptr<const Node>(std::move(node));
  }

  NodeOr ParsePrimary() {
    if (tok_.type == Tok::kLParen) {
      if (auto s = Advance(); !s.ok()) return s;
      NodeOr inner = ParseOr();
      if (!inner.ok()) return inner;
      if (tok_.type != Tok::kRParen) return Error("expected ')'");
      if (auto s = Advance(); !s.ok()) return s;
      return inner;
    }
    if (tok_.type == Tok::kPath && pos_ < text_.size() && PeekIsLParen()) return ParseCall();
    return ParseComparison();
  }

  bool PeekIsLParen() const {
    size_t p = pos_;
    while (p < text_.size() && absl::ascii_isspace(text_[p])) ++p;
    return p < text_.size() && text_[p] == '(';
  }

  bool IsLiteral() const {
    return tok_.type == Tok::kString || tok_.type == Tok::kNumber || tok_.type == Tok::kTrue ||
           tok_.type == Tok::kFalse || tok_.type == Tok::kNull;
  }

  size_t PathIndex(const std::string& dotted) {
    for (size_t i = 0; i < paths_->size(); ++i) {
      if ((*paths_)[i].str() == dotted) return i;
    }
    paths_->push_back(Path::Parse(dotted));
    return paths_->size() - 1;
  }

  NodeOr ParseCall() {
    const std::string name = tok_.text;
    const size_t name_column = tok_.column;
    auto leaf = std::make_unique<Node>();
    if (name == "starts_with")
      leaf->op = Op::kStartsWith;
    else if (name == "ends_with")
      leaf->op = Op::kEndsWith;
    else if (name == "contains")
      leaf->op = Op::kContains;
    else if (name == "exists")
      leaf->op = Op::kExists;
    else
      return ErrorAt(absl::StrCat("unknown function '", name,
                                  "' (known: starts_with, "
                                  "ends_with, contains, exists)"),
                     name_column);
    if (auto s = Advance(); !s.ok()) return s;  // now at '('
    if (auto s = Advance(); !s.ok()) return s;
    if (tok_.type == Tok::kPath) {
      leaf->path_index = PathIndex(tok_.text);
    } else if (tok_.type == Tok::kString) {
      leaf->path_index = PathIndex(tok_.literal.as_string());
    } else {
      return Error(absl::StrCat("expected a field path as the first argument of ", name));
    }
    if (auto s = Advance(); !s.ok()) return s;
    if (leaf->op != Op::kExists) {
      if (tok_.type != Tok::kComma) return Error("expected ','");
      if (auto s = Advance(); !s.ok()) return s;
      const bool wants_string = leaf->op != Op::kContains;
      if (wants_string ? tok_.type != Tok::kString : !IsLiteral()) {
        return Error(absl::StrCat("expected a ", wants_string ? "string" : "literal",
                                  " as the second argument of ", name));
      }
      leaf->literal = tok_.literal;
      if (auto s = Advance(); !s.ok()) return s;
    }
    if (tok_.type != Tok::kRParen) return Error("expected ')'");
    if (auto s = Advance(); !s.ok()) return s;
    return std::unique_ptr<const Node>(std::move(leaf));
  }

  NodeOr ParseComparison() {
    if (tok_.type != Tok::kPath && !IsLiteral()) {
      return Error("expected a field path, a literal, '(', 'not' or a function");
    }
    Token left = tok_;
    if (auto s = Advance(); !s.ok()) return s;
    if (tok_.type != Tok::kOp)
      return Error("expected a comparison operator (==, !=, <, <=, >, >=)");
    std::string op = tok_.text;
    if (auto s = Advance(); !s.ok()) return s;
    if (tok_.type != Tok::kPath && !IsLiteral()) return Error("expected a field path or a literal");
    Token right = tok_;
    if ((left.type == Tok::kPath) == (right.type == Tok::kPath)) {
      return ErrorAt(left.type == Tok::kPath ? "comparing two fields is not supported"
                                             : "a comparison needs a field path on one side",
                     left.column);
    }
    if (auto s = Advance(); !s.ok()) return s;
    if (right.type == Tok::kPath) {  // literal op path: mirror it
      std::swap(left, right);
      if (op[0] == '<')
        op[0] = '>';
      else if (op[0] == '>')
        op[0] = '<';
    }
    auto leaf = std::make_unique<Node>();
    leaf->path_index = PathIndex(left.text);
    leaf->literal = right.literal;
    if (op == "==")
      leaf->op = Op::kEq;
    else if (op == "!=")
      leaf->op = Op::kNe;
    else if (op == "<")
      leaf->op = Op::kLt;
    else if (op == "<=")
      leaf->op = Op::kLe;
    else if (op == ">")
      leaf->op = Op::kGt;
    else
      leaf->op = Op::kGe;
    return std::unique_ptr<const Node>(std::move(leaf));
  }

  std::string_view text_;
  size_t pos_ = 0;
  Token tok_;
  std::vector<Path>* paths_ = nullptr;
};

// ---------------------------------------------------------------------------
// Evaluation

std::vector<uint8_t> EvalColumns(const Node& node, const std::vector<const Column*>& columns,
                                 size_t n) {
  if (node.kind == Node::Kind::kLeaf) {
    const Column& column = *columns[node.path_index];
    std::vector<uint8_t> per_code(column.dictionary.size());
    for (size_t c = 0; c < per_code.size(); ++c) {
      per_code[c] = LeafMatches(node.op, column.dictionary[c], node.literal);
    }
    std::vector<uint8_t> out(n);
    for (size_t i = 0; i < n; ++i) out[i] = per_code[column.codes[i]];
    return out;
  }
  std::vector<uint8_t> out = EvalColumns(*node.children[0], columns, n);
  if (node.kind == Node::Kind::kNot) {
    for (uint8_t& b : out) b = !b;
    return out;
  }
  for (size_t k = 1; k < node.children.size(); ++k) {
    std::vector<uint8_t> other = EvalColumns(*node.children[k], columns, n);
    if (node.kind == Node::Kind::kAnd) {
      for (size_t i = 0; i < n; ++i) out[i] &= other[i];
    } else {
      for (size_t i = 0; i < n; ++i) out[i] |= other[i];
    }
  }
  return out;
}

bool EvalItem(const Node& node, const std::vector<Path>& paths, const Value& item) {
  switch (node.kind) {
    case Node::Kind::kLeaf: {
      static const Value kNull;
      const Value* v = FindPath(item, paths[node.path_index]);
      return LeafMatches(node.op, v == nullptr ? kNull : *v, node.literal);
    }
    case Node::Kind::kNot:
      return !EvalItem(*node.children[0], paths, item);
    case Node::Kind::kAnd:
      for (const auto& child : node.children) {
        if (!EvalItem(*child, paths, item)) return false;
      }
      return true;
    case Node::Kind::kOr:
      for (const auto& child : node.children) {
        if (EvalItem(*child, paths, item)) return true;
      }
      return false;
  }
  return false;
}

}  // namespace

absl::StatusOr<FilterExpr> FilterExpr::Parse(std::string_view text) {
  FilterExpr expr;
  expr.text_ = std::string(text);
  Parser parser(expr.text_);
  auto root = parser.ParseAll(&expr.paths_);
  if (!root.ok()) return root.status();
  expr.root_ = std::shared_ptr<const Node>(std::move(*root));
  return expr;
}

std::vector<uint8_t> FilterExpr::Evaluate(const std::vector<const Column*>& columns,
                                          size_t n) const {
  return EvalColumns(*root_, columns, n);
}

bool FilterExpr::Matches(const Value& item) const { return EvalItem(*root_, paths_, item); }

}  // namespace weft::bag
