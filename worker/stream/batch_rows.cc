#include "worker/stream/batch_rows.h"

#include <utility>

namespace weft::stream {

void BatchRows::StartBatch() {
  batch_.clear();
  if (header_row_.has_value()) {
    batch_.append(*header_row_);
    batch_.push_back('\n');
  }
}

std::optional<std::string> BatchRows::Add(std::string_view row) {
  if (header_ && !header_row_.has_value()) {
    header_row_ = std::string(row);
    return std::nullopt;
  }
  if (in_batch_ == 0) StartBatch();
  batch_.append(row);
  batch_.push_back('\n');
  ++rows_seen_;
  if (++in_batch_ < rows_) return std::nullopt;
  in_batch_ = 0;
  return std::exchange(batch_, std::string());
}

std::optional<std::string> BatchRows::Flush() {
  if (in_batch_ == 0) return std::nullopt;
  in_batch_ = 0;
  return std::exchange(batch_, std::string());
}

}  // namespace weft::stream
