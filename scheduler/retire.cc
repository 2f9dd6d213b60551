// Graceful retirement of workers (SchedulerState::RetireWorkers): no new tasks, their
// unique results copied to the others, then a close.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {
namespace {

using S = TaskStatus;

constexpr int kMaxReplicaFailures = 3;

}  // namespace

absl::Status SchedulerState::RetireWorkers(const std::vector<std::string>& worker_ids) {
  Begin("retire-workers");
  std::vector<WorkerState*> workers;
  for (const std::string& id : worker_ids) {
    WorkerState* w = FindWorker(id);
    if (w == nullptr) return absl::NotFoundError(absl::StrCat("unknown worker ", id));
    workers.push_back(w);
  }
  Recs recs;
  for (WorkerState* w : workers) {
    w->retiring = true;
    retiring_.emplace(w->number, w);
    SetPaused(w, true, &recs);
  }
  absl::Status status = RunTransitions(&recs);
  AdvanceRetirements();
  return status;
}

void SchedulerState::AdvanceRetirements() {
  // The running workers that may take copies, least loaded first as they fill up.
  std::vector<WorkerState*> takers;
  for (WorkerState* w : worker_list_) {
    if (!w->retiring && !w->removed) takers.push_back(w);
  }
  absl::flat_hash_map<WorkerState*, proto::AcquireReplicas> asks;
  // Bytes asked of each taker in this round, so that the copies spread.
  absl::flat_hash_map<const WorkerState*, int64_t> planned;
  auto load = [&planned](const WorkerState* w) {
    auto it = planned.find(w);
    return w->nbytes + (it == planned.end() ? 0 : it->second);
  };
  for (const auto& [number, w] : retiring_) {
    if (w->close_sent) continue;
    int unique = 0;
    for (TaskState* ts : w->has_what) {
      const bool elsewhere = std::any_of(ts->who_has.begin(), ts->who_has.end(),
                                         [](const WorkerState* h) { return !h->retiring; });
      if (elsewhere) continue;
      auto failures = replica_failures_.find(ts->key());
      if (failures != replica_failures_.end() && failures->second >= kMaxReplicaFailures) {
        continue;  // given up: recomputed if it is lost
      }
      ++unique;
      if (replicating_.contains(ts->key()) || takers.empty()) continue;
      WorkerState* taker = *std::min_element(
          takers.begin(), takers.end(),
          [&](const WorkerState* a, const WorkerState* b) { return load(a) < load(b); });
      replicating_[ts->key()] = taker->id;
      proto::KeyLocation* location = asks[taker].add_keys();
      location->set_key(ts->key());
      for (const WorkerState* h : ts->who_has) location->add_addresses(h->info.address());
      location->set_nbytes(std::max<int64_t>(ts->nbytes, 0));
      planned[taker] += std::max<int64_t>(ts->nbytes, 0);
    }
    if (unique == 0 && w->processing.empty()) SendCloseWorker(w);
  }
  for (auto& [taker, ask] : asks) {
    open_free_keys_.erase(taker);  // later frees must come after this ask
    WorkerMessage& message = out_.to_workers.emplace_back();
    message.worker_id = taker->id;
    *message.instruction.mutable_acquire_replicas() = std::move(ask);
  }
}

void SchedulerState::SendCloseWorker(WorkerState* w) {
  w->close_sent = true;
  WEFT_LOG_INFO("worker {} ({}) retired: nothing left only there; closing it", w->id,
                w->info.name());
  WorkerMessage& message = out_.to_workers.emplace_back();
  message.worker_id = w->id;
  proto::CloseWorker* close = message.instruction.mutable_close();
  close->set_restart(false);
  close->set_reason("retired");
}

absl::Status SchedulerState::ReplicaAdded(const std::string& worker_id,
                                          const proto::ReplicaAdded& msg) {
  Begin("replica-added");
  WorkerState* w = FindWorker(worker_id);
  if (w == nullptr) return absl::NotFoundError(absl::StrCat("unknown worker ", worker_id));
  auto asked = replicating_.find(msg.key());
  if (asked != replicating_.end() && asked->second == worker_id) replicating_.erase(asked);
  TaskState* ts = FindTask(msg.key());
  if (!msg.error().empty()) {
    ++replica_failures_[msg.key()];
    WEFT_LOG_WARN("worker {} could not copy {}: {}", worker_id, msg.key(), msg.error());
    return absl::OkStatus();
  }
  if (ts == nullptr || ts->status != S::kMemory ||
      std::find(ts->who_has.begin(), ts->who_has.end(), w) != ts->who_has.end()) {
    // Released meanwhile (or a duplicate): the copy is not needed.
    if (ts == nullptr || ts->status != S::kMemory) SendFreeKey(w, msg.key());
    return absl::OkStatus();
  }
  replica_failures_.erase(msg.key());
  AddReplica(ts, w, msg.nbytes());
  return absl::OkStatus();
}

}  // namespace weft::scheduler
