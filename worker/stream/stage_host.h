// StageHost: the stages of streaming pipelines that run on this worker, and the
// Pipeline.Push service through which the workers' stages stream to each other.
//
// The scheduler's StartStage makes a runner for (pipeline, role) — SourceRunner,
// ParallelRunner or SinkRunner — and starts it; ReplayBatches goes to the pipeline's
// source; StopStage stops and drops every stage of the pipeline here. Push streams carry
// PipelineMessages: BATCH to the parallel stage, RESULT and END to the sink, ACK to the
// source. A message may arrive before the StartStage of its stage (the scheduler's
// instructions race the peers' streams): the stream waits for the stage up to 30 s, or
// until the pipeline is stopped here (then the message is dropped).
//
// Lifecycle: construct before the worker's gRPC server starts (it is one of its
// services); Shutdown() stops every stage before the server shuts down.
//
// Threading: Handle() is called by the scheduler session's reader thread, Push by
// gRPC's threads; mu_ guards the table of stages; runners are shared with the streams
// that deliver to them, and never called under mu_.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "proto/weft.grpc.pb.h"
#include "worker/function_registry.h"
#include "worker/stream/stage_runner.h"

namespace weft::stream {

class StageHost final : public proto::Pipeline::Service {
 public:
  // `services.registry` must outlive the host; `send` carries stage events to the scheduler.
  StageHost(StageServices services, EventFn send);
  ~StageHost() override;  // calls Shutdown()

  // Whether `instruction` is for the pipeline stages (then Handle it here).
  static bool IsStageInstruction(const proto::WorkerInstruction& instruction);
  void Handle(const proto::WorkerInstruction& instruction);
  // Stops every stage. Idempotent.
  void Shutdown();

  grpc::Status Push(grpc::ServerContext* context,
                    grpc::ServerReader<proto::PipelineMessage>* reader,
                    proto::PushReply* reply) override;

  // The number of pipelines with a stage here (tests).
  size_t num_pipelines() const;

 private:
  // A pipeline's stages on this worker; the runners are shared with Push streams.
  struct Stages {
    std::shared_ptr<StageRunner> source;
    std::shared_ptr<StageRunner> parallel;
    std::shared_ptr<StageRunner> sink;
  };
  void Start(const proto::StartStage& start);
  void StopPipeline(const std::string& pipeline_id, const std::string& reason);
  // The runner for `message`, waiting for its StartStage; null if the pipeline stopped.
  std::shared_ptr<StageRunner> RunnerFor(const proto::PipelineMessage& message);

  // Constant after construction.
  const StageServices services_;
  const EventFn send_;

  mutable absl::Mutex mu_;
  std::map<std::string, Stages> stages_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> stopped_ ABSL_GUARDED_BY(mu_);  // pipeline ids
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace weft::stream
