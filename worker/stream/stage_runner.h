// StageRunner: one stage of one pipeline on this worker (SourceRunner, ParallelRunner,
// SinkRunner), and the Reporter its stage events go out through.
//
// Lifecycle: StageHost constructs a runner from the scheduler's StartStage, calls Start()
// (quick: long work runs on the runner's own threads), hands it the Pipeline.Push
// messages addressed to its role (Deliver), the scheduler's ReplayBatches (source), and
// finally Stop(), which ends its threads and connections; nothing is called after Stop.
//
// Threading: Deliver is called from gRPC's threads (one per incoming stream), Replay and
// Stop from the scheduler session's reader thread; each runner guards its own state.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/channel_cache.h"
#include "common/io/io.h"
#include "proto/weft.pb.h"
#include "worker/function_registry.h"

namespace weft::stream {

// Sends a stage's events (the worker's scheduler session; dropped while disconnected).
using EventFn = std::function<void(const proto::WorkerEvent&)>;

// What a worker lends its stages, the same it gives its tasks: its functions, its channels
// to peers (made with its credentials) and its I/O options (TaskContext::io_options).
struct StageServices {
  const FunctionRegistry& registry;  // outlives every stage
  std::shared_ptr<ChannelCache> channels;
  std::shared_ptr<const io::IoOptions> io;  // null: functions read the environment
};

// A stage's events, each naming its pipeline and role. FAILED is sent once (the first
// error wins; later ones are only logged). PROGRESS goes out at most every 500 ms; counters
// reported in between are sent when that time is up (by a thread of the Reporter's own), so
// a stage that stalls still shows where it stopped.
// Threading: thread-safe; the destructor waits for a pending send.
class Reporter {
 public:
  Reporter(std::string pipeline_id, proto::StageRole role, EventFn send)
      : pipeline_id_(std::move(pipeline_id)), role_(role), send_(std::move(send)) {}
  ~Reporter();
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  struct Counters {
    int64_t batches_in = 0;
    int64_t batches_out = 0;
    int64_t rows_out = 0;
    int64_t records_skipped = 0;  // skip_bad_records: bad records dropped so far
    std::string first_skipped;    // the first of them: where and why
  };
  void Started();
  void Done(const Counters& counters);
  // At once, or (within 500 ms of the last) the latest counters once the 500 ms are up.
  void Progress(const Counters& counters);
  // `error` already names the pipeline, stage and batch.
  void Failed(const std::string& error);
  bool failed() const { return failed_.load(); }

 private:
  void Send(proto::StageEvent::Kind kind, const Counters& counters, const std::string& error);
  // The flusher thread: sends pending_ when its time comes, until stopping_.
  void FlushLoop();

  // Constant after construction.
  const std::string pipeline_id_;
  const proto::StageRole role_;
  const EventFn send_;

  std::atomic<bool> failed_{false};
  absl::Mutex mu_;
  absl::Time last_progress_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::optional<Counters> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread flusher_;  // started at the first deferred report
};

class StageRunner {
 public:
  virtual ~StageRunner() = default;
  virtual void Start() = 0;
  virtual void Deliver(const proto::PipelineMessage& message) = 0;
  // Source only: the parallel worker at `lost_worker` died.
  virtual void Replay(const std::string& lost_worker) {}
  virtual void Stop() = 0;
};

}  // namespace weft::stream
