#include "weft/bag.h"

#include <algorithm>
#include <limits>
#include <map>

#include "absl/base/call_once.h"
#include "absl/strings/str_cat.h"
#include "client/bag_node.h"
#include "client/client_core.h"
#include "common/status_macros.h"

namespace weft {

using internal::BagNode;
using internal::BagNodePtr;
using internal::NodeArg;

namespace {

// Wide fan-in keeps reductions shallow: each tree level is a scheduler round trip, and
// the combines (sums, merged counts) are cheap. A month of hourly files (730) needs two.
constexpr int kSplitEvery = 32;

}  // namespace

namespace internal {

std::vector<NodeArg> WithPartition(const BagNodePtr& part, const std::vector<Value>& args) {
  std::vector<NodeArg> out = {NodeArg::Of(part)};
  for (const Value& v : args) out.push_back(NodeArg::Literal(v));
  return out;
}

absl::StatusOr<std::vector<Value>> ComputeNodes(ClientCore& core,
                                                const std::vector<BagNodePtr>& outputs) {
  std::vector<std::string> keys;
  keys.reserve(outputs.size());
  for (const auto& n : outputs) keys.push_back(n->key);
  auto handles = core.SubmitGraph(GraphTasks(outputs), keys);
  return core.Gather(keys);  // handles stay alive until the values are here
}

}  // namespace internal

using internal::ComputeNodes;
using internal::WithPartition;

// ---------------------------------------------------------------------------
// Item

struct Item::Lazy {
  absl::once_flag once;
  MakeNode make;
  std::shared_ptr<const internal::BagNode> node;
};

Item::Item(std::shared_ptr<internal::ClientCore> core, MakeNode make_node,
           std::vector<std::string> lengths_of)
    : core_(std::move(core)), lazy_(std::make_shared<Lazy>()), lengths_of_(std::move(lengths_of)) {
  lazy_->make = std::move(make_node);
}

const std::shared_ptr<const internal::BagNode>& Item::node() const {
  absl::call_once(lazy_->once, [this] { lazy_->node = lazy_->make(); });
  return lazy_->node;
}

absl::StatusOr<Value> Item::compute() const {
  if (!lengths_of_.empty()) {
    // A count of persisted partitions: their holders know their lengths. When one cannot
    // answer (a holder lost, the data still computing), the tasks below count, and
    // report any error.
    if (absl::StatusOr<int64_t> total = core_->TotalLength(lengths_of_); total.ok()) {
      return Value(*total);
    }
  }
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> values, ComputeNodes(*core_, {node()}));
  return std::move(values.front());
}

Future<Value> Item::persist() const {
  auto handles = core_->SubmitGraph(internal::GraphTasks({node()}), {node()->key});
  return Future<Value>(std::move(handles.front()));
}

const std::string& Item::key() const { return node()->key; }

// ---------------------------------------------------------------------------
// Constructors

absl::StatusOr<Bag> Bag::read_text(Client& client, const std::string& pattern,
                                   const ReadTextOptions& options) {
  // The listing runs on a worker: that is where the credentials and the network are.
  auto core = client.core();
  BagNodePtr listing = BagNode::Make("bag.list_files", {NodeArg::Literal(pattern)});
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> listed, ComputeNodes(*core, {listing}));
  if (!listed.front().is_list()) {
    return absl::InternalError(
        absl::StrCat("bag.list_files returned ", listed.front().kind_name(), ", not a list"));
  }
  std::vector<BagNodePtr> parts;
  for (const Value& url : listed.front().as_list()) {
    if (!url.is_string()) return absl::InternalError("bag.list_files returned a non-string");
    parts.push_back(BagNode::Make("bag.read_text",
                                  {NodeArg::Literal(url), NodeArg::Literal(options.compression)}));
  }
  return Bag(std::move(core), std::move(parts));
}

Bag Bag::from_sequence(Client& client, const ValueList& items, int npartitions) {
  npartitions = std::max(1, std::min<int>(npartitions, std::max<size_t>(items.size(), 1)));
  std::vector<BagNodePtr> parts;
  size_t n = items.size();
  for (int i = 0; i < npartitions; ++i) {
    size_t begin = n * i / npartitions, end = n * (i + 1) / npartitions;
    ValueList chunk(items.begin() + begin, items.begin() + end);
    parts.push_back(BagNode::Make("identity", {NodeArg::Literal(Value(std::move(chunk)))}));
  }
  return Bag(client.core(), std::move(parts));
}

