// The shuffle's split and unpack functions (shuffle_ops.h).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/io/io.h"
#include "common/key.h"
#include "common/status_macros.h"
#include "worker/bag/bag_ops.h"
#include "worker/bag/bag_write.h"
#include "worker/bag/column.h"
#include "worker/bag/expr.h"
#include "worker/bag/fold.h"
#include "worker/bag/json_access.h"
#include "worker/bag/partition.h"
#include "worker/bag/shuffle_ops.h"
#include "worker/bag/sort_keys.h"
#include "worker/bag/value_order.h"

namespace weft::bag {

namespace {

using ValueMap = absl::flat_hash_map<Value, size_t, ValueHash, ValueEq>;

uint64_t HashTagged(char tag, std::string_view bytes) {
  std::string buffer;
  buffer.reserve(bytes.size() + 1);
  buffer.push_back(tag);
  buffer.append(bytes.data(), bytes.size());
  return StableHash64(buffer);
}

uint64_t HashInt(int64_t v) {
  char bytes[8];
  std::memcpy(bytes, &v, 8);
  return HashTagged('i', std::string_view(bytes, 8));
}

// A key: the pair's key (no expression, written ""), or an expression over the item.
using Key = std::optional<Expr>;

absl::StatusOr<Key> ParseKey(const std::string& key_expression) {
  if (key_expression.empty()) return Key();
  WEFT_ASSIGN_OR_RETURN(Expr expr, Expr::Parse(key_expression));
  return Key(std::move(expr));
}

// The key of every item.
absl::StatusOr<ValueList> KeysOf(const Value& part, const Key& key, const char* function) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, function));
  if (key.has_value()) {
    absl::StatusOr<ValueList> keys = key->EvaluatePartition(part);
    if (!keys.ok()) {
      return absl::Status(keys.status().code(),
                          absl::StrCat(function, "(): key ", keys.status().message()));
    }
    return keys;
  }
  ValueList keys;
  keys.reserve(NumItems(part));
  for (size_t i = 0; i < NumItems(part); ++i) {
    WEFT_ASSIGN_OR_RETURN(const ValueList* pair, PairAt(part, i, function));
    keys.push_back((*pair)[0]);
  }
  return keys;
}

// The keys of a partition, dictionary-encoded: item i's key is dictionary[codes[i]]. A key
// that is one path reads the (cached) column, so each distinct key is parsed, hashed and compared
// once; other expressions are evaluated and deduplicated.
struct EncodedKeys {
  std::shared_ptr<const Column> column;  // set for a path: codes and dictionary are its
  std::vector<uint32_t> own_codes;
  ValueList own_dictionary;
  const std::vector<uint32_t>& codes() const { return column ? column->codes : own_codes; }
  const ValueList& dictionary() const { return column ? column->dictionary : own_dictionary; }
};

absl::StatusOr<EncodedKeys> EncodeKeys(const Value& part, const std::string& key_expression,
                                       const char* function) {
  WEFT_ASSIGN_OR_RETURN(Key key, ParseKey(key_expression));
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, function));
  EncodedKeys keys;
  if (const Path* path = key.has_value() ? key->AsPath() : nullptr) {
    WEFT_ASSIGN_OR_RETURN(keys.column, ColumnOf(part, *path));
    return keys;
  }
  WEFT_ASSIGN_OR_RETURN(ValueList values, KeysOf(part, key, function));
  ValueMap index;
  keys.own_codes.reserve(values.size());
  for (Value& value : values) {
    auto [it, fresh] = index.try_emplace(value, keys.own_dictionary.size());
    if (fresh) keys.own_dictionary.push_back(std::move(value));
    keys.own_codes.push_back(static_cast<uint32_t>(it->second));
  }
  return keys;
}

// bucket_of[i] = per_key[codes[i]].
std::vector<uint32_t> BucketsByCode(const EncodedKeys& keys, const std::vector<uint32_t>& per_key) {
  const std::vector<uint32_t>& codes = keys.codes();
  std::vector<uint32_t> bucket_of(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) bucket_of[i] = per_key[codes[i]];
  return bucket_of;
}

