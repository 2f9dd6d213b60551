// The typed form of an array.fused spec (array_functions.h has the wire contract): a
// straight-line program over rank-2 chunk blocks, checked once before anything runs.
//
//   WEFT_ASSIGN_OR_RETURN(Program program, ParseFusedSpec(spec));
//   WEFT_RETURN_IF_ERROR(CheckInputs(program, inputs));
//
// ParseFusedSpec validates everything the spec alone decides: op names, dtypes (the
// result's and the operands'), register references (only earlier registers), broadcast
// flags, generator parameters, and the reduction. Errors are kInvalidArgument naming the
// instruction ("array.fused: code[3] (add): operand 1 is register 5, which is not before
// it"). CheckInputs checks the Values a task received against the "input" leaves.
//
// Threading: plain values; immutable after parsing, safe to share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "weft/value.h"

namespace weft::array {

// An element type; chunks are DoubleArray, Int64Array or BoolArray Values.
enum class DType : uint8_t { kF64, kI64, kBool };

// "f64", "i64", "bool": the names in specs.
const char* DTypeName(DType dtype);
absl::StatusOr<DType> ParseDType(const Value& name, absl::string_view where);
inline size_t ElementSize(DType dtype) { return dtype == DType::kBool ? 1 : 8; }

enum class Op : uint8_t {
  // Leaves.
  kInput,
  kScalar,
  kArange,
  kLinspace,
  kUniform,
  kNormal,
  // Unary.
  kNeg,
  kAbs,
  kSqrt,
  kExp,
  kLog,
  kSin,
  kCos,
  kInvert,
  kCast,
  // Binary.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kFloorDiv,
  kMod,
  kPow,
  kMax2,
  kMin2,
  kAnd,
  kOr,
  kXor,
  kLt,
  kLe,
  kGt,
  kGe,
  kEq,
  kNe,
  kWhere,
};

const char* OpName(Op op);
bool IsLeaf(Op op);

// Where a generator leaf sits in its global array (see the contract).
struct GeneratorParams {
  int64_t gcols = 0, r0 = 0, c0 = 0;
  // arange (f64 uses the doubles, i64 the ints), linspace (start, step, stop, num).
  double start = 0, step = 0, stop = 0;
  int64_t istart = 0, istep = 0, num = 0;
  // uniform (low, high) and normal (loc, scale).
  uint64_t seed = 0;
  double p0 = 0, p1 = 0;
};

struct Instr {
  Op op = Op::kScalar;
  DType dtype = DType::kF64;          // of the result
  DType operand_dtype = DType::kF64;  // of a and b (binary, compare, cast, where)
  int a = -1, b = -1, c = -1;         // operand registers (where: c ? a : b)
  // Leaves: input k; broadcast flags (one row / one column stretched over the chunk).
  int input = -1;
  bool brow = false, bcol = false;
  // Scalars: the value in the result's dtype (bool as 0/1).
  double f = 0;
  int64_t i = 0;
  GeneratorParams gen;
};

enum class ReduceOp : uint8_t {
  kSum,
  kMin,
  kMax,
  kAny,
  kAll,
  kCountNonzero,
  kMean,
  kVar,
  kStd,
  kArgmin,
  kArgmax,
};
enum class Axis : uint8_t { kAll, kRows, kCols };

const char* ReduceOpName(ReduceOp op);
absl::StatusOr<ReduceOp> ParseReduceOp(const Value& name, absl::string_view where);

struct ReduceSpec {
  ReduceOp op = ReduceOp::kSum;
  Axis axis = Axis::kAll;
  int64_t index_r0 = 0, index_c0 = 0, index_cols = 0;  // argmin/argmax global indices
};

struct Program {
  int64_t rows = 0, cols = 0;
  std::vector<Instr> code;  // the last register is the output
  std::optional<ReduceSpec> reduce;

  DType out_dtype() const { return code.back().dtype; }
  int num_inputs() const;
};

// Parses and validates an array.fused spec Record.
absl::StatusOr<Program> ParseFusedSpec(const Value& spec);

// Checks each "input" leaf against `inputs` (args[1..]): the kind of its dtype and
// (brow?1:rows) * (bcol?1:cols) elements. Errors name the input index.
absl::Status CheckInputs(const Program& program, const ValueList& inputs);

// --- Spec reading helpers shared by the array functions. `where` prefixes messages.

// An int Value (a double with an integral value is accepted too).
absl::StatusOr<int64_t> GetInt(const Value& v, absl::string_view where);
absl::StatusOr<double> GetNumber(const Value& v, absl::string_view where);
absl::StatusOr<const ValueList*> GetList(const Value& v, absl::string_view where);
// The field `name` of record `spec`; kInvalidArgument when missing.
absl::StatusOr<const Value*> GetField(const Value& spec, std::string_view name,
                                      absl::string_view where);

}  // namespace weft::array
