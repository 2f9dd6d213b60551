#include "worker/stream/function_step.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace weft::stream {

FunctionStep::FunctionStep(const FunctionRegistry& registry, std::string function,
                           Value initial_state, std::string task_prefix,
                           std::shared_ptr<const io::IoOptions> io)
    : registry_(registry),
      function_(std::move(function)),
      task_prefix_(std::move(task_prefix)),
      io_(std::move(io)),
      state_(std::move(initial_state)) {}

absl::StatusOr<std::vector<std::string>> FunctionStep::Add(std::string_view row) {
  ++rows_;
  return Call(Value(std::string(row)));
}

absl::StatusOr<std::vector<std::string>> FunctionStep::Finish() { return Call(Value()); }

absl::StatusOr<std::vector<std::string>> FunctionStep::Call(Value row) {
  const bool end = row.is_null();
  const std::string where = end ? absl::StrCat("at the end of input (after row ", rows_, ")")
                                : absl::StrCat("row ", rows_);
  ValueList args{std::move(row), state_};
  absl::StatusOr<Value> result = registry_.Call(
      function_, args,
      TaskContext(absl::StrCat(task_prefix_, "-", rows_), function_).WithIoOptions(io_));
  if (!result.ok())
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", result.status().message()));
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", function_, "() returned ", what,
                     "; a stateful step returns [new state, [batch string, ...]]"));
  };
  if (!result->is_list() || result->as_list().size() != 2) return bad(result->kind_name());
  const ValueList& pair = result->as_list();
  if (!pair[1].is_list()) return bad(absl::StrCat("batches of kind ", pair[1].kind_name()));
  std::vector<std::string> batches;
  for (const Value& batch : pair[1].as_list()) {
    if (!batch.is_string()) return bad(absl::StrCat("a batch of kind ", batch.kind_name()));
    batches.push_back(batch.as_string());
  }
  state_ = pair[0];
  return batches;
}

}  // namespace weft::stream
