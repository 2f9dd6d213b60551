#include "worker/bag/filter_expr.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "worker/bag/expr_functions.h"
#include "worker/bag/expr_lexer.h"

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

using internal::Equal;
using internal::Ordered;
using internal::Token;
using internal::TokenType;
using Node = FilterExpr::Node;

// ---------------------------------------------------------------------------
// Leaf predicates

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
// Parser: one token of lookahead, the lexer's current one.

// The keywords and, or, not are symbols as well. There is no minus: -1 is a literal.
constexpr std::string_view kSymbols[] = {"==", "!=", "<=", ">=", "&&", "||",
                                         "<",  ">",  "!",  "(",  ")",  ","};
constexpr internal::Syntax kSyntax = {kSymbols, /*signed_numbers=*/true,
                                      /*member_tokens=*/false, internal::ErrorStyle::kFilter};

bool IsAnd(const Token& t) { return t.IsSymbol("and") || t.IsSymbol("&&"); }
bool IsOr(const Token& t) { return t.IsSymbol("or") || t.IsSymbol("||"); }
bool IsNot(const Token& t) { return t.IsSymbol("not") || t.IsSymbol("!"); }
bool IsComparison(const Token& t) {
  return t.type == TokenType::kSymbol && (t.text == "==" || t.text == "!=" || t.text == "<" ||
                                          t.text == "<=" || t.text == ">" || t.text == ">=");
}
bool IsPath(const Token& t) { return t.type == TokenType::kWord; }
bool IsLiteral(const Token& t) { return t.type == TokenType::kLiteral; }
bool IsString(const Token& t) { return IsLiteral(t) && t.literal.is_string(); }

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text, kSyntax) {}

  absl::StatusOr<std::unique_ptr<const Node>> ParseAll(std::vector<Path>* paths) {
    paths_ = paths;
    if (auto s = Advance(); !s.ok()) return s;
    auto root = ParseOr();
    if (!root.ok()) return root.status();
    if (tok().type != TokenType::kEnd) return Error("expected 'and', 'or' or the end");
    return root;
  }

 private:
  const Token& tok() const { return lexer_.token(); }
  absl::Status Advance() { return lexer_.Advance(); }
  absl::Status Error(absl::string_view what) const { return lexer_.Error(what); }
  absl::Status ErrorAt(absl::string_view what, size_t column) const {
    return lexer_.ErrorAt(what, column);
  }

  // ---- grammar
  using NodeOr = absl::StatusOr<std::unique_ptr<const Node>>;

  NodeOr ParseBinary(bool (*is_op)(const Token&), Node::Kind kind, NodeOr (Parser::*operand)()) {
    NodeOr left = (this->*operand)();
    if (!left.ok() || !is_op(tok())) return left;
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->children.push_back(std::move(*left));
    while (is_op(tok())) {
      if (auto s = Advance(); !s.ok()) return s;
      NodeOr right = (this->*operand)();
      if (!right.ok()) return right;
      node->children.push_back(std::move(*right));
    }
    return std::unique_ptr<const Node>(std::move(node));
  }
  NodeOr ParseOr() { return ParseBinary(IsOr, Node::Kind::kOr, &Parser::ParseAnd); }
  NodeOr ParseAnd() { return ParseBinary(IsAnd, Node::Kind::kAnd, &Parser::ParseUnary); }

  NodeOr ParseUnary() {
    if (!IsNot(tok())) return ParsePrimary();
    if (auto s = Advance(); !s.ok()) return s;
    NodeOr inner = ParseUnary();
    if (!inner.ok()) return inner;
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::kNot;
    node->children.push_back(std::move(*inner));
    return std::unique_ptr<const Node>(std::move(node));
  }

  NodeOr ParsePrimary() {
    if (tok().IsSymbol("(")) {
      if (auto s = Advance(); !s.ok()) return s;
      NodeOr inner = ParseOr();
      if (!inner.ok()) return inner;
      if (!tok().IsSymbol(")")) return Error("expected ')'");
      if (auto s = Advance(); !s.ok()) return s;
      return inner;
    }
    if (IsPath(tok()) && lexer_.NextIsLParen()) return ParseCall();
    return ParseComparison();
  }

  size_t PathIndex(const std::string& dotted) {
    for (size_t i = 0; i < paths_->size(); ++i) {
      if ((*paths_)[i].str() == dotted) return i;
    }
    paths_->push_back(Path::Parse(dotted));
    return paths_->size() - 1;
  }

  NodeOr ParseCall() {
    const std::string name = tok().text;
    const size_t name_column = tok().column;
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
    if (IsPath(tok())) {
      leaf->path_index = PathIndex(tok().text);
    } else if (IsString(tok())) {
      leaf->path_index = PathIndex(tok().literal.as_string());
    } else {
      return Error(absl::StrCat("expected a field path as the first argument of ", name));
    }
    if (auto s = Advance(); !s.ok()) return s;
    if (leaf->op != Op::kExists) {
      if (!tok().IsSymbol(",")) return Error("expected ','");
      if (auto s = Advance(); !s.ok()) return s;
      const bool wants_string = leaf->op != Op::kContains;
      if (wants_string ? !IsString(tok()) : !IsLiteral(tok())) {
        return Error(absl::StrCat("expected a ", wants_string ? "string" : "literal",
                                  " as the second argument of ", name));
      }
      leaf->literal = tok().literal;
      if (auto s = Advance(); !s.ok()) return s;
    }
    if (!tok().IsSymbol(")")) return Error("expected ')'");
    if (auto s = Advance(); !s.ok()) return s;
    return std::unique_ptr<const Node>(std::move(leaf));
  }

  NodeOr ParseComparison() {
    if (!IsPath(tok()) && !IsLiteral(tok())) {
      return Error("expected a field path, a literal, '(', 'not' or a function");
    }
    Token left = tok();
    if (auto s = Advance(); !s.ok()) return s;
    if (!IsComparison(tok())) return Error("expected a comparison operator (==, !=, <, <=, >, >=)");
    std::string op = tok().text;
    if (auto s = Advance(); !s.ok()) return s;
    if (!IsPath(tok()) && !IsLiteral(tok())) return Error("expected a field path or a literal");
    Token right = tok();
    if (IsPath(left) == IsPath(right)) {
      return ErrorAt(IsPath(left) ? "comparing two fields is not supported"
                                  : "a comparison needs a field path on one side",
                     left.column);
    }
    if (auto s = Advance(); !s.ok()) return s;
    if (IsPath(right)) {  // literal op path: mirror it
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

  internal::Lexer lexer_;
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
