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
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "worker/bag/column.h"
#include "worker/bag/partition.h"
#include "worker/bag/value_order.h"

namespace weft::bag {

struct Expr::Node {
  enum class Kind { kLiteral, kPath, kList, kOp, kIndex, kMember, kCall };
  // kSub with one operand is unary minus.
  enum class Op { kOr, kAnd, kNot, kEq, kNe, kLt, kLe, kGt, kGe, kAdd, kSub, kMul, kDiv, kMod };
  // A row of kFunctions. `call` gets as many arguments as the row allows; unless
  // `predicate`, it is called only when none is null (the answer is null otherwise).
  struct Function {
    const char* name;
    int min_args;
    int max_args;
    bool predicate;  // a bool for any argument, null included; the first may be a path
    absl::StatusOr<Value> (*call)(const ValueList& args);
  };

  Kind kind = Kind::kLiteral;
  Op op = Op::kEq;                     // kOp
  const Function* function = nullptr;  // kCall
  Value literal;                       // kLiteral
  std::string dotted;                  // kPath: relative to the item
  Path member;                         // kMember: relative to children[0]
  size_t path_index = 0;               // kPath: into Expr::paths()
  int depth = 1;
  std::vector<std::unique_ptr<Node>> children;
};

namespace {

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

bool IsNumber(const Value& v) { return v.is_int() || v.is_double(); }
double ToDouble(const Value& v) {
  return v.is_int() ? static_cast<double>(v.as_int()) : v.as_double();
}

// For messages: `int (1)`, `string ("x")`.
std::string Describe(const Value& v) {
  if (v.is_null()) return "null";
  return absl::StrCat(v.kind_name(), " (", v.DebugString(60), ")");
}

// Strings as they are, anything else as JSON text.
std::string ToText(const Value& v) {
  return v.is_string() ? v.as_string() : v.DebugString(std::numeric_limits<size_t>::max());
}

// <0, 0, >0 between two numbers, ints exactly, otherwise as doubles.
int CompareNumeric(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) {
    return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  }
  const double x = ToDouble(a), y = ToDouble(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool Equal(const Value& a, const Value& b) {
  if (IsNumber(a) && IsNumber(b)) return CompareNumeric(a, b) == 0;
  return CompareValues(a, b) == 0;
}

// The filter language's comparisons: never an error.
bool Compare(Op op, const Value& a, const Value& b) {
  if (op == Op::kEq || op == Op::kNe) return Equal(a, b) == (op == Op::kEq);
  int cmp;
  if (IsNumber(a) && IsNumber(b)) {
    cmp = CompareNumeric(a, b);
  } else if (a.is_string() && b.is_string()) {
    cmp = a.as_string().compare(b.as_string());
  } else {
    return false;
  }
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
// Functions. Each takes its arguments, already checked in number; all but the
// predicates are only called when no argument is null.

absl::Status ArgumentError(absl::string_view function, absl::string_view wanted, const Value& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(function, "() needs ", wanted, ", got ", Describe(got)));
}

absl::StatusOr<Value> StartsWith(const ValueList& a) {
  return Value(a[0].is_string() && a[1].is_string() &&
               absl::StartsWith(a[0].as_string(), a[1].as_string()));
}

absl::StatusOr<Value> EndsWith(const ValueList& a) {
  return Value(a[0].is_string() && a[1].is_string() &&
               absl::EndsWith(a[0].as_string(), a[1].as_string()));
}

absl::StatusOr<Value> Contains(const ValueList& a) {
  if (a[0].is_string() && a[1].is_string()) {
    return Value(absl::StrContains(a[0].as_string(), a[1].as_string()));
  }
  if (!a[0].is_list()) return Value(false);
  const ValueList& list = a[0].as_list();
  return Value(
      std::any_of(list.begin(), list.end(), [&](const Value& item) { return Equal(item, a[1]); }));
}

absl::StatusOr<Value> Exists(const ValueList& a) { return Value(!a[0].is_null()); }

absl::StatusOr<Value> Lower(const ValueList& a) {
  if (!a[0].is_string()) return ArgumentError("lower", "a string", a[0]);
  return Value(absl::AsciiStrToLower(a[0].as_string()));
}

absl::StatusOr<Value> Upper(const ValueList& a) {
  if (!a[0].is_string()) return ArgumentError("upper", "a string", a[0]);
  return Value(absl::AsciiStrToUpper(a[0].as_string()));
}

absl::StatusOr<Value> Substr(const ValueList& a) {
  if (!a[0].is_string()) return ArgumentError("substr", "a string", a[0]);
  if (!a[1].is_int()) return ArgumentError("substr", "an int start", a[1]);
  const std::string& s = a[0].as_string();
  const int64_t size = static_cast<int64_t>(s.size());
  const int64_t start =
      std::clamp<int64_t>(a[1].as_int() < 0 ? a[1].as_int() + size : a[1].as_int(), 0, size);
  int64_t length = size - start;
  if (a.size() == 3) {
    if (!a[2].is_int() || a[2].as_int() < 0) {
      return ArgumentError("substr", "a non-negative int length", a[2]);
    }
    length = std::min(length, a[2].as_int());
  }
  return Value(s.substr(start, length));
}

absl::StatusOr<Value> Split(const ValueList& a) {
  if (!a[0].is_string()) return ArgumentError("split", "a string", a[0]);
  if (!a[1].is_string() || a[1].as_string().empty()) {
    return ArgumentError("split", "a non-empty string separator", a[1]);
  }
  ValueList out;
  for (absl::string_view piece : absl::StrSplit(a[0].as_string(), a[1].as_string())) {
    out.push_back(Value(std::string(piece)));
  }
  return Value(std::move(out));
}

absl::StatusOr<Value> Concat(const ValueList& a) {
  std::string out;
  for (const Value& v : a) out += ToText(v);
  return Value(std::move(out));
}

absl::StatusOr<Value> Length(const ValueList& a) {
  const Value& x = a[0];
  if (x.is_string()) return Value(static_cast<int64_t>(x.as_string().size()));
  if (x.is_list()) return Value(static_cast<int64_t>(x.as_list().size()));
  if (x.is_record()) return Value(static_cast<int64_t>(x.as_record().size()));
  return ArgumentError("length", "a string, list or record", x);
}

// The n digits at s[pos] as a number, or -1.
int Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!absl::ascii_isdigit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

bool ValidDate(int year, int month, int day) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month != 2 || day <= 28 || leap;
}

// "", "Z", "+HH:MM", "-HHMM", ...
bool ValidZone(std::string_view z) {
  if (z.empty() || z == "Z" || z == "z") return true;
  if (z[0] != '+' && z[0] != '-') return false;
  const int hours = Digits(z, 1, 2);
  int minutes = -1;
  if (z.size() == 6 && z[3] == ':') minutes = Digits(z, 4, 2);
  if (z.size() == 5) minutes = Digits(z, 3, 2);
  return hours >= 0 && hours <= 23 && minutes >= 0 && minutes <= 59;
}

// Validates "YYYY-MM-DD[(T| )HH:MM[:SS[.frac]][zone]]"; *hour is -1 without a time.
bool ParseTimestamp(std::string_view s, int* hour) {
  *hour = -1;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' ||
      !ValidDate(Digits(s, 0, 4), Digits(s, 5, 2), Digits(s, 8, 2))) {
    return false;
  }
  if (s.size() == 10) return true;
  const int h = Digits(s, 11, 2), m = Digits(s, 14, 2);
  if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s.size() < 16 || s[13] != ':' || h < 0 ||
      h > 23 || m < 0 || m > 59) {
    return false;
  }
  size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    const int sec = Digits(s, 17, 2);
    if (sec < 0 || sec > 60) return false;
    pos = 19;
    if (pos < s.size() && s[pos] == '.') {
      const size_t digits = ++pos;
      while (pos < s.size() && absl::ascii_isdigit(s[pos])) ++pos;
      if (pos == digits) return false;
    }
  }
  *hour = h;
  return ValidZone(s.substr(pos));
}

