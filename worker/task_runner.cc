#include "worker/task_runner.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/codec.h"
#include "common/key.h"

namespace weft {

absl::StatusOr<Value> ResolveArg(const proto::Arg& arg, const std::shared_ptr<const void>& owner,
                                 DataStore& store, std::vector<std::string>* missing, int depth) {
  switch (arg.kind_case()) {
    case proto::Arg::kLiteral:
      // Zero copy: big buffers in the literal stay slices of the spec `owner` keeps alive.
      return DecodeValue(Buffer(owner, arg.literal()));
    case proto::Arg::kKey: {
      absl::StatusOr<Value> value = store.Get(arg.key());
      if (absl::IsNotFound(value.status())) {
        missing->push_back(arg.key());
        return Value();
      }
      return value;  // or why its spill file could not be read back
    }
    case proto::Arg::kSlice: {
      // Fetched alone (the slice key), or read from the whole value held here.
      const std::string slice_key = SliceKey(arg.slice().key(), arg.slice().index());
      absl::StatusOr<Value> value = store.Get(slice_key);
      if (!absl::IsNotFound(value.status())) return value;
      value = store.GetItem(arg.slice().key(), arg.slice().index());
      if (absl::IsNotFound(value.status())) {
        missing->push_back(slice_key);
        return Value();
      }
      return value;
    }
    case proto::Arg::kList: {
      if (depth >= kMaxDepth) return absl::InvalidArgumentError("argument lists nest too deep");
      ValueList items;
      items.reserve(arg.list().items_size());
      for (const proto::Arg& item : arg.list().items()) {
        absl::StatusOr<Value> value = ResolveArg(item, owner, store, missing, depth + 1);
        if (!value.ok()) return value.status();
        items.push_back(*std::move(value));
      }
      return Value(std::move(items));
    }
    case proto::Arg::KIND_NOT_SET:
      break;
  }
  return Value();  // an unset Arg is null
}

ExecuteOutcome RunTask(const std::shared_ptr<const proto::TaskSpec>& spec,
                       const FunctionRegistry& registry, DataStore& store,
                       std::shared_ptr<const std::atomic<bool>> cancel_flag,
                       std::shared_ptr<const io::IoOptions> io_options) {
  const absl::Time start = absl::Now();
  ExecuteOutcome outcome;
  outcome.key = spec->key();
  const std::string& function = spec->function();

  ValueList args;
  args.reserve(spec->args_size());
  for (int i = 0; i < spec->args_size(); ++i) {
    absl::StatusOr<Value> value =
        ResolveArg(spec->args(i), spec, store, &outcome.missing_dependencies);
    if (!value.ok()) {
      outcome.missing_dependencies.clear();
      outcome.error =
          absl::StrCat(function, "(): argument ", i + 1, ": ", value.status().message());
      return outcome;
    }
    args.push_back(*std::move(value));
  }
  if (!outcome.missing_dependencies.empty()) {
    outcome.error = absl::StrCat(function, "(): inputs not in this worker's memory: ",
                                 absl::StrJoin(outcome.missing_dependencies, ", "));
    return outcome;
  }

  const TaskContext context = TaskContext(spec->key(), function, std::move(cancel_flag))
                                  .WithIoOptions(std::move(io_options));
  absl::StatusOr<Value> result = registry.Call(function, args, context);
  args.clear();  // inputs may be released as soon as the function is done
  if (!result.ok()) {
    outcome.error = std::string(result.status().message());
  } else {
    outcome.type_name = result->kind_name();
    outcome.nbytes = store.Put(spec->key(), *std::move(result));
    outcome.ok = true;
  }
  outcome.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return outcome;
}

}  // namespace weft
