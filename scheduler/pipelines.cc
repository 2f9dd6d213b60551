// Pipelines: placement, the transition table and one function per legal transition.
#include "scheduler/pipelines.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace weft::scheduler {
namespace {

using P = PipelineState;
constexpr int kNumStates = 5;

const char* RoleName(proto::StageRole role) {
  switch (role) {
    case proto::SOURCE:
      return "source";
    case proto::PARALLEL:
      return "parallel";
    case proto::SINK:
      return "sink";
    default:
      return "unknown";
  }
}

proto::PipelineStatus::State ToProto(PipelineState state) {
  switch (state) {
    case P::kSubmitted:
      return proto::PipelineStatus::SUBMITTED;
    case P::kRunning:
      return proto::PipelineStatus::RUNNING;
    case P::kDone:
      return proto::PipelineStatus::DONE;
    case P::kFailed:
      return proto::PipelineStatus::FAILED;
    case P::kStopped:
      return proto::PipelineStatus::STOPPED;
  }
  return proto::PipelineStatus::STATE_UNSPECIFIED;
}

}  // namespace

const char* PipelineStateName(PipelineState state) {
  switch (state) {
    case P::kSubmitted:
      return "submitted";
    case P::kRunning:
      return "running";
    case P::kDone:
      return "done";
    case P::kFailed:
      return "failed";
    case P::kStopped:
      return "stopped";
  }
  return "unknown";
}

bool Pipelines::Terminal(PipelineState state) {
  return state == P::kDone || state == P::kFailed || state == P::kStopped;
}

Pipelines::TransitionFn Pipelines::LookupTransition(PipelineState from, PipelineState to) {
  struct Rule {
    PipelineState from;
    PipelineState to;
    TransitionFn fn;
  };
  // Every legal move. Anything else is a bug.
  static const Rule kRules[] = {
      {P::kSubmitted, P::kRunning, &Pipelines::SubmittedToRunning},
      {P::kSubmitted, P::kFailed, &Pipelines::ToFailed},
      {P::kSubmitted, P::kStopped, &Pipelines::ToStopped},
      {P::kRunning, P::kDone, &Pipelines::RunningToDone},
      {P::kRunning, P::kFailed, &Pipelines::ToFailed},
      {P::kRunning, P::kStopped, &Pipelines::ToStopped},
  };
  using Row = std::array<TransitionFn, kNumStates>;
  static const std::array<Row, kNumStates> kTable = [] {
    std::array<Row, kNumStates> table{};
    for (const Rule& rule : kRules) {
      table[static_cast<int>(rule.from)][static_cast<int>(rule.to)] = rule.fn;
    }
    return table;
  }();
  return kTable[static_cast<int>(from)][static_cast<int>(to)];
}

void Pipelines::Transition(Pipeline* p, PipelineState to, const std::string& why) {
  TransitionFn fn = LookupTransition(p->state, to);
  if (fn == nullptr) {
    WEFT_LOG_ERROR("pipeline {}: illegal transition {} -> {} ({})", p->id,
                   PipelineStateName(p->state), PipelineStateName(to), why);
    return;
  }
  p->story.push_back(
      absl::StrCat(PipelineStateName(p->state), " -> ", PipelineStateName(to), ": ", why));
  p->state = to;
  (this->*fn)(p, why);
}

// Fires when the last StartStage is answered by STARTED: the source listens, the sink is
// connected, every parallel worker is ready.
void Pipelines::SubmittedToRunning(Pipeline* p, const std::string&) { SendStatus(*p); }

// Fires when the sink reports DONE: it wrote every batch and EOT.
void Pipelines::RunningToDone(Pipeline* p, const std::string& why) {
  SendStopToAll(*p, why);
  SendStatus(*p);
}

// Fires when a stage fails, when the source's or the sink's worker leaves, or when the
// pipeline cannot be placed.
void Pipelines::ToFailed(Pipeline* p, const std::string& why) {
  p->error = why;
  SendStopToAll(*p, why);
  SendStatus(*p);
}

// Fires when the client stops the pipeline or disconnects.
void Pipelines::ToStopped(Pipeline* p, const std::string& why) {
  SendStopToAll(*p, why);
  SendStatus(*p);
}

// ---- Events.

void Pipelines::WorkerJoined(const std::string& worker_id, const proto::WorkerInfo& info) {
  workers_.push_back({worker_id, info.address(), std::max(1, info.nthreads())});
}

