// Registers the Bag partition functions (bag_ops.h) in the workers' function registry,
// under the names the client's Bag (client/bag.cc) calls. Linked with alwayslink: nothing
// refers to these registrations by symbol.
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/io/io.h"
#include "common/status_macros.h"
#include "weft/function.h"
#include "worker/bag/bag_ops.h"
#include "worker/bag/bag_write.h"
#include "worker/bag/shuffle_ops.h"

namespace weft::bag {
namespace {

// The worker's I/O options (its flags over the environment; the environment's alone outside
// a worker), with remote transfers aborted once the task is cancelled (its key released):
// a server that stops answering must not hold the worker's thread for minutes of retries.
io::IoOptions TaskIo(const TaskContext& context) {
  io::IoOptions options =
      context.io_options() != nullptr ? *context.io_options() : io::IoOptions::FromEnvironment();
  options.cancelled = [context] { return context.cancelled(); };
  return options;
}

absl::StatusOr<Value> ListFilesTask(const TaskContext& context, const std::string& pattern) {
  return ListFiles(pattern, TaskIo(context));
}

absl::StatusOr<Value> ReadTextTask(const TaskContext& context, const std::string& url,
                                   const std::string& compression) {
  return ReadText(url, compression, TaskIo(context));
}

absl::StatusOr<Value> ReadTextSampleTask(const TaskContext& context, const std::string& url,
                                         const std::string& compression, int64_t blocks,
                                         int64_t block_bytes) {
  return ReadTextSample(url, compression, blocks, block_bytes, TaskIo(context));
}

// The partitions one worker holds reduced in one task (client/bag.cc groups a persisted
// bag's partitions by holder): merge([partial(p, partial_args...) for p in partitions],
// merge_args...), or with `merge` empty the list of partials itself, in the partitions'
// order (for bag.merge_ordered). The partitions come as they are held, compressed ones too:
// each call goes through the registry, which opens them for a function that cannot read
// them.
absl::StatusOr<Value> ReduceLocal(const TaskContext& context, const ValueList& partitions,
                                  const std::string& partial, const ValueList& partial_args,
                                  const std::string& merge, const ValueList& merge_args) {
  ValueList partials;
  partials.reserve(partitions.size());
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (context.cancelled()) return absl::CancelledError("cancelled");
    ValueList args = {partitions[i]};
    args.insert(args.end(), partial_args.begin(), partial_args.end());
    absl::StatusOr<Value> result = context.CallFunction(partial, args);
    if (!result.ok()) {
      return absl::Status(result.status().code(),
                          absl::StrCat("partition ", i + 1, " of the ", partitions.size(),
                                       " reduced here: ", result.status().message()));
    }
    partials.push_back(*std::move(result));
  }
  if (merge.empty()) return Value(std::move(partials));
  ValueList args = {Value(std::move(partials))};
  args.insert(args.end(), merge_args.begin(), merge_args.end());
  return context.CallFunction(merge, args);
}

// The partials of local reductions put back in the order of the bag's partitions, then
// merged: `groups[g]` is the list of partials bag.reduce_local made (merge empty) and
// `positions[g]` the partition index of each; every index from 0 to the number of
// partials must appear once. For merges whose answer depends on that order (distinct keeps
// first appearances, topk breaks ties by position).
absl::StatusOr<Value> MergeOrdered(const TaskContext& context, const ValueList& groups,
                                   const ValueList& positions, const std::string& merge,
                                   const ValueList& merge_args) {
  constexpr const char* kName = "bag.merge_ordered";
  if (groups.size() != positions.size()) {
    return absl::InvalidArgumentError(absl::StrCat(kName, "(): ", groups.size(), " groups but ",
                                                   positions.size(), " position lists"));
  }
  size_t total = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    if (!groups[g].is_list() || !positions[g].is_list() ||
        groups[g].as_list().size() != positions[g].as_list().size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          kName, "(): group ", g + 1, " is not a list of partials with one position each"));
    }
    total += groups[g].as_list().size();
  }
  ValueList ordered(total);
  std::vector<bool> filled(total, false);
  for (size_t g = 0; g < groups.size(); ++g) {
    const ValueList& partials = groups[g].as_list();
    const ValueList& at = positions[g].as_list();
    for (size_t i = 0; i < partials.size(); ++i) {
      if (!at[i].is_int() || at[i].as_int() < 0 || static_cast<size_t>(at[i].as_int()) >= total ||
          filled[at[i].as_int()]) {
        return absl::InvalidArgumentError(absl::StrCat(kName, "(): position ", at[i].DebugString(),
                                                       " is not a free index below ", total));
      }
      filled[at[i].as_int()] = true;
      ordered[at[i].as_int()] = partials[i];
    }
  }
  ValueList args = {Value(std::move(ordered))};
  args.insert(args.end(), merge_args.begin(), merge_args.end());
  return context.CallFunction(merge, args);
}

