// `weft info --verbose`'s worker table and the notes under it.
#include "client/cli/output.h"

#include <catch2/catch.hpp>

using weft::ClusterInfo;
using weft::WorkerInfo;
using weft::cli::FormatClusterInfo;

namespace {

ClusterInfo TwoWorkers() {
  ClusterInfo info;
  info.scheduler_address = "127.0.0.1:8786";
  info.workers = 2;
  for (const char* name : {"w1", "w2"}) {
    WorkerInfo& w = info.worker_details.emplace_back();
    w.name = name;
    w.address = "127.0.0.1:9000";
    w.threads = 1;
  }
  return info;
}

}  // namespace

TEST_CASE("weft info -v names a worker whose state machine refused transitions") {
  ClusterInfo info = TwoWorkers();
  info.worker_details[1].illegal_transitions = 3;
  const std::string out = FormatClusterInfo(info, /*verbose=*/true);
  CHECK_THAT(out, Catch::Contains("\nw2 refused 3 illegal state transition(s): a bug in weft, "
                                  "described in its log\n"));
  CHECK_THAT(out, !Catch::Contains("w1 refused"));
  // Not without --verbose, as the rest of the worker table.
  CHECK_THAT(FormatClusterInfo(info, /*verbose=*/false), !Catch::Contains("refused"));
}

TEST_CASE("weft info -v says nothing of transitions on healthy workers") {
  CHECK_THAT(FormatClusterInfo(TwoWorkers(), /*verbose=*/true), !Catch::Contains("refused"));
}
