// The Bag's element-wise maps and its by-key operations: the graphs of the shuffle
// (worker/bag/shuffle_ops.h has the functions they call and how the shuffle runs).
#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/bag_node.h"
#include "client/client_core.h"
#include "common/io/io.h"
#include "common/status_macros.h"
#include "weft/bag.h"

namespace weft {

using internal::BagNode;
using internal::BagNodePtr;
using internal::NodeArg;
using internal::WithPartition;

namespace {

// Keys sampled per output partition for a sort's range boundaries.
constexpr int kSamplesPerOutput = 32;
constexpr int kMaxSamplesPerPartition = 4096;
// A sort samples a local file's lines from this many ranges of this size (1 MiB in all,
// 10,000 lines of the sort benchmark's 100-byte records, of which kSamplesPerOutput *
// nout are kept).
constexpr int64_t kSampleRanges = 32;
constexpr int64_t kSampleRangeBytes = 32 << 10;

// Functions that map each item on its own: `f(part, literals...)`. Over a sample of a
// file's lines they give a sample of what they give over the whole file.
bool ItemWise(const BagNode& node) {
  static const auto* const kItemWise = new absl::flat_hash_set<std::string>{
      "bag.parse_json", "bag.filter",   "bag.map",        "bag.map_function",
      "bag.flatten",    "bag.to_pairs", "bag.map_values", "bag.pluck"};
  if (node.persisted != nullptr || !kItemWise->contains(node.function)) return false;
  if (node.args.empty() || node.args[0].kind != NodeArg::Kind::kNode) return false;
  return std::all_of(node.args.begin() + 1, node.args.end(),
                     [](const NodeArg& a) { return a.kind == NodeArg::Kind::kLiteral; });
}

// `part` as [read_text(url), f1, ..., fn] when it is item-wise functions over the read of
// a local file that is not compressed (one that a sample reads in part: ReadTextSample);
// empty otherwise.
std::vector<BagNodePtr> SampleableChain(BagNodePtr part) {
  std::vector<BagNodePtr> chain;
  for (; ItemWise(*part); part = part->args[0].node) chain.push_back(part);
  if (part->persisted != nullptr || part->function != "bag.read_text" || part->args.size() != 2 ||
      part->args[0].kind != NodeArg::Kind::kLiteral || !part->args[0].literal.is_string() ||
      part->args[1].kind != NodeArg::Kind::kLiteral || !part->args[1].literal.is_string()) {
    return {};
  }
  const std::string& url = part->args[0].literal.as_string();
  absl::StatusOr<io::Compression> compression =
      io::ParseCompression(part->args[1].literal.as_string());
  if (!io::IsLocalUrl(url) || !compression.ok()) return {};
  if (*compression == io::Compression::kInfer) compression = io::InferCompression(url);
  if (*compression != io::Compression::kNone) return {};
  chain.push_back(std::move(part));
  std::reverse(chain.begin(), chain.end());
  return chain;
}

// parse_json(part, source, on_error): its on_error is args[2].
bool IsParseJson(const BagNode& node) {
  return node.function == "bag.parse_json" && node.args.size() == 3;
}

// `chain` (SampleableChain) with `source` in place of its read_text. `sample`: its
// parse_json skips malformed lines (the full read reports them, with their line numbers).
BagNodePtr Rebuild(const std::vector<BagNodePtr>& chain, BagNodePtr source, bool sample) {
  for (size_t i = 1; i < chain.size(); ++i) {
    std::vector<NodeArg> args = chain[i]->args;
    args[0] = NodeArg::Of(std::move(source));
    if (sample && IsParseJson(*chain[i])) {
      args[2] = NodeArg::Literal(Value("skip"));
    }
    source = BagNode::Make(chain[i]->function, std::move(args));
  }
  return source;
}

// The unpack tasks of a shuffle: for each output j, `unpack(bucket j of every split of each
// side..., args...)`.
std::vector<BagNodePtr> UnpackNodes(const std::vector<std::vector<BagNodePtr>>& sides,
                                    const std::string& unpack, const std::vector<Value>& args,
                                    int nout) {
  std::vector<BagNodePtr> out;
  out.reserve(nout);
  for (int j = 0; j < nout; ++j) {
    std::vector<NodeArg> node_args;
    for (const auto& splits : sides) node_args.push_back(NodeArg::SlicesOf(splits, j));
    for (const Value& v : args) node_args.push_back(NodeArg::Literal(v));
    out.push_back(BagNode::Make(unpack, std::move(node_args)));
  }
  return out;
}

}  // namespace

namespace internal {

std::string PathExpression(const std::string& path) {
  if (path.empty()) return "_";
  bool plain = true;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    plain &= !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
  }
  if (plain) return absl::StrCat("_.", path);
  std::string expression = "_";
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    absl::StrAppend(&expression, "[\"", absl::CEscape(part), "\"]");
  }
  return expression;
}

}  // namespace internal

