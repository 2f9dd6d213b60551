// SourceRunner: the source and stateful stages of a pipeline — listens on the spec's
// source address (framed TCP, one connection), batches the rows it reads (BatchRows, or
// the spec's stateful function: FunctionStep),
// numbers each batch and sends it to a parallel worker chosen by credit (SourceLedger),
// keeping it until the sink acknowledges it, so that a lost parallel worker's batches can
// be sent again. On EOT it sends the last, partial batch, then tells the sink how many
// batches there were (END).
//
// Backpressure: with no credit left, the reading thread waits, so the TCP connection is
// not read and its sender blocks.
//
// Errors (a frame longer than the maximum, the connection dropped inside a frame, no
// parallel worker left) are reported as FAILED naming the pipeline, the stage and the
// batch being made; the scheduler then stops the pipeline. With the spec's
// skip_bad_records, a frame longer than the maximum is read, dropped, counted and logged
// instead (the rest still fail: the stream cannot go on after them). A connection closed
// cleanly without EOT ends the input as EOT does.
//
// Threading: one reading thread (started by Start, joined by Stop); Deliver (ACK) and
// Replay come from other threads; mu_ guards the ledger.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "proto/weft.pb.h"
#include "worker/function_registry.h"
#include "worker/stream/batch_rows.h"
#include "worker/stream/function_step.h"
#include "worker/stream/peer_stream.h"
#include "worker/stream/source_ledger.h"
#include "worker/stream/stage_runner.h"

namespace weft::stream {

class SourceRunner final : public StageRunner {
 public:
  SourceRunner(proto::StartStage start, const StageServices& services, EventFn send);
  ~SourceRunner() override;  // calls Stop()

  void Start() override;
  void Deliver(const proto::PipelineMessage& message) override;
  void Replay(const std::string& lost_worker) override;
  void Stop() override;

 private:
  void Run();
  // Reads frames until EOT (or the end of the connection); false after a failure.
  bool ReadInput(int fd);
  // The rows (frames) through the stateful stage: the batches `row` completes, or (row
  // nullopt: the end of input) those left. False after a failure.
  bool Batch(std::optional<std::string_view> row);
  // Waits for credit, then sends `data` as the next batch. False when stopping or failed.
  bool SendBatch(std::string data);
  // Sends the batches a lost target held to the others.
  void LoseTarget(const std::string& address);
  void Fail(const std::string& what);
  // What goes in PROGRESS events: `batches` made, the records skipped.
  Reporter::Counters Counters(uint64_t batches) const;
  std::string Where() const;  // "pipeline ID: source stage"

  // Constant after construction.
  const proto::StartStage start_;
  const StageServices services_;
  Reporter reporter_;
  // One stream per parallel worker, and one to the sink (constant after construction).
  std::map<std::string, std::unique_ptr<PeerStream>> targets_;
  std::unique_ptr<PeerStream> sink_;

  std::atomic<bool> stopping_{false};
  std::atomic<int> connection_fd_{-1};
  int listen_fd_ = -1;  // set by Start, closed by Stop
  std::thread thread_;
  // The stateful stage, one of the two (set by Start); the reading thread's.
  std::unique_ptr<BatchRows> batcher_;
  std::unique_ptr<FunctionStep> step_;
  // Frames dropped (skip_bad_records): the reading thread's.
  int64_t skipped_ = 0;
  std::string first_skipped_;

  absl::Mutex mu_;
  SourceLedger ledger_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace weft::stream
