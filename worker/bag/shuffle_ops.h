// Key/value partition functions of weft's Bag: element-wise maps with expressions (expr.h)
// or plugin functions, and the two halves of the shuffle that moves items between
// partitions by key (groupby, reduce_by_key, sort, join, repartition_by_key).
//
// The shuffle (client/bag_shuffle.cc builds the graph; Spark's design, O(n) tasks):
//   split   one task per input partition: its items cut into `nout` buckets (by a stable
//           hash of the key, or by range boundaries for sorts), returned as one list of
//           nout partitions that stays in the worker's data store (spilled like any
//           result when memory is short);
//   unpack  one task per output partition j: bucket j of every split, each fetched alone
//           from the worker that holds it (proto KeySlice), then grouped, reduced, sorted
//           or joined.
// Once unpack j has its result, the splits' holders drop bucket j (FreeKeys.items, see
// scheduler/item_reads.cc), so the memory a shuffle holds falls as its outputs are made;
// a split is freed whole when its last unpack is done. A worker lost mid-shuffle loses
// its splits, and an unpack run again finds its buckets dropped: either way the scheduler
// recomputes those splits from their inputs (their results are deterministic), so the
// answer stays exact: no record is missed or counted twice.
//
// Pairs are two-item lists [key, value], as dask's tuples. A key expression "" means "the
// pair's key" (item[0]); otherwise it is an expression over the item (expr.h), where a
// missing field is null: records without the field group under the null key. Buckets of
// JsonLines partitions stay JsonLines (lines are copied, never re-serialised).
//
// Orders: group/reduce/join outputs are sorted by key within each output partition
// (value_order.h); sorts are stable. Keys are equal as CompareValues says (1 == 1.0) and
// hash alike when equal.
//
// Reduce ops: "sum", "count", "min", "max", "mean", or the name of a registered function
// of two values (a plugin's), applied as fold(acc, value) map-side then between partials.
// Errors are kInvalidArgument naming the function and what was wrong with which item.
//
// Threading: pure functions of their arguments; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "weft/function.h"
#include "weft/value.h"

namespace weft::bag {

// ---- Element-wise (bag_map.cc)

// The value of `expression` for each item.
absl::StatusOr<Value> Map(const Value& part, const std::string& expression);
// `function(item, args...)` for each item: a registered (plugin) function.
absl::StatusOr<Value> MapFunction(const TaskContext& context, const Value& part,
                                  const std::string& function, const ValueList& args);
// The items of each item (which must be a list), in order.
absl::StatusOr<Value> Flatten(const Value& part);
// [key_expression, value_expression] for each item.
absl::StatusOr<Value> ToPairs(const Value& part, const std::string& key_expression,
                              const std::string& value_expression);
// [key, expression over the value (as `_`)] for each pair.
absl::StatusOr<Value> MapValues(const Value& part, const std::string& expression);

// ---- Shuffle: split (bag_shuffle.cc)

// A stable 64-bit hash of a key, equal for keys that compare equal (1 and 1.0).
uint64_t StableKeyHash(const Value& key);
// The items in `nout` buckets by StableKeyHash(key) % nout.
absl::StatusOr<Value> HashSplit(const Value& part, const std::string& key_expression, int64_t nout);
// Pairs combined per key with `op` (a map-side combine: partials for "mean" are
// [sum, count]), then split by key hash.
absl::StatusOr<Value> CombineSplit(const TaskContext& context, const Value& part,
                                   const std::string& op, int64_t nout);
// to_pairs(key_expression, value_expression) then CombineSplit, without building the
// pairs: a plain path key (actor.login) is read from the cached column, one hash per
// distinct key. The client fuses to_pairs().reduce_by_key() into this.
absl::StatusOr<Value> PairsCombineSplit(const TaskContext& context, const Value& part,
                                        const std::string& key_expression,
                                        const std::string& value_expression, const std::string& op,
                                        int64_t nout);
// Up to `k` keys of the partition at evenly spaced ranks, sorted: the sample from which
// a sort picks its range boundaries. The ranks are exact up to 16 * k items, and among
// every (items / (16 * k))-th item's key beyond.
absl::StatusOr<Value> SampleKeys(const Value& part, const std::string& key_expression, int64_t k);
// nout - 1 boundaries at evenly spaced ranks of all samples (a list of SampleKeys lists).
absl::StatusOr<Value> RangeBoundaries(const ValueList& samples, int64_t nout);
// The items in boundaries.size() + 1 buckets: bucket b holds keys in
// (boundaries[b-1], boundaries[b]]; with !ascending the buckets come in reverse order.
absl::StatusOr<Value> RangeSplit(const Value& part, const std::string& key_expression,
                                 const Value& boundaries, bool ascending);
// ParseJson(lines, source, on_error) then RangeSplit, with the same result and errors. A
// field-path key is read from the parse that validates each line (one parse a line, not
// two). A sort that reads its input after the boundaries fuses its parse_json into its
// split this way (client/bag_keyed.cc).
absl::StatusOr<Value> ParseRangeSplit(const Value& lines, const std::string& source,
                                      const std::string& on_error,
                                      const std::string& key_expression, const Value& boundaries,
                                      bool ascending);

// ---- Shuffle: unpack (bag_shuffle.cc). `buckets`: bucket j of every split.

// [[key, [items...]], ...] sorted by key; items in input order.
absl::StatusOr<Value> GroupUnpack(const ValueList& buckets, const std::string& key_expression);
// [[key, value], ...] sorted by key: the partials of CombineSplit reduced with `op`.
absl::StatusOr<Value> ReduceUnpack(const TaskContext& context, const ValueList& buckets,
                                   const std::string& op);
// The items sorted by key (stable), descending when !ascending.
absl::StatusOr<Value> SortUnpack(const ValueList& buckets, const std::string& key_expression,
                                 bool ascending);
// SortUnpack written straight to the local file `url` as write_text writes it (JSON
// lines), piece by piece in key order, without holding the sorted partition whole: the
// number of lines written. std::nullopt, with nothing written, unless every bucket is
// JsonLines and `url` is a local path written raw (`compression` none, or inferred so):
// the caller sorts whole and writes then.
absl::StatusOr<std::optional<int64_t>> SortUnpackToLocalFile(const ValueList& buckets,
                                                             const std::string& key_expression,
                                                             bool ascending, const std::string& url,
                                                             const std::string& compression);
// Inner join on the pair key: [key, [left_value, right_value]] for every matching pair,
// sorted by key, then left order, then right order.
absl::StatusOr<Value> JoinUnpack(const ValueList& left, const ValueList& right);
// The distinct items, first appearance first.
absl::StatusOr<Value> DistinctUnpack(const ValueList& buckets);

}  // namespace weft::bag
