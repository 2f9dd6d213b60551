#include "common/host_port.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace weft {

absl::string_view HostOf(absl::string_view address) {
  const size_t colon = address.rfind(':');
  absl::string_view host = colon == absl::string_view::npos ? address : address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(absl::string_view address) {
  const size_t colon = address.rfind(':');
  const absl::string_view host = colon == absl::string_view::npos ? "" : HostOf(address);
  if (host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid address '", address, "': expected HOST:PORT, e.g. 127.0.0.1:8786"));
  }
  const absl::string_view port_text = address.substr(colon + 1);
  int port = 0;
  // SimpleAtoi takes "+5" and " 5"; a port is digits only.
  const bool digits =
      !port_text.empty() && std::all_of(port_text.begin(), port_text.end(),
                                        [](char c) { return absl::ascii_isdigit(c); });
  if (!digits || !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid address '", address,
                     "': the port must be a number from 1 to 65535, got '", port_text, "'"));
  }
  return std::make_pair(std::string(host), port);
}

std::string JoinHostPort(absl::string_view host, int port) {
  const bool v6 = absl::StrContains(host, ':') && !absl::StartsWith(host, "[");
  return v6 ? absl::StrCat("[", host, "]:", port) : absl::StrCat(host, ":", port);
}

}  // namespace weft