// Cuts `part` into buckets: item i goes to bucket_of[i]. JsonLines stay JsonLines.
Value Bucketize(const Value& part, const std::vector<uint32_t>& bucket_of, size_t nout) {
  ValueList buckets;
  buckets.reserve(nout);
  if (part.is_json_lines()) {
    const JsonLines& lines = part.as_json_lines();
    std::vector<JsonLinesBuilder> builders(nout);
    std::vector<size_t> bytes(nout, 0), count(nout, 0);
    for (size_t i = 0; i < bucket_of.size(); ++i) {
      bytes[bucket_of[i]] += LineAt(lines, i).size() + 1;
      ++count[bucket_of[i]];
    }
    for (size_t b = 0; b < nout; ++b) builders[b].Reserve(bytes[b], count[b]);
    for (size_t i = 0; i < bucket_of.size(); ++i) builders[bucket_of[i]].Append(LineAt(lines, i));
    for (auto& builder : builders) buckets.push_back(Value(std::move(builder).Finish()));
    return Value(std::move(buckets));
  }
  std::vector<ValueList> lists(nout);
  const ValueList& items = part.as_list();
  for (size_t i = 0; i < bucket_of.size(); ++i) lists[bucket_of[i]].push_back(items[i]);
  for (auto& list : lists) buckets.push_back(Value(std::move(list)));
  return Value(std::move(buckets));
}

absl::Status CheckNout(int64_t nout, const char* function) {
  if (nout >= 1 && nout <= (int64_t{1} << 20)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(function, "(): the number of output partitions must be 1 to 2^20, got ", nout));
}

// ---- reduce ops: the built-in FoldOps, "mean" ([sum, count] partials), or a function.

struct ReduceOp {
  enum class Kind { kFold, kMean, kFunction } kind = Kind::kFold;
  FoldOp fold = FoldOp::kSum;
  std::string function;
};

ReduceOp ParseReduceOp(const std::string& op) {
  ReduceOp r;
  if (op == "mean") {
    r.kind = ReduceOp::Kind::kMean;
  } else if (absl::StatusOr<FoldOp> fold = ParseFoldOp(op, ""); fold.ok()) {
    r.fold = *fold;
  } else {
    r.kind = ReduceOp::Kind::kFunction;
    r.function = op;
  }
  return r;
}

