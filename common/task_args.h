// What a task's arguments (proto Arg) read of other tasks' results: plain keys, read
// whole, and KeySlice items, read one item of a list result apart (a shuffle's unpack
// reading its bucket of each split). The worker fetches by them; the scheduler counts the
// readers of each item, to free an item once they are done.
//
// Threading: free functions, no shared state.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "proto/weft.pb.h"

namespace weft {

// Adds the keys `arg` reads whole to *whole, and its (key, index) KeySlice items to
// *slices, through nested lists.
void CollectArgKeys(const proto::Arg& arg, std::set<std::string>* whole,
                    std::set<std::pair<std::string, int64_t>>* slices);
// Whether args whose keys CollectArgKeys gathered into `whole` and `slices` read `key`
// (whole or some item of it). A dependency they do not read is one the task only runs
// after (an ordering dependency, TaskSpec.dependencies).
bool ReadsKey(const std::set<std::string>& whole,
              const std::set<std::pair<std::string, int64_t>>& slices, const std::string& key);
// Whether `arg` reads an item apart (a KeySlice), through nested lists.
bool HasSliceArg(const proto::Arg& arg);
// How many keys `arg` names (plain keys and KeySlices, through nested lists), each time it
// names one: at least the number of distinct keys it reads.
size_t CountArgKeys(const proto::Arg& arg);

}  // namespace weft
