#include "worker/array/array_program.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace weft::array {
namespace {

struct OpInfo {
  const char* name;
  Op op;
};

constexpr OpInfo kOps[] = {
    {"input", Op::kInput},     {"scalar", Op::kScalar},
    {"arange", Op::kArange},   {"linspace", Op::kLinspace},
    {"uniform", Op::kUniform}, {"normal", Op::kNormal},
    {"neg", Op::kNeg},         {"abs", Op::kAbs},
    {"sqrt", Op::kSqrt},       {"exp", Op::kExp},
    {"log", Op::kLog},         {"sin", Op::kSin},
    {"cos", Op::kCos},         {"invert", Op::kInvert},
    {"cast", Op::kCast},       {"add", Op::kAdd},
    {"sub", Op::kSub},         {"mul", Op::kMul},
    {"div", Op::kDiv},         {"floordiv", Op::kFloorDiv},
    {"mod", Op::kMod},         {"pow", Op::kPow},
    {"max2", Op::kMax2},       {"min2", Op::kMin2},
    {"and", Op::kAnd},         {"or", Op::kOr},
    {"xor", Op::kXor},         {"lt", Op::kLt},
    {"le", Op::kLe},           {"gt", Op::kGt},
    {"ge", Op::kGe},           {"eq", Op::kEq},
    {"ne", Op::kNe},           {"where", Op::kWhere},
};

constexpr const char* kReduceNames[] = {"sum",  "min", "max", "any",    "all",   "count_nonzero",
                                        "mean", "var", "std", "argmin", "argmax"};

// The dtypes an op's result may have, as a bit set over DType.
constexpr unsigned kF64 = 1u << static_cast<int>(DType::kF64);
constexpr unsigned kI64 = 1u << static_cast<int>(DType::kI64);
constexpr unsigned kBool = 1u << static_cast<int>(DType::kBool);
constexpr unsigned kAny = kF64 | kI64 | kBool;

unsigned AllowedDTypes(Op op) {
  switch (op) {
    case Op::kInput:
    case Op::kScalar:
    case Op::kCast:
    case Op::kWhere:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
    case Op::kEq:
    case Op::kNe:
      return kAny;
    case Op::kArange:
    case Op::kNeg:
    case Op::kAbs:
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kFloorDiv:
    case Op::kMod:
    case Op::kPow:
    case Op::kMax2:
    case Op::kMin2:
      return kF64 | kI64;
    case Op::kInvert:
    case Op::kAnd:
    case Op::kOr:
    case Op::kXor:
      return kI64 | kBool;
    default:  // linspace, uniform, normal, sqrt, exp, log, sin, cos, div
      return kF64;
  }
}

bool IsCompare(Op op) { return op >= Op::kLt && op <= Op::kNe; }
bool IsBinary(Op op) { return op >= Op::kAdd && op <= Op::kNe; }

// Reads one instruction; `where` is "array.fused: code[i] (op)".
class InstrParser {
 public:
  InstrParser(const ValueList& items, int index, std::string where)
      : items_(items), index_(index), where_(std::move(where)) {}

  absl::StatusOr<Instr> Parse(Op op, const std::vector<Instr>& earlier);

 private:
  absl::Status Arity(size_t n) const {
    if (items_.size() == n) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat(where_, ": expected ", n, " items, got ", items_.size()));
  }
  absl::StatusOr<int64_t> Int(size_t k) const {
    return GetInt(items_[k], absl::StrCat(where_, " item ", k));
  }
  absl::StatusOr<double> Number(size_t k) const {
    return GetNumber(items_[k], absl::StrCat(where_, " item ", k));
  }
  absl::StatusOr<bool> Flag(size_t k) const;
  // Operand register at item k, of dtype `want`.
  absl::StatusOr<int> Register(size_t k, const std::vector<Instr>& earlier,
                               std::optional<DType> want) const;
  absl::Status Placement(size_t first, Instr* instr) const;  // gcols, r0, c0, brow, bcol
  absl::Status Scalar(Instr* instr) const;