// Folds one value (map side: `partial` false) or one partial (reduce side) into `acc`;
// `fresh` says acc has no value yet.
absl::Status Fold(const TaskContext& context, const ReduceOp& op, const Value& v, bool partial,
                  bool fresh, Value* acc, const char* function) {
  switch (op.kind) {
    case ReduceOp::Kind::kFold: {
      if (fresh) *acc = InitialAccumulator(op.fold);
      // Counts of partials add up like sums.
      FoldOp fold = op.fold == FoldOp::kCount && partial ? FoldOp::kSum : op.fold;
      if (fold == FoldOp::kCount) return Accumulate(FoldOp::kSum, Value(int64_t{1}), acc, function);
      return Accumulate(fold, v, acc, function);
    }
    case ReduceOp::Kind::kMean: {
      Value sum = fresh ? Value(int64_t{0}) : acc->as_list()[0];
      Value count = fresh ? Value(int64_t{0}) : acc->as_list()[1];
      if (partial) {
        if (!v.is_list() || v.as_list().size() != 2) {
          return absl::InvalidArgumentError(absl::StrCat(
              function, "(): a mean partial must be [sum, count], got ", v.DebugString(60)));
        }
        WEFT_RETURN_IF_ERROR(Accumulate(FoldOp::kSum, v.as_list()[0], &sum, function));
        WEFT_RETURN_IF_ERROR(Accumulate(FoldOp::kSum, v.as_list()[1], &count, function));
      } else if (!v.is_null()) {
        WEFT_RETURN_IF_ERROR(Accumulate(FoldOp::kSum, v, &sum, function));
        WEFT_RETURN_IF_ERROR(Accumulate(FoldOp::kSum, Value(int64_t{1}), &count, function));
      }
      *acc = MakePair(std::move(sum), std::move(count));
      return absl::OkStatus();
    }
    case ReduceOp::Kind::kFunction: {
      if (fresh) {
        *acc = v;
        return absl::OkStatus();
      }
      absl::StatusOr<Value> folded = context.CallFunction(op.function, {*acc, v});
      if (!folded.ok()) {
        return absl::Status(folded.status().code(),
                            absl::StrCat(function, "(): reducing with ", op.function, ": ",
                                         folded.status().message()));
      }
      *acc = *std::move(folded);
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

Value Finalize(const ReduceOp& op, Value acc) {
  if (op.kind != ReduceOp::Kind::kMean) return acc;
  const ValueList& p = acc.as_list();
  auto as_double = [](const Value& x) {
    return x.is_int() ? static_cast<double>(x.as_int()) : x.as_double();
  };
  const double count = as_double(p[1]);
  if (count == 0) return Value();  // only nulls
  return Value(as_double(p[0]) / count);
}

// Every item of every bucket, with its key, in bucket order.
struct Keyed {
  ValueList keys;
  std::vector<std::pair<const Value*, size_t>> where;  // (bucket, item index)
};

absl::StatusOr<Keyed> KeyAll(const ValueList& buckets, const std::string& key_expression,
                             const char* function) {
  WEFT_ASSIGN_OR_RETURN(Key key, ParseKey(key_expression));
  Keyed keyed;
  for (const Value& bucket : buckets) {
    WEFT_ASSIGN_OR_RETURN(ValueList keys, KeysOf(bucket, key, function));
    for (size_t i = 0; i < keys.size(); ++i) {
      keyed.keys.push_back(std::move(keys[i]));
      keyed.where.emplace_back(&bucket, i);
    }
  }
  return keyed;
}

bool AllJsonLines(const ValueList& buckets) {
  return std::all_of(buckets.begin(), buckets.end(),
                     [](const Value& b) { return b.is_json_lines(); });
}

// Calls `emit(line)` for the lines of `buckets` (all JsonLines) in the order `order` gives
// (indices into the buckets' lines, one bucket after another). Every line's view first,
// in a sequential pass; then the lines in `order`, a random read of a view and of its text
// each, both prefetched some lines ahead (without, the cache misses of this gather were a
// sixth of a sort's CPU). Stops at the first error `emit` returns.
template <typename Emit>
absl::Status ForEachLineInOrder(const ValueList& buckets, const std::vector<uint32_t>& order,
                                Emit&& emit) {
  std::vector<std::string_view> lines;
  lines.reserve(order.size());
  for (const Value& b : buckets) {
    const JsonLines& part = b.as_json_lines();
    for (size_t i = 0; i < part.num_lines(); ++i) lines.push_back(LineAt(part, i));
  }
  constexpr size_t kAhead = 8;  // lines between a text's prefetch and its copy
  const size_t n = order.size();
  for (size_t k = 0; k < n; ++k) {
    if (k + 2 * kAhead < n) __builtin_prefetch(&lines[order[k + 2 * kAhead]]);
    if (k + kAhead < n) {
      const std::string_view ahead = lines[order[k + kAhead]];
      __builtin_prefetch(ahead.data());
      __builtin_prefetch(ahead.data() + ahead.size());
    }
    WEFT_RETURN_IF_ERROR(emit(lines[order[k]]));
  }
  return absl::OkStatus();
}

// The items of `buckets` in the order `order` gives (indices into the buckets' items, one
// after another): JsonLines when every bucket is JsonLines, else a list.
absl::StatusOr<Value> Gather(const ValueList& buckets, const std::vector<uint32_t>& order) {
  if (AllJsonLines(buckets)) {
    size_t bytes = 0;
    for (const Value& b : buckets) {
      bytes += b.as_json_lines().text.size() + b.as_json_lines().num_lines();
    }
    JsonLinesBuilder builder;
    builder.Reserve(bytes, order.size());
    WEFT_RETURN_IF_ERROR(ForEachLineInOrder(buckets, order, [&](std::string_view line) {
      builder.Append(line);
      return absl::OkStatus();
    }));
    return Value(std::move(builder).Finish());
  }
  std::vector<std::pair<const Value*, size_t>> where;
  for (const Value& bucket : buckets) {
    for (size_t i = 0; i < NumItems(bucket); ++i) where.emplace_back(&bucket, i);
  }
  ValueList out;
  out.reserve(order.size());
  for (uint32_t i : order) {
    WEFT_ASSIGN_OR_RETURN(Value item, ItemAt(*where[i].first, where[i].second));
    out.push_back(std::move(item));
  }
  return Value(std::move(out));
}

}  // namespace

// ---------------------------------------------------------------------------
// Split

uint64_t StableKeyHash(const Value& key) {
  switch (key.kind()) {
    case ValueKind::kNull:
      return HashTagged('n', "");
    case ValueKind::kBool:
      return HashTagged('b', key.as_bool() ? "1" : "0");
    case ValueKind::kInt:
      return HashInt(key.as_int());
    case ValueKind::kDouble: {
      const double d = key.as_double();
      // Integral doubles hash as the int they equal (1.0 == 1); -0.0 as 0.
      if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2e18) {
        return HashInt(static_cast<int64_t>(d));
      }
      char bytes[8];
      std::memcpy(bytes, &d, 8);
      return HashTagged('d', std::string_view(bytes, 8));
    }
    case ValueKind::kString:
      return HashTagged('s', key.as_string());
    case ValueKind::kBytes:
      return HashTagged('y', key.as_bytes().view());
    case ValueKind::kList: {
      std::string parts = "l";
      for (const Value& item : key.as_list()) {
        const uint64_t h = StableKeyHash(item);
        parts.append(reinterpret_cast<const char*>(&h), 8);
      }
      return StableHash64(parts);
    }
    case ValueKind::kRecord: {
      std::string parts = "r";
      for (const auto& [name, value] : key.as_record()) {
        parts.append(name).push_back('\0');
        const uint64_t h = StableKeyHash(value);
        parts.append(reinterpret_cast<const char*>(&h), 8);
      }
      return StableHash64(parts);
    }
    default:
      return HashTagged('?', key.DebugString(1 << 20));
  }
}

absl::StatusOr<Value> HashSplit(const Value& part, const std::string& key_expression,
                                int64_t nout) {
  constexpr const char* kName = "bag.hash_split";
  WEFT_RETURN_IF_ERROR(CheckNout(nout, kName));
  WEFT_ASSIGN_OR_RETURN(EncodedKeys keys, EncodeKeys(part, key_expression, kName));
  std::vector<uint32_t> per_key(keys.dictionary().size());
  for (size_t c = 0; c < per_key.size(); ++c) {
    per_key[c] =
        static_cast<uint32_t>(StableKeyHash(keys.dictionary()[c]) % static_cast<uint64_t>(nout));
  }
  const std::vector<uint32_t> bucket_of = BucketsByCode(keys, per_key);
  return Bucketize(part, bucket_of, static_cast<size_t>(nout));
}

absl::StatusOr<Value> CombineSplit(const TaskContext& context, const Value& part,
                                   const std::string& op_name, int64_t nout) {
  constexpr const char* kName = "bag.combine_split";
  WEFT_RETURN_IF_ERROR(CheckNout(nout, kName));
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, kName));
  const ReduceOp op = ParseReduceOp(op_name);
  ValueMap index;
  std::vector<std::pair<Value, Value>> accs;
  for (size_t i = 0; i < NumItems(part); ++i) {
    WEFT_ASSIGN_OR_RETURN(const ValueList* pair, PairAt(part, i, kName));
    auto [it, fresh] = index.try_emplace((*pair)[0], accs.size());
    if (fresh) accs.emplace_back((*pair)[0], Value());
    WEFT_RETURN_IF_ERROR(
        Fold(context, op, (*pair)[1], /*partial=*/false, fresh, &accs[it->second].second, kName));
  }
  std::vector<ValueList> buckets(static_cast<size_t>(nout));
  for (auto& [key, acc] : accs) {
    const uint64_t b = StableKeyHash(key) % static_cast<uint64_t>(nout);
    buckets[b].push_back(MakePair(std::move(key), std::move(acc)));
  }
  ValueList out;
  out.reserve(buckets.size());
  for (auto& bucket : buckets) out.push_back(Value(std::move(bucket)));
  return Value(std::move(out));
}

