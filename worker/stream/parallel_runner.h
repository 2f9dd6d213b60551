// ParallelRunner: the parallel stage of a pipeline on this worker — runs the spec's
// function on each batch the source sends, on a pool of `nthreads` threads of its own,
// and sends each result, with its batch's sequence number, to the sink's worker.
//
// The function is called as function(batch string, args record) and must return a
// string or bytes: the batch's output rows, each followed by '\n'. A function that fails
// (returns an error or throws) on a batch is reported as FAILED naming the pipeline, the
// stage, the function and the batch; the scheduler then stops the pipeline. With the
// spec's skip_bad_records, a batch the function fails on is run again row by row (each
// data row alone, after the header when there is one): the rows that succeed keep their
// output, in order; the others are left out, counted in the RESULT (`skipped`, and the
// first one's error naming the batch and the row) and logged.
//
// Threading: Deliver queues work from gRPC's threads; the pool's threads run it; Stop
// joins them (queued batches are dropped).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "proto/weft.pb.h"
#include "weft/value.h"
#include "worker/function_registry.h"
#include "worker/stream/peer_stream.h"
#include "worker/stream/stage_runner.h"
#include "worker/thread_pool.h"

namespace weft::stream {

class ParallelRunner final : public StageRunner {
 public:
  ParallelRunner(proto::StartStage start, const StageServices& services, EventFn send);
  ~ParallelRunner() override;  // calls Stop()

  void Start() override;
  void Deliver(const proto::PipelineMessage& message) override;
  void Stop() override;

 private:
  void Run(uint64_t seq, std::string batch);
  // The function on one batch; its output as a string.
  absl::StatusOr<std::string> Call(uint64_t seq, std::string batch) const;
  // skip_bad_records: the output of the rows of `batch` that succeed alone; counts the
  // others into message->skipped and first_skipped.
  std::string RunRowByRow(uint64_t seq, std::string_view batch,
                          proto::PipelineMessage* message) const;
  std::string Where() const;  // "pipeline ID: parallel stage (FUNCTION)"

  // Constant after construction.
  const proto::StartStage start_;
  const StageServices services_;
  Reporter reporter_;
  PeerStream sink_;
  Value args_;  // decoded by Start

  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  std::unique_ptr<ThreadPool> pool_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::stream
