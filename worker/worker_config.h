// Parsing and environment helpers for weft-worker's command line: memory sizes,
// resources, and the address this worker advertises to its peers.
//
// Threading: free functions, no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/host_port.h"  // SplitHostPort, for the scheduler's address
#include "common/resources.h"  // ParseResources, for --resources

namespace weft {

// "4GiB", "2GB", "512MiB", "10e9", "1000000", "0" (no limit), "auto" (the machine's total
// RAM), or a fraction of it ("0.5"). Decimal units are powers of 1000, "i" units of 1024.
absl::StatusOr<int64_t> ParseMemoryLimit(const std::string& text);

// The local IP address this host uses to reach `scheduler_host` (a UDP socket connected
// to it, then getsockname: no packet is sent). 127.0.0.1 when the scheduler is on loopback.
absl::StatusOr<std::string> LocalAddressToward(const std::string& scheduler_host);

// The address peers and clients should use for this worker, listening on `host`:`port`:
// `contact_address` if set (a bare host gets `port`), else `host` unless it is a wildcard,
// else the local IP toward the scheduler. kInvalidArgument when `scheduler_address` is not
// HOST:PORT with a port in 1..65535 (SplitHostPort), whichever is used.
absl::StatusOr<std::string> AdvertisedAddress(const std::string& contact_address,
                                              const std::string& host, int port,
                                              const std::string& scheduler_address);

}  // namespace weft