// ---------------------------------------------------------------------------
// Element-wise

Bag Bag::map(const std::string& expression) const {
  return MapEach("bag.map", {Value(expression)});
}

Bag Bag::map_function(const std::string& function, std::vector<Value> args) const {
  return MapEach("bag.map_function", {Value(function), Value(ValueList(std::move(args)))});
}

Bag Bag::flatten() const { return MapEach("bag.flatten", {}); }

Bag Bag::to_pairs(const std::string& key_expression, const std::string& value_expression) const {
  return MapEach("bag.to_pairs", {Value(key_expression), Value(value_expression)});
}

Bag Bag::map_values(const std::string& expression) const {
  return MapEach("bag.map_values", {Value(expression)});
}

// ---------------------------------------------------------------------------
// The shuffle

int Bag::OutputPartitions(int requested) const {
  return requested > 0 ? requested : std::max(1, npartitions());
}

Bag Bag::Shuffle(const std::string& split, const std::vector<Value>& split_args,
                 const std::string& unpack, const std::vector<Value>& unpack_args, int nout) const {
  std::vector<BagNodePtr> splits;
  for (const auto& p : Materialized()) {
    std::vector<Value> args = split_args;
    args.push_back(Value(int64_t{nout}));
    splits.push_back(BagNode::Make(split, WithPartition(p, args)));
  }
  return Bag(core_, UnpackNodes({splits}, unpack, unpack_args, nout));
}

Bag Bag::reduce_by_key(const std::string& op, int npartitions) const {
  const int nout = OutputPartitions(npartitions);
  // to_pairs(k, v).reduce_by_key(op) on partitions not yet computed: one split task per
  // partition reads keys and values straight from the records, never building the pairs.
  bool all_pairs = !parts_.empty() && pluck_path_.empty();
  for (const auto& p : parts_)
    all_pairs &= p->persisted == nullptr && p->function == "bag.to_pairs";
  if (!all_pairs) {
    return Shuffle("bag.combine_split", {Value(op)}, "bag.reduce_unpack", {Value(op)}, nout);
  }
  std::vector<BagNodePtr> splits;
  for (const auto& p : parts_) {
    splits.push_back(BagNode::Make("bag.pairs_combine_split",
                                   {p->args[0], p->args[1], p->args[2], NodeArg::Literal(Value(op)),
                                    NodeArg::Literal(Value(int64_t{nout}))}));
  }
  return Bag(core_, UnpackNodes({splits}, "bag.reduce_unpack", {Value(op)}, nout));
}

Bag Bag::group_by_key(int npartitions) const {
  return Shuffle("bag.hash_split", {Value("")}, "bag.group_unpack", {Value("")},
                 OutputPartitions(npartitions));
}

Bag Bag::groupby(const std::string& key_expression, int npartitions) const {
  return Shuffle("bag.hash_split", {Value(key_expression)}, "bag.group_unpack",
                 {Value(key_expression)}, OutputPartitions(npartitions));
}

Bag Bag::repartition_by_key(int npartitions) const {
  return Shuffle("bag.hash_split", {Value("")}, "bag.concat", {}, OutputPartitions(npartitions));
}

Bag Bag::sort_by_key(bool ascending, int npartitions) const {
  return sort_by("", ascending, npartitions);
}