Bag Bag::concat(const std::vector<Bag>& bags) {
  std::vector<BagNodePtr> parts;
  std::shared_ptr<internal::ClientCore> core;
  for (const Bag& b : bags) {
    core = b.core_;
    for (auto& p : b.Materialized()) parts.push_back(p);
  }
  return Bag(std::move(core), std::move(parts));
}

// ---------------------------------------------------------------------------
// Element-wise operations

std::vector<BagNodePtr> Bag::Materialized() const {
  if (pluck_path_.empty()) return parts_;
  std::vector<BagNodePtr> out;
  out.reserve(parts_.size());
  for (const auto& p : parts_) {
    out.push_back(BagNode::Make("bag.pluck", WithPartition(p, {Value(pluck_path_)})));
  }
  return out;
}

Bag Bag::MapEach(const std::string& function, const std::vector<Value>& args) const {
  std::vector<BagNodePtr> out;
  for (const auto& p : Materialized())
    out.push_back(BagNode::Make(function, WithPartition(p, args)));
  return Bag(core_, std::move(out));
}

Bag Bag::parse_json(bool skip_malformed) const {
  // The source (the file's url) is named in errors: read_text's first argument.
  std::vector<BagNodePtr> out;
  for (const auto& p : Materialized()) {
    Value source = p->function == "bag.read_text" ? p->args[0].literal : Value(p->key);
    out.push_back(BagNode::Make("bag.parse_json",
                                {NodeArg::Of(p), NodeArg::Literal(source),
                                 NodeArg::Literal(Value(skip_malformed ? "skip" : "raise"))}));
  }
  return Bag(core_, std::move(out));
}

Bag Bag::pluck(const std::string& path) const {
  if (!pluck_path_.empty()) return Bag(core_, Materialized(), path);
  return Bag(core_, parts_, path);
}

Bag Bag::filter(const std::string& expression) const {
  return MapEach("bag.filter", {Value(expression)});
}

Bag Bag::map_partitions(const std::string& function, std::vector<Value> args) const {
  return MapEach(function, args);
}

Bag Bag::repartition(int npartitions) const {
  std::vector<BagNodePtr> in = Materialized();
  const int m = static_cast<int>(in.size());
  npartitions = std::max(1, npartitions);
  std::vector<BagNodePtr> out;
  if (m == 0) return Bag(core_, {});
  if (npartitions <= m) {
    // Fewer partitions: each output concatenates a run of neighbouring inputs.
    for (int j = 0; j < npartitions; ++j) {
      int begin = m * j / npartitions, end = m * (j + 1) / npartitions;
      std::vector<BagNodePtr> group(in.begin() + begin, in.begin() + end);
      out.push_back(BagNode::Make("bag.concat", {NodeArg::ListOf(std::move(group))}));
    }
  } else {
    // More partitions: split each input into nearly equal slices.
    for (int i = 0; i < m; ++i) {
      int pieces = npartitions / m + (i < npartitions % m ? 1 : 0);
      for (int j = 0; j < pieces; ++j) {
        out.push_back(
            BagNode::Make("bag.split", {NodeArg::Of(in[i]), NodeArg::Literal(Value(int64_t{j})),
                                        NodeArg::Literal(Value(int64_t{pieces}))}));
      }
    }
  }
  return Bag(core_, std::move(out));
}

// ---------------------------------------------------------------------------
// Reductions