constexpr char kTimestampShape[] = "an ISO-8601 timestamp like \"2016-01-01T15:04:05Z\"";

absl::StatusOr<Value> Date(const ValueList& a) {
  int hour;
  if (!a[0].is_string() || !ParseTimestamp(a[0].as_string(), &hour)) {
    return ArgumentError("date", kTimestampShape, a[0]);
  }
  return Value(a[0].as_string().substr(0, 10));
}

absl::StatusOr<Value> Hour(const ValueList& a) {
  int hour;
  if (!a[0].is_string() || !ParseTimestamp(a[0].as_string(), &hour) || hour < 0) {
    return ArgumentError("hour", kTimestampShape, a[0]);
  }
  return Value(int64_t{hour});
}

absl::StatusOr<Value> Int(const ValueList& a) {
  const Value& v = a[0];
  int64_t i;
  if (v.is_int()) return v;
  if (v.is_bool()) return Value(int64_t{v.as_bool()});
  if (v.is_double()) {
    const double d = std::trunc(v.as_double());
    // 2^63 itself does not fit; NaN fails both comparisons.
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
      return Value(static_cast<int64_t>(d));
    }
  } else if (v.is_string() && absl::SimpleAtoi(v.as_string(), &i)) {
    return Value(i);
  }
  return ArgumentError("int", "a number, bool or decimal string in int64 range", v);
}

