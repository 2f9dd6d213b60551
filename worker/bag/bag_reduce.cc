// Reductions: per-partition partials (frequencies, topk, distinct, foldby) and the
// combines of a tree reduction. Partials on JsonLines read dictionary-encoded columns, so
// each distinct value is hashed, compared and converted once, not once per record.
#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/bag/bag_ops.h"
#include "worker/bag/column.h"
#include "worker/bag/fold.h"
#include "worker/bag/partition.h"
#include "worker/bag/value_order.h"

namespace weft::bag {

namespace {

using Counts = absl::flat_hash_map<Value, int64_t, ValueHash, ValueEq>;

// [[value, count], ...]: count descending, then value ascending.
Value SortedFrequencies(std::vector<std::pair<Value, int64_t>> pairs) {
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return CompareValues(a.first, b.first) < 0;
  });
  ValueList out;
  out.reserve(pairs.size());
  for (auto& [value, count] : pairs) out.push_back(MakePair(std::move(value), Value(count)));
  return Value(std::move(out));
}

// partials must be a list of lists; each item of those lists is handed to `fn`.
template <typename Fn>
absl::Status ForEachPartialItem(const ValueList& partials, const char* function, Fn fn) {
  for (size_t p = 0; p < partials.size(); ++p) {
    if (!partials[p].is_list()) {
      return absl::InvalidArgumentError(absl::StrCat(
          function, "(): partial ", p, " must be a list, got ", partials[p].kind_name()));
    }
    for (const Value& item : partials[p].as_list()) WEFT_RETURN_IF_ERROR(fn(item));
  }
  return absl::OkStatus();
}

// item as a [first, second] pair.
absl::Status ExpectPair(const Value& item, const char* function) {
  if (item.is_list() && item.as_list().size() == 2) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(function, "(): expected [key, value] pairs, got ", item.DebugString(80)));
}

}  // namespace

// ---------------------------------------------------------------------------
// frequencies

absl::StatusOr<Value> Frequencies(const Value& part, const std::string& path) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, "bag.frequencies"));
  WEFT_ASSIGN_OR_RETURN(std::shared_ptr<const Column> column, ColumnOf(part, Path::Parse(path)));
  std::vector<int64_t> counts(column->dictionary.size(), 0);
  for (uint32_t code : column->codes) ++counts[code];
  // Sorted by code ranks (cached in the column), not by comparing values.
  const std::vector<uint32_t>& rank = column->ranks();
  std::vector<uint32_t> order(counts.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return counts[a] != counts[b] ? counts[a] > counts[b] : rank[a] < rank[b];
  });
  ValueList out;
  out.reserve(order.size());
  for (uint32_t code : order)
    out.push_back(MakePair(column->dictionary[code], Value(counts[code])));
  return Value(std::move(out));
}

absl::StatusOr<Value> MergeFrequencies(const ValueList& partials) {
  constexpr const char* kName = "bag.merge_frequencies";
  Counts counts;
  WEFT_RETURN_IF_ERROR(ForEachPartialItem(partials, kName, [&](const Value& item) {
    WEFT_RETURN_IF_ERROR(ExpectPair(item, kName));
    const Value& count = item.as_list()[1];
    if (!count.is_int()) {
      return absl::InvalidArgumentError(
          absl::StrCat(kName, "(): counts must be ints, got ", count.kind_name()));
    }
    counts[item.as_list()[0]] += count.as_int();
    return absl::OkStatus();
  }));
  return SortedFrequencies(std::vector<std::pair<Value, int64_t>>(counts.begin(), counts.end()));
}

// ---------------------------------------------------------------------------
// topk

absl::StatusOr<Value> TopK(const Value& part, int64_t k, const std::string& key) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, "bag.topk"));
  if (k < 0) return absl::InvalidArgumentError(absl::StrCat("bag.topk(): k must be >= 0, got ", k));
  WEFT_ASSIGN_OR_RETURN(std::shared_ptr<const Column> column, ColumnOf(part, Path::Parse(key)));
  const std::vector<uint32_t>& rank = column->ranks();
  std::vector<uint32_t> index(column->size());
  std::iota(index.begin(), index.end(), 0);
  const size_t count = std::min<uint64_t>(static_cast<uint64_t>(k), index.size());
  // Largest key first; among equal keys the earlier item first.
  std::partial_sort(index.begin(), index.begin() + count, index.end(), [&](uint32_t a, uint32_t b) {
    const uint32_t ra = rank[column->codes[a]], rb = rank[column->codes[b]];
    return ra != rb ? ra > rb : a < b;
  });
  ValueList out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    WEFT_ASSIGN_OR_RETURN(Value item, ItemAt(part, index[i]));
    out.push_back(std::move(item));
  }
  return Value(std::move(out));
}