namespace {

// Combines `level` with `merge(list of up to kSplitEvery inputs, merge_args...)` in a tree
// until one node is left.
BagNodePtr TreeMerge(std::vector<BagNodePtr> level, const std::string& merge,
                     const std::vector<Value>& merge_args) {
  auto merge_node = [&](std::vector<BagNodePtr> group) {
    std::vector<NodeArg> args = {NodeArg::ListOf(std::move(group))};
    for (const Value& v : merge_args) args.push_back(NodeArg::Literal(v));
    return BagNode::Make(merge, std::move(args));
  };
  // An empty bag: the merge of no partials.
  if (level.empty()) return merge_node({});
  do {
    std::vector<BagNodePtr> next;
    for (size_t i = 0; i < level.size(); i += kSplitEvery) {
      next.push_back(merge_node(std::vector<BagNodePtr>(
          level.begin() + i, level.begin() + std::min(level.size(), i + kSplitEvery))));
    }
    level = std::move(next);
  } while (level.size() > 1);
  return level.front();
}

// A persisted bag's partitions reduced where they are held, in bag.reduce_local tasks: a
// warm reduction costs a round trip or two instead of a task per partition (3 tasks for a
// month of hourly files on 2 workers, against 750). Each worker's partitions are cut into
// at least as many tasks as it has threads (a cold reduction keeps every core busy), and
// into pieces of at most a quarter of a thread's share of its memory limit (a task's
// partitions are in memory together; spilled ones are read back for it). An order-free
// merge runs on each worker, then over the workers' results; a merge that needs the
// partitions' order gets every partial back in that order (bag.merge_ordered). Null when
// a partition is not persisted, its holder is not known (still computing, lost) or not
// among the workers: the caller then reduces partition by partition.
BagNodePtr LocalReduction(internal::ClientCore& core, const std::vector<BagNodePtr>& parts,
                          const std::string& partial, const std::vector<Value>& partial_args,
                          const std::string& merge, const std::vector<Value>& merge_args,
                          bool ordered) {
  if (parts.size() < 2) return nullptr;
  std::vector<std::string> keys;
  for (const auto& p : parts) {
    if (p->persisted == nullptr) return nullptr;
    keys.push_back(p->key);
  }
  const std::vector<proto::KeyLocation> locations = core.Locations(keys);
  // Partition indexes by holder; ordered by address: the same graph each time.
  std::map<std::string, std::vector<size_t>> by_holder;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (locations[i].addresses().empty()) return nullptr;
    by_holder[locations[i].addresses(0)].push_back(i);
  }
  std::vector<std::string> addresses;
  for (const auto& [address, group] : by_holder) addresses.push_back(address);
  const auto shapes = core.WorkerShapes(addresses);
  const Value partial_list(ValueList(partial_args.begin(), partial_args.end()));
  const Value merge_list(ValueList(merge_args.begin(), merge_args.end()));
  std::vector<BagNodePtr> local;
  ValueList positions;
  for (const auto& [address, group] : by_holder) {
    auto shape = shapes.find(address);
    if (shape == shapes.end()) return nullptr;
    const int threads = shape->second.threads;
    int64_t total = 0;
    for (size_t i : group) total += std::max<int64_t>(1, locations[i].nbytes());
    // Bytes per piece: the group over the threads, at most the memory budget.
    int64_t piece_bytes = (total + threads - 1) / threads;
    if (shape->second.memory_limit > 0) {
      piece_bytes = std::min(piece_bytes, shape->second.memory_limit / (4 * threads));
    }
    std::vector<BagNodePtr> slice;
    ValueList at;
    int64_t slice_bytes = 0;
    auto close_slice = [&] {
      positions.emplace_back(std::move(at));
      local.push_back(BagNode::Make(
          "bag.reduce_local",
          {NodeArg::ListOf(std::move(slice)), NodeArg::Literal(Value(partial)),
           NodeArg::Literal(partial_list), NodeArg::Literal(Value(ordered ? "" : merge)),
           NodeArg::Literal(ordered ? Value(ValueList{}) : merge_list)}));
      slice = {};
      at = {};
      slice_bytes = 0;
    };
    for (size_t i : group) {
      const int64_t bytes = std::max<int64_t>(1, locations[i].nbytes());
      if (!slice.empty() && slice_bytes + bytes > piece_bytes) close_slice();
      slice.push_back(parts[i]);
      at.emplace_back(static_cast<int64_t>(i));
      slice_bytes += bytes;
    }
    close_slice();
  }
  if (!ordered) return TreeMerge(std::move(local), merge, merge_args);
  return BagNode::Make(
      "bag.merge_ordered",
      {NodeArg::ListOf(std::move(local)), NodeArg::Literal(Value(std::move(positions))),
       NodeArg::Literal(Value(merge)), NodeArg::Literal(merge_list)});
}

}  // namespace

