#include "worker/pause_watch.h"

#include <catch2/catch.hpp>

namespace weft {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000);

absl::Time At(double seconds) { return kStart + absl::Seconds(seconds); }

TEST_CASE("a paused worker with nothing left to shed is stuck after the timeout, once") {
  PauseWatch watch(absl::Seconds(30));
  CHECK_FALSE(watch.Observe(/*paused=*/true, /*can_shed=*/false, At(0)));
  CHECK_FALSE(watch.Observe(true, false, At(29.9)));
  CHECK_FALSE(watch.stuck());
  CHECK(watch.Observe(true, false, At(30)));
  CHECK(watch.stuck());
  CHECK_FALSE(watch.Observe(true, false, At(31)));  // said once
  CHECK(watch.stuck());
}

TEST_CASE("running work or data in memory restarts the count") {
  PauseWatch watch(absl::Seconds(30));
  CHECK_FALSE(watch.Observe(true, false, At(0)));
  CHECK_FALSE(watch.Observe(true, /*can_shed=*/true, At(20)));  // a task ran, data spilled
  CHECK_FALSE(watch.Observe(true, false, At(40)));
  CHECK_FALSE(watch.Observe(true, false, At(69)));
  CHECK(watch.Observe(true, false, At(70)));
}

TEST_CASE("resuming ends a stuck spell; a new one is said again") {
  PauseWatch watch(absl::Seconds(1));
  CHECK_FALSE(watch.Observe(true, false, At(0)));
  CHECK(watch.Observe(true, false, At(1)));
  CHECK_FALSE(watch.Observe(/*paused=*/false, false, At(2)));
  CHECK_FALSE(watch.stuck());
  CHECK_FALSE(watch.Observe(true, false, At(3)));
  CHECK(watch.Observe(true, false, At(4)));
}

TEST_CASE("a running worker is never stuck") {
  PauseWatch watch(absl::ZeroDuration());
  CHECK_FALSE(watch.Observe(/*paused=*/false, /*can_shed=*/false, At(0)));
  CHECK_FALSE(watch.Observe(false, false, At(100)));
  CHECK_FALSE(watch.stuck());
}

}  // namespace
}  // namespace weft
