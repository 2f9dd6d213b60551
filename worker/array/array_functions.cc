// Registers the array functions (array_functions.h) in the worker's function registry.
// Linked with alwayslink: nothing refers to these registrations by symbol.
#include "worker/array/array_functions.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/array/array_assemble.h"
#include "worker/array/array_fused.h"
#include "worker/array/array_matmul.h"
#include "worker/array/array_partial.h"
#include "worker/array/array_program.h"

namespace weft::array {
namespace {

absl::Status NeedSpec(const ValueList& args, const char* name, size_t min_args) {
  if (args.size() >= min_args && !args.empty() && args[0].is_record()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      name, "() takes a spec record and ", min_args - 1, " or more arguments, got ", args.size(),
      " arguments", args.empty() ? "" : absl::StrCat(" (the first a ", args[0].kind_name(), ")")));
}

ValueList Rest(const ValueList& args) { return ValueList(args.begin() + 1, args.end()); }

}  // namespace

absl::StatusOr<Value> FusedFunction(const ValueList& args, const TaskContext& context) {
  WEFT_RETURN_IF_ERROR(NeedSpec(args, "array.fused", 1));
  WEFT_ASSIGN_OR_RETURN(Program program, ParseFusedSpec(args[0]));
  return RunFused(program, Rest(args), context);
}

absl::StatusOr<Value> CombineFunction(const ValueList& args, const TaskContext& context) {
  WEFT_RETURN_IF_ERROR(NeedSpec(args, "array.combine", 2));
  const Value& spec = args[0];
  WEFT_ASSIGN_OR_RETURN(const Value* op_value, GetField(spec, "op", "array.combine: spec"));
  WEFT_ASSIGN_OR_RETURN(ReduceOp op, ParseReduceOp(*op_value, "array.combine: op"));
  bool final = false;
  if (const Value* f = spec.Find("final"); f != nullptr && !f->is_null()) {
    if (!f->is_bool()) return absl::InvalidArgumentError("array.combine: final must be a bool");
    final = f->as_bool();
  }
  int64_t ddof = 0;
  if (const Value* d = spec.Find("ddof"); d != nullptr && !d->is_null()) {
    WEFT_ASSIGN_OR_RETURN(ddof, GetInt(*d, "array.combine: ddof"));
  }
  Partial merged;
  merged.op = op;
  merged.empty = true;
  for (size_t i = 1; i < args.size(); ++i) {
    if (context.cancelled()) return absl::CancelledError("array.combine: cancelled");
    WEFT_ASSIGN_OR_RETURN(
        Partial p, Partial::FromValue(op, args[i], absl::StrCat("array.combine: partial ", i - 1)));
    WEFT_RETURN_IF_ERROR(merged.Merge(p));
  }
  if (final) return merged.Finalize(ddof);
  return merged.ToValue();
}

absl::StatusOr<Value> AssembleFunction(const ValueList& args, const TaskContext&) {
  WEFT_RETURN_IF_ERROR(NeedSpec(args, "array.assemble", 1));
  return Assemble(args[0], Rest(args));
}

absl::StatusOr<Value> MatmulFunction(const ValueList& args, const TaskContext& context) {
  WEFT_RETURN_IF_ERROR(NeedSpec(args, "array.matmul", 1));
  return Matmul(args[0], Rest(args), context);
}

absl::StatusOr<Value> FromItemsFunction(const ValueList& args, const TaskContext&) {
  // Partition first: the client calls it through Bag::map_partitions.
  if (args.size() != 2 || !args[1].is_record()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "array.from_items() takes 2 arguments (partition, spec record), got ", args.size(),
        args.size() == 2 ? absl::StrCat(" (", args[0].kind_name(), ", ", args[1].kind_name(), ")")
                         : ""));
  }
  return FromItems(args[1], args[0]);
}

}  // namespace weft::array

WEFT_FUNCTION("array.fused", weft::array::FusedFunction);
WEFT_FUNCTION("array.combine", weft::array::CombineFunction);
WEFT_FUNCTION("array.assemble", weft::array::AssembleFunction);
WEFT_FUNCTION("array.matmul", weft::array::MatmulFunction);
WEFT_FUNCTION("array.from_items", weft::array::FromItemsFunction);
