// Registers the Bag partition functions (bag_ops.h) in the workers' function registry,
// under the names the client's Bag (client/bag.cc) calls. Linked with alwayslink: nothing
// refers to these registrations by symbol.
#include "absl/strings/str_cat.h"
#include "common/io/io.h"
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

// The partitions one worker holds reduced in one task (client/bag.cc groups a persisted
// bag's partitions by holder): merge([partial(p, partial_args...) for p in partitions],
// merge_args...). The partitions come as they are held, compressed ones too: each call goes
// through the registry, which opens them for a function that cannot read them.
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
  ValueList args = {Value(std::move(partials))};
  args.insert(args.end(), merge_args.begin(), merge_args.end());
  return context.CallFunction(merge, args);
}

absl::StatusOr<int64_t> WriteTextTask(const TaskContext& context, const Value& part,
                                      const std::string& url, const std::string& compression) {
  return WriteText(part, url, compression, TaskIo(context));
}

}  // namespace

WEFT_FUNCTION("bag.list_files", ListFilesTask);
WEFT_FUNCTION("bag.read_text", ReadTextTask);
WEFT_FUNCTION("bag.parse_json", ParseJson);
WEFT_FUNCTION("bag.parse_json_columns", ParseJsonColumns);
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
WEFT_FUNCTION("bag.group_unpack", GroupUnpack);
WEFT_FUNCTION("bag.reduce_unpack", ReduceUnpack);
WEFT_FUNCTION("bag.sort_unpack", SortUnpack);
WEFT_FUNCTION("bag.join_unpack", JoinUnpack);
WEFT_FUNCTION("bag.distinct_unpack", DistinctUnpack);

}  // namespace weft::bag
