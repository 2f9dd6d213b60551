// Registers the Bag partition functions (bag_ops.h) in the workers' function registry,
// under the names the client's Bag (client/bag.cc) calls. Linked with alwayslink: nothing
// refers to these registrations by symbol.
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