absl::StatusOr<Value> PairsCombineSplit(const TaskContext& context, const Value& part,
                                        const std::string& key_expression,
                                        const std::string& value_expression,
                                        const std::string& op_name, int64_t nout) {
  constexpr const char* kName = "bag.pairs_combine_split";
  WEFT_RETURN_IF_ERROR(CheckNout(nout, kName));
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, kName));
  const ReduceOp op = ParseReduceOp(op_name);
  WEFT_ASSIGN_OR_RETURN(Expr value_expr, Expr::Parse(value_expression));
  absl::StatusOr<ValueList> values = value_expr.EvaluatePartition(part);
  if (!values.ok()) {
    return absl::Status(values.status().code(),
                        absl::StrCat(kName, "(): value ", values.status().message()));
  }
  WEFT_ASSIGN_OR_RETURN(EncodedKeys keys, EncodeKeys(part, key_expression, kName));
  const std::vector<uint32_t>& codes = keys.codes();
  ValueList dictionary = keys.dictionary();
  std::vector<Value> accs(dictionary.size());
  std::vector<uint8_t> seen(dictionary.size(), 0);
  for (size_t i = 0; i < codes.size(); ++i) {
    const uint32_t code = codes[i];
    WEFT_RETURN_IF_ERROR(
        Fold(context, op, (*values)[i], /*partial=*/false, !seen[code], &accs[code], kName));
    seen[code] = 1;
  }
  std::vector<ValueList> buckets(static_cast<size_t>(nout));
  for (size_t c = 0; c < dictionary.size(); ++c) {
    const uint64_t b = StableKeyHash(dictionary[c]) % static_cast<uint64_t>(nout);
    buckets[b].push_back(MakePair(std::move(dictionary[c]), std::move(accs[c])));
  }
  ValueList out;
  out.reserve(buckets.size());
  for (auto& bucket : buckets) out.push_back(Value(std::move(bucket)));
  return Value(std::move(out));
}

