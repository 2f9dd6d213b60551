// Registers the Bag partition functions (bag_ops.h) in the workers' function registry,
// under the names the client's Bag (client/bag.cc) calls. Linked with alwayslink: nothing
// refers to these registrations by symbol.
#include "weft/function.h"
#include "worker/bag/bag_ops.h"

namespace weft::bag {

WEFT_FUNCTION("bag.list_files", ListFiles);
WEFT_FUNCTION("bag.read_text", ReadText);
WEFT_FUNCTION("bag.parse_json", ParseJson);
WEFT_FUNCTION("bag.count_malformed", CountMalformed);

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

}  // namespace weft::bag
