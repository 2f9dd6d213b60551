// weft::Bag — a lazy, partitioned collection, as dask.bag: most often line-delimited JSON
// records read from files, S3 or HTTP, one partition per file.
//
//   auto records = weft::Bag::read_text(client, "s3://bucket/2015-01-*.json.gz")->parse_json();
//   records = records.persist();                               // returns at once
//   records.take(1);                                           // one record
//   records.pluck("type").frequencies().compute();             // [[type, count], ...]
//   records.count().compute();
//   auto jupyter = records.filter("starts_with(repo.name, \"jupyter/\")").repartition(10);
//   jupyter.pluck("actor.login").frequencies().topk(10, "1").compute();
//
// Nothing runs until compute(), persist() or take(): each operation only adds tasks to a
// graph. Every task runs on the workers (reading, decompressing, parsing, filtering,
// counting); the client builds graphs and receives small results. Reductions (count,
// frequencies, distinct, topk, foldby) combine per-partition results in a tree, at most
// 32 inputs per combine task.
//
// Records stay as raw JSON text with a line index on the workers and are parsed on demand
// (simdjson), with the columns a query touches cached, so that queries on persisted data
// take milliseconds. Persisted, they are kept compressed (zstd, in blocks of 256 KiB of
// lines: about a seventh of the JSON for the GitHub Archive); count, take, filter, pluck,
// frequencies, distinct, topk and foldby read the blocks in place, and a cached column is
// read once.
//
// Filter expressions: comparisons (`type == "PushEvent"`, `payload.size > 3`, !=, <, <=,
// >=), `starts_with(path, "s")`, `ends_with`, `contains`, `exists(path)`, `and`, `or`,
// `not`, parentheses. Paths are dotted (`actor.login`).
//
// Value expressions (map, to_pairs, map_values, groupby, sort_by) extend them: the item
// itself is `_` (`_[0]` the key of a pair, `_.actor.login` = `actor.login`), arithmetic
// `+ - * / %`, list literals `[a, b]`, and functions lower, upper, substr, split, concat,
// length, date (ISO timestamp → "YYYY-MM-DD"), hour, int, float, str. A missing field is
// null; null in arithmetic gives null. The full grammar is in worker/bag/expr.h.
//
// Key/value bags hold pairs: two-item lists [key, value], as dask's tuples. The by-key
// operations (reduce_by_key, group_by_key, groupby, sort_by_key, sort_by, join,
// repartition_by_key, and frequencies/distinct/foldby with split_out > 1) shuffle: one
// split task per input partition cuts its items into buckets by key hash (or by sampled
// key ranges for sorts), and one task per output partition fetches its bucket of every
// split straight from the workers that hold them — O(n) tasks, data never through the
// client or scheduler, split results spilled to disk like any result when memory is short,
// and a lost worker's splits recomputed by the scheduler, so answers stay exact.
// reduce_by_key combines map-side: only one partial per key and partition crosses the wire.
// `npartitions` (0: as many as the input) sets the output partitions.
// A key expression that reads a missing field gives a null key (such items group together).
//
// Threading: Bags are immutable values; copy them freely. Operations that run work
// (compute, persist, take) may be called from any thread. A Bag must not outlive its
// Client's connection (it reports kUnavailable then).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "weft/client.h"
#include "weft/value.h"

namespace weft {

namespace internal {
struct BagNode;
class ClientCore;
}  // namespace internal

// A lazy single value (dask's Item): the result of count(), or of one partition.
class Item {
 public:
  absl::StatusOr<Value> compute() const;
  // Starts the computation; the Future holds the result on the cluster.
  Future<Value> persist() const;
  const std::string& key() const;

