#include "worker/bag/low_cardinality.h"

namespace weft::bag {

void LowCardinalityColumns::Start(const std::vector<std::string>& field_names,
                                  size_t expected_lines) {
  for (const std::string& name : field_names) {
    if (paths_.size() == options_.max_fields) break;
    paths_.push_back(Path::Parse(name));
    builders_.emplace_back().Reserve(expected_lines);
  }
}

void LowCardinalityColumns::Add(const std::vector<Extracted>& values) {
  // Backwards, so that dropping a candidate leaves the indexes still to visit in place.
  for (size_t k = paths_.size(); k-- > 0;) {
    const Extracted& value = values[k];
    if (!value.is_string && (value.value.is_list() || value.value.is_record())) {
      Drop(k);
      continue;
    }
    builders_[k].Add(value);
    if (builders_[k].distinct() > options_.max_distinct) Drop(k);
  }
}

void LowCardinalityColumns::Drop(size_t candidate) {
  paths_.erase(paths_.begin() + candidate);
  builders_.erase(builders_.begin() + candidate);
}

std::vector<std::pair<Path, std::shared_ptr<const Column>>> LowCardinalityColumns::Finish() && {
  std::vector<std::pair<Path, std::shared_ptr<const Column>>> out;
  for (size_t k = 0; k < paths_.size(); ++k) {
    out.emplace_back(std::move(paths_[k]), std::move(builders_[k]).Finish());
  }
  return out;
}

}  // namespace weft::bag
