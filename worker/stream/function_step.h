// FunctionStep: a pipeline's stateful stage written as a registered (or plugin) function,
// for state that BatchRows does not keep (Wallaroo's state computations): the function is
// called once per input row as
//
//   function(row string, state) -> [new state, [batch string, ...]]
//
// and once more at the end of input with a null row, to flush what its state holds. The
// state starts as the spec's initial state (null unless given) and may be any Value; each
// batch returned goes to the parallel step, in order.
//
// Errors: a function that fails, or returns anything but a two-item list whose second item
// is a list of strings, is an error naming the function and the row (1-based, counting
// every row the step was given).
//
// Threading: not thread-safe; the source stage's reading thread owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/io/io.h"
#include "weft/value.h"
#include "worker/function_registry.h"

namespace weft::stream {

class FunctionStep {
 public:
  // `registry` must outlive the step; `io`: the worker's I/O options, which each call's
  // TaskContext carries (null: the environment).
  FunctionStep(const FunctionRegistry& registry, std::string function, Value initial_state,
               std::string task_prefix, std::shared_ptr<const io::IoOptions> io = nullptr);

  // The batches this row completes.
  absl::StatusOr<std::vector<std::string>> Add(std::string_view row);
  // The end of input: the batches the state still holds.
  absl::StatusOr<std::vector<std::string>> Finish();

  int64_t rows_seen() const { return rows_; }

 private:
  absl::StatusOr<std::vector<std::string>> Call(Value row);

  // Constant after construction.
  const FunctionRegistry& registry_;
  const std::string function_;
  const std::string task_prefix_;
  const std::shared_ptr<const io::IoOptions> io_;

  Value state_;
  int64_t rows_ = 0;
};

}  // namespace weft::stream