absl::StatusOr<Value> Float(const ValueList& a) {
  const Value& v = a[0];
  double d;
  if (IsNumber(v)) return Value(ToDouble(v));
  if (v.is_bool()) return Value(v.as_bool() ? 1.0 : 0.0);
  if (v.is_string() && absl::SimpleAtod(v.as_string(), &d)) return Value(d);
  return ArgumentError("float", "a number, bool or numeric string", v);
}

absl::StatusOr<Value> Str(const ValueList& a) { return Value(ToText(a[0])); }

constexpr int kManyArgs = 1 << 20;

constexpr Node::Function kFunctions[] = {
    {"starts_with", 2, 2, true, StartsWith},
    {"ends_with", 2, 2, true, EndsWith},
    {"contains", 2, 2, true, Contains},
    {"exists", 1, 1, true, Exists},
    {"lower", 1, 1, false, Lower},
    {"upper", 1, 1, false, Upper},
    {"substr", 2, 3, false, Substr},
    {"split", 2, 2, false, Split},
    {"concat", 1, kManyArgs, false, Concat},
    {"length", 1, 1, false, Length},
    {"date", 1, 1, false, Date},
    {"hour", 1, 1, false, Hour},
    {"int", 1, 1, false, Int},
    {"float", 1, 1, false, Float},
    {"str", 1, 1, false, Str},
};

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
// Tokens

// kPunct: ( ) [ ] , as `text`.
enum class Tok { kWord, kMember, kLiteral, kOp, kPunct, kEnd };

struct Token {
  Tok type = Tok::kEnd;
  size_t column = 0;  // 1-based
  std::string text;   // as written
  std::string path;   // kWord: the path it names; kMember: the dotted parts after '.'
  Value literal;      // kLiteral
  bool is_number = false;
  Op op = Op::kEq;  // kOp
};

struct Punctuation {
  std::string_view text;
  Tok type;
  Op op;
};

