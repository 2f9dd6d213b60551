#include "worker/bag/expr.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/bag/column.h"
#include "worker/bag/expr_functions.h"
#include "worker/bag/expr_lexer.h"
#include "worker/bag/partition.h"

namespace weft::bag {

struct Expr::Node {
  enum class Kind { kLiteral, kPath, kList, kOp, kIndex, kMember, kCall };
  // kSub with one operand is unary minus.
  enum class Op { kOr, kAnd, kNot, kEq, kNe, kLt, kLe, kGt, kGe, kAdd, kSub, kMul, kDiv, kMod };
  Kind kind = Kind::kLiteral;
  Op op = Op::kEq;                                      // kOp
  const internal::BuiltinFunction* function = nullptr;  // kCall (expr_functions.h)
  Value literal;                                        // kLiteral
  std::string dotted;                                   // kPath: relative to the item
  Path member;                                          // kMember: relative to children[0]
  size_t path_index = 0;                                // kPath: into Expr::paths()
  int depth = 1;
  std::vector<std::unique_ptr<Node>> children;
};

namespace {

using internal::Describe;
using internal::Equal;
using internal::IsNumber;
using internal::Ordered;
using internal::ToDouble;
using internal::Token;
using internal::TokenType;
using Node = Expr::Node;
using Op = Node::Op;

// Binary operators by precedence, loosest first (see ParseLevel); not and unary minus
// have levels of their own.
enum Level { kOrLevel, kAndLevel, kNotLevel, kCmpLevel, kSumLevel, kProductLevel, kUnaryLevel };

int LevelOf(Op op) {
  if (op == Op::kOr) return kOrLevel;
  if (op == Op::kAnd) return kAndLevel;
  if (op >= Op::kEq && op <= Op::kGe) return kCmpLevel;
  if (op == Op::kAdd || op == Op::kSub) return kSumLevel;
  if (op >= Op::kMul && op <= Op::kMod) return kProductLevel;
  return -1;  // not: unary only
}

// Deeper trees (or parser recursion) are refused, so that evaluating cannot overflow the
// stack.
constexpr int kMaxDepth = 1000;

// ---------------------------------------------------------------------------
// Values

// The filter language's comparisons: never an error.
bool Compare(Op op, const Value& a, const Value& b) {
  if (op == Op::kEq || op == Op::kNe) return Equal(a, b) == (op == Op::kEq);
  int cmp;
  if (!Ordered(a, b, &cmp)) return false;
  if (op == Op::kLt) return cmp < 0;
  if (op == Op::kLe) return cmp <= 0;
  return op == Op::kGt ? cmp > 0 : cmp >= 0;
}

absl::StatusOr<bool> Truth(Op op, const Value& v) {
  if (v.is_bool()) return v.as_bool();
  if (v.is_null()) return false;
  const char* name = op == Op::kNot ? "not" : op == Op::kAnd ? "and" : "or";
  return absl::InvalidArgumentError(
      absl::StrCat("'", name, "' needs bool operands (or null), got ", Describe(v)));
}

absl::Status ArithmeticError(Op op, const Value& a, const Value& b) {
  std::string message;
  if (op == Op::kAdd) message = absl::StrCat("cannot add ", Describe(a), " and ", Describe(b));
  if (op == Op::kSub)
    message = absl::StrCat("cannot subtract ", Describe(b), " from ", Describe(a));
  if (op == Op::kMul) message = absl::StrCat("cannot multiply ", Describe(a), " by ", Describe(b));
  if (op == Op::kDiv) message = absl::StrCat("cannot divide ", Describe(a), " by ", Describe(b));
  if (op == Op::kMod) message = absl::StrCat("cannot take ", Describe(a), " modulo ", Describe(b));
  return absl::InvalidArgumentError(message);
}

// x op y for + - * %; false on overflow. REQUIRES: y != 0 for %.
bool IntArithmetic(Op op, int64_t x, int64_t y, int64_t* r) {
  if (op == Op::kAdd) return !__builtin_add_overflow(x, y, r);
  if (op == Op::kSub) return !__builtin_sub_overflow(x, y, r);
  if (op == Op::kMul) return !__builtin_mul_overflow(x, y, r);
  *r = y == -1 ? 0 : x % y;                     // INT64_MIN % -1 is undefined in C++
  if (*r != 0 && (*r < 0) != (y < 0)) *r += y;  // Python's sign: the divisor's
  return true;
}

double DoubleArithmetic(Op op, double x, double y) {
  if (op == Op::kAdd) return x + y;
  if (op == Op::kSub) return x - y;
  if (op == Op::kMul) return x * y;
  if (op == Op::kDiv) return x / y;
  const double r = std::fmod(x, y);
  if (r == 0) return std::copysign(0.0, y);
  return (r < 0) != (y < 0) ? r + y : r;
}

absl::StatusOr<Value> Arithmetic(Op op, const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return Value();
  if (op == Op::kAdd && a.is_string() && b.is_string()) return Value(a.as_string() + b.as_string());
  if (!IsNumber(a) || !IsNumber(b)) return ArithmeticError(op, a, b);
  if ((op == Op::kDiv || op == Op::kMod) && ToDouble(b) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(op == Op::kDiv ? "division" : "modulo",
                                                   " by zero: ", Describe(a),
                                                   op == Op::kDiv ? " / " : " % ", Describe(b)));
  }
  int64_t r;
  if (op != Op::kDiv && a.is_int() && b.is_int() && IntArithmetic(op, a.as_int(), b.as_int(), &r)) {
    return Value(r);
  }
  return Value(DoubleArithmetic(op, ToDouble(a), ToDouble(b)));
}

absl::StatusOr<Value> Negate(const Value& v) {
  if (v.is_null()) return Value();
  if (v.is_int() && v.as_int() != std::numeric_limits<int64_t>::min()) return Value(-v.as_int());
  if (IsNumber(v)) return Value(-ToDouble(v));
  return absl::InvalidArgumentError(absl::StrCat("cannot negate ", Describe(v)));
}

// x[part] where part is one path part (see Path): a field, or a decimal list index.
Value AtPart(const Value& x, const std::string& part) {
  if (x.is_record()) {
    const Value* v = x.Find(part);
    return v == nullptr ? Value() : *v;
  }
  int64_t index;
  if (!x.is_list() || part.empty() || part.size() > 18 ||
      !std::all_of(part.begin(), part.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(part, &index) || static_cast<size_t>(index) >= x.as_list().size()) {
    return Value();
  }
  return x.as_list()[index];
}

absl::StatusOr<Value> IndexValue(const Value& x, const Value& key) {
  if (x.is_null() || key.is_null()) return Value();
  if (key.is_string()) return AtPart(x, key.as_string());
  if (!key.is_int()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot index with ", Describe(key), " (only with an int or a string)"));
  }
  if (!x.is_list()) return Value();
  const ValueList& list = x.as_list();
  const int64_t size = static_cast<int64_t>(list.size());
  const int64_t i = key.as_int() < 0 ? key.as_int() + size : key.as_int();
  return i >= 0 && i < size ? list[i] : Value();
}

// ---------------------------------------------------------------------------
// Parse trees

using NodePtr = std::unique_ptr<Node>;
using NodeOr = absl::StatusOr<NodePtr>;

NodePtr MakeNode(Node::Kind kind, std::vector<NodePtr> children = {}) {
  auto node = std::make_unique<Node>();
  node->kind = kind;
  for (const NodePtr& child : children) node->depth = std::max(node->depth, child->depth + 1);
  node->children = std::move(children);
  return node;
}

NodePtr MakeLiteral(Value v) {
  NodePtr node = MakeNode(Node::Kind::kLiteral);
  node->literal = std::move(v);
  return node;
}

NodePtr MakePath(std::string dotted) {
  NodePtr node = MakeNode(Node::Kind::kPath);
  node->dotted = std::move(dotted);
  return node;
}

NodePtr MakeOp(Op op, NodePtr a, NodePtr b = nullptr) {
  std::vector<NodePtr> operands;
  operands.push_back(std::move(a));
  if (b != nullptr) operands.push_back(std::move(b));
  NodePtr node = MakeNode(Node::Kind::kOp, std::move(operands));
  node->op = op;
  return node;
}

// base.dotted; folded into the path when base is one, so that it reads one column.
NodePtr MakeMember(NodePtr base, const std::string& dotted) {
  if (base->kind == Node::Kind::kPath) {
    base->dotted = base->dotted.empty() ? dotted : absl::StrCat(base->dotted, ".", dotted);
    return base;
  }
  std::vector<NodePtr> operands;
  operands.push_back(std::move(base));
  NodePtr node = MakeNode(Node::Kind::kMember, std::move(operands));
  node->member = Path::Parse(dotted);
  return node;
}

// base[key]; path["name"] is folded into the path (a string key is one path part).
NodePtr MakeIndex(NodePtr base, NodePtr key) {
  if (base->kind == Node::Kind::kPath && key->kind == Node::Kind::kLiteral &&
      key->literal.is_string() && !key->literal.as_string().empty() &&
      !absl::StrContains(key->literal.as_string(), '.')) {
    return MakeMember(std::move(base), key->literal.as_string());
  }
  std::vector<NodePtr> operands;
  operands.push_back(std::move(base));
  operands.push_back(std::move(key));
  return MakeNode(Node::Kind::kIndex, std::move(operands));
}

// Numbers each path node into `paths` (distinct, in order of first use).
void AssignPaths(Node* node, std::vector<Path>* paths) {
  if (node->kind == Node::Kind::kPath) {
    auto it = std::find_if(paths->begin(), paths->end(),
                           [&](const Path& p) { return p.str() == node->dotted; });
    node->path_index = it - paths->begin();
    if (it == paths->end()) paths->push_back(Path::Parse(node->dotted));
  }
  for (const NodePtr& child : node->children) AssignPaths(child.get(), paths);
}

// ---------------------------------------------------------------------------
// Parser: one token of lookahead, the lexer's current one.

// The lexer's symbols: those that are operators (kOperators) and ( ) [ ] ,.
constexpr std::string_view kSymbols[] = {"==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+",
                                         "-",  "*",  "/",  "%",  "(",  ")",  "[", "]", ","};
constexpr internal::Syntax kSyntax = {kSymbols, /*signed_numbers=*/false,
                                      /*member_tokens=*/true, internal::ErrorStyle::kExpression};

constexpr std::pair<std::string_view, Op> kOperators[] = {
    {"==", Op::kEq}, {"!=", Op::kNe},   {"<=", Op::kLe},   {">=", Op::kGe}, {"<", Op::kLt},
    {">", Op::kGt},  {"&&", Op::kAnd},  {"and", Op::kAnd}, {"||", Op::kOr}, {"or", Op::kOr},
    {"!", Op::kNot}, {"not", Op::kNot}, {"+", Op::kAdd},   {"-", Op::kSub}, {"*", Op::kMul},
    {"/", Op::kDiv}, {"%", Op::kMod},
};

// The operator a token is, if it is one.
std::optional<Op> OperatorOf(const Token& token) {
  if (token.type != TokenType::kSymbol) return std::nullopt;
  for (const auto& [text, op] : kOperators) {
    if (token.text == text) return op;
  }
  return std::nullopt;
}

// The path a word names, relative to the item: `_` is the item, `_.a` is `a`.
std::string PathOfWord(const std::string& word) {
  if (word == "_") return "";
  return absl::StartsWith(word, "_.") ? word.substr(2) : word;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text, kSyntax) {}

  NodeOr ParseAll() {
    WEFT_RETURN_IF_ERROR(Advance());
    WEFT_ASSIGN_OR_RETURN(NodePtr root, ParseLevel(kOrLevel));
    if (tok().type != TokenType::kEnd) return Error("expected an operator or the end");
    return root;
  }

 private:
  const Token& tok() const { return lexer_.token(); }
  absl::Status Advance() { return lexer_.Advance(); }
  absl::Status Error(absl::string_view what) const { return lexer_.Error(what); }

  bool AtSymbol(std::string_view symbol) const { return tok().IsSymbol(symbol); }
  bool AtOp(Op op) const { return OperatorOf(tok()) == op; }

  absl::Status Expect(std::string_view punct) {
    if (!AtSymbol(punct)) return Error(absl::StrCat("expected '", std::string(punct), "'"));
    return Advance();
  }

  // ---- grammar (expr.h); each level parses the operators of its precedence.
  NodeOr ParseLevel(int level) {
    if (++depth_ > kMaxDepth) return Error("expression nested too deeply");
    NodeOr node = level == kNotLevel     ? ParseNot()
                  : level == kUnaryLevel ? ParseUnary()
                                         : ParseBinary(level);
    --depth_;
    if (node.ok() && (*node)->depth > kMaxDepth) return Error("expression too deep");
    return node;
  }

  NodeOr ParseBinary(int level) {
    WEFT_ASSIGN_OR_RETURN(NodePtr left, ParseLevel(level + 1));
    for (std::optional<Op> op = OperatorOf(tok()); op && LevelOf(*op) == level;
         op = OperatorOf(tok())) {
      WEFT_RETURN_IF_ERROR(Advance());
      WEFT_ASSIGN_OR_RETURN(NodePtr right, ParseLevel(level + 1));
      left = MakeOp(*op, std::move(left), std::move(right));
      if (level == kCmpLevel) break;  // comparisons do not chain
    }
    return left;
  }

  NodeOr ParseNot() {
    if (!AtOp(Op::kNot)) return ParseLevel(kCmpLevel);
    WEFT_RETURN_IF_ERROR(Advance());
    WEFT_ASSIGN_OR_RETURN(NodePtr inner, ParseLevel(kNotLevel));
    return MakeOp(Op::kNot, std::move(inner));
  }

  NodeOr ParseUnary() {
    if (!AtOp(Op::kSub)) return ParsePostfix();
    WEFT_RETURN_IF_ERROR(Advance());
    if (tok().type == TokenType::kLiteral && tok().is_number) {
      // A negative literal, so that -9223372036854775808 is an int.
      Value negative;
      if (!internal::NumberValue("-" + tok().text, &negative)) return Error("malformed number");
      WEFT_RETURN_IF_ERROR(Advance());
      return MakeLiteral(std::move(negative));
    }
    WEFT_ASSIGN_OR_RETURN(NodePtr inner, ParseLevel(kUnaryLevel));
    return MakeOp(Op::kSub, std::move(inner));  // one operand: unary minus
  }

  NodeOr ParsePostfix() {
    WEFT_ASSIGN_OR_RETURN(NodePtr node, ParsePrimary());
    while (tok().type == TokenType::kMember || AtSymbol("[")) {
      if (tok().type == TokenType::kMember) {
        node = MakeMember(std::move(node), tok().text.substr(1));
        WEFT_RETURN_IF_ERROR(Advance());
        continue;
      }
      WEFT_RETURN_IF_ERROR(Advance());
      WEFT_ASSIGN_OR_RETURN(NodePtr key, ParseLevel(kOrLevel));
      WEFT_RETURN_IF_ERROR(Expect("]"));
      node = MakeIndex(std::move(node), std::move(key));
    }
    return node;
  }

  NodeOr ParsePrimary() {
    NodePtr node;
    if (tok().type == TokenType::kLiteral) {
      node = MakeLiteral(tok().literal);
    } else if (tok().type == TokenType::kWord) {
      if (lexer_.NextIsLParen()) return ParseCall();
      node = MakePath(PathOfWord(tok().text));
    } else if (AtSymbol("(")) {
      WEFT_RETURN_IF_ERROR(Advance());
      WEFT_ASSIGN_OR_RETURN(node, ParseLevel(kOrLevel));
      WEFT_RETURN_IF_ERROR(Expect(")"));
      return node;
    } else if (AtSymbol("[")) {
      WEFT_RETURN_IF_ERROR(Advance());
      WEFT_ASSIGN_OR_RETURN(std::vector<NodePtr> items, ParseArguments("]"));
      return MakeNode(Node::Kind::kList, std::move(items));
    } else {
      return Error("expected a value, a path, '(', '[', 'not', '-' or a function");
    }
    WEFT_RETURN_IF_ERROR(Advance());
    return node;
  }

  // Comma-separated expressions up to `close` (consumed), after the opening bracket.
  absl::StatusOr<std::vector<NodePtr>> ParseArguments(std::string_view close) {
    std::vector<NodePtr> out;
    while (!AtSymbol(close)) {
      WEFT_ASSIGN_OR_RETURN(NodePtr item, ParseLevel(kOrLevel));
      out.push_back(std::move(item));
      if (!AtSymbol(",")) {
        if (AtSymbol(close)) break;
        return Error(absl::StrCat("expected ',' or '", std::string(close), "'"));
      }
      WEFT_RETURN_IF_ERROR(Advance());
    }
    WEFT_RETURN_IF_ERROR(Advance());
    return out;
  }

  NodeOr ParseCall() {
    const std::string name = tok().text;
    const size_t name_column = tok().column;
    const internal::BuiltinFunction* function = internal::FindFunction(name);
    if (function == nullptr) {
      return Error(
          absl::StrCat("unknown function '", name, "' (known: ", internal::FunctionNames(), ")"));
    }
    WEFT_RETURN_IF_ERROR(Advance());  // now at '('
    WEFT_RETURN_IF_ERROR(Advance());
    WEFT_ASSIGN_OR_RETURN(std::vector<NodePtr> args, ParseArguments(")"));
    const int n = static_cast<int>(args.size());
    if (n < function->min_args || n > function->max_args) {
      std::string wanted = absl::StrCat(function->min_args);
      if (function->max_args == internal::kManyArgs) wanted = absl::StrCat("at least ", wanted);
      if (function->max_args == function->min_args + 1) {
        absl::StrAppend(&wanted, " or ", function->max_args);
      }
      return lexer_.ErrorAt(absl::StrCat(name, "() takes ", wanted, " argument(s), not ", n),
                            name_column);
    }
    // As in filter: a string literal as the subject of a predicate is a path.
    if (function->predicate && args[0]->kind == Node::Kind::kLiteral &&
        args[0]->literal.is_string()) {
      args[0] = MakePath(args[0]->literal.as_string());
    }
    NodePtr node = MakeNode(Node::Kind::kCall, std::move(args));
    node->function = function;
    return node;
  }

  internal::Lexer lexer_;
  int depth_ = 0;
};

// ---------------------------------------------------------------------------
// Evaluation

// Where path values come from: one item, or row `row` of a partition's columns (one per
// path).
struct Row {
  const Value* item = nullptr;
  const std::vector<Path>* paths = nullptr;
  const std::vector<std::shared_ptr<const Column>>* columns = nullptr;
  size_t row = 0;