void Pipelines::WorkerLeft(const std::string& worker_id) {
  const Worker* gone = FindWorker(worker_id);
  if (gone == nullptr) return;
  const std::string address = gone->address;
  workers_.erase(std::find_if(workers_.begin(), workers_.end(),
                              [&](const Worker& w) { return w.id == worker_id; }));
  for (auto& [id, p] : pipelines_) {
    if (Terminal(p.state)) continue;
    const char* role = worker_id == p.source_worker ? "source"
                       : worker_id == p.sink_worker ? "sink"
                                                    : nullptr;
    if (role != nullptr) {
      Transition(&p, P::kFailed,
                 absl::StrCat("pipeline ", id, ": the ", role, " stage's worker ", worker_id, " (",
                              address, ") died"));
      continue;
    }
    auto it = std::find(p.parallel_workers.begin(), p.parallel_workers.end(), worker_id);
    if (it == p.parallel_workers.end()) continue;
    p.parallel_workers.erase(it);
    p.story.push_back(absl::StrCat("parallel worker ", worker_id, " (", address,
                                   ") died: its batches are replayed"));
    if (p.parallel_workers.empty()) {
      Transition(&p, P::kFailed,
                 absl::StrCat("pipeline ", id, ": no parallel stage left (the last one, on ",
                              worker_id, ", died)"));
      continue;
    }
    proto::WorkerInstruction instruction;
    proto::ReplayBatches* replay = instruction.mutable_replay_batches();
    replay->set_pipeline_id(id);
    replay->set_lost_worker(address);
    out_.to_workers.push_back({p.source_worker, std::move(instruction)});
  }
}

absl::Status Pipelines::Submit(const std::string& client_id, const proto::SubmitPipeline& submit) {
  const std::string& id = submit.pipeline_id();
  auto refuse = [&](const std::string& error) {
    SendStatus(client_id, id, proto::PipelineStatus::FAILED, error);
    return absl::InvalidArgumentError(error);
  };
  if (id.empty()) return refuse("a pipeline needs an id");
  if (pipelines_.count(id) > 0) return refuse(absl::StrCat("pipeline ", id, " exists already"));
  const proto::PipelineSpec& spec = submit.spec();
  if (spec.source_address().empty() || spec.sink_address().empty() || spec.function().empty() ||
      spec.batch_rows() <= 0) {
    return refuse(absl::StrCat("pipeline ", id,
                               ": a source, a sink, a parallel function and batch_rows > 0 "
                               "are needed"));
  }
  Pipeline& p = pipelines_[id];
  p.id = id;
  p.client_id = client_id;
  p.spec = spec;
  p.story.push_back("submitted");
  if (workers_.empty()) {
    Transition(&p, P::kFailed, absl::StrCat("pipeline ", id, ": no worker is connected"));
    return absl::OkStatus();
  }
  Place(&p);
  SendStatus(p);
  return absl::OkStatus();
}

absl::Status Pipelines::Stop(const std::string& client_id, const std::string& pipeline_id) {
  auto it = pipelines_.find(pipeline_id);
  if (it == pipelines_.end() || it->second.client_id != client_id) {
    return absl::NotFoundError(absl::StrCat("no pipeline ", pipeline_id, " of client ", client_id));
  }
  if (!Terminal(it->second.state)) {
    Transition(&it->second, P::kStopped, "stopped by its client");
  }
  return absl::OkStatus();
}

void Pipelines::ClientLeft(const std::string& client_id) {
  for (auto it = pipelines_.begin(); it != pipelines_.end();) {
    Pipeline& p = it->second;
    if (p.client_id != client_id) {
      ++it;
      continue;
    }
    if (!Terminal(p.state)) Transition(&p, P::kStopped, "its client left");
    it = pipelines_.erase(it);
  }
  // Nothing may go to a client that left.
  auto& to_clients = out_.to_clients;
  to_clients.erase(std::remove_if(to_clients.begin(), to_clients.end(),
                                  [&](const ClientMessage& m) { return m.client_id == client_id; }),
                   to_clients.end());
}

absl::Status Pipelines::StageEvent(const std::string& worker_id, const proto::StageEvent& event) {
  auto it = pipelines_.find(event.pipeline_id());
  if (it == pipelines_.end()) {
    return absl::NotFoundError(
        absl::StrCat("stage event of unknown pipeline ", event.pipeline_id()));
  }
  Pipeline& p = it->second;
  if (Terminal(p.state)) return absl::OkStatus();
  int64_t& skipped = event.role() == proto::SOURCE ? p.skipped_at_source : p.skipped_at_sink;
  const bool counters_changed = event.batches_in() > p.batches_in ||
                                event.batches_out() > p.batches_out ||
                                event.rows_out() > p.rows_out || event.records_skipped() > skipped;
  p.batches_in = std::max(p.batches_in, event.batches_in());
  p.batches_out = std::max(p.batches_out, event.batches_out());
  p.rows_out = std::max(p.rows_out, event.rows_out());
  skipped = std::max(skipped, event.records_skipped());
  if (event.role() == proto::SINK && event.kind() == proto::StageEvent::DONE) {
    p.skipped_at_source = 0;  // the sink's final count has the source's in it
  }
  if (p.first_skipped.empty()) p.first_skipped = event.first_skipped();
  switch (event.kind()) {
    case proto::StageEvent::STARTED:
      if (--p.starts_pending == 0 && p.state == P::kSubmitted) {
        Transition(&p, P::kRunning, "every stage started");
      }
      break;
    case proto::StageEvent::DONE:
      if (p.state == P::kSubmitted) Transition(&p, P::kRunning, "the sink finished");
      Transition(&p, P::kDone, absl::StrCat("the sink on ", worker_id, " wrote EOT"));
      break;
    case proto::StageEvent::FAILED:
      Transition(&p, P::kFailed,
                 event.error().empty()
                     ? absl::StrCat("pipeline ", p.id, ": the ", RoleName(event.role()),
                                    " stage on ", worker_id, " failed")
                     : event.error());
      break;
    default:
      if (counters_changed) SendStatus(p);
      break;
  }
  return absl::OkStatus();
}

