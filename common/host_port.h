// Network addresses as users write them: "host:port", "[v6]:port".
//
// Threading: pure functions.
#pragma once

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft {

// Splits "host:port" ("[::1]:8786" gives host "::1"). kInvalidArgument naming `address`
// unless the host is not empty and the port is a number in 1..65535: a port out of range
// must not reach gRPC, which would take it modulo 65536 and connect somewhere else.
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(absl::string_view address);

// The host of "host:port" ("[::1]:8786" gives "::1"); a text without a colon as it is.
// No validation: for matching addresses already known good (worker restrictions).
absl::string_view HostOf(absl::string_view address);

// "host:port", with brackets around an IPv6 host ("[::1]:8786").
std::string JoinHostPort(absl::string_view host, int port);

}  // namespace weft