// Two-character operators first.
constexpr Punctuation kPunctuation[] = {
    {"==", Tok::kOp, Op::kEq},   {"!=", Tok::kOp, Op::kNe},   {"<=", Tok::kOp, Op::kLe},
    {">=", Tok::kOp, Op::kGe},   {"&&", Tok::kOp, Op::kAnd},  {"||", Tok::kOp, Op::kOr},
    {"<", Tok::kOp, Op::kLt},    {">", Tok::kOp, Op::kGt},    {"!", Tok::kOp, Op::kNot},
    {"+", Tok::kOp, Op::kAdd},   {"-", Tok::kOp, Op::kSub},   {"*", Tok::kOp, Op::kMul},
    {"/", Tok::kOp, Op::kDiv},   {"%", Tok::kOp, Op::kMod},   {"(", Tok::kPunct, Op::kEq},
    {")", Tok::kPunct, Op::kEq}, {"[", Tok::kPunct, Op::kEq}, {"]", Tok::kPunct, Op::kEq},
    {",", Tok::kPunct, Op::kEq},
};

bool IsWordChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.'; }

// A number's text as an int (no '.', 'e', 'E', and in int64 range) or a double.
bool NumberValue(const std::string& text, Value* out) {
  int64_t i;
  double d;
  if (text.find_first_of(".eE") == std::string::npos && absl::SimpleAtoi(text, &i)) {
    *out = Value(i);
  } else if (absl::SimpleAtod(text, &d)) {
    *out = Value(d);
  } else {
    return false;
  }
  return true;
}

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