absl::StatusOr<Value> SampleKeys(const Value& part, const std::string& key_expression, int64_t k) {
  constexpr const char* kName = "bag.sample_keys";
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, kName));
  // The ranks are those of every kSampleFactor * k-th item's key at most (a systematic
  // sample: the boundaries it gives cut the data within a few percent of even shares,
  // for a fraction of reading and sorting every key).
  constexpr size_t kSampleFactor = 16;
  const size_t wanted = kSampleFactor * static_cast<size_t>(std::max<int64_t>(k, 1));
  const size_t stride = std::max<size_t>(1, NumItems(part) / wanted);
  SortKeys keys;
  WEFT_RETURN_IF_ERROR(keys.Append(part, key_expression, kName, stride));
  const std::vector<uint32_t> order = keys.Order(/*ascending=*/true);
  ValueList sample;
  const size_t n = order.size();
  const size_t take = std::min<size_t>(n, static_cast<size_t>(std::max<int64_t>(k, 0)));
  for (size_t i = 0; i < take; ++i)
    sample.push_back(keys.KeyAt(order[(2 * i + 1) * n / (2 * take)]));
  return Value(std::move(sample));
}

absl::StatusOr<Value> RangeBoundaries(const ValueList& samples, int64_t nout) {
  constexpr const char* kName = "bag.range_boundaries";
  WEFT_RETURN_IF_ERROR(CheckNout(nout, kName));
  ValueList all;
  for (const Value& s : samples) {
    if (!s.is_list()) {
      return absl::InvalidArgumentError(absl::StrCat(kName, "(): a sample must be a list"));
    }
    all.insert(all.end(), s.as_list().begin(), s.as_list().end());
  }
  std::sort(all.begin(), all.end(), ValueLess());
  ValueList boundaries;
  if (all.empty()) return Value(std::move(boundaries));
  for (int64_t b = 1; b < nout; ++b) boundaries.push_back(all[b * all.size() / nout]);
  return Value(std::move(boundaries));
}