  Value PathValue(size_t k) const {
    return item != nullptr ? ValueAtPath(*item, (*paths)[k]) : (*columns)[k]->at(row);
  }
};

absl::StatusOr<Value> Eval(const Node& node, const Row& row);

absl::StatusOr<Value> EvalOp(const Node& node, const Row& row) {
  WEFT_ASSIGN_OR_RETURN(Value a, Eval(*node.children[0], row));
  if (node.children.size() == 1 && node.op == Op::kSub) return Negate(a);
  if (node.op == Op::kNot || node.op == Op::kAnd || node.op == Op::kOr) {
    WEFT_ASSIGN_OR_RETURN(bool left, Truth(node.op, a));
    if (node.op == Op::kNot) return Value(!left);
    if (left == (node.op == Op::kOr)) return Value(left);  // the right side cannot change it
    WEFT_ASSIGN_OR_RETURN(Value b, Eval(*node.children[1], row));
    WEFT_ASSIGN_OR_RETURN(bool right, Truth(node.op, b));
    return Value(right);
  }
  WEFT_ASSIGN_OR_RETURN(Value b, Eval(*node.children[1], row));
  if (LevelOf(node.op) == kCmpLevel) return Value(Compare(node.op, a, b));
  return Arithmetic(node.op, a, b);
}

absl::StatusOr<Value> Eval(const Node& node, const Row& row) {
  if (node.kind == Node::Kind::kLiteral) return node.literal;
  if (node.kind == Node::Kind::kPath) return row.PathValue(node.path_index);
  if (node.kind == Node::Kind::kOp) return EvalOp(node, row);
  ValueList values;
  values.reserve(node.children.size());
  for (const NodePtr& child : node.children) {
    WEFT_ASSIGN_OR_RETURN(Value v, Eval(*child, row));
    values.push_back(std::move(v));
  }
  switch (node.kind) {
    case Node::Kind::kList:
      return Value(std::move(values));
    case Node::Kind::kMember:
      return ValueAtPath(values[0], node.member);
    case Node::Kind::kIndex:
      return IndexValue(values[0], values[1]);
    default:  // kCall
      break;
  }
  const bool any_null =
      std::any_of(values.begin(), values.end(), [](const Value& v) { return v.is_null(); });
  if (any_null && !node.function->predicate) return Value();
  return node.function->call(values);
}

}  // namespace