 private:
  friend class Bag;
  using MakeNode = std::function<std::shared_ptr<const internal::BagNode>()>;
  // The graph `make_node` builds (once, when first needed) computes the item. With
  // `lengths_of` (persisted partitions whose lengths add up to the item: a count of a
  // persisted bag), compute() first asks their holders (no task), and builds and runs the
  // graph only when they cannot answer.
  Item(std::shared_ptr<internal::ClientCore> core, MakeNode make_node,
       std::vector<std::string> lengths_of = {});
  const std::shared_ptr<const internal::BagNode>& node() const;
  struct Lazy;
  std::shared_ptr<internal::ClientCore> core_;
  std::shared_ptr<Lazy> lazy_;  // shared by copies
  std::vector<std::string> lengths_of_;
};

struct ReadTextOptions {
  std::string compression = "infer";  // "infer" (by extension), "gzip", "zstd", "none"
};

class Bag {
 public:
  // One partition per file matching `pattern`: a local path or glob, http(s)://..., or
  // s3://bucket/prefix* (listed on a worker, with the workers' AWS_* credentials).
  static absl::StatusOr<Bag> read_text(Client& client, const std::string& pattern,
                                       const ReadTextOptions& options = {});
  // `items` split into `npartitions` nearly equal partitions.
  static Bag from_sequence(Client& client, const ValueList& items, int npartitions = 1);
  // The partitions of every bag, in order.
  static Bag concat(const std::vector<Bag>& bags);

  int npartitions() const { return static_cast<int>(parts_.size()); }

  // Validates each line as JSON. A malformed line fails the task, naming the file and
  // line; with skip_malformed, such lines are dropped instead.
  Bag parse_json(bool skip_malformed = false) const;
  Bag pluck(const std::string& path) const;
  Bag filter(const std::string& expression) const;
  // `function(partition, args...)` on each partition: a registered function (e.g. from a
  // --preload plugin) taking a partition Value and returning one.
  Bag map_partitions(const std::string& function, std::vector<Value> args = {}) const;
  Bag repartition(int npartitions) const;

  // ---- Element-wise with value expressions, or registered (plugin) functions.
  Bag map(const std::string& expression) const;
  // `function(item, args...)` for each item.
  Bag map_function(const std::string& function, std::vector<Value> args = {}) const;
  // Items that are lists, spliced: [[1, 2], [3]] → [1, 2, 3].
  Bag flatten() const;
  // [key_expression, value_expression] for each item.
  Bag to_pairs(const std::string& key_expression, const std::string& value_expression) const;
  // [key, expression over the value (`_`)] for each pair.
  Bag map_values(const std::string& expression) const;

  // ---- By key (a shuffle): on pairs unless a key expression is given.
  // [[key, value], ...] with the values of each key reduced by op: "sum", "count", "min",
  // "max", "mean", or a registered function of two values (a plugin's).
  Bag reduce_by_key(const std::string& op, int npartitions = 0) const;
  Bag count_by_key(int npartitions = 0) const { return reduce_by_key("count", npartitions); }
  // [[key, [value, ...]], ...]: the values of each pair key (Spark's groupByKey).
  Bag group_by_key(int npartitions = 0) const;
  // [[key, [item, ...]], ...]: items grouped by a key expression (dask's groupby).
  Bag groupby(const std::string& key_expression, int npartitions = 0) const;
  // Totally ordered: every key of partition i sorts before every key of partition i + 1.
  Bag sort_by_key(bool ascending = true, int npartitions = 0) const;
  Bag sort_by(const std::string& key_expression, bool ascending = true, int npartitions = 0) const;
  // Inner join on the pair key: [key, [this_value, other_value]] for each match.
  Bag join(const Bag& other, int npartitions = 0) const;
  // The pairs moved so that each key lives in exactly one of npartitions partitions.
  Bag repartition_by_key(int npartitions) const;
  int num_partitions() const { return npartitions(); }
  // The first item; kNotFound when the bag is empty.
  absl::StatusOr<Value> first() const;