namespace {

// std::lower_bound(sorted, x) without branches on the comparisons, which random keys
// mispredict half the time: a conditional move a step (as in Khuong and Morin's "Array
// layouts for comparison-based searching"). Range buckets of a sort's random keys:
// RangeBuckets 6.9% of worker CPU with std::lower_bound.
size_t PrefixLowerBound(const std::vector<uint64_t>& sorted, uint64_t x) {
  if (sorted.empty()) return 0;
  const uint64_t* base = sorted.data();
  size_t n = sorted.size();
  while (n > 1) {
    const size_t half = n / 2;
    base = base[half] < x ? base + half : base;
    n -= half;
  }
  return static_cast<size_t>(base - sorted.data()) + (*base < x ? 1 : 0);
}

// The bucket of each key for RangeSplit: how many boundaries are below it (reversed when
// !ascending).
std::vector<uint32_t> RangeBuckets(const SortKeys& keys, const ValueList& bounds, bool ascending) {
  const size_t nout = bounds.size() + 1;
  std::vector<uint64_t> bound_prefix(bounds.size());
  for (size_t b = 0; b < bounds.size(); ++b) bound_prefix[b] = OrderPrefix(bounds[b]);
  std::vector<uint32_t> bucket_of(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    // The number of boundaries below the key. Prefixes never contradict the order: those
    // with a smaller prefix are below it, those with a larger one above, and only those
    // with the key's own prefix (rare: 7 bytes and the length of a string) need the keys.
    const uint64_t prefix = keys.prefix(i);
    size_t lo = PrefixLowerBound(bound_prefix, prefix);
    size_t hi = lo;
    while (hi < bounds.size() && bound_prefix[hi] == prefix) ++hi;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (keys.CompareTo(i, bounds[mid], bound_prefix[mid]) > 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    bucket_of[i] = static_cast<uint32_t>(ascending ? lo : nout - 1 - lo);
  }
  return bucket_of;
}

absl::StatusOr<const ValueList*> Bounds(const Value& boundaries) {
  if (!boundaries.is_list()) {
    return absl::InvalidArgumentError("bag.range_split(): boundaries must be a list");
  }
  return &boundaries.as_list();
}

// A sort key per valid line of a parse.
class KeySink : public ParsedLineSink {
 public:
  KeySink(Path path, size_t lines) : paths_{std::move(path)} { keys_.Reserve(lines); }
  const std::vector<Path>& paths() const override { return paths_; }
  void Add(const std::vector<Extracted>& values) override { keys_.AppendExtracted(values[0]); }
  const SortKeys& keys() const { return keys_; }

 private:
  std::vector<Path> paths_;
  SortKeys keys_;
};

}  // namespace

absl::StatusOr<Value> RangeSplit(const Value& part, const std::string& key_expression,
                                 const Value& boundaries, bool ascending) {
  WEFT_ASSIGN_OR_RETURN(const ValueList* bounds, Bounds(boundaries));
  SortKeys keys;
  WEFT_RETURN_IF_ERROR(keys.Append(part, key_expression, "bag.range_split"));
  return Bucketize(part, RangeBuckets(keys, *bounds, ascending), bounds->size() + 1);
}

absl::StatusOr<Value> ParseRangeSplit(const Value& lines, const std::string& source,
                                      const std::string& on_error,
                                      const std::string& key_expression, const Value& boundaries,
                                      bool ascending) {
  absl::StatusOr<Expr> expr = Expr::Parse(key_expression);
  const Path* path = expr.ok() ? expr->AsPath() : nullptr;
  if (path == nullptr || path->empty() || !lines.is_json_lines()) {
    WEFT_ASSIGN_OR_RETURN(Value parsed, ParseJson(lines, source, on_error));
    return RangeSplit(parsed, key_expression, boundaries, ascending);
  }
  WEFT_ASSIGN_OR_RETURN(const ValueList* bounds, Bounds(boundaries));
  KeySink sink(*path, lines.as_json_lines().num_lines());
  WEFT_ASSIGN_OR_RETURN(Value parsed, ParseLines(lines, source, on_error, sink));
  return Bucketize(parsed, RangeBuckets(sink.keys(), *bounds, ascending), bounds->size() + 1);
}

// ---------------------------------------------------------------------------
// Unpack

absl::StatusOr<Value> GroupUnpack(const ValueList& buckets, const std::string& key_expression) {
  WEFT_ASSIGN_OR_RETURN(Keyed keyed, KeyAll(buckets, key_expression, "bag.group_unpack"));
  ValueMap index;
  std::vector<std::pair<Value, Value>> groups;
  std::vector<ValueList> members;
  for (size_t i = 0; i < keyed.keys.size(); ++i) {
    auto [it, fresh] = index.try_emplace(keyed.keys[i], members.size());
    if (fresh) {
      groups.emplace_back(keyed.keys[i], Value());
      members.emplace_back();
    }
    const auto& [bucket, at] = keyed.where[i];
    // Grouped pairs keep their values (Spark's groupByKey); grouped items keep the items.
    if (key_expression.empty()) {
      members[it->second].push_back(bucket->as_list()[at].as_list()[1]);
    } else {
      WEFT_ASSIGN_OR_RETURN(Value item, ItemAt(*bucket, at));
      members[it->second].push_back(std::move(item));
    }
  }
  for (size_t g = 0; g < groups.size(); ++g) groups[g].second = Value(std::move(members[g]));
  return SortedByKey(std::move(groups));
}

absl::StatusOr<Value> ReduceUnpack(const TaskContext& context, const ValueList& buckets,
                                   const std::string& op_name) {
  constexpr const char* kName = "bag.reduce_unpack";
  const ReduceOp op = ParseReduceOp(op_name);
  ValueMap index;
  std::vector<std::pair<Value, Value>> accs;
  for (const Value& bucket : buckets) {
    WEFT_RETURN_IF_ERROR(ExpectPartition(bucket, kName));
    for (size_t i = 0; i < NumItems(bucket); ++i) {
      WEFT_ASSIGN_OR_RETURN(const ValueList* pair, PairAt(bucket, i, kName));
      auto [it, fresh] = index.try_emplace((*pair)[0], accs.size());
      if (fresh) accs.emplace_back((*pair)[0], Value());
      WEFT_RETURN_IF_ERROR(
          Fold(context, op, (*pair)[1], /*partial=*/true, fresh, &accs[it->second].second, kName));
    }
  }
  for (auto& [key, acc] : accs) acc = Finalize(op, std::move(acc));
  return SortedByKey(std::move(accs));
}

namespace {

// The order of a sort's items: indices into the buckets' items, one bucket after another.
absl::StatusOr<std::vector<uint32_t>> SortOrder(const ValueList& buckets,
                                                const std::string& key_expression, bool ascending) {
  SortKeys keys;
  size_t total = 0;
  for (const Value& bucket : buckets) {
    WEFT_RETURN_IF_ERROR(ExpectPartition(bucket, "bag.sort_unpack"));
    total += NumItems(bucket);
  }
  keys.Reserve(total);
  for (const Value& bucket : buckets) {
    WEFT_RETURN_IF_ERROR(keys.Append(bucket, key_expression, "bag.sort_unpack"));
  }
  return keys.Order(ascending);
}

}  // namespace

absl::StatusOr<Value> SortUnpack(const ValueList& buckets, const std::string& key_expression,
                                 bool ascending) {
  WEFT_ASSIGN_OR_RETURN(std::vector<uint32_t> order, SortOrder(buckets, key_expression, ascending));
  return Gather(buckets, order);
}

absl::StatusOr<std::optional<int64_t>> SortUnpackToLocalFile(const ValueList& buckets,
                                                             const std::string& key_expression,
                                                             bool ascending, const std::string& url,
                                                             const std::string& compression) {
  const absl::StatusOr<io::Compression> codec = WriteCompression(url, compression);
  if (!codec.ok() || *codec != io::Compression::kNone || !io::IsLocalUrl(url) ||
      !AllJsonLines(buckets)) {
    return std::nullopt;
  }
  WEFT_ASSIGN_OR_RETURN(std::vector<uint32_t> order, SortOrder(buckets, key_expression, ascending));
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<io::LocalFileWriter> file, io::LocalFileWriter::Open(url));
  // As write_text writes JsonLines: each line (LineAt, without a trailing '\r'), then '\n'.
  WEFT_RETURN_IF_ERROR(ForEachLineInOrder(buckets, order, [&](std::string_view line) {
    WEFT_RETURN_IF_ERROR(file->Append(line));
    return file->Append("\n");
  }));
  WEFT_RETURN_IF_ERROR(file->Commit());
  return static_cast<int64_t>(order.size());
}

