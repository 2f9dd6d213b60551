// BagNode: one lazy task of a Bag's graph (internal).
//
// A node is a function applied to literals and to other nodes, with a deterministic key
// computed at construction from the function and its arguments (dependencies by key), so
// equal pipelines get equal keys and the cluster computes them once. A persisted node is a
// leaf that holds a KeyHandle on a key already on the cluster.
//
// Threading: immutable after construction; shared between Bags by shared_ptr because
// Bags are values that share their upstream graph.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "proto/weft.pb.h"
#include "weft/future.h"
#include "weft/value.h"

namespace weft::internal {

struct BagNode;
using BagNodePtr = std::shared_ptr<const BagNode>;

struct NodeArg {
  enum class Kind { kLiteral, kNode, kNodeList };
  Kind kind = Kind::kLiteral;
  Value literal;
  BagNodePtr node;
  std::vector<BagNodePtr> nodes;

  static NodeArg Literal(Value v);
  static NodeArg Of(BagNodePtr n);
  static NodeArg ListOf(std::vector<BagNodePtr> ns);
};

struct BagNode {
  std::string function;  // empty for a persisted leaf
  std::vector<NodeArg> args;
  std::string key;
  std::shared_ptr<KeyHandle> persisted;  // set for leaves

  // `function(args...)`; the key is `<name>-<hash>` where name is the function without
  // its "bag." namespace.
  static BagNodePtr Make(std::string function, std::vector<NodeArg> args);
  static BagNodePtr Leaf(std::shared_ptr<KeyHandle> handle);
};

// The TaskSpecs for computing `outputs`: every node they need that is not persisted,
// dependencies before dependents, each once.
std::vector<proto::TaskSpec> GraphTasks(const std::vector<BagNodePtr>& outputs);

}  // namespace weft::internal
