// SinkRunner: the sink stage of a pipeline — connects to the spec's sink address (framed
// TCP), takes the parallel workers' results in any order (and, after a replay, twice),
// writes them in batch order, each output row as one frame (without its '\n', so that a
// receiver writing each frame followed by a newline reproduces the function's output),
// and acknowledges every batch written to the source's worker (cumulatively: "every
// batch below N is written"), which then drops them from its replay buffer. Once the
// source's END has said how many batches there are and all of them are written, it
// writes EOT, closes the connection and reports DONE.
//
// Skipped rows (skip_bad_records): each RESULT says how many rows of its batch the
// function failed on; the sink adds them up (once per batch) and reports them; its DONE
// adds the frames the source dropped (the source's END says how many), so that the final
// count does not depend on which stage's report reaches the scheduler first.
//
// Errors: nobody listening on the sink address (within 5 s) fails the stage at start;
// a write to the connection that fails names the batch.
//
// Threading: one writing thread (started by Start, joined by Stop); Deliver (RESULT,
// END) comes from gRPC's threads; mu_ guards the reorder buffer.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "proto/weft.pb.h"
#include "worker/stream/peer_stream.h"
#include "worker/stream/reorder_buffer.h"
#include "worker/stream/stage_runner.h"

namespace weft::stream {

class SinkRunner final : public StageRunner {
 public:
  SinkRunner(proto::StartStage start, const StageServices& services, EventFn send);
  ~SinkRunner() override;  // calls Stop()

  void Start() override;
  void Deliver(const proto::PipelineMessage& message) override;
  void Stop() override;

 private:
  void Run();
  // Writes batches as they become ready until all are written and EOT; false on failure
  // or stop. Counts into *counters.
  bool WriteAll(int fd, Reporter::Counters* counters);
  void Fail(const std::string& what);

  // Constant after construction.
  const proto::StartStage start_;
  Reporter reporter_;
  PeerStream source_;  // acknowledgements

  std::atomic<bool> stopping_{false};
  std::atomic<int> fd_{-1};
  std::thread thread_;

  absl::Mutex mu_;
  ReorderBuffer buffer_ ABSL_GUARDED_BY(mu_);
  int64_t duplicates_ ABSL_GUARDED_BY(mu_) = 0;
  // Rows the parallel stage skipped in the batches received (duplicates not counted).
  int64_t records_skipped_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_skipped_ ABSL_GUARDED_BY(mu_);
  // The frames the source dropped, from its END: added in the DONE report.
  int64_t skipped_at_source_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_skipped_at_source_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::stream