absl::StatusOr<Expr> Expr::Parse(std::string_view text) {
  Expr expr;
  expr.text_ = std::string(text);
  Parser parser(expr.text_);
  WEFT_ASSIGN_OR_RETURN(NodePtr root, parser.ParseAll());
  AssignPaths(root.get(), &expr.paths_);
  expr.uses_item_ =
      std::any_of(expr.paths_.begin(), expr.paths_.end(), [](const Path& p) { return p.empty(); });
  expr.root_ = std::shared_ptr<const Node>(std::move(root));
  return expr;
}

absl::Status Expr::Error(absl::string_view where, const absl::Status& status) const {
  return absl::InvalidArgumentError(
      absl::StrCat("expression `", text_, "`: ", where, status.message()));
}

const Path* Expr::AsPath() const {
  return root_->kind == Node::Kind::kPath ? &paths_[root_->path_index] : nullptr;
}

absl::StatusOr<Value> Expr::Evaluate(const Value& item) const {
  absl::StatusOr<Value> v = Eval(*root_, Row{&item, &paths_});
  if (!v.ok()) return Error("", v.status());
  return v;
}

absl::StatusOr<ValueList> Expr::EvaluatePartition(const Value& part) const {
  if (!part.is_json_lines() && !part.is_list()) {
    return Error("", absl::InvalidArgumentError(absl::StrCat(
                         "the partition must be json_lines or a list, got ", part.kind_name())));
  }
  return part.is_json_lines() && !uses_item_ ? EvaluateColumns(part) : EvaluateItems(part);
}