absl::StatusOr<int64_t> WriteTextTask(const TaskContext& context, const Value& part,
                                      const std::string& url, const std::string& compression) {
  return WriteText(part, url, compression, TaskIo(context));
}

// sort_unpack then write_text in one task (the client fuses sort_by(...).to_textfiles(...)
// so): the sorted partition goes to its file as soon as it exists, and is freed with the
// task instead of waiting in the data store, counted against its memory target, for a
// write task. To a local file written raw, the lines go out in key order as they are
// gathered, and the sorted partition is never held whole (64 MB less to fault in fresh
// for a 1 GB sort's first unpack on a worker).
absl::StatusOr<int64_t> SortUnpackWrite(const TaskContext& context, const ValueList& buckets,
                                        const std::string& key_expression, bool ascending,
                                        const std::string& url, const std::string& compression) {
  WEFT_ASSIGN_OR_RETURN(
      std::optional<int64_t> written,
      SortUnpackToLocalFile(buckets, key_expression, ascending, url, compression));
  if (written.has_value()) return *written;
  WEFT_ASSIGN_OR_RETURN(Value sorted, SortUnpack(buckets, key_expression, ascending));
  return WriteText(sorted, url, compression, TaskIo(context));
}

}  // namespace

WEFT_FUNCTION("bag.list_files", ListFilesTask);
WEFT_FUNCTION("bag.read_text", ReadTextTask);
WEFT_FUNCTION("bag.read_text_sample", ReadTextSampleTask);
WEFT_FUNCTION("bag.parse_json", ParseJson);
WEFT_FUNCTION("bag.parse_json_columns", ParseJsonColumns);
WEFT_FUNCTION("bag.parse_json_compressed", ParseJsonCompressed);
WEFT_FUNCTION("bag.count_malformed", CountMalformed);
WEFT_FUNCTION("bag.write_text", WriteTextTask);

WEFT_FUNCTION_OF_COMPRESSED_LINES("bag.pluck", Pluck);
WEFT_FUNCTION_OF_COMPRESSED_LINES("bag.filter", Filter);
WEFT_FUNCTION_OF_COMPRESSED_LINES("bag.count", Count);
WEFT_FUNCTION_OF_COMPRESSED_LINES("bag.filter_count", FilterCount);
WEFT_FUNCTION_OF_COMPRESSED_LINES("bag.take", Take);
WEFT_FUNCTION_OF_COMPRESSED_LINES("bag.concat", Concat);
WEFT_FUNCTION_OF_COMPRESSED_LINES("bag.split", Split);
WEFT_FUNCTION_OF_COMPRESSED_LINES("bag.compress", Compress);

WEFT_FUNCTION_OF_COMPRESSED_LINES("bag.reduce_local", ReduceLocal);
WEFT_FUNCTION("bag.merge_ordered", MergeOrdered);
WEFT_FUNCTION_OF_COMPRESSED_LINES("bag.frequencies", Frequencies);
WEFT_FUNCTION("bag.merge_frequencies", MergeFrequencies);
WEFT_FUNCTION_OF_COMPRESSED_LINES("bag.topk", TopK);
WEFT_FUNCTION("bag.merge_topk", MergeTopK);
WEFT_FUNCTION_OF_COMPRESSED_LINES("bag.distinct", Distinct);
WEFT_FUNCTION("bag.merge_distinct", MergeDistinct);
WEFT_FUNCTION_OF_COMPRESSED_LINES("bag.foldby", Foldby);
WEFT_FUNCTION("bag.merge_foldby", MergeFoldby);

WEFT_FUNCTION("bag.map", Map);
WEFT_FUNCTION("bag.map_function", MapFunction);
WEFT_FUNCTION("bag.flatten", Flatten);
WEFT_FUNCTION("bag.to_pairs", ToPairs);
WEFT_FUNCTION("bag.map_values", MapValues);

WEFT_FUNCTION("bag.hash_split", HashSplit);
WEFT_FUNCTION("bag.combine_split", CombineSplit);
WEFT_FUNCTION("bag.pairs_combine_split", PairsCombineSplit);
WEFT_FUNCTION("bag.sample_keys", SampleKeys);
WEFT_FUNCTION("bag.range_boundaries", RangeBoundaries);
WEFT_FUNCTION("bag.range_split", RangeSplit);
WEFT_FUNCTION("bag.parse_range_split", ParseRangeSplit);
WEFT_FUNCTION("bag.group_unpack", GroupUnpack);
WEFT_FUNCTION("bag.reduce_unpack", ReduceUnpack);
WEFT_FUNCTION("bag.sort_unpack", SortUnpack);
WEFT_FUNCTION("bag.sort_unpack_write", SortUnpackWrite);
WEFT_FUNCTION("bag.join_unpack", JoinUnpack);
WEFT_FUNCTION("bag.distinct_unpack", DistinctUnpack);

}  // namespace weft::bag
