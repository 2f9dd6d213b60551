#include "common/io/io_flags.h"

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"

namespace weft::io {
namespace {

// "1.5" for 1.5 seconds: back to the text a flag takes.
std::string Seconds(double seconds) { return absl::StrCat(seconds); }

absl::Duration ToDuration(double seconds) { return absl::Seconds(seconds); }

}  // namespace

bool IoFlags::empty() const { return ToArgs().empty(); }

std::vector<std::string> IoFlags::ToArgs() const {
  std::vector<std::string> args;
  if (s3_endpoint) args.insert(args.end(), {"--s3-endpoint", *s3_endpoint});
  if (s3_region) args.insert(args.end(), {"--s3-region", *s3_region});
  if (retries) args.insert(args.end(), {"--io-retries", absl::StrCat(*retries)});
  if (timeout_seconds) args.insert(args.end(), {"--io-timeout", Seconds(*timeout_seconds)});
  if (retry_time_limit_seconds) {
    args.insert(args.end(), {"--io-retry-time-limit", Seconds(*retry_time_limit_seconds)});
  }
  return args;
}

IoOptions IoFlags::ToIoOptions() const {
  IoOptions options = IoOptions::FromEnvironment();
  if (s3_endpoint) options.SetS3Endpoint(*s3_endpoint);
  if (s3_region) options.region = *s3_region;
  if (retries) options.max_retries = *retries;
  if (timeout_seconds) {
    options.connect_timeout = ToDuration(*timeout_seconds);
    options.response_timeout = ToDuration(*timeout_seconds);
    options.low_speed_time = ToDuration(*timeout_seconds);
  }
  if (retry_time_limit_seconds) options.retry_time_limit = ToDuration(*retry_time_limit_seconds);
  return options;
}

void AddIoFlags(CLI::App& app, IoFlags* flags) {
  app.add_option_function<std::string>(
         "--s3-endpoint", [flags](const std::string& url) { flags->s3_endpoint = url; },
         "S3-compatible server for s3:// urls, e.g. http://127.0.0.1:9000 (path-style "
         "requests) [env AWS_ENDPOINT_URL]")
      ->type_name("URL");
  app.add_option_function<std::string>(
         "--s3-region", [flags](const std::string& region) { flags->s3_region = region; },
         "S3 region (default us-east-1) [env AWS_REGION, AWS_DEFAULT_REGION]")
      ->type_name("REGION")
      ->check([](const std::string& region) {
        return region.empty() ? std::string("a region must not be empty") : std::string();
      });
  app.add_option_function<int>(
         "--io-retries", [flags](const int& n) { flags->retries = n; },
         "retries of a failed or timed-out remote read or write before it is an error "
         "(default 4; see also --io-retry-time-limit)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  app.add_option_function<double>(
         "--io-timeout", [flags](const double& s) { flags->timeout_seconds = s; },
         "seconds a remote server may stay silent (connecting, before answering, in the "
         "middle of a transfer) before the attempt fails (default 10; 30 mid-transfer)")
      ->type_name("SECONDS")
      ->check(CLI::PositiveNumber);
  app.add_option_function<double>(
         "--io-retry-time-limit", [flags](const double& s) { flags->retry_time_limit_seconds = s; },
         "no retry starts later than this many seconds after the first failure (default 30)")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
}

}  // namespace weft::io