absl::StatusOr<Value> MergeTopK(const ValueList& partials, int64_t k, const std::string& key) {
  ValueList all;
  WEFT_RETURN_IF_ERROR(ForEachPartialItem(partials, "bag.merge_topk", [&](const Value& item) {
    all.push_back(item);
    return absl::OkStatus();
  }));
  return TopK(Value(std::move(all)), k, key);
}

// ---------------------------------------------------------------------------
// distinct

absl::StatusOr<Value> Distinct(const Value& part, const std::string& path) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, "bag.distinct"));
  WEFT_ASSIGN_OR_RETURN(std::shared_ptr<const Column> column, ColumnOf(part, Path::Parse(path)));
  return Value(column->dictionary);  // distinct values, first appearance first
}

absl::StatusOr<Value> MergeDistinct(const ValueList& partials) {
  absl::flat_hash_set<Value, ValueHash, ValueEq> seen;
  ValueList out;
  WEFT_RETURN_IF_ERROR(ForEachPartialItem(partials, "bag.merge_distinct", [&](const Value& item) {
    if (seen.insert(item).second) out.push_back(item);
    return absl::OkStatus();
  }));
  return Value(std::move(out));
}

// ---------------------------------------------------------------------------
// foldby

absl::StatusOr<Value> Foldby(const Value& part, const std::string& key_path,
                             const std::string& op_name, const std::string& field_path) {
  constexpr const char* kName = "bag.foldby";
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, kName));
  WEFT_ASSIGN_OR_RETURN(FoldOp op, ParseFoldOp(op_name, kName));
  WEFT_ASSIGN_OR_RETURN(std::shared_ptr<const Column> keys, ColumnOf(part, Path::Parse(key_path)));
  std::vector<Value> accs(keys->dictionary.size(), InitialAccumulator(op));
  if (op == FoldOp::kCount) {
    std::vector<int64_t> counts(keys->dictionary.size(), 0);
    for (uint32_t code : keys->codes) ++counts[code];
    for (size_t c = 0; c < counts.size(); ++c) accs[c] = Value(counts[c]);
  } else {
    WEFT_ASSIGN_OR_RETURN(std::shared_ptr<const Column> fields,
                          ColumnOf(part, Path::Parse(field_path)));
    for (size_t i = 0; i < keys->size(); ++i) {
      WEFT_RETURN_IF_ERROR(Accumulate(op, fields->at(i), &accs[keys->codes[i]], kName));
    }
  }
  std::vector<std::pair<Value, Value>> pairs;
  pairs.reserve(accs.size());
  for (size_t c = 0; c < accs.size(); ++c)
    pairs.emplace_back(keys->dictionary[c], std::move(accs[c]));
  return SortedByKey(std::move(pairs));
}

absl::StatusOr<Value> MergeFoldby(const ValueList& partials, const std::string& op_name) {
  constexpr const char* kName = "bag.merge_foldby";
  WEFT_ASSIGN_OR_RETURN(FoldOp op, ParseFoldOp(op_name, kName));
  // Counts of partials add up like sums.
  const FoldOp combine = op == FoldOp::kCount ? FoldOp::kSum : op;
  absl::flat_hash_map<Value, Value, ValueHash, ValueEq> accs;
  WEFT_RETURN_IF_ERROR(ForEachPartialItem(partials, kName, [&](const Value& item) {
    WEFT_RETURN_IF_ERROR(ExpectPair(item, kName));
    auto [it, inserted] = accs.try_emplace(item.as_list()[0], InitialAccumulator(combine));
    return Accumulate(combine, item.as_list()[1], &it->second, kName);
  }));
  return SortedByKey(std::vector<std::pair<Value, Value>>(accs.begin(), accs.end()));
}

}  // namespace weft::bag
