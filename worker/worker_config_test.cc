#include "worker/worker_config.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/time/clock.h"

namespace weft {
namespace {

TEST_CASE("memory limits") {
  CHECK(*ParseMemoryLimit("0") == 0);
  CHECK(*ParseMemoryLimit("1000") == 1000);
  CHECK(*ParseMemoryLimit("2GB") == 2000000000);
  CHECK(*ParseMemoryLimit("4GiB") == int64_t{4} << 30);
  CHECK(*ParseMemoryLimit("512 MiB") == int64_t{512} << 20);
  CHECK(*ParseMemoryLimit("10e9") == 10000000000);
  CHECK(*ParseMemoryLimit("auto") > 0);
  CHECK(*ParseMemoryLimit("0.5") == *ParseMemoryLimit("auto") / 2);
  CHECK_FALSE(ParseMemoryLimit("lots").ok());
  CHECK_FALSE(ParseMemoryLimit("4 parsecs").ok());
  CHECK_FALSE(ParseMemoryLimit("-1").ok());
}

TEST_CASE("resources") {
  auto r = ParseResources("GPU=2 MEM=10e9,TPU=1");
  REQUIRE(r.ok());
  CHECK(r->size() == 3);
  CHECK(r->at("GPU") == 2);
  CHECK(r->at("MEM") == 10e9);
  CHECK(ParseResources("")->empty());
  CHECK_FALSE(ParseResources("GPU").ok());
  CHECK_FALSE(ParseResources("GPU=many").ok());
}

TEST_CASE("addresses") {
  auto hp = SplitHostPort("10.1.2.3:8786");
  REQUIRE(hp.ok());
  CHECK(hp->first == "10.1.2.3");
  CHECK(hp->second == 8786);
  CHECK(SplitHostPort("[::1]:5")->first == "::1");
  CHECK_FALSE(SplitHostPort("nohost").ok());
  // The scheduler's address is checked whether or not it is needed for the answer.
  CHECK(AdvertisedAddress("", "192.168.0.9", 4000, "127.0.0.1:99999").status().code() ==
        absl::StatusCode::kInvalidArgument);

  CHECK(*LocalAddressToward("127.0.0.1") == "127.0.0.1");
  CHECK(*AdvertisedAddress("", "0.0.0.0", 4000, "127.0.0.1:8786") == "127.0.0.1:4000");
  CHECK(*AdvertisedAddress("", "192.168.0.9", 4000, "127.0.0.1:8786") == "192.168.0.9:4000");
  CHECK(*AdvertisedAddress("public.example", "0.0.0.0", 4000, "x:1") == "public.example:4000");
  CHECK(*AdvertisedAddress("public.example:99", "0.0.0.0", 4000, "x:1") == "public.example:99");
}

}  // namespace
}  // namespace weft
