#include "client/bag_node.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/codec.h"
#include "common/key.h"

namespace weft::internal {

NodeArg NodeArg::Literal(Value v) {
  NodeArg a;
  a.literal = std::move(v);
  return a;
}

NodeArg NodeArg::Of(BagNodePtr n) {
  NodeArg a;
  a.kind = Kind::kNode;
  a.node = std::move(n);
  return a;
}

NodeArg NodeArg::ListOf(std::vector<BagNodePtr> ns) {
  NodeArg a;
  a.kind = Kind::kNodeList;
  a.nodes = std::move(ns);
  return a;
}

NodeArg NodeArg::SlicesOf(std::vector<BagNodePtr> ns, int64_t index) {
  NodeArg a;
  a.kind = Kind::kSliceList;
  a.nodes = std::move(ns);
  a.index = index;
  return a;
}

BagNodePtr BagNode::Make(std::string function, std::vector<NodeArg> args,
                         std::vector<BagNodePtr> after) {
  auto node = std::make_shared<BagNode>();
  absl::Cord token(function);
  for (const NodeArg& arg : args) {
    switch (arg.kind) {
      case NodeArg::Kind::kLiteral: {
        absl::Cord encoded = EncodeValue(arg.literal);
        token.Append(absl::StrCat("|L", encoded.size(), ":"));
        token.Append(encoded);
        break;
      }
      case NodeArg::Kind::kNode:
        token.Append(absl::StrCat("|K", arg.node->key));
        break;
      case NodeArg::Kind::kNodeList:
        token.Append("|[");
        for (const auto& n : arg.nodes) token.Append(absl::StrCat(n->key, ","));
        token.Append("]");
        break;
      case NodeArg::Kind::kSliceList:
        token.Append(absl::StrCat("|S", arg.index, "["));
        for (const auto& n : arg.nodes) token.Append(absl::StrCat(n->key, ","));
        token.Append("]");
        break;
    }
  }
  if (!after.empty()) {
    token.Append("|A[");
    for (const auto& n : after) token.Append(absl::StrCat(n->key, ","));
    token.Append("]");
  }
  absl::string_view name = function;
  if (absl::StartsWith(name, "bag.")) name.remove_prefix(4);
  std::string prefix(name);
  for (char& c : prefix) {
    if (c == '_' || c == '.') c = '-';
  }
  node->key = MakeKey(prefix, token);
  node->function = std::move(function);
  node->args = std::move(args);
  node->after = std::move(after);
  return node;
}

BagNodePtr BagNode::WithKey(std::string key, std::string function, std::vector<NodeArg> args) {
  auto node = std::make_shared<BagNode>();
  node->key = std::move(key);
  node->function = std::move(function);
  node->args = std::move(args);
  return node;
}

BagNodePtr BagNode::Leaf(std::shared_ptr<KeyHandle> handle) {
  auto node = std::make_shared<BagNode>();
  node->key = handle->key();
  node->persisted = std::move(handle);
  return node;
}

namespace {

void ToArg(const NodeArg& arg, proto::Arg* out, proto::TaskSpec* task,
           absl::flat_hash_set<std::string>* deps) {
  auto add_dep = [&](const std::string& key) {
    if (deps->insert(key).second) task->add_dependencies(key);
  };
  switch (arg.kind) {
    case NodeArg::Kind::kLiteral:
      out->set_literal(EncodeValueToString(arg.literal));
      break;
    case NodeArg::Kind::kNode:
      out->set_key(arg.node->key);
      add_dep(arg.node->key);
      break;
    case NodeArg::Kind::kNodeList:
      for (const auto& n : arg.nodes) {
        out->mutable_list()->add_items()->set_key(n->key);
        add_dep(n->key);
      }
      if (arg.nodes.empty()) out->mutable_list();
      break;
    case NodeArg::Kind::kSliceList:
      for (const auto& n : arg.nodes) {
        proto::KeySlice* slice = out->mutable_list()->add_items()->mutable_slice();
        slice->set_key(n->key);
        slice->set_index(arg.index);
        add_dep(n->key);
      }
      if (arg.nodes.empty()) out->mutable_list();
      break;
  }
}

void Visit(const BagNodePtr& node, absl::flat_hash_set<std::string>* seen,
           std::vector<proto::TaskSpec>* out) {
  if (node->persisted != nullptr || !seen->insert(node->key).second) return;
  for (const NodeArg& arg : node->args) {
    if (arg.kind == NodeArg::Kind::kNode) Visit(arg.node, seen, out);
    for (const auto& n : arg.nodes) Visit(n, seen, out);
  }
  for (const auto& n : node->after) Visit(n, seen, out);
  proto::TaskSpec task;
  task.set_key(node->key);
  task.set_function(node->function);
  absl::flat_hash_set<std::string> deps;
  for (const NodeArg& arg : node->args) ToArg(arg, task.add_args(), &task, &deps);
  for (const auto& n : node->after) {
    if (deps.insert(n->key).second) task.add_dependencies(n->key);
  }
  out->push_back(std::move(task));
}

}  // namespace

std::vector<proto::TaskSpec> GraphTasks(const std::vector<BagNodePtr>& outputs) {
  absl::flat_hash_set<std::string> seen;
  std::vector<proto::TaskSpec> tasks;
  for (const auto& node : outputs) Visit(node, &seen, &tasks);
  return tasks;
}

}  // namespace weft::internal
