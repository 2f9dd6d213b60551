// Pipelines: the scheduler's side of streaming pipelines (issue 13) — a pure state
// machine, as SchedulerState: events in (a client submits or stops a pipeline, a stage
// reports, a worker joins or leaves), messages out (TakeInstructions), no sockets,
// threads or clock.
//
// One pipeline moves through one table of legal transitions:
//
//   submitted ──every stage started──▶ running ──sink wrote EOT──▶ done
//       │                                 │
//       ├──a stage failed / source or sink worker died──▶ failed
//       └──the client stopped it or left──────────────────▶ stopped
//
// Placement happens at submission, over the workers in join order: the source (and the
// stateful BatchRows stage) on the first, the parallel stage on every worker, the sink on
// the second (the first when there is only one). Each involved worker gets one StartStage
// per role it plays. A pipeline submitted with no worker connected fails at once.
//
// A worker that leaves: where it ran the source or the sink, the pipeline fails with an
// error naming the stage and the worker; where it ran only the parallel stage, the source's
// worker is told to replay what that worker had not had acknowledged (ReplayBatches), and
// the pipeline runs on. Leaving the terminal states (done, failed, stopped) sends every
// involved worker a StopStage and the client its final PipelineStatus; terminal pipelines
// are kept (for Story and late events) until their client leaves.
//
// Threading: not thread-safe; the scheduler's event loop owns it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/weft.pb.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {

enum class PipelineState { kSubmitted, kRunning, kDone, kFailed, kStopped };
const char* PipelineStateName(PipelineState state);

class Pipelines {
 public:
  // ---- Workers (join order matters: it is the placement order).
  void WorkerJoined(const std::string& worker_id, const proto::WorkerInfo& info);
  void WorkerLeft(const std::string& worker_id);

  // ---- Clients. Errors (kInvalidArgument, kNotFound) are also reported to the client as
  // a FAILED status, so the service only logs them.
  absl::Status Submit(const std::string& client_id, const proto::SubmitPipeline& submit);
  absl::Status Stop(const std::string& client_id, const std::string& pipeline_id);
  // Stops every pipeline the client still runs.
  void ClientLeft(const std::string& client_id);

  // ---- A stage's report. Events of unknown or finished pipelines are dropped (kNotFound
  // for unknown ones).
  absl::Status StageEvent(const std::string& worker_id, const proto::StageEvent& event);

  // What must be sent since the last call.
  Instructions TakeInstructions();

  // Lines of the pipeline's history ("submitted -> running: every stage started"), oldest
  // first; empty for an unknown id.
  std::vector<std::string> Story(const std::string& pipeline_id) const;
  // The state of a pipeline; kNotFound for an unknown id.
  absl::StatusOr<PipelineState> State(const std::string& pipeline_id) const;
  size_t num_pipelines() const { return pipelines_.size(); }

  // A copy of what is known of one pipeline, for the dashboard. Counters are the largest
  // the stages reported: batches_in the source's batches made, batches_out and rows_out
  // the sink's batches and records written; records_skipped the source's and the sink's
  // skipped records together (skip_bad_records), first_skipped the first one reported.
  struct Summary {
    std::string id;
    std::string client_id;
    proto::PipelineSpec spec;
    PipelineState state = PipelineState::kSubmitted;
    std::string error;
    std::string source_worker;  // worker ids; empty before placement
    std::string sink_worker;
    std::vector<std::string> parallel_workers;  // still alive
    int64_t batches_in = 0;
    int64_t batches_out = 0;
    int64_t rows_out = 0;
    int64_t records_skipped = 0;
    std::string first_skipped;
  };
  // Every pipeline kept (running or finished, until its client leaves), by id.
  std::vector<Summary> Summaries() const;

 private:
  struct Worker {
    std::string id;
    std::string address;
    int nthreads = 1;
  };
  struct Pipeline {
    std::string id;
    std::string client_id;
    proto::PipelineSpec spec;
    PipelineState state = PipelineState::kSubmitted;
    std::string source_worker;  // worker ids
    std::string sink_worker;
    std::vector<std::string> parallel_workers;  // still alive
    int starts_pending = 0;                     // StartStage not yet answered by STARTED
    std::string error;
    int64_t batches_in = 0;
    int64_t batches_out = 0;
    int64_t rows_out = 0;
    // The largest each role reported; the sink's DONE counts the source's too, and then
    // skipped_at_source is 0.
    int64_t skipped_at_source = 0;
    int64_t skipped_at_sink = 0;
    std::string first_skipped;
    int64_t records_skipped() const { return skipped_at_source + skipped_at_sink; }
    std::vector<std::string> story;
  };
  using TransitionFn = void (Pipelines::*)(Pipeline* p, const std::string& why);

  // Moves `p` to `to` through the table; an illegal move is a bug (logged, ignored).
  void Transition(Pipeline* p, PipelineState to, const std::string& why);
  static TransitionFn LookupTransition(PipelineState from, PipelineState to);
  // Transition handlers.
  void SubmittedToRunning(Pipeline* p, const std::string& why);
  void RunningToDone(Pipeline* p, const std::string& why);
  void ToFailed(Pipeline* p, const std::string& why);
  void ToStopped(Pipeline* p, const std::string& why);

  // Sends the StartStages of a new pipeline placed on workers_order_.
  void Place(Pipeline* p);
  void SendStart(Pipeline* p, const std::string& worker_id, proto::StageRole role);
  void SendStopToAll(const Pipeline& p, const std::string& reason);
  void SendStatus(const Pipeline& p);
  void SendStatus(const std::string& client_id, const std::string& pipeline_id,
                  proto::PipelineStatus::State state, const std::string& error);
  const Worker* FindWorker(const std::string& id) const;
  static bool Terminal(PipelineState state);

  std::vector<Worker> workers_;  // join order
  std::map<std::string, Pipeline> pipelines_;
  Instructions out_;
};

}  // namespace weft::scheduler
