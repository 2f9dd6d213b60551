// Bridges std::string_view (weft's API type) and absl::string_view: Debian's Abseil
// 20220623 is built with its own string_view type (ABSL_OPTION_USE_STD_STRING_VIEW 0),
// so absl::StrCat and friends do not accept std::string_view directly.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace weft::io::internal {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

inline bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

inline bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace weft::io::internal
