#include "logging.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "grpc/support/log.h"

namespace weft {
namespace {

TEST_CASE("InitLogging sets the level and can run again") {
  InitLogging("worker w1", "debug");
  CHECK(spdlog::default_logger()->level() == spdlog::level::debug);
  CHECK(spdlog::default_logger()->name() == "weft");

  InitLogging("scheduler", "WARNING");
  CHECK(spdlog::default_logger()->level() == spdlog::level::warn);
  InitLogging("scheduler", "error");
  CHECK(spdlog::default_logger()->level() == spdlog::level::err);
  InitLogging("50% role", "no-such-level");
  CHECK(spdlog::default_logger()->level() == spdlog::level::info);
  WEFT_LOG_INFO("logging works: {}", 42);
}

// The last line logged, or "" when none was.
std::string LastLine() {
  std::vector<std::string> lines = RecentLogLines(1);
  return lines.empty() ? "" : lines.back();
}

TEST_CASE("gRPC's own log lines go to weft's log at debug level") {
  gpr_log_verbosity_init();  // as grpc_init() does: errors only, unless GRPC_VERBOSITY
  InitLogging("worker w1", "info");
  WEFT_LOG_INFO("before");
  gpr_log(GPR_ERROR, "No match found for server name: %s.", "127.0.0.1");
  CHECK_THAT(LastLine(), Catch::EndsWith("before"));  // not shown at info

  InitLogging("worker w1", "debug");
  gpr_log(GPR_ERROR, "No match found for server name: %s.", "127.0.0.1");
  CHECK_THAT(LastLine(), Catch::Contains("[worker w1] debug grpc: No match found for server "
                                         "name: 127.0.0.1. [logging_test.cc:"));

  // What precedes gRPC's abort() stays an error.
  InitLogging("worker w1", "error");
  gpr_log(GPR_ERROR, "assertion failed: %s", "x");
  CHECK_THAT(LastLine(), Catch::Contains("error grpc: assertion failed: x"));
}

}  // namespace
}  // namespace weft
