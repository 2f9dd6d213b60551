#include "common/classify_csv.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace weft {
namespace {

// The busy loop stands for real work, so it must use the CPU: sleeping would let other
// batches run on this core and make a parallel step look faster than it is.
void BurnCpu(int64_t burn_us) {
  if (burn_us <= 0) return;
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(burn_us);
  while (std::chrono::steady_clock::now() < until) {
  }
}

size_t CountFields(std::string_view row) { return std::count(row.begin(), row.end(), ',') + 1; }

// The sum of the fields after the first that parse as numbers.
double SumOfNumbers(std::string_view row) {
  double sum = 0;
  size_t start = row.find(',');
  while (start != std::string_view::npos) {
    const size_t end = row.find(',', start + 1);
    const std::string_view field = row.substr(
        start + 1, end == std::string_view::npos ? std::string_view::npos : end - start - 1);
    double value;
    // SimpleAtod, like Python's float(), takes surrounding whitespace, "inf" and "nan".
    if (absl::SimpleAtod(absl::string_view(field.data(), field.size()), &value)) sum += value;
    start = end;
  }
  return sum;
}

}  // namespace

absl::StatusOr<std::string> ClassifyCsvBatch(std::string_view batch, bool has_header,
                                             double threshold, int64_t burn_us) {
  std::string out;
  out.reserve(batch.size() + batch.size() / 8);
  size_t header_fields = 0;
  bool header_seen = !has_header;
  int64_t row_number = 0;
  size_t pos = 0;
  while (pos < batch.size()) {
    size_t end = batch.find('\n', pos);
    if (end == std::string_view::npos) end = batch.size();
    const std::string_view row = batch.substr(pos, end - pos);
    pos = end + 1;
    ++row_number;
    if (row.empty()) continue;
    if (!header_seen) {
      header_fields = CountFields(row);
      header_seen = true;
      continue;
    }
    if (has_header) {
      const size_t fields = CountFields(row);
      if (fields != header_fields) {
        return absl::InvalidArgumentError(absl::StrCat("row ", row_number, " has ", fields,
                                                       " fields, the header has ", header_fields));
      }
    }
    BurnCpu(burn_us);
    out.append(row.data(), row.size());
    out.append(SumOfNumbers(row) > threshold ? ",high\n" : ",low\n");
  }
  return out;
}

}  // namespace weft