  const ValueList& items_;
  const int index_;
  const std::string where_;
};

absl::StatusOr<bool> InstrParser::Flag(size_t k) const {
  if (items_[k].is_bool()) return items_[k].as_bool();
  WEFT_ASSIGN_OR_RETURN(int64_t v, Int(k));
  if (v != 0 && v != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(where_, " item ", k, ": a broadcast flag must be 0 or 1, got ", v));
  }
  return v == 1;
}

absl::StatusOr<int> InstrParser::Register(size_t k, const std::vector<Instr>& earlier,
                                          std::optional<DType> want) const {
  WEFT_ASSIGN_OR_RETURN(int64_t r, Int(k));
  if (r < 0 || r >= index_) {
    return absl::InvalidArgumentError(
        absl::StrCat(where_, ": operand ", k - 1, " is register ", r, ", which is not before it"));
  }
  const DType got = earlier[r].dtype;
  if (want.has_value() && got != *want) {
    return absl::InvalidArgumentError(absl::StrCat(where_, ": operand ", k - 1, " (register ", r,
                                                   ") is ", DTypeName(got), ", expected ",
                                                   DTypeName(*want)));
  }
  return static_cast<int>(r);
}

absl::Status InstrParser::Placement(size_t first, Instr* instr) const {
  WEFT_RETURN_IF_ERROR(Arity(first + 5));
  WEFT_ASSIGN_OR_RETURN(instr->gen.gcols, Int(first));
  WEFT_ASSIGN_OR_RETURN(instr->gen.r0, Int(first + 1));
  WEFT_ASSIGN_OR_RETURN(instr->gen.c0, Int(first + 2));
  WEFT_ASSIGN_OR_RETURN(instr->brow, Flag(first + 3));
  WEFT_ASSIGN_OR_RETURN(instr->bcol, Flag(first + 4));
  if (instr->gen.gcols < 0 || instr->gen.r0 < 0 || instr->gen.c0 < 0) {
    return absl::InvalidArgumentError(absl::StrCat(where_, ": gcols, r0 and c0 must be >= 0, got ",
                                                   instr->gen.gcols, ", ", instr->gen.r0, ", ",
                                                   instr->gen.c0));
  }
  return absl::OkStatus();
}