absl::StatusOr<Value> JoinUnpack(const ValueList& left, const ValueList& right) {
  constexpr const char* kName = "bag.join_unpack";
  ValueMap index;
  std::vector<Value> keys;
  std::vector<std::pair<ValueList, ValueList>> sides;
  auto add = [&](const ValueList& buckets, bool is_left) -> absl::Status {
    for (const Value& bucket : buckets) {
      WEFT_RETURN_IF_ERROR(ExpectPartition(bucket, kName));
      for (size_t i = 0; i < NumItems(bucket); ++i) {
        WEFT_ASSIGN_OR_RETURN(const ValueList* pair, PairAt(bucket, i, kName));
        auto [it, fresh] = index.try_emplace((*pair)[0], keys.size());
        if (fresh) {
          keys.push_back((*pair)[0]);
          sides.emplace_back();
        }
        (is_left ? sides[it->second].first : sides[it->second].second).push_back((*pair)[1]);
      }
    }
    return absl::OkStatus();
  };
  WEFT_RETURN_IF_ERROR(add(left, true));
  WEFT_RETURN_IF_ERROR(add(right, false));
  std::vector<uint32_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return CompareValues(keys[a], keys[b]) < 0; });
  ValueList out;
  for (uint32_t k : order) {
    for (const Value& l : sides[k].first) {
      for (const Value& r : sides[k].second) out.push_back(MakePair(keys[k], MakePair(l, r)));
    }
  }
  return Value(std::move(out));
}

absl::StatusOr<Value> DistinctUnpack(const ValueList& buckets) {
  absl::flat_hash_set<Value, ValueHash, ValueEq> seen;
  ValueList out;
  for (const Value& bucket : buckets) {
    WEFT_RETURN_IF_ERROR(ExpectPartition(bucket, "bag.distinct_unpack"));
    for (size_t i = 0; i < NumItems(bucket); ++i) {
      WEFT_ASSIGN_OR_RETURN(Value item, ItemAt(bucket, i));
      if (seen.insert(item).second) out.push_back(std::move(item));
    }
  }
  return Value(std::move(out));
}

}  // namespace weft::bag