// ---------------------------------------------------------------------------
// Parser: one token of lookahead in tok_.

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  NodeOr ParseAll() {
    WEFT_RETURN_IF_ERROR(Advance());
    WEFT_ASSIGN_OR_RETURN(NodePtr root, ParseLevel(kOrLevel));
    if (tok_.type != Tok::kEnd) return Error("expected an operator or the end");
    return root;
  }

 private:
  // A problem at the current token, which the message shows.
  absl::Status Error(absl::string_view what) const {
    const std::string got = tok_.type == Tok::kEnd ? "the end" : absl::StrCat("'", tok_.text, "'");
    return ErrorAt(absl::StrCat(what, ", got ", got), tok_.column);
  }
  absl::Status ErrorAt(absl::string_view what, size_t column) const {
    std::string shown(text_);
    for (char& c : shown) c = c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
    return absl::InvalidArgumentError(absl::StrCat("bad expression: ", what, " at column ", column,
                                                   "\n  ", shown, "\n  ",
                                                   std::string(column - 1, ' '), "^"));
  }

  bool At(Tok type, std::string_view text) const { return tok_.type == type && tok_.text == text; }
  bool AtOp(Op op) const { return tok_.type == Tok::kOp && tok_.op == op; }

  // ---- lexer
  absl::Status Advance() {
    while (pos_ < text_.size() && absl::ascii_isspace(text_[pos_])) ++pos_;
    tok_ = Token();
    tok_.column = pos_ + 1;
    if (pos_ >= text_.size()) return absl::OkStatus();
    const char c = text_[pos_];
    if (c == '"') return LexString();
    if (absl::ascii_isdigit(c)) return LexNumber();
    if (absl::ascii_isalpha(c) || c == '_') return LexWord(Tok::kWord);
    if (c == '.' && pos_ + 1 < text_.size() && IsWordChar(text_[pos_ + 1])) {
      return LexWord(Tok::kMember);
    }
    for (const Punctuation& p : kPunctuation) {
      if (text_.substr(pos_, p.text.size()) == p.text) {
        pos_ += p.text.size();
        tok_.type = p.type;
        tok_.op = p.op;
        tok_.text = std::string(p.text);
        return absl::OkStatus();
      }
    }
    tok_.type = Tok::kPunct;  // for the message only
    tok_.text = std::string(1, c);
    return Error(c == '=' ? "expected '==' (not '=')" : "unexpected character");
  }

  // A word (path, keyword or function name) or, after a '.', a member path.
  absl::Status LexWord(Tok type) {
    const size_t start = pos_;
    if (type == Tok::kMember) ++pos_;
    while (pos_ < text_.size() && IsWordChar(text_[pos_])) ++pos_;
    tok_.type = type;
    tok_.text = std::string(text_.substr(start, pos_ - start));
    const std::string& t = tok_.text;
    if (t == "and" || t == "or" || t == "not") {
      tok_.type = Tok::kOp;
      tok_.op = t == "and" ? Op::kAnd : t == "or" ? Op::kOr : Op::kNot;
    } else if (t == "true" || t == "false" || t == "null") {
      tok_.type = Tok::kLiteral;
      if (t != "null") tok_.literal = Value(t == "true");
    } else if (t.back() == '.' || absl::StrContains(t, "..")) {
      return Error("empty part in path");
    } else if (type == Tok::kMember) {
      tok_.path = t.substr(1);
    } else {
      tok_.path = t == "_" ? "" : absl::StartsWith(t, "_.") ? t.substr(2) : t;
    }
    return absl::OkStatus();
  }

  absl::Status LexNumber() {
    const size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      const bool exponent_sign =
          (c == '+' || c == '-') && (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E');
      if (!absl::ascii_isdigit(c) && c != '.' && c != 'e' && c != 'E' && !exponent_sign) break;
      ++pos_;
    }
    tok_.type = Tok::kLiteral;
    tok_.is_number = true;
    tok_.text = std::string(text_.substr(start, pos_ - start));
    if (!NumberValue(tok_.text, &tok_.literal)) return Error("malformed number");
    return absl::OkStatus();
  }

  // Four hex digits at pos_, consumed.
  bool LexHex4(uint32_t* cp) {
    if (pos_ + 4 > text_.size() || !absl::SimpleHexAtoi(std::string(text_.substr(pos_, 4)), cp)) {
      return false;
    }
    pos_ += 4;
    return true;
  }

  // The escape after a backslash (JSON's; a surrogate pair of \u escapes is one code point).
  absl::Status LexEscape(std::string* out) {
    static constexpr std::string_view kSimple = "\"\"\\\\//b\bf\fn\nr\rt\t";
    const size_t column = pos_;  // of the backslash
    const char c = text_[pos_++];
    for (size_t k = 0; k < kSimple.size(); k += 2) {
      if (kSimple[k] == c) {
        out->push_back(kSimple[k + 1]);
        return absl::OkStatus();
      }
    }
    if (c != 'u')
      return ErrorAt(absl::StrCat("unknown escape '\\", std::string(1, c), "' in string"), column);
    uint32_t cp = 0, low = 0;
    if (!LexHex4(&cp)) return ErrorAt("bad \\u escape in string", column);
    const size_t saved = pos_;
    if (cp >= 0xD800 && cp < 0xDC00 && text_.substr(pos_, 2) == "\\u") {
      pos_ += 2;
      if (LexHex4(&low) && low >= 0xDC00 && low < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      } else {
        pos_ = saved;
      }
    }
    AppendUtf8(cp, out);
    return absl::OkStatus();
  }

  absl::Status LexString() {
    const size_t start = pos_++;
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      const char c = text_[pos_++];
      if (c != '\\') {
        out.push_back(c);
      } else if (pos_ < text_.size()) {
        WEFT_RETURN_IF_ERROR(LexEscape(&out));
      }
    }
    if (pos_ >= text_.size()) return ErrorAt("unterminated string", start + 1);
    ++pos_;  // the closing quote
    tok_.type = Tok::kLiteral;
    tok_.text = std::string(text_.substr(start, pos_ - start));
    tok_.literal = Value(std::move(out));
    return absl::OkStatus();
  }

  absl::Status Expect(std::string_view punct) {
    if (!At(Tok::kPunct, punct)) return Error(absl::StrCat("expected '", std::string(punct), "'"));
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
    while (tok_.type == Tok::kOp && LevelOf(tok_.op) == level) {
      const Op op = tok_.op;
      WEFT_RETURN_IF_ERROR(Advance());
      WEFT_ASSIGN_OR_RETURN(NodePtr right, ParseLevel(level + 1));
      left = MakeOp(op, std::move(left), std::move(right));
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
    if (tok_.type == Tok::kLiteral && tok_.is_number) {
      // A negative literal, so that -9223372036854775808 is an int.
      Value negative;
      if (!NumberValue("-" + tok_.text, &negative)) return Error("malformed number");
      WEFT_RETURN_IF_ERROR(Advance());
      return MakeLiteral(std::move(negative));
    }
    WEFT_ASSIGN_OR_RETURN(NodePtr inner, ParseLevel(kUnaryLevel));
    return MakeOp(Op::kSub, std::move(inner));  // one operand: unary minus
  }

  NodeOr ParsePostfix() {
    WEFT_ASSIGN_OR_RETURN(NodePtr node, ParsePrimary());
    while (tok_.type == Tok::kMember || At(Tok::kPunct, "[")) {
      if (tok_.type == Tok::kMember) {
        node = MakeMember(std::move(node), tok_.path);
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
    if (tok_.type == Tok::kLiteral) {
      node = MakeLiteral(tok_.literal);
    } else if (tok_.type == Tok::kWord) {
      if (PeekIsLParen()) return ParseCall();
      node = MakePath(tok_.path);
    } else if (At(Tok::kPunct, "(")) {
      WEFT_RETURN_IF_ERROR(Advance());
      WEFT_ASSIGN_OR_RETURN(node, ParseLevel(kOrLevel));
      WEFT_RETURN_IF_ERROR(Expect(")"));
      return node;
    } else if (At(Tok::kPunct, "[")) {
      WEFT_RETURN_IF_ERROR(Advance());
      WEFT_ASSIGN_OR_RETURN(std::vector<NodePtr> items, ParseArguments("]"));
      return MakeNode(Node::Kind::kList, std::move(items));
    } else {
      return Error("expected a value, a path, '(', '[', 'not', '-' or a function");
    }
    WEFT_RETURN_IF_ERROR(Advance());
    return node;
  }

  bool PeekIsLParen() const {
    size_t p = pos_;
    while (p < text_.size() && absl::ascii_isspace(text_[p])) ++p;
    return p < text_.size() && text_[p] == '(';
  }

  // Comma-separated expressions up to `close` (consumed), after the opening bracket.
  absl::StatusOr<std::vector<NodePtr>> ParseArguments(std::string_view close) {
    std::vector<NodePtr> out;
    while (!At(Tok::kPunct, close)) {
      WEFT_ASSIGN_OR_RETURN(NodePtr item, ParseLevel(kOrLevel));
      out.push_back(std::move(item));
      if (!At(Tok::kPunct, ",")) {
        if (At(Tok::kPunct, close)) break;
        return Error(absl::StrCat("expected ',' or '", std::string(close), "'"));
      }
      WEFT_RETURN_IF_ERROR(Advance());
    }
    WEFT_RETURN_IF_ERROR(Advance());
    return out;
  }

  NodeOr ParseCall() {
    const std::string name = tok_.text;
    const size_t name_column = tok_.column;
    const Node::Function* function = nullptr;
    std::string known;
    for (const Node::Function& f : kFunctions) {
      if (f.name == name) function = &f;
      absl::StrAppend(&known, known.empty() ? "" : ", ", f.name);
    }
    if (function == nullptr) {
      return Error(absl::StrCat("unknown function '", name, "' (known: ", known, ")"));
    }
    WEFT_RETURN_IF_ERROR(Advance());  // now at '('
    WEFT_RETURN_IF_ERROR(Advance());
    WEFT_ASSIGN_OR_RETURN(std::vector<NodePtr> args, ParseArguments(")"));
    const int n = static_cast<int>(args.size());
    if (n < function->min_args || n > function->max_args) {
      std::string wanted = absl::StrCat(function->min_args);
      if (function->max_args == kManyArgs) wanted = absl::StrCat("at least ", wanted);
      if (function->max_args == function->min_args + 1) {
        absl::StrAppend(&wanted, " or ", function->max_args);
      }
      return ErrorAt(absl::StrCat(name, "() takes ", wanted, " argument(s), not ", n), name_column);
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

  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
  Token tok_;
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