absl::Status InstrParser::Scalar(Instr* instr) const {
  WEFT_RETURN_IF_ERROR(Arity(3));
  const Value& v = items_[2];
  if (!v.is_bool() && !v.is_int() && !v.is_double()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where_, ": the value must be int, double or bool, got ", v.kind_name()));
  }
  const double d = v.is_double() ? v.as_double() : v.is_int() ? v.as_int() : v.as_bool();
  switch (instr->dtype) {
    case DType::kF64:
      instr->f = d;
      break;
    case DType::kI64:
      if (v.is_double()) {
        WEFT_ASSIGN_OR_RETURN(instr->i, Int(2));
      } else {
        instr->i = v.is_int() ? v.as_int() : v.as_bool();
      }
      break;
    case DType::kBool:
      instr->i = d != 0 || std::isnan(d);
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<Instr> InstrParser::Parse(Op op, const std::vector<Instr>& earlier) {
  Instr instr;
  instr.op = op;
  if (items_.size() < 2) return Arity(std::max<size_t>(items_.size(), 3));
  WEFT_ASSIGN_OR_RETURN(instr.dtype, ParseDType(items_[1], absl::StrCat(where_, " item 1")));
  instr.operand_dtype = instr.dtype;
  if (IsCompare(op)) instr.dtype = DType::kBool;  // item 1 names the operands' dtype
  if ((AllowedDTypes(op) & (1u << static_cast<int>(instr.operand_dtype))) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        where_, ": dtype ", DTypeName(instr.operand_dtype), " is not supported by ", OpName(op)));
  }
  switch (op) {
    case Op::kInput: {
      WEFT_RETURN_IF_ERROR(Arity(5));
      WEFT_ASSIGN_OR_RETURN(int64_t k, Int(2));
      if (k < 0 || k > 1 << 20) {
        return absl::InvalidArgumentError(absl::StrCat(where_, ": bad input index ", k));
      }
      instr.input = static_cast<int>(k);
      WEFT_ASSIGN_OR_RETURN(instr.brow, Flag(3));
      WEFT_ASSIGN_OR_RETURN(instr.bcol, Flag(4));
      return instr;
    }
    case Op::kScalar: {
      WEFT_RETURN_IF_ERROR(Scalar(&instr));
      return instr;
    }
    case Op::kArange: {
      WEFT_RETURN_IF_ERROR(Placement(4, &instr));
      WEFT_ASSIGN_OR_RETURN(instr.gen.start, Number(2));
      WEFT_ASSIGN_OR_RETURN(instr.gen.step, Number(3));
      if (instr.dtype == DType::kI64) {
        WEFT_ASSIGN_OR_RETURN(instr.gen.istart, Int(2));
        WEFT_ASSIGN_OR_RETURN(instr.gen.istep, Int(3));
      }
      return instr;
    }
    case Op::kLinspace: {
      WEFT_RETURN_IF_ERROR(Placement(6, &instr));
      WEFT_ASSIGN_OR_RETURN(instr.gen.start, Number(2));
      WEFT_ASSIGN_OR_RETURN(instr.gen.step, Number(3));
      WEFT_ASSIGN_OR_RETURN(instr.gen.stop, Number(4));
      WEFT_ASSIGN_OR_RETURN(instr.gen.num, Int(5));
      return instr;
    }
    case Op::kUniform:
    case Op::kNormal: {
      WEFT_RETURN_IF_ERROR(Placement(5, &instr));
      WEFT_ASSIGN_OR_RETURN(int64_t seed, Int(2));
      instr.gen.seed = static_cast<uint64_t>(seed);
      WEFT_ASSIGN_OR_RETURN(instr.gen.p0, Number(3));
      WEFT_ASSIGN_OR_RETURN(instr.gen.p1, Number(4));
      return instr;
    }
    case Op::kCast: {
      WEFT_RETURN_IF_ERROR(Arity(3));
      WEFT_ASSIGN_OR_RETURN(instr.a, Register(2, earlier, std::nullopt));
      instr.operand_dtype = earlier[instr.a].dtype;
      return instr;
    }
    case Op::kWhere: {
      WEFT_RETURN_IF_ERROR(Arity(5));
      WEFT_ASSIGN_OR_RETURN(instr.c, Register(2, earlier, DType::kBool));
      WEFT_ASSIGN_OR_RETURN(instr.a, Register(3, earlier, instr.dtype));
      WEFT_ASSIGN_OR_RETURN(instr.b, Register(4, earlier, instr.dtype));
      return instr;
    }
    default:
      break;
  }
  if (IsBinary(op)) {
    WEFT_RETURN_IF_ERROR(Arity(4));
    WEFT_ASSIGN_OR_RETURN(instr.a, Register(2, earlier, instr.operand_dtype));
    WEFT_ASSIGN_OR_RETURN(instr.b, Register(3, earlier, instr.operand_dtype));
    return instr;
  }
  WEFT_RETURN_IF_ERROR(Arity(3));  // unary
  WEFT_ASSIGN_OR_RETURN(instr.a, Register(2, earlier, instr.operand_dtype));
  return instr;
}