Instructions Pipelines::TakeInstructions() {
  Instructions out;
  std::swap(out, out_);
  return out;
}

std::vector<std::string> Pipelines::Story(const std::string& pipeline_id) const {
  auto it = pipelines_.find(pipeline_id);
  return it == pipelines_.end() ? std::vector<std::string>() : it->second.story;
}

absl::StatusOr<PipelineState> Pipelines::State(const std::string& pipeline_id) const {
  auto it = pipelines_.find(pipeline_id);
  if (it == pipelines_.end()) return absl::NotFoundError(pipeline_id);
  return it->second.state;
}

std::vector<Pipelines::Summary> Pipelines::Summaries() const {
  std::vector<Summary> out;
  out.reserve(pipelines_.size());
  for (const auto& [id, p] : pipelines_) {
    out.push_back(Summary{p.id, p.client_id, p.spec, p.state, p.error, p.source_worker,
                          p.sink_worker, p.parallel_workers, p.batches_in, p.batches_out,
                          p.rows_out, p.records_skipped(), p.first_skipped});
  }
  return out;
}

// ---- Effects.

void Pipelines::Place(Pipeline* p) {
  p->source_worker = workers_.front().id;
  p->sink_worker = workers_[std::min<size_t>(1, workers_.size() - 1)].id;
  for (const Worker& w : workers_) p->parallel_workers.push_back(w.id);
  p->story.push_back(absl::StrCat("placed: source on ", p->source_worker, ", sink on ",
                                  p->sink_worker, ", parallel on ", p->parallel_workers.size(),
                                  " workers"));
  // The sink first, so that it connects (and fails early) while the others start.
  SendStart(p, p->sink_worker, proto::SINK);
  for (const std::string& w : p->parallel_workers) SendStart(p, w, proto::PARALLEL);
  SendStart(p, p->source_worker, proto::SOURCE);
}

void Pipelines::SendStart(Pipeline* pipeline, const std::string& worker_id, proto::StageRole role) {
  const Pipeline& p = *pipeline;
  proto::WorkerInstruction instruction;
  proto::StartStage* start = instruction.mutable_start_stage();
  start->set_pipeline_id(p.id);
  start->set_role(role);
  *start->mutable_spec() = p.spec;
  start->set_sink_worker(FindWorker(p.sink_worker)->address);
  start->set_source_worker(FindWorker(p.source_worker)->address);
  const Worker* self = FindWorker(worker_id);
  start->set_nthreads(self->nthreads);
  if (role == proto::SOURCE) {
    for (const std::string& id : p.parallel_workers) {
      const Worker* w = FindWorker(id);
      proto::ParallelWorker* target = start->add_parallel();
      target->set_address(w->address);
      target->set_nthreads(w->nthreads);
    }
  }
  ++pipeline->starts_pending;
  out_.to_workers.push_back({worker_id, std::move(instruction)});
}

void Pipelines::SendStopToAll(const Pipeline& p, const std::string& reason) {
  std::vector<std::string> involved = p.parallel_workers;
  involved.push_back(p.source_worker);
  involved.push_back(p.sink_worker);
  std::sort(involved.begin(), involved.end());
  involved.erase(std::unique(involved.begin(), involved.end()), involved.end());
  for (const std::string& id : involved) {
    if (id.empty() || FindWorker(id) == nullptr) continue;
    proto::WorkerInstruction instruction;
    instruction.mutable_stop_stage()->set_pipeline_id(p.id);
    instruction.mutable_stop_stage()->set_reason(reason);
    out_.to_workers.push_back({id, std::move(instruction)});
  }
}

void Pipelines::SendStatus(const Pipeline& p) {
  proto::ClientUpdate update;
  proto::PipelineStatus* status = update.mutable_pipeline_status();
  status->set_pipeline_id(p.id);
  status->set_state(ToProto(p.state));
  status->set_error(p.error);
  status->set_batches_in(p.batches_in);
  status->set_batches_out(p.batches_out);
  status->set_rows_out(p.rows_out);
  status->set_records_skipped(p.records_skipped());
  status->set_first_skipped(p.first_skipped);
  out_.to_clients.push_back({p.client_id, std::move(update)});
}

void Pipelines::SendStatus(const std::string& client_id, const std::string& pipeline_id,
                           proto::PipelineStatus::State state, const std::string& error) {
  proto::ClientUpdate update;
  update.mutable_pipeline_status()->set_pipeline_id(pipeline_id);
  update.mutable_pipeline_status()->set_state(state);
  update.mutable_pipeline_status()->set_error(error);
  out_.to_clients.push_back({client_id, std::move(update)});
}

const Pipelines::Worker* Pipelines::FindWorker(const std::string& id) const {
  for (const Worker& w : workers_) {
    if (w.id == id) return &w;
  }
  return nullptr;
}

}  // namespace weft::scheduler
