// RunTask: the effect of an ExecuteInstruction — resolve the task's arguments from the
// DataStore, call its function through the registry, store the result.
//
// Argument resolution (proto::Arg → Value): a literal is decoded in place (its large
// buffers are slices of the TaskSpec, which `spec` keeps alive), a key becomes the stored
// value, a slice (KeySlice) becomes the fetched
// slice or the item of the whole value held here, a list becomes a Value list of its
// resolved items. Inputs absent from the store
// are reported in ExecuteOutcome::missing_dependencies and the function is not called.
// Errors never escape as exceptions; ExecuteOutcome::error starts with "function(".
//
// Threading: called from executor threads, concurrently; uses only thread-safe objects.
#pragma once

#include <atomic>
#include <memory>

#include "absl/status/statusor.h"
#include "proto/weft.pb.h"
#include "worker/data_store.h"
#include "worker/function_registry.h"
#include "worker/worker_state.h"

namespace weft {

// Resolves one argument. kDataLoss for a literal that does not decode or an input whose
// spill file cannot be read back; a missing key is appended to `missing` (and resolves
// to null).
absl::StatusOr<Value> ResolveArg(const proto::Arg& arg, const std::shared_ptr<const void>& owner,
                                 DataStore& store, std::vector<std::string>* missing,
                                 int depth = 0);

// `io_options`: the worker's (TaskContext::io_options), or null.
ExecuteOutcome RunTask(const std::shared_ptr<const proto::TaskSpec>& spec,
                       const FunctionRegistry& registry, DataStore& store,
                       std::shared_ptr<const std::atomic<bool>> cancel_flag,
                       std::shared_ptr<const io::IoOptions> io_options);

}  // namespace weft
