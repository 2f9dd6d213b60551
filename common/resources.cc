#include "common/resources.h"

#include <cmath>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace weft {

absl::StatusOr<std::map<std::string, double>> ParseResources(const std::string& text) {
  std::map<std::string, double> resources;
  for (absl::string_view entry : absl::StrSplit(text, absl::ByAnyChar(" ,\t"), absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    double amount;
    if (kv.first.empty() || !absl::SimpleAtod(kv.second, &amount)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid resource '", entry, "': use NAME=AMOUNT, e.g. \"GPU=2 MEM=10e9\""));
    }
    if (!std::isfinite(amount) || amount <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid resource '", entry, "': the amount must be a number > 0"));
    }
    resources[kv.first] = amount;
  }
  return resources;
}

}  // namespace weft
