// BatchRows: batches of N rows, the header kept and prepended, the partial last batch.
#include "worker/stream/batch_rows.h"

#include <catch2/catch.hpp>

namespace weft::stream {
namespace {

TEST_CASE("BatchRows with a header prepends it to every batch") {
  BatchRows batcher(2, /*header=*/true);
  CHECK_FALSE(batcher.Add("id,a,b").has_value());
  CHECK_FALSE(batcher.Add("0,1,2").has_value());
  CHECK(batcher.Add("1,3,4") == "id,a,b\n0,1,2\n1,3,4\n");
  CHECK_FALSE(batcher.Add("2,5,6").has_value());
  CHECK(batcher.Flush() == "id,a,b\n2,5,6\n");
  CHECK_FALSE(batcher.Flush().has_value());
  CHECK(batcher.rows_seen() == 3);
}

TEST_CASE("BatchRows without a header batches every row") {
  BatchRows batcher(3, /*header=*/false);
  CHECK_FALSE(batcher.Add("a").has_value());
  CHECK_FALSE(batcher.Add("").has_value());
  CHECK(batcher.Add("c") == "a\n\nc\n");
  CHECK_FALSE(batcher.Flush().has_value());
}

}  // namespace
}  // namespace weft::stream
