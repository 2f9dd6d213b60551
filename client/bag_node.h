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

#include "absl/status/statusor.h"
#include "proto/weft.pb.h"
#include "weft/future.h"
#include "weft/value.h"

namespace weft::internal {

struct BagNode;
using BagNodePtr = std::shared_ptr<const BagNode>;

struct NodeArg {
  enum class Kind { kLiteral, kNode, kNodeList, kSliceList };
  Kind kind = Kind::kLiteral;
  Value literal;
  BagNodePtr node;
  std::vector<BagNodePtr> nodes;
  int64_t index = 0;  // kSliceList

  static NodeArg Literal(Value v);
  static NodeArg Of(BagNodePtr n);
  static NodeArg ListOf(std::vector<BagNodePtr> ns);
  // The list [item `index` of each node's (list) result]: each item is fetched alone from
  // where that node's result lives (proto KeySlice), not the whole result.
  static NodeArg SlicesOf(std::vector<BagNodePtr> ns, int64_t index);
};

struct BagNode {
  std::string function;  // empty for a persisted leaf
  std::vector<NodeArg> args;
  std::string key;
  std::shared_ptr<KeyHandle> persisted;  // set for leaves
  // Nodes this one runs after, though it reads none of them (an ordering dependency: the
  // worker does not fetch them). A sort's second pass reads its input after the boundaries.
  std::vector<BagNodePtr> after;

  // `function(args...)`, run after `after`; the key is `<name>-<hash>` where name is the
  // function without its "bag." namespace.
  static BagNodePtr Make(std::string function, std::vector<NodeArg> args,
                         std::vector<BagNodePtr> after = {});
  static BagNodePtr Leaf(std::shared_ptr<KeyHandle> handle);
  // `function(args...)` under a key the caller made deterministic (an array's chunks share
  // one hash and differ by their index: "add-1f0c...-3").
  static BagNodePtr WithKey(std::string key, std::string function, std::vector<NodeArg> args);
};

// [part, literal args...], the arguments of a partition function.
std::vector<NodeArg> WithPartition(const BagNodePtr& part, const std::vector<Value>& args);

// A dotted record path as a value expression (worker/bag/expr.h): "" is `_`.
std::string PathExpression(const std::string& path);

class ClientCore;
// Submits `outputs` and gathers their values (client/bag.cc).
absl::StatusOr<std::vector<Value>> ComputeNodes(ClientCore& core,
                                                const std::vector<BagNodePtr>& outputs);

// The TaskSpecs for computing `outputs`: every node they need that is not persisted,
// dependencies before dependents, each once.
std::vector<proto::TaskSpec> GraphTasks(const std::vector<BagNodePtr>& outputs);

}  // namespace weft::internal
