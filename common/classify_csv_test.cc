#include "common/classify_csv.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

namespace weft {
namespace {

std::string Classify(std::string_view batch, bool has_header = true, double threshold = 0,
                     int64_t burn_us = 0) {
  auto out = ClassifyCsvBatch(batch, has_header, threshold, burn_us);
  REQUIRE(out.ok());
  return *out;
}

TEST_CASE("each data row gets ,high or ,low by the sum of its fields after the first") {
  // Sums: row 0: 1.5 + -0.5 = 1 > 0; row 1: -2 + 1 = -1; row 2: 0 + 0 = 0 (not above).
  const std::string batch = "id,a,b\n0,1.5,-0.5\n1,-2,1\n2,0,0\n";
  CHECK(Classify(batch) == "0,1.5,-0.5,high\n1,-2,1,low\n2,0,0,low\n");
  // The index column never counts: 100 + (-1) would be high.
  CHECK(Classify("id,a\n100,-1\n") == "100,-1,low\n");
}

TEST_CASE("the threshold is compared with the sum, strictly") {
  const std::string batch = "id,a,b\n7,2,3\n8,2,3.5\n";
  CHECK(Classify(batch, true, /*threshold=*/5) == "7,2,3,low\n8,2,3.5,high\n");
  CHECK(Classify(batch, true, /*threshold=*/-100) == "7,2,3,high\n8,2,3.5,high\n");
}

TEST_CASE("fields that are not numbers are left out of the sum") {
  // 3 + (x ignored) + (empty ignored) + -1 = 2 > 1.5; 1e1 is 10.
  CHECK(Classify("id,a,b,c,d\n1,3,x,,-1\n2,1e1,abc,-9,0\n", true, 1.5) ==
        "1,3,x,,-1,high\n2,1e1,abc,-9,0,low\n");
}

TEST_CASE("no final newline, blank rows, an empty batch, a header alone") {
  CHECK(Classify("id,a\n1,2\n\n2,-3") == "1,2,high\n2,-3,low\n");
  CHECK(Classify("").empty());
  CHECK(Classify("id,a\n").empty());
  CHECK(Classify("id,a").empty());
}

TEST_CASE("without a header every row is data and any field count goes") {
  CHECK(Classify("1,2\n2,-1,-1\n3\n", /*has_header=*/false) == "1,2,high\n2,-1,-1,low\n3,low\n");
}

TEST_CASE("a row with the wrong number of fields names the row and both counts") {
  auto out = ClassifyCsvBatch("id,a,b\n1,2,3\n2,3\n", true, 0, 0);
  REQUIRE(out.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(out.status().message() == "row 3 has 2 fields, the header has 3");
  auto longer = ClassifyCsvBatch("id,a\n\n1,2,3\n", true, 0, 0);
  CHECK(longer.status().message() == "row 3 has 3 fields, the header has 2");
}

TEST_CASE("burn_us burns that much time per row") {
  const auto start = std::chrono::steady_clock::now();
  CHECK(Classify("id,a\n1,1\n2,2\n3,3\n4,4\n", true, 0, /*burn_us=*/5000) ==
        "1,1,high\n2,2,high\n3,3,high\n4,4,high\n");
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(20));
}

}  // namespace
}  // namespace weft