BagNodePtr Bag::Reduce(const std::string& partial, const std::vector<Value>& partial_args,
                       const std::string& merge, const std::vector<Value>& merge_args,
                       MergeOrder order) const {
  if (BagNodePtr local = LocalReduction(*core_, parts_, partial, partial_args, merge, merge_args,
                                        order == MergeOrder::kPartitions)) {
    return local;
  }
  std::vector<BagNodePtr> level;
  for (const auto& p : parts_)
    level.push_back(BagNode::Make(partial, WithPartition(p, partial_args)));
  return TreeMerge(std::move(level), merge, merge_args);
}

Item Bag::count() const {
  // count does not care about pluck: one item per record either way. filter().count() on
  // partitions not yet computed runs as one bag.filter_count task each: the selection is
  // counted, never built.
  bool all_filters = !parts_.empty();
  for (const auto& p : parts_)
    all_filters &= p->persisted == nullptr && p->function == "bag.filter";
  if (!all_filters) {
    std::vector<std::string> persisted;  // a persisted bag's partitions: counted by holders
    for (const auto& p : parts_) {
      if (p->persisted != nullptr) persisted.push_back(p->key);
    }
    if (persisted.size() != parts_.size()) persisted.clear();
    return Item(
        core_, [bag = *this] { return bag.Reduce("bag.count", {}, "sum", {}, MergeOrder::kAny); },
        std::move(persisted));
  }
  std::vector<BagNodePtr> partials;
  for (const auto& p : parts_) {
    NodeArg records = p->args[0];
    const BagNodePtr& parsed = records.node;
    if (records.kind == NodeArg::Kind::kNode && parsed != nullptr && parsed->persisted == nullptr &&
        parsed->function == "bag.parse_json") {
      // Not kept anywhere: parse_json reads the filter's columns as it validates, so the
      // filter does not parse every record again.
      std::vector<NodeArg> args = parsed->args;
      args.push_back(p->args[1]);
      records = NodeArg::Of(BagNode::Make("bag.parse_json_columns", std::move(args)));
    }
    partials.push_back(BagNode::Make("bag.filter_count", {records, p->args[1]}));
  }
  BagNodePtr node = TreeMerge(std::move(partials), "sum", {});
  return Item(core_, [node] { return node; });
}

Bag Bag::frequencies(int split_out) const {
  if (split_out > 1) {
    return Bag(core_, parts_)
        .to_pairs(internal::PathExpression(pluck_path_), "1")
        .reduce_by_key("count", split_out);
  }
  return Bag(core_, {Reduce("bag.frequencies", {Value(pluck_path_)}, "bag.merge_frequencies", {},
                            MergeOrder::kAny)});
}

Bag Bag::distinct(int split_out) const {
  if (split_out > 1) {
    return Bag(core_, Materialized())
        .Shuffle("bag.hash_split", {Value("_")}, "bag.distinct_unpack", {}, split_out);
  }
  return Bag(core_, {Reduce("bag.distinct", {Value(pluck_path_)}, "bag.merge_distinct", {})});
}

Bag Bag::topk(int k, const std::string& key) const {
  Bag plain(core_, Materialized());
  Value kv(int64_t{k});
  return Bag(core_,
             {plain.Reduce("bag.topk", {kv, Value(key)}, "bag.merge_topk", {kv, Value(key)})});
}

Bag Bag::foldby(const std::string& key_path, const std::string& op, const std::string& field_path,
                int split_out) const {
  if (split_out > 1) {
    const std::string value = op == "count" ? "1" : internal::PathExpression(field_path);
    return Bag(core_, Materialized())
        .to_pairs(internal::PathExpression(key_path), value)
        .reduce_by_key(op, split_out);
  }
  Bag plain(core_, Materialized());
  return Bag(core_, {plain.Reduce("bag.foldby", {Value(key_path), Value(op), Value(field_path)},
                                  "bag.merge_foldby", {Value(op)}, MergeOrder::kAny)});
}