absl::StatusOr<ReduceSpec> ParseReduce(const Value& v) {
  constexpr absl::string_view kWhere = "array.fused: reduce";
  if (!v.is_record()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhere, " must be a record, got ", v.kind_name()));
  }
  ReduceSpec reduce;
  WEFT_ASSIGN_OR_RETURN(const Value* op, GetField(v, "op", kWhere));
  WEFT_ASSIGN_OR_RETURN(reduce.op, ParseReduceOp(*op, kWhere));
  WEFT_ASSIGN_OR_RETURN(const Value* axis, GetField(v, "axis", kWhere));
  const std::string name = axis->is_string() ? axis->as_string() : "";
  if (name == "all") {
    reduce.axis = Axis::kAll;
  } else if (name == "rows") {
    reduce.axis = Axis::kRows;
  } else if (name == "cols") {
    reduce.axis = Axis::kCols;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        kWhere, ": axis must be \"all\", \"rows\" or \"cols\", got ", axis->DebugString()));
  }
  if (const Value* offset = v.Find("index_offset")) {
    WEFT_ASSIGN_OR_RETURN(const ValueList* pair, GetList(*offset, "reduce.index_offset"));
    if (pair->size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(kWhere, ": index_offset must be [r0, c0]"));
    }
    WEFT_ASSIGN_OR_RETURN(reduce.index_r0, GetInt((*pair)[0], "reduce.index_offset[0]"));
    WEFT_ASSIGN_OR_RETURN(reduce.index_c0, GetInt((*pair)[1], "reduce.index_offset[1]"));
  }
  if (const Value* cols = v.Find("index_cols")) {
    WEFT_ASSIGN_OR_RETURN(reduce.index_cols, GetInt(*cols, "reduce.index_cols"));
  }
  return reduce;
}

absl::StatusOr<Op> ParseOp(const Value& v, absl::string_view where) {
  if (v.is_string()) {
    for (const OpInfo& info : kOps) {
      if (v.as_string() == info.name) return info.op;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(where, ": unknown op ", v.DebugString()));
}

}  // namespace

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF64:
      return "f64";
    case DType::kI64:
      return "i64";
    case DType::kBool:
      return "bool";
  }
  return "?";
}

absl::StatusOr<DType> ParseDType(const Value& name, absl::string_view where) {
  if (name.is_string()) {
    for (DType dtype : {DType::kF64, DType::kI64, DType::kBool}) {
      if (name.as_string() == DTypeName(dtype)) return dtype;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      where, ": dtype must be \"f64\", \"i64\" or \"bool\", got ", name.DebugString()));
}

const char* OpName(Op op) {
  for (const OpInfo& info : kOps) {
    if (info.op == op) return info.name;
  }
  return "?";
}

bool IsLeaf(Op op) { return op <= Op::kNormal; }

const char* ReduceOpName(ReduceOp op) { return kReduceNames[static_cast<int>(op)]; }

absl::StatusOr<ReduceOp> ParseReduceOp(const Value& name, absl::string_view where) {
  if (name.is_string()) {
    for (int i = 0; i < static_cast<int>(std::size(kReduceNames)); ++i) {
      if (name.as_string() == kReduceNames[i]) return static_cast<ReduceOp>(i);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": unknown reduction ", name.DebugString()));
}

int Program::num_inputs() const {
  int n = 0;
  for (const Instr& instr : code) {
    if (instr.op == Op::kInput) n = std::max(n, instr.input + 1);
  }
  return n;
}

