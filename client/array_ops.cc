// weft::Array operations: elementwise with NumPy's dtype rules, reductions, structure.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/array_expr.h"
#include "weft/array.h"

namespace weft {

using internal::ArrayExpr;
using internal::ArrayExprPtr;
using internal::Cast;
using internal::Promote;

namespace {

Array FromStatusOr(absl::StatusOr<ArrayExprPtr> e) {
  if (!e.ok()) return ArrayExpr::Fail(e.status());
  return ArrayExpr::Wrap(*std::move(e));
}

// The first failed operand's status, or OK.
absl::Status FirstError(std::initializer_list<const Array*> operands) {
  for (const Array* a : operands) {
    if (!a->ok()) return a->status();
  }
  return absl::OkStatus();
}

Array Elementwise(const std::string& op, const std::string& symbol, DType operand_type,
                  DType result, std::vector<ArrayExprPtr> operands) {
  for (auto& o : operands) o = Cast(o, operand_type);
  return FromStatusOr(internal::MakeElementwise(op, symbol, result, std::move(operands)));
}

absl::Status TypeError(const std::string& symbol, const Array& a, const Array& b,
                       const std::string& why = "") {
  return absl::InvalidArgumentError(
      absl::StrCat(symbol, ": unsupported operand types ", DTypeName(a.dtype()), " ",
                   internal::ShapeString(a.shape()), " and ", DTypeName(b.dtype()), " ",
                   internal::ShapeString(b.shape()), why.empty() ? "" : ": ", why));
}

bool IsScalarValue(const Array& a, double v) {
  const ArrayExpr& e = *a.expr();
  if (e.kind != ArrayExpr::Kind::kScalar) return false;
  return (e.scalar.is_int() && e.scalar.as_int() == v) ||
         (e.scalar.is_double() && e.scalar.as_double() == v);
}

enum class Rule {
  kArith,    // promote; bool + bool: or, bool * bool: and, bool - bool: error
  kTrueDiv,  // float64
  kIntLike,  // //, %, **, max, min: promote; bools as int64
  kCompare,  // promote, result bool
  kBitwise,  // int64 or bool only
};

Array Binary(const Array& a, const Array& b, const std::string& op, const std::string& symbol,
             Rule rule) {
  if (absl::Status s = FirstError({&a, &b}); !s.ok()) return ArrayExpr::Fail(s);
  DType t = Promote(a.dtype(), b.dtype());
  std::vector<ArrayExprPtr> operands = {a.expr(), b.expr()};
  std::string name = op;
  switch (rule) {
    case Rule::kArith:
      if (t == DType::kBool) {
        if (op == "sub") {
          return ArrayExpr::Fail(TypeError(symbol, a, b,
                                           "boolean subtract, the `-` operator, is not supported "
                                           "(NumPy's rule); use `^` for exclusive or"));
        }
        name = op == "add" ? "or" : "and";
      }
      return Elementwise(name, symbol, t, t, std::move(operands));
    case Rule::kTrueDiv:
      return Elementwise(op, symbol, DType::kFloat64, DType::kFloat64, std::move(operands));
    case Rule::kIntLike:
      if (t == DType::kBool) t = DType::kInt64;
      if (op == "pow" && IsScalarValue(b, 2)) {  // x**2 as x*x, as NumPy does
        return Elementwise("mul", symbol, t, t, {a.expr(), a.expr()});
      }
      return Elementwise(op, symbol, t, t, std::move(operands));
    case Rule::kCompare:
      return Elementwise(op, symbol, t, DType::kBool, std::move(operands));
    case Rule::kBitwise:
      if (t == DType::kFloat64) {
        return ArrayExpr::Fail(TypeError(symbol, a, b, "bitwise operations need int64 or bool"));
      }
      return Elementwise(op, symbol, t, t, std::move(operands));
  }
  return ArrayExpr::Fail(absl::InternalError("unknown rule"));
}

Array Unary(const Array& a, const std::string& op, const std::string& symbol) {
  if (!a.ok()) return a;
  DType t = a.dtype();
  if (op == "neg" && t == DType::kBool) {
    return ArrayExpr::Fail(absl::InvalidArgumentError(
        absl::StrCat(symbol,
                     ": boolean negative, the `-` operator, is not supported (NumPy's rule); use "
                     "`~` for logical not")));
  }
  if (op == "invert" && t == DType::kFloat64) {
    return ArrayExpr::Fail(absl::InvalidArgumentError(
        absl::StrCat(symbol, ": bitwise not needs int64 or bool, got float64")));
  }
  if (op == "abs" && t == DType::kBool) return a;
  if (op == "sqrt" || op == "exp" || op == "log" || op == "sin" || op == "cos") {
    t = DType::kFloat64;
  }
  return Elementwise(op, symbol, t, t, {a.expr()});
}

}  // namespace

Array operator+(const Array& a, const Array& b) { return Binary(a, b, "add", "+", Rule::kArith); }
Array operator-(const Array& a, const Array& b) { return Binary(a, b, "sub", "-", Rule::kArith); }
Array operator*(const Array& a, const Array& b) { return Binary(a, b, "mul", "*", Rule::kArith); }
Array operator/(const Array& a, const Array& b) { return Binary(a, b, "div", "/", Rule::kTrueDiv); }
Array operator%(const Array& a, const Array& b) { return Binary(a, b, "mod", "%", Rule::kIntLike); }
Array floor_divide(const Array& a, const Array& b) {
  return Binary(a, b, "floordiv", "//", Rule::kIntLike);
}
Array pow(const Array& a, const Array& b) { return Binary(a, b, "pow", "**", Rule::kIntLike); }
Array maximum(const Array& a, const Array& b) {
  if (a.ok() && b.ok() && a.dtype() == DType::kBool && b.dtype() == DType::kBool) {
    return Binary(a, b, "or", "maximum", Rule::kBitwise);
  }
  return Binary(a, b, "max2", "maximum", Rule::kIntLike);
}
Array minimum(const Array& a, const Array& b) {
  if (a.ok() && b.ok() && a.dtype() == DType::kBool && b.dtype() == DType::kBool) {
    return Binary(a, b, "and", "minimum", Rule::kBitwise);
  }
  return Binary(a, b, "min2", "minimum", Rule::kIntLike);
}
Array operator<(const Array& a, const Array& b) { return Binary(a, b, "lt", "<", Rule::kCompare); }
Array operator<=(const Array& a, const Array& b) {
  return Binary(a, b, "le", "<=", Rule::kCompare);
}
Array operator>(const Array& a, const Array& b) { return Binary(a, b, "gt", ">", Rule::kCompare); }
Array operator>=(const Array& a, const Array& b) {
  return Binary(a, b, "ge", ">=", Rule::kCompare);
}
Array operator==(const Array& a, const Array& b) {
  return Binary(a, b, "eq", "==", Rule::kCompare);
}
Array operator!=(const Array& a, const Array& b) {
  return Binary(a, b, "ne", "!=", Rule::kCompare);
}
Array operator&(const Array& a, const Array& b) { return Binary(a, b, "and", "&", Rule::kBitwise); }
Array operator|(const Array& a, const Array& b) { return Binary(a, b, "or", "|", Rule::kBitwise); }
Array operator^(const Array& a, const Array& b) { return Binary(a, b, "xor", "^", Rule::kBitwise); }
Array operator-(const Array& a) { return Unary(a, "neg", "-"); }
Array operator~(const Array& a) { return Unary(a, "invert", "~"); }
Array abs(const Array& a) { return Unary(a, "abs", "abs"); }
Array sqrt(const Array& a) { return Unary(a, "sqrt", "sqrt"); }
Array exp(const Array& a) { return Unary(a, "exp", "exp"); }
Array log(const Array& a) { return Unary(a, "log", "log"); }
Array sin(const Array& a) { return Unary(a, "sin", "sin"); }
Array cos(const Array& a) { return Unary(a, "cos", "cos"); }

Array where(const Array& condition, const Array& a, const Array& b) {
  if (absl::Status s = FirstError({&condition, &a, &b}); !s.ok()) return ArrayExpr::Fail(s);
  DType t = Promote(a.dtype(), b.dtype());
  return FromStatusOr(internal::MakeElementwise(
      "where", "where", t,
      {Cast(condition.expr(), DType::kBool), Cast(a.expr(), t), Cast(b.expr(), t)}));
}

Array Array::astype(DType dtype) const {
  if (!ok()) return *this;
  return ArrayExpr::Wrap(Cast(expr_, dtype));
}

Array Array::pow(const Array& exponent) const { return weft::pow(*this, exponent); }

// ---- Reductions

#define WEFT_ARRAY_REDUCTION(method, op)                                             \
  Array Array::method(std::optional<int> axis, int split_every) const {              \
    if (!ok()) return *this;                                                         \
    return FromStatusOr(internal::Reduce(expr_, op, axis, /*ddof=*/0, split_every)); \
  }
WEFT_ARRAY_REDUCTION(sum, "sum")
WEFT_ARRAY_REDUCTION(mean, "mean")
WEFT_ARRAY_REDUCTION(min, "min")
WEFT_ARRAY_REDUCTION(max, "max")
WEFT_ARRAY_REDUCTION(argmin, "argmin")
WEFT_ARRAY_REDUCTION(argmax, "argmax")
WEFT_ARRAY_REDUCTION(any, "any")
WEFT_ARRAY_REDUCTION(all, "all")
WEFT_ARRAY_REDUCTION(count_nonzero, "count_nonzero")
#undef WEFT_ARRAY_REDUCTION

Array Array::var(std::optional<int> axis, int ddof, int split_every) const {
  if (!ok()) return *this;
  return FromStatusOr(internal::Reduce(expr_, "var", axis, ddof, split_every));
}

Array Array::std(std::optional<int> axis, int ddof, int split_every) const {
  if (!ok()) return *this;
  return FromStatusOr(internal::Reduce(expr_, "std", axis, ddof, split_every));
}

// ---- Structure

Array Array::operator[](const std::vector<Index>& indices) const {
  if (!ok()) return *this;
  return FromStatusOr(internal::Subscript(expr_, indices));
}

Array Array::rechunk(const ChunkSpec& spec) const {
  if (!ok()) return *this;
  absl::StatusOr<Chunks> chunks = internal::NormalizeChunks(shape(), spec, "rechunk");
  if (!chunks.ok()) return ArrayExpr::Fail(chunks.status());
  return FromStatusOr(internal::Rechunk(expr_, *chunks));
}

Array Array::transpose() const {
  if (!ok()) return *this;
  return FromStatusOr(internal::Transpose(expr_));
}

Array Array::concatenate(const std::vector<Array>& arrays, int axis) {
  std::vector<ArrayExprPtr> exprs;
  for (const Array& a : arrays) {
    if (!a.ok()) return a;
    exprs.push_back(a.expr());
  }
  return FromStatusOr(internal::Concatenate(exprs, axis));
}

Array Array::matmul(const Array& other) const {
  if (absl::Status s = FirstError({this, &other}); !s.ok()) return ArrayExpr::Fail(s);
  return FromStatusOr(internal::Matmul(expr_, other.expr_));
}

}  // namespace weft
