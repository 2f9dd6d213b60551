// The I/O flags as weft-worker and the weft CLI parse them: what reaches IoOptions, the
// environment they override, and the command line a local cluster's workers get.
#include "common/io/io_flags.h"

#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <catch2/catch.hpp>

using weft::io::IoFlags;
using weft::io::IoOptions;

namespace {

// Parses `argv` (without the program name); CLI11's message, or "" when it parsed.
std::string Parse(std::vector<std::string> argv, IoFlags* flags) {
  CLI::App app;
  weft::io::AddIoFlags(app, flags);
  std::reverse(argv.begin(), argv.end());  // CLI11 takes them last first
  try {
    app.parse(argv);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

}  // namespace

TEST_CASE("I/O flags reach IoOptions and override the environment") {
  ScopedEnv endpoint("AWS_ENDPOINT_URL", "http://from-env:1");
  ScopedEnv region("AWS_REGION", "eu-west-1");
  IoFlags flags;
  REQUIRE(Parse({"--s3-endpoint", "http://127.0.0.1:9000/", "--s3-region", "ap-south-1",
                 "--io-retries", "1", "--io-timeout", "2.5", "--io-retry-time-limit", "7"},
                &flags) == "");
  const IoOptions options = flags.ToIoOptions();
  CHECK(options.s3_endpoint == "http://127.0.0.1:9000");
  CHECK(options.path_style);
  CHECK(options.region == "ap-south-1");
  CHECK(options.max_retries == 1);
  CHECK(options.connect_timeout == absl::Milliseconds(2500));
  CHECK(options.response_timeout == absl::Milliseconds(2500));
  CHECK(options.low_speed_time == absl::Milliseconds(2500));
  CHECK(options.retry_time_limit == absl::Seconds(7));
}

TEST_CASE("without I/O flags the environment and the defaults hold") {
  ScopedEnv endpoint("AWS_ENDPOINT_URL", "http://from-env:1");
  IoFlags flags;
  REQUIRE(Parse({}, &flags) == "");
  CHECK(flags.empty());
  CHECK(flags.ToArgs().empty());
  const IoOptions options = flags.ToIoOptions();
  const IoOptions defaults;
  CHECK(options.s3_endpoint == "http://from-env:1");
  CHECK(options.path_style);
  CHECK(options.max_retries == defaults.max_retries);
  CHECK(options.response_timeout == defaults.response_timeout);
  CHECK(options.low_speed_time == defaults.low_speed_time);
  CHECK(options.retry_time_limit == defaults.retry_time_limit);
}

TEST_CASE("the flags given go to a local cluster's workers as they were given") {
  IoFlags flags;
  REQUIRE(Parse({"--io-retries", "0", "--io-timeout", "1.5"}, &flags) == "");
  CHECK_FALSE(flags.empty());
  CHECK(flags.ToArgs() == std::vector<std::string>{"--io-retries", "0", "--io-timeout", "1.5"});
  IoFlags again;
  REQUIRE(Parse(flags.ToArgs(), &again) == "");
  CHECK(again.retries == 0);
  CHECK(again.timeout_seconds == 1.5);
}

TEST_CASE("bad I/O flag values are usage errors") {
  IoFlags flags;
  CHECK_THAT(Parse({"--io-retries", "-1"}, &flags), Catch::Contains("--io-retries"));
  CHECK_THAT(Parse({"--io-retries", "many"}, &flags), Catch::Contains("--io-retries"));
  CHECK_THAT(Parse({"--io-timeout", "0"}, &flags), Catch::Contains("--io-timeout"));
  CHECK_THAT(Parse({"--s3-region", ""}, &flags), Catch::Contains("region"));
}
