#include "common/task_args.h"

#include <limits>

namespace weft {

void CollectArgKeys(const proto::Arg& arg, std::set<std::string>* whole,
                    std::set<std::pair<std::string, int64_t>>* slices) {
  switch (arg.kind_case()) {
    case proto::Arg::kKey:
      whole->insert(arg.key());
      break;
    case proto::Arg::kSlice:
      slices->emplace(arg.slice().key(), arg.slice().index());
      break;
    case proto::Arg::kList:
      for (const proto::Arg& item : arg.list().items()) CollectArgKeys(item, whole, slices);
      break;
    default:
      break;
  }
}

bool HasSliceArg(const proto::Arg& arg) {
  switch (arg.kind_case()) {
    case proto::Arg::kSlice:
      return true;
    case proto::Arg::kList:
      for (const proto::Arg& item : arg.list().items()) {
        if (HasSliceArg(item)) return true;
      }
      return false;
    default:
      return false;
  }
}

bool ReadsKey(const std::set<std::string>& whole,
              const std::set<std::pair<std::string, int64_t>>& slices, const std::string& key) {
  if (whole.count(key) > 0) return true;
  auto item = slices.lower_bound({key, std::numeric_limits<int64_t>::min()});
  return item != slices.end() && item->first == key;
}

size_t CountArgKeys(const proto::Arg& arg) {
  switch (arg.kind_case()) {
    case proto::Arg::kKey:
    case proto::Arg::kSlice:
      return 1;
    case proto::Arg::kList: {
      size_t n = 0;
      for (const proto::Arg& item : arg.list().items()) n += CountArgKeys(item);
      return n;
    }
    default:
      return 0;
  }
}

}  // namespace weft