absl::StatusOr<Program> ParseFusedSpec(const Value& spec) {
  constexpr absl::string_view kWhere = "array.fused: spec";
  if (!spec.is_record()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhere, " must be a record, got ", spec.kind_name()));
  }
  Program program;
  WEFT_ASSIGN_OR_RETURN(const Value* shape_value, GetField(spec, "shape", kWhere));
  WEFT_ASSIGN_OR_RETURN(const ValueList* shape, GetList(*shape_value, "array.fused: shape"));
  if (shape->size() != 2) {
    return absl::InvalidArgumentError("array.fused: shape must be [rows, cols]");
  }
  WEFT_ASSIGN_OR_RETURN(program.rows, GetInt((*shape)[0], "array.fused: shape[0]"));
  WEFT_ASSIGN_OR_RETURN(program.cols, GetInt((*shape)[1], "array.fused: shape[1]"));
  if (program.rows < 0 || program.cols < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("array.fused: negative shape [", program.rows, ", ", program.cols, "]"));
  }
  WEFT_ASSIGN_OR_RETURN(const Value* code_value, GetField(spec, "code", kWhere));
  WEFT_ASSIGN_OR_RETURN(const ValueList* code, GetList(*code_value, "array.fused: code"));
  if (code->empty()) return absl::InvalidArgumentError("array.fused: code is empty");
  for (size_t i = 0; i < code->size(); ++i) {
    const std::string at = absl::StrCat("array.fused: code[", i, "]");
    WEFT_ASSIGN_OR_RETURN(const ValueList* items, GetList((*code)[i], at));
    if (items->empty()) return absl::InvalidArgumentError(at + ": empty instruction");
    WEFT_ASSIGN_OR_RETURN(Op op, ParseOp((*items)[0], at));
    InstrParser parser(*items, static_cast<int>(i), absl::StrCat(at, " (", OpName(op), ")"));
    WEFT_ASSIGN_OR_RETURN(Instr instr, parser.Parse(op, program.code));
    program.code.push_back(std::move(instr));
  }
  if (const Value* reduce = spec.Find("reduce"); reduce != nullptr && !reduce->is_null()) {
    WEFT_ASSIGN_OR_RETURN(program.reduce, ParseReduce(*reduce));
  }
  return program;
}

absl::Status CheckInputs(const Program& program, const ValueList& inputs) {
  for (size_t i = 0; i < program.code.size(); ++i) {
    const Instr& instr = program.code[i];
    if (instr.op != Op::kInput) continue;
    const std::string at = absl::StrCat("array.fused: code[", i, "] (input ", instr.input, ")");
    if (instr.input >= static_cast<int>(inputs.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": the task has only ", inputs.size(), " inputs"));
    }
    const Value& v = inputs[instr.input];
    size_t size = 0;
    bool kind_ok = false;
    switch (instr.dtype) {
      case DType::kF64:
        kind_ok = v.kind() == ValueKind::kDoubleArray;
        if (kind_ok) size = v.as_double_array().size();
        break;
      case DType::kI64:
        kind_ok = v.kind() == ValueKind::kInt64Array;
        if (kind_ok) size = v.as_int64_array().size();
        break;
      case DType::kBool:
        kind_ok = v.kind() == ValueKind::kBoolArray;
        if (kind_ok) size = v.as_bool_array().size();
        break;
    }
    if (!kind_ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": expected a ", DTypeName(instr.dtype), " chunk, got ", v.kind_name()));
    }
    const int64_t want = (instr.brow ? 1 : program.rows) * (instr.bcol ? 1 : program.cols);
    if (static_cast<int64_t>(size) != want) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": expected ", want, " elements (", instr.brow ? 1 : program.rows, " x ",
                       instr.bcol ? 1 : program.cols, "), got ", size));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> GetInt(const Value& v, absl::string_view where) {
  if (v.is_int()) return v.as_int();
  if (v.is_double() && std::trunc(v.as_double()) == v.as_double() &&
      std::abs(v.as_double()) < 9.2e18) {
    return static_cast<int64_t>(v.as_double());
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": expected an integer, got ", v.DebugString(40)));
}

absl::StatusOr<double> GetNumber(const Value& v, absl::string_view where) {
  if (v.is_double()) return v.as_double();
  if (v.is_int()) return static_cast<double>(v.as_int());
  if (v.is_bool()) return v.as_bool() ? 1.0 : 0.0;
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": expected a number, got ", v.DebugString(40)));
}

absl::StatusOr<const ValueList*> GetList(const Value& v, absl::string_view where) {
  if (v.is_list()) return &v.as_list();
  return absl::InvalidArgumentError(absl::StrCat(where, ": expected a list, got ", v.kind_name()));
}

absl::StatusOr<const Value*> GetField(const Value& spec, std::string_view name,
                                      absl::string_view where) {
  const Value* field = spec.Find(name);
  if (field == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": missing field \"", std::string(name), "\""));
  }
  return field;
}

}  // namespace weft::array
