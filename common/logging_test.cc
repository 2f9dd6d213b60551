#include "logging.h"

#include <catch2/catch.hpp>

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

}  // namespace
}  // namespace weft
