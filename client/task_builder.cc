#include "client/task_builder.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/cord.h"
#include "common/codec.h"
#include "common/key.h"

namespace weft::internal {
namespace {

// Fills `out` from `arg`, appends a description of it to `token`, and records the keys it
// references.
void ToProto(const Arg& arg, proto::Arg* out, absl::Cord* token,
             absl::flat_hash_set<std::string>* deps, proto::TaskSpec* task) {
  switch (arg.kind()) {
    case Arg::Kind::kLiteral: {
      absl::Cord encoded = EncodeValue(arg.literal());
      token->Append("L");
      token->Append(std::to_string(encoded.size()));
      token->Append(":");
      token->Append(encoded);
      out->set_literal(std::string(encoded));
      break;
    }
    case Arg::Kind::kKey:
      token->Append("K");
      token->Append(std::to_string(arg.key().size()));
      token->Append(":");
      token->Append(arg.key());
      out->set_key(arg.key());
      if (deps->insert(arg.key()).second) task->add_dependencies(arg.key());
      break;
    case Arg::Kind::kList: {
      token->Append("[");
      proto::ArgList* list = out->mutable_list();
      for (const Arg& item : arg.items()) ToProto(item, list->add_items(), token, deps, task);
      token->Append("]");
      break;
    }
  }
}

}  // namespace

proto::TaskSpec BuildTask(const std::string& function, const std::vector<Arg>& args,
                          std::string key) {
  proto::TaskSpec task;
  task.set_function(function);
  absl::Cord token(function);
  token.Append(absl::string_view("\0", 1));
  absl::flat_hash_set<std::string> deps;
  for (const Arg& arg : args) ToProto(arg, task.add_args(), &token, &deps, &task);
  task.set_key(key.empty() ? MakeKey(function, token) : std::move(key));
  return task;
}

void ApplyOptions(const SubmitOptions& options, proto::TaskSpec* task) {
  for (const auto& [name, amount] : options.resources) (*task->mutable_resources())[name] = amount;
  for (const std::string& worker : options.workers) task->add_workers(worker);
  task->set_allow_other_workers(options.allow_other_workers);
  task->set_retries(options.retries);
  task->set_priority(options.priority);
}

}  // namespace weft::internal
