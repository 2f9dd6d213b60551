// The I/O flags of weft's command lines, the same on weft-worker and on the `weft` CLI's
// data commands (bag, gharchive, shell), which hand them to the workers of the local
// cluster they start:
//
//   --s3-endpoint URL             S3-compatible server (path-style); [env AWS_ENDPOINT_URL]
//   --s3-region REGION            [env AWS_REGION, AWS_DEFAULT_REGION]
//   --io-retries N                retries of one failed request (IoOptions::max_retries)
//   --io-timeout SECONDS          silence allowed when connecting, before the answer and
//                                 mid-transfer (connect/response time-outs, low-speed time)
//   --io-retry-time-limit SECONDS retries stop this long after the first failure
//
// A flag given overrides its environment variable; a flag not given leaves what
// IoOptions::FromEnvironment() says (credentials come from the environment only: flags
// would show them to `ps`).
//
// Threading: free functions; an IoFlags is filled by CLI11 during parsing, read after.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/io/io.h"

namespace CLI {
class App;
}  // namespace CLI

namespace weft::io {

struct IoFlags {
  std::optional<std::string> s3_endpoint;
  std::optional<std::string> s3_region;
  std::optional<int> retries;
  std::optional<double> timeout_seconds;
  std::optional<double> retry_time_limit_seconds;

  bool empty() const;
  // The flags given, as a command line again ({"--io-retries", "1", ...}): for the
  // weft-workers of a local cluster.
  std::vector<std::string> ToArgs() const;
  // IoOptions::FromEnvironment() with the flags given applied.
  IoOptions ToIoOptions() const;
};

// Adds the flags above to `app`; `*flags` must outlive parsing. Negative counts and
// durations are CLI11 validation errors.
void AddIoFlags(CLI::App& app, IoFlags* flags);

}  // namespace weft::io