absl::Status Expr::ItemError(const Value& part, size_t i, const absl::Status& status) const {
  return Error(absl::StrCat(part.is_json_lines() ? "line " : "item ", i + 1, ": "), status);
}

absl::StatusOr<ValueList> Expr::EvaluateItems(const Value& part) const {
  const size_t n = NumItems(part);
  ValueList out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    absl::StatusOr<Value> item = ItemAt(part, i);
    if (!item.ok()) return Error("", item.status());  // malformed JSON, naming the line
    absl::StatusOr<Value> v = Eval(*root_, Row{&*item, &paths_});
    if (!v.ok()) return ItemError(part, i, v.status());
    out.push_back(*std::move(v));
  }
  return out;
}

absl::StatusOr<ValueList> Expr::EvaluateColumns(const Value& part) const {
  std::vector<std::shared_ptr<const Column>> columns;
  for (const Path& path : paths_) {
    absl::StatusOr<std::shared_ptr<const Column>> column = ColumnOf(part, path);
    if (!column.ok()) return Error("", column.status());  // malformed JSON, naming the line
    columns.push_back(*std::move(column));
  }
  // With one path the value depends only on its dictionary code: each distinct value is
  // evaluated once, at its first item, so that an error still names the first bad item.
  std::vector<std::optional<Value>> per_code;
  if (columns.size() == 1) per_code.resize(columns[0]->dictionary.size());
  const size_t n = NumItems(part);
  ValueList out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::optional<Value>* memo = per_code.empty() ? nullptr : &per_code[columns[0]->codes[i]];
    if (memo != nullptr && memo->has_value()) {
      out.push_back(**memo);
      continue;
    }
    absl::StatusOr<Value> v = Eval(*root_, Row{nullptr, &paths_, &columns, i});
    if (!v.ok()) return ItemError(part, i, v.status());
    if (memo != nullptr) *memo = *v;
    out.push_back(*std::move(v));
  }
  return out;
}

}  // namespace weft::bag
