// Registers the Bag partition functions (bag_ops.h) in the workers' function registry,
// under the names the client's Bag (client/bag.cc) calls. Linked with alwayslink: nothing
// refers to these registrations by symbol.
#include "weft/function.h"
#include "worker/bag/bag_ops.h"
#include "worker/bag/bag_write.h"
#include "worker/bag/shuffle_ops.h"

namespace weft::bag {

WEFT_FUNCTION("bag.list_files", ListFiles);
WEFT_FUNCTION("bag.read_text", ReadText);
WEFT_FUNCTION("bag.parse_json", ParseJson);
WEFT_FUNCTION("bag.count_malformed", CountMalformed);
WEFT_FUNCTION("bag.write_text", WriteText);

WEFT_FUNCTION("bag.pluck", Pluck);
WEFT_FUNCTION("bag.filter", Filter);
WEFT_FUNCTION("bag.count", Count);
WEFT_FUNCTION("bag.filter_count", FilterCount);
WEFT_FUNCTION("bag.take", Take);
WEFT_FUNCTION("bag.concat", Concat);
WEFT_FUNCTION("bag.split", Split);

WEFT_FUNCTION("bag.frequencies", Frequencies);
WEFT_FUNCTION("bag.merge_frequencies", MergeFrequencies);
WEFT_FUNCTION("bag.topk", TopK);
WEFT_FUNCTION("bag.merge_topk", MergeTopK);
WEFT_FUNCTION("bag.distinct", Distinct);
WEFT_FUNCTION("bag.merge_distinct", MergeDistinct);
WEFT_FUNCTION("bag.foldby", Foldby);
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