// ---------------------------------------------------------------------------
// Running

absl::StatusOr<ValueList> Bag::take(int n) const {
  ValueList out;
  for (const auto& p : Materialized()) {
    if (static_cast<int>(out.size()) >= n) break;
    if (p->persisted != nullptr) {
      // Read from its holder (a view: only the blocks that hold the head are opened);
      // when the holder cannot answer, the task below takes the head.
      proto::DataView view;
      view.set_kind(proto::DataView::HEAD);
      view.set_n(n - static_cast<int>(out.size()));
      absl::StatusOr<std::vector<Value>> head = core_->View({p->key}, view);
      if (head.ok() && head->front().is_list()) {
        for (const Value& v : head->front().as_list()) out.push_back(v);
        continue;
      }
    }
    BagNodePtr node = BagNode::Make(
        "bag.take",
        {NodeArg::Of(p), NodeArg::Literal(Value(int64_t{n - static_cast<int>(out.size())}))});
    WEFT_ASSIGN_OR_RETURN(std::vector<Value> got, ComputeNodes(*core_, {node}));
    if (!got.front().is_list()) return absl::InternalError("bag.take returned a non-list");
    for (const Value& v : got.front().as_list()) out.push_back(v);
  }
  return out;
}

absl::StatusOr<ValueList> Bag::compute() const {
  std::vector<BagNodePtr> outputs;
  for (const auto& p : Materialized()) {
    outputs.push_back(BagNode::Make(
        "bag.take",
        {NodeArg::Of(p), NodeArg::Literal(Value(std::numeric_limits<int64_t>::max()))}));
  }
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> parts, ComputeNodes(*core_, outputs));
  ValueList out;
  for (const Value& part : parts) {
    if (!part.is_list()) return absl::InternalError("bag.take returned a non-list");
    out.insert(out.end(), part.as_list().begin(), part.as_list().end());
  }
  return out;
}

absl::StatusOr<Bag::Compression> Bag::ParseCompression(const std::string& name) {
  if (name == "zstd") return Compression::kZstd;
  if (name == "none") return Compression::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("persist compression must be \"zstd\" or \"none\", got \"", name, "\""));
}

Bag Bag::persist(Compression compression) const {
  std::vector<BagNodePtr> parts = Materialized();
  if (compression == Compression::kZstd) {
    // zstd's level 1: its fastest level with a full match finder (a seventh of the JSON at
    // 256 KiB blocks; level 3 gains a few percent at half the speed).
    for (BagNodePtr& p : parts) {
      const NodeArg level = NodeArg::Literal(Value(int64_t{1}));
      if (p->function == "bag.parse_json") {
        // One task parses and compresses, keeping from its parse the columns of the
        // partition's low-cardinality fields for the first query on them.
        std::vector<NodeArg> args = p->args;
        args.push_back(level);
        p = BagNode::Make("bag.parse_json_compressed", std::move(args));
      } else {
        p = BagNode::Make("bag.compress", {NodeArg::Of(p), level});
      }
    }
  }
  std::vector<std::string> keys;
  for (const auto& p : parts) keys.push_back(p->key);
  auto handles = core_->SubmitGraph(internal::GraphTasks(parts), keys);
  std::vector<BagNodePtr> leaves;
  for (auto& h : handles) leaves.push_back(BagNode::Leaf(std::move(h)));
  return Bag(core_, std::move(leaves));
}

absl::Status Bag::wait() const {
  for (const auto& p : parts_) {
    if (p->persisted == nullptr) continue;
    WEFT_RETURN_IF_ERROR(p->persisted->Wait(absl::InfiniteDuration()));
    if (p->persisted->status() != FutureStatus::kFinished) {
      return p->persisted->Fetch().status();  // the task's error, naming function and key
    }
  }
  return absl::OkStatus();
}

int Bag::npartitions_done() const {
  int done = 0;
  for (const auto& p : parts_) {
    if (p->persisted == nullptr) continue;
    FutureStatus s = p->persisted->status();
    if (s != FutureStatus::kPending && s != FutureStatus::kLost) ++done;
  }
  return done;
}

}  // namespace weft
