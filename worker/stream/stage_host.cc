#include "worker/stream/stage_host.h"

#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "common/logging.h"
#include "worker/stream/parallel_runner.h"
#include "worker/stream/sink_runner.h"
#include "worker/stream/source_runner.h"

namespace weft::stream {
namespace {

constexpr absl::Duration kStageWait = absl::Seconds(30);

}  // namespace

StageHost::StageHost(StageServices services, EventFn send)
    : services_(std::move(services)), send_(std::move(send)) {}

StageHost::~StageHost() { Shutdown(); }

bool StageHost::IsStageInstruction(const proto::WorkerInstruction& instruction) {
  return instruction.has_start_stage() || instruction.has_stop_stage() ||
         instruction.has_replay_batches();
}

void StageHost::Handle(const proto::WorkerInstruction& instruction) {
  if (instruction.has_start_stage()) {
    Start(instruction.start_stage());
  } else if (instruction.has_stop_stage()) {
    StopPipeline(instruction.stop_stage().pipeline_id(), instruction.stop_stage().reason());
  } else if (instruction.has_replay_batches()) {
    const proto::ReplayBatches& replay = instruction.replay_batches();
    std::shared_ptr<StageRunner> source;
    {
      absl::MutexLock lock(&mu_);
      auto it = stages_.find(replay.pipeline_id());
      if (it != stages_.end()) source = it->second.source;
    }
    if (source != nullptr) source->Replay(replay.lost_worker());
  }
}

void StageHost::Start(const proto::StartStage& start) {
  std::shared_ptr<StageRunner> runner;
  switch (start.role()) {
    case proto::SOURCE:
      runner = std::make_shared<SourceRunner>(start, services_, send_);
      break;
    case proto::PARALLEL:
      runner = std::make_shared<ParallelRunner>(start, services_, send_);
      break;
    case proto::SINK:
      runner = std::make_shared<SinkRunner>(start, services_, send_);
      break;
    default:
      WEFT_LOG_WARN("pipeline {}: StartStage without a role; ignored", start.pipeline_id());
      return;
  }
  WEFT_LOG_INFO("pipeline {}: starting the {} stage", start.pipeline_id(),
                proto::StageRole_Name(start.role()));
  // Started before it is listed, so that no message reaches a runner not started yet.
  runner->Start();
  bool listed = false;
  {
    absl::MutexLock lock(&mu_);
    if (!shut_down_ && stopped_.count(start.pipeline_id()) == 0) {
      Stages& stages = stages_[start.pipeline_id()];
      (start.role() == proto::SOURCE     ? stages.source
       : start.role() == proto::PARALLEL ? stages.parallel
                                         : stages.sink) = runner;
      listed = true;
    }
  }
  if (!listed) runner->Stop();  // stopped meanwhile
}

void StageHost::StopPipeline(const std::string& pipeline_id, const std::string& reason) {
  Stages stages;
  {
    absl::MutexLock lock(&mu_);
    stopped_.insert(pipeline_id);
    auto it = stages_.find(pipeline_id);
    if (it == stages_.end()) return;
    stages = std::move(it->second);
    stages_.erase(it);
  }
  WEFT_LOG_INFO("pipeline {}: stopping its stages here ({})", pipeline_id, reason);
  for (auto* runner : {&stages.source, &stages.parallel, &stages.sink}) {
    if (*runner != nullptr) (*runner)->Stop();
  }
}

void StageHost::Shutdown() {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    for (const auto& [id, stages] : stages_) ids.push_back(id);
  }
  for (const std::string& id : ids) StopPipeline(id, "the worker shuts down");
}

size_t StageHost::num_pipelines() const {
  absl::MutexLock lock(&mu_);
  return stages_.size();
}

std::shared_ptr<StageRunner> StageHost::RunnerFor(const proto::PipelineMessage& message) {
  const std::string& id = message.pipeline_id();
  auto pick = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> std::shared_ptr<StageRunner> {
    auto it = stages_.find(id);
    if (it == stages_.end()) return nullptr;
    switch (message.kind()) {
      case proto::PipelineMessage::BATCH:
        return it->second.parallel;
      case proto::PipelineMessage::RESULT:
      case proto::PipelineMessage::END:
        return it->second.sink;
      case proto::PipelineMessage::ACK:
        return it->second.source;
      default:
        return nullptr;
    }
  };
  absl::MutexLock lock(&mu_);
  std::shared_ptr<StageRunner> runner;
  auto found = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    runner = pick();
    return runner != nullptr || stopped_.count(id) > 0 || shut_down_;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&found), kStageWait)) {
    WEFT_LOG_WARN("pipeline {}: no stage here for a {} message after {}; dropped", id,
                  proto::PipelineMessage::Kind_Name(message.kind()),
                  absl::FormatDuration(kStageWait));
  }
  return runner;
}

grpc::Status StageHost::Push(grpc::ServerContext* context,
                             grpc::ServerReader<proto::PipelineMessage>* reader,
                             proto::PushReply* reply) {
  proto::PipelineMessage message;
  // The last runner found, per kind: most streams carry one pipeline and one kind.
  std::string cached_id;
  std::map<int, std::shared_ptr<StageRunner>> cached;
  while (reader->Read(&message)) {
    if (message.pipeline_id() != cached_id) {
      cached.clear();
      cached_id = message.pipeline_id();
    }
    std::shared_ptr<StageRunner>& runner = cached[message.kind()];
    if (runner == nullptr) runner = RunnerFor(message);
    if (runner != nullptr) runner->Deliver(message);
  }
  return grpc::Status::OK;
}

}  // namespace weft::stream