  // Writes each partition as JSON lines to `pattern` with its '*' replaced by the
  // partition's number (as dask's to_textfiles): a local path or s3://bucket/key, gzip or
  // zstd by extension (".gz", ".zst"). The workers write; nothing passes through the
  // client. Returns the number of items written.
  absl::StatusOr<int64_t> to_textfiles(const std::string& pattern) const;

  Item count() const;
  // [[value, count], ...], most frequent first, as one partition.
  // split_out > 1: the counting is shuffled by value into split_out partitions (for many
  // distinct values, as dask's split_out); the output is then those partitions, each
  // sorted by value, not one partition sorted by count.
  Bag frequencies(int split_out = 1) const;
  // The k largest items, largest first. key: "" the items themselves, "1" item[1] (for
  // frequencies' pairs), or a path into records.
  Bag topk(int k, const std::string& key = "") const;
  // split_out > 1: shuffled by value into split_out partitions.
  Bag distinct(int split_out = 1) const;
  // [[key, accumulator], ...] grouping records by `key_path`; op: count, sum, min, max of
  // `field_path` (unused for count).
  // split_out > 1: shuffled by key into split_out partitions, each sorted by key.
  Bag foldby(const std::string& key_path, const std::string& op, const std::string& field_path = "",
             int split_out = 1) const;

  // The first n items (records as Value records), computed now, reading as few partitions
  // as needed.
  absl::StatusOr<ValueList> take(int n) const;
  // Every item of the bag, in partition order.
  absl::StatusOr<ValueList> compute() const;
  // How persist() keeps JSON-lines partitions: zstd blocks (the default), or the raw text
  // (faster to persist and to query cold; several times the memory).
  enum class Compression { kZstd, kNone };
  // "zstd" or "none" (as the shell's persist() and `--persist-compression` spell them); else
  // kInvalidArgument.
  static absl::StatusOr<Compression> ParseCompression(const std::string& name);
  // Starts computing every partition and keeps the results on the workers; returns at once
  // with a Bag whose partitions are those results.
  Bag persist(Compression compression = Compression::kZstd) const;
  // Waits until every partition of a persisted bag is computed; the first failure is the
  // error.
  absl::Status wait() const;
  // For a persisted bag: how many partitions are done (computed or failed); others count
  // as not done.
  int npartitions_done() const;

 private:
  friend class Array;  // Array::from_bag reads the partitions
  using Node = std::shared_ptr<const internal::BagNode>;
  Bag(std::shared_ptr<internal::ClientCore> core, std::vector<Node> parts,
      std::string pluck_path = "")
      : core_(std::move(core)), parts_(std::move(parts)), pluck_path_(std::move(pluck_path)) {}

  // Partitions with any pending pluck applied.
  std::vector<Node> Materialized() const;
  Bag MapEach(const std::string& function, const std::vector<Value>& args) const;
  // Whether a reduction's answer depends on the order of its partials (distinct keeps first
  // appearances, topk breaks ties by position). Over a persisted bag both reduce each
  // worker's partitions where they are held (bag.reduce_local); an order-free one merges
  // there too, in any order, an ordered one once, over every partial in partition order.
  enum class MergeOrder { kAny, kPartitions };
  Node Reduce(const std::string& partial, const std::vector<Value>& partial_args,
              const std::string& merge, const std::vector<Value>& merge_args,
              MergeOrder order = MergeOrder::kPartitions) const;
  // The shuffle: `split(partition, split_args...)` on each partition, then for each output
  // j `unpack([bucket j of every split], unpack_args...)`.
  Bag Shuffle(const std::string& split, const std::vector<Value>& split_args,
              const std::string& unpack, const std::vector<Value>& unpack_args, int nout) const;
  int OutputPartitions(int requested) const;

  std::shared_ptr<internal::ClientCore> core_;
  std::vector<Node> parts_;
  // pluck() is kept pending so that frequencies() and distinct() read the field straight
  // from the records (and their cached column) instead of building a list first.
  std::string pluck_path_;
};

}  // namespace weft
