#include "common/scheduler_file.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/time/clock.h"

namespace weft {
namespace {

std::string TempPath(const char* name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

TEST_CASE("a scheduler file is read once it holds an address") {
  std::string path = TempPath("scheduler.json");
  std::remove(path.c_str());
  auto absent = ReadSchedulerFile(path, absl::Now() + absl::Milliseconds(200));
  CHECK(absent.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK_THAT(std::string(absent.status().message()), Catch::Contains("does not exist"));
  std::ofstream(path) << R"({"address": "10.1.2.3:8786", "dashboard": 8787})";
  CHECK(*ReadSchedulerFile(path, absl::Now()) == "10.1.2.3:8786");
  std::ofstream(path) << R"({"pid": 7})";
  auto no_address = ReadSchedulerFile(path, absl::Now());
  CHECK_THAT(std::string(no_address.status().message()), Catch::Contains("holds no"));
}

TEST_CASE("what WriteSchedulerFile writes, ReadSchedulerFile reads") {
  std::string path = TempPath("written.json");
  REQUIRE(WriteSchedulerFile(path, "127.0.0.1:4321").ok());
  CHECK(*ReadSchedulerFile(path, absl::Now()) == "127.0.0.1:4321");
  CHECK_FALSE(WriteSchedulerFile("/nonexistent-dir/x.json", "a:1").ok());
}

TEST_CASE("waiting stops as soon as there is no point") {
  std::string path = TempPath("never.json");
  std::remove(path.c_str());
  // No deadline: only the "no point" answer can end the wait.
  auto r = ReadSchedulerFile(path, absl::InfiniteFuture(), [] { return true; });
  CHECK(r.status().code() == absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace weft
