#include "common/host_port.h"

#include <catch2/catch.hpp>
#include <string>

namespace weft {
namespace {

std::string Error(absl::string_view address) {
  auto split = SplitHostPort(address);
  REQUIRE_FALSE(split.ok());
  CHECK(split.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(split.status().message());
}

TEST_CASE("SplitHostPort takes host:port and [v6]:port") {
  auto v4 = SplitHostPort("10.1.2.3:8786");
  REQUIRE(v4.ok());
  CHECK(v4->first == "10.1.2.3");
  CHECK(v4->second == 8786);
  CHECK(*SplitHostPort("scheduler.example:1") ==
        std::make_pair(std::string("scheduler.example"), 1));
  CHECK(*SplitHostPort("[::1]:65535") == std::make_pair(std::string("::1"), 65535));
}

TEST_CASE("SplitHostPort refuses ports out of 1..65535, naming the address") {
  // gRPC would take 99999 modulo 65536 and connect to port 34463.
  CHECK(Error("127.0.0.1:99999") ==
        "invalid address '127.0.0.1:99999': the port must be a number from 1 to 65535, got "
        "'99999'");
  CHECK(Error("127.0.0.1:65536").find("from 1 to 65535") != std::string::npos);
  CHECK(Error("127.0.0.1:0").find("got '0'") != std::string::npos);
  CHECK(Error("127.0.0.1:-1").find("got '-1'") != std::string::npos);
  CHECK(Error("127.0.0.1:+80").find("got '+80'") != std::string::npos);
  CHECK(Error("127.0.0.1:http").find("got 'http'") != std::string::npos);
  CHECK(Error("127.0.0.1:").find("got ''") != std::string::npos);
  CHECK(Error("127.0.0.1:99999999999999999999").find("from 1 to 65535") != std::string::npos);
}

TEST_CASE("SplitHostPort refuses an address without a host or a port") {
  CHECK(Error("nohost") == "invalid address 'nohost': expected HOST:PORT, e.g. 127.0.0.1:8786");
  CHECK(Error(":8786").find("expected HOST:PORT") != std::string::npos);
  CHECK(Error("[]:8786").find("expected HOST:PORT") != std::string::npos);
  CHECK(Error("").find("expected HOST:PORT") != std::string::npos);
}

TEST_CASE("JoinHostPort brackets IPv6 hosts") {
  CHECK(JoinHostPort("10.0.0.1", 80) == "10.0.0.1:80");
  CHECK(JoinHostPort("::1", 80) == "[::1]:80");
  CHECK(JoinHostPort("[::1]", 80) == "[::1]:80");
}

}  // namespace
}  // namespace weft
