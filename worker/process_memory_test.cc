// ProcessRssBytes against memory this test touches.
#include "worker/process_memory.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>

namespace weft {
namespace {

TEST_CASE("ProcessRssBytes reads the resident set, again and again") {
  const int64_t before = ProcessRssBytes();
  REQUIRE(before > 0);
  constexpr size_t kBytes = size_t{256} << 20;
  std::unique_ptr<char[]> block(new char[kBytes]);
  std::memset(block.get(), 1, kBytes);  // resident now
  const int64_t after = ProcessRssBytes();
  CHECK(after - before >= static_cast<int64_t>(kBytes) * 9 / 10);
  // Each reading is fresh (the file is read from its start every time).
  for (int i = 0; i < 1000; ++i) REQUIRE(ProcessRssBytes() >= after * 9 / 10);
  CHECK(block[kBytes - 1] == 1);
}

}  // namespace
}  // namespace weft