Bag Bag::sort_by(const std::string& key_expression, bool ascending, int npartitions) const {
  // Range partitioning: a sample of keys from every partition picks nout - 1 boundaries,
  // so that output partition j holds the j-th range of keys.
  //
  // A partition read from a local file that is not compressed is sampled from a few
  // ranges of the file, and read whole only after the boundaries, by its split (as
  // Hadoop's TeraSort samples, and Spark's sortByKey reads its input twice): no partition
  // is held, or spilled, between the two passes. Any other partition is computed once and
  // held from its sample to its split.
  const int nout = OutputPartitions(npartitions);
  const int64_t per_partition = std::min(kMaxSamplesPerPartition, kSamplesPerOutput * nout);
  std::vector<BagNodePtr> parts = Materialized();
  std::vector<std::vector<BagNodePtr>> chains;
  std::vector<BagNodePtr> samples;
  for (const auto& p : parts) {
    chains.push_back(SampleableChain(p));
    const std::vector<BagNodePtr>& chain = chains.back();
    BagNodePtr sampled = p;
    if (!chain.empty()) {
      std::vector<NodeArg> read = chain.front()->args;
      read.push_back(NodeArg::Literal(Value(kSampleRanges)));
      read.push_back(NodeArg::Literal(Value(kSampleRangeBytes)));
      sampled = Rebuild(chain, BagNode::Make("bag.read_text_sample", std::move(read)),
                        /*sample=*/true);
    }
    samples.push_back(BagNode::Make(
        "bag.sample_keys", WithPartition(sampled, {Value(key_expression), Value(per_partition)})));
  }
  BagNodePtr boundaries =
      BagNode::Make("bag.range_boundaries",
                    {NodeArg::ListOf(std::move(samples)), NodeArg::Literal(Value(int64_t{nout}))});
  std::vector<BagNodePtr> splits;
  const std::vector<NodeArg> split_args = {NodeArg::Literal(Value(key_expression)),
                                           NodeArg::Of(boundaries),
                                           NodeArg::Literal(Value(ascending))};
  for (size_t i = 0; i < parts.size(); ++i) {
    std::vector<BagNodePtr> chain = chains[i];
    if (chain.empty()) {
      std::vector<NodeArg> args = {NodeArg::Of(parts[i])};
      args.insert(args.end(), split_args.begin(), split_args.end());
      splits.push_back(BagNode::Make("bag.range_split", std::move(args)));
      continue;
    }
    // The file read again after the boundaries; a final parse_json is the split's own (it
    // reads each line's key from the parse that validates the line).
    BagNodePtr parse = chain.size() > 1 && IsParseJson(*chain.back()) ? chain.back() : nullptr;
    if (parse != nullptr) chain.pop_back();
    BagNodePtr input = Rebuild(
        chain, BagNode::Make("bag.read_text", chain.front()->args, {boundaries}), /*sample=*/false);
    std::vector<NodeArg> args = {NodeArg::Of(input)};
    if (parse != nullptr) args.insert(args.end(), parse->args.begin() + 1, parse->args.end());
    args.insert(args.end(), split_args.begin(), split_args.end());
    splits.push_back(BagNode::Make(parse != nullptr ? "bag.parse_range_split" : "bag.range_split",
                                   std::move(args)));
  }
  return Bag(core_, UnpackNodes({splits}, "bag.sort_unpack",
                                {Value(key_expression), Value(ascending)}, nout));
}

Bag Bag::join(const Bag& other, int npartitions) const {
  const int nout = OutputPartitions(
      npartitions > 0 ? npartitions : std::max(this->npartitions(), other.npartitions()));
  auto splits_of = [nout](const Bag& bag) {
    std::vector<BagNodePtr> splits;
    for (const auto& p : bag.Materialized()) {
      splits.push_back(
          BagNode::Make("bag.hash_split", WithPartition(p, {Value(""), Value(int64_t{nout})})));
    }
    return splits;
  };
  std::vector<BagNodePtr> left = splits_of(*this), right = splits_of(other);
  return Bag(core_, UnpackNodes({left, right}, "bag.join_unpack", {}, nout));
}

// ---------------------------------------------------------------------------
// Results

absl::StatusOr<Value> Bag::first() const {
  WEFT_ASSIGN_OR_RETURN(ValueList items, take(1));
  if (items.empty()) return absl::NotFoundError("first(): the bag is empty");
  return std::move(items.front());
}

absl::StatusOr<int64_t> Bag::to_textfiles(const std::string& pattern) const {
  if (std::count(pattern.begin(), pattern.end(), '*') != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("to_textfiles(\"", pattern,
                     "\"): the pattern needs exactly one '*' for the partition number"));
  }
  const size_t star = pattern.find('*');
  std::vector<BagNodePtr> writes;
  std::vector<BagNodePtr> parts = Materialized();
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::vector<Value> where = {
        Value(absl::StrCat(pattern.substr(0, star), i, pattern.substr(star + 1))), Value("infer")};
    if (parts[i]->function == "bag.sort_unpack") {
      // A sort's output partition is written by the task that sorts it (it is never held).
      std::vector<NodeArg> args = parts[i]->args;
      for (const Value& v : where) args.push_back(NodeArg::Literal(v));
      writes.push_back(BagNode::Make("bag.sort_unpack_write", std::move(args)));
    } else {
      writes.push_back(BagNode::Make("bag.write_text", WithPartition(parts[i], where)));
    }
  }
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> counts, internal::ComputeNodes(*core_, writes));
  int64_t total = 0;
  for (const Value& c : counts) {
    if (!c.is_int()) return absl::InternalError("a bag.write_text task returned a non-int");
    total += c.as_int();
  }
  return total;
}

}  // namespace weft
