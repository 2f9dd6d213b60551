#include "scheduler/idle_timer.h"

#include <catch2/catch.hpp>

namespace weft::scheduler {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST_CASE("an idle timer expires after the timeout of uninterrupted idleness") {
  IdleTimer timer(absl::Seconds(10));
  CHECK_FALSE(timer.Expired(/*idle=*/true, kT0));
  CHECK_FALSE(timer.Expired(/*idle=*/true, kT0 + absl::Seconds(9)));
  CHECK(timer.Expired(/*idle=*/true, kT0 + absl::Seconds(10)));
  CHECK(timer.Expired(/*idle=*/false, kT0 + absl::Seconds(11)));  // stays expired
}

TEST_CASE("a busy moment starts the count again") {
  IdleTimer timer(absl::Seconds(10));
  CHECK_FALSE(timer.Expired(/*idle=*/true, kT0));
  CHECK_FALSE(timer.Expired(/*idle=*/false, kT0 + absl::Seconds(8)));  // a client came and went
  CHECK_FALSE(timer.Expired(/*idle=*/true, kT0 + absl::Seconds(9)));
  CHECK_FALSE(timer.Expired(/*idle=*/true, kT0 + absl::Seconds(18)));
  CHECK(timer.Expired(/*idle=*/true, kT0 + absl::Seconds(19)));
}

TEST_CASE("a zero timeout never expires") {
  IdleTimer timer(absl::ZeroDuration());
  CHECK_FALSE(timer.Expired(/*idle=*/true, kT0));
  CHECK_FALSE(timer.Expired(/*idle=*/true, kT0 + absl::Hours(1000)));
}

}  // namespace
}  // namespace weft::scheduler
