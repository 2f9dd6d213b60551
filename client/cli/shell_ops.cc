// `weft shell`'s operators, attributes, subscripts and tuples (shell.h: Session): numbers
// with Python's arithmetic at once (shell_scalar.h), arrays through weft::Array's
// operators, lazily; a failed array is an error at the operator's column.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/shell_builtins.h"
#include "client/cli/shell_scalar.h"
#include "common/status_macros.h"

namespace weft::cli::shell {
namespace {

bool IsArrayOperand(const Object& o) {
  return o.kind == Object::Kind::kArray || (o.kind == Object::Kind::kValue && IsNumber(o.value));
}

Array ArrayBinary(const std::string& op, const Array& a, const Array& b) {
  if (op == "+") return a + b;
  if (op == "-") return a - b;
  if (op == "*") return a * b;
  if (op == "/") return a / b;
  if (op == "//") return floor_divide(a, b);
  if (op == "%") return a % b;
  if (op == "**") return pow(a, b);
  if (op == "@") return a.matmul(b);
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  if (op == ">=") return a >= b;
  if (op == "==") return a == b;
  if (op == "!=") return a != b;
  if (op == "&") return a & b;
  if (op == "|") return a | b;
  return a ^ b;
}

// A Python index of an int (bools are ints too).
std::optional<int64_t> AsIndex(const Object& o) {
  if (o.kind != Object::Kind::kValue) return std::nullopt;
  if (o.value.is_int()) return o.value.as_int();
  if (o.value.is_bool()) return int64_t{o.value.as_bool()};
  return std::nullopt;
}

// list[i] and list[a:b:c] with Python's rules.
absl::StatusOr<Object> ListSubscript(const Object& list, const weft::Index& index, int column) {
  const ValueList& items = list.value.as_list();
  const int64_t n = static_cast<int64_t>(items.size());
  if (index.is_index) {
    const int64_t i = index.index < 0 ? index.index + n : index.index;
    if (i < 0 || i >= n) {
      return ErrorAt(column, absl::StrCat("index ", index.index, " is out of range for a list of ",
                                          n, " items"));
    }
    return Object::Of(items[i], list.display);
  }
  const int64_t step = index.step.value_or(1);
  if (step == 0) return ErrorAt(column, "slice step cannot be zero");
  auto clamp = [&](std::optional<int64_t> v, int64_t fallback) {
    if (!v) return fallback;
    int64_t x = *v < 0 ? *v + n : *v;
    return step > 0 ? std::clamp<int64_t>(x, 0, n) : std::clamp<int64_t>(x, -1, n - 1);
  };
  const int64_t start = clamp(index.start, step > 0 ? 0 : n - 1);
  const int64_t stop = clamp(index.stop, step > 0 ? n : -1);
  ValueList out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(items[i]);
  return Object::Of(Value(std::move(out)), list.display);
}

}  // namespace

absl::StatusOr<Object> Builtins::Checked(Array array, int column) {
  if (!array.ok()) return ErrorAt(column, std::string(array.status().message()));
  return Object::Of(std::move(array));
}

Array Builtins::AsArray(const Object& o) {
  return o.kind == Object::Kind::kArray ? *o.array : Array(o.value);
}

absl::StatusOr<Object> Session::Operator(const Expr& e) {
  std::vector<Object> operands;
  for (const ExprPtr& operand : e.operands) {
    WEFT_ASSIGN_OR_RETURN(Object o, Evaluate(*operand));
    operands.push_back(std::move(o));
  }
  const bool any_array = std::any_of(operands.begin(), operands.end(), [](const Object& o) {
    return o.kind == Object::Kind::kArray;
  });
  const bool arrays_only = std::all_of(operands.begin(), operands.end(), IsArrayOperand);
  if (any_array && arrays_only) {
    if (e.kind == Expr::Kind::kUnary) {
      const Array& a = *operands[0].array;
      return Builtins::Checked(e.op == "-" ? -a : e.op == "~" ? ~a : a, e.column);
    }
    return Builtins::Checked(
        ArrayBinary(e.op, Builtins::AsArray(operands[0]), Builtins::AsArray(operands[1])),
        e.column);
  }
  if (std::all_of(operands.begin(), operands.end(),
                  [](const Object& o) { return o.kind == Object::Kind::kValue; })) {
    absl::StatusOr<Value> v = e.kind == Expr::Kind::kUnary
                                  ? ScalarUnary(e.op, operands[0].value)
                                  : ScalarBinary(e.op, operands[0].value, operands[1].value);
    if (!v.ok()) return ErrorAt(e.column, std::string(v.status().message()));
    return Object::Of(*std::move(v), Object::Display::kPython);
  }
  std::vector<std::string> types;
  for (const Object& o : operands) types.push_back(o.type_name());
  return ErrorAt(e.column, absl::StrCat("unsupported operand type", types.size() > 1 ? "s" : "",
                                        " for ", e.op, ": ", absl::StrJoin(types, " and ")));
}

absl::StatusOr<Object> Session::Attribute(const Expr& e) {
  WEFT_ASSIGN_OR_RETURN(Object self, Evaluate(*e.receiver));
  if (self.kind == Object::Kind::kArray) {
    absl::StatusOr<Object> attribute = Builtins::ArrayAttribute(*self.array, e.name);
    if (attribute.ok()) {
      if (attribute->kind == Object::Kind::kArray) {
        return Builtins::Checked(*attribute->array, e.column);
      }
      return attribute;
    }
    // A method named without its call: say so.
    const std::vector<std::string> methods = MethodNames("array");
    const bool is_method = std::find(methods.begin(), methods.end(), e.name) != methods.end();
    return ErrorAt(e.column,
                   is_method
                       ? absl::StrCat("'", e.name, "' is a method: write ", e.name, "()")
                       : absl::StrCat("an array has no attribute '", e.name, "' (attributes: ",
                                      absl::StrJoin(Builtins::ArrayAttributeNames(), ", "), ")"));
  }
  return ErrorAt(e.column,
                 absl::StrCat(WithArticle(self.type_name()), " has no attribute '", e.name, "'"));
}

absl::StatusOr<Object> Session::Subscript(const Expr& e) {
  WEFT_ASSIGN_OR_RETURN(Object self, Evaluate(*e.receiver));
  std::vector<weft::Index> indices;
  for (const shell::Subscript& s : e.subscripts) {
    auto part = [&](const ExprPtr& p, const char* what) -> absl::StatusOr<std::optional<int64_t>> {
      if (p == nullptr) return std::optional<int64_t>();
      WEFT_ASSIGN_OR_RETURN(Object o, Evaluate(*p));
      if (o.kind == Object::Kind::kValue && o.value.is_null()) return std::optional<int64_t>();
      std::optional<int64_t> i = AsIndex(o);
      if (!i) {
        return ErrorAt(p->column, absl::StrCat("a ", what, " must be an int, not ",
                                               WithArticle(o.type_name())));
      }
      return i;
    };
    if (!s.is_slice) {
      WEFT_ASSIGN_OR_RETURN(std::optional<int64_t> i, part(s.index, "subscript"));
      if (!i) return ErrorAt(s.column, "a subscript must be an int or a slice, not None");
      indices.push_back(weft::Index::At(*i));
      continue;
    }
    WEFT_ASSIGN_OR_RETURN(std::optional<int64_t> start, part(s.start, "slice's start"));
    WEFT_ASSIGN_OR_RETURN(std::optional<int64_t> stop, part(s.stop, "slice's stop"));
    WEFT_ASSIGN_OR_RETURN(std::optional<int64_t> step, part(s.step, "slice's step"));
    indices.push_back(weft::Index::Slice(start, stop, step));
  }
  if (self.kind == Object::Kind::kArray) return Builtins::Checked((*self.array)[indices], e.column);
  if (self.kind == Object::Kind::kValue && self.value.is_list() && indices.size() == 1) {
    return ListSubscript(self, indices[0], e.column);
  }
  return ErrorAt(e.column, absl::StrCat(WithArticle(self.type_name()), " cannot be subscripted",
                                        self.kind == Object::Kind::kValue && self.value.is_list()
                                            ? " with more than one index"
                                            : ""));
}

// (a, b): a list when every item is a value, else a tuple of objects (concatenate's).
absl::StatusOr<Object> Session::Sequence(const Expr& e) {
  Object out{Object::Kind::kSequence};
  bool values = true;
  for (const ExprPtr& item : e.operands) {
    WEFT_ASSIGN_OR_RETURN(Object o, Evaluate(*item));
    values &= o.kind == Object::Kind::kValue;
    out.items.push_back(std::move(o));
  }
  if (!values) return out;
  ValueList list;
  for (Object& o : out.items) list.push_back(std::move(o.value));
  return Object::Of(Value(std::move(list)), Object::Display::kPython);
}

}  // namespace weft::cli::shell
