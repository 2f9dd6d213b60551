// What SchedulerState says to workers and clients: building the outgoing messages.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {
namespace {

void FillLocation(const TaskState& ts, proto::KeyLocation* location) {
  location->set_key(ts.key());
  for (const WorkerState* w : ts.who_has) location->add_addresses(w->info.address());
  location->set_nbytes(std::max<int64_t>(ts.nbytes, 0));
}

}  // namespace

void FillTaskSpec(const TaskState& ts, proto::TaskSpec* spec) {
  // `rest` is what the scheduler serialized itself: it always parses.
  if (!spec->ParseFromString(ts.rest)) {
    WEFT_LOG_ERROR("task {}: its stored spec does not parse", ts.key());
  }
  spec->set_key(ts.key());
  spec->set_function(ts.function());
  spec->mutable_dependencies()->Reserve(static_cast<int>(ts.dependencies.size()));
  for (const TaskState* dep : ts.dependencies) spec->add_dependencies(dep->key());
}

void SchedulerState::SendCompute(WorkerState* w, const TaskState& ts) {
  if (w->removed) return;
  open_free_keys_.erase(w);  // later frees must come after this compute
  WorkerMessage& message = out_.to_workers.emplace_back();
  message.worker_id = w->id;
  proto::ComputeTask* compute = message.instruction.mutable_compute();
  FillTaskSpec(ts, compute->mutable_task());
  for (const TaskState* dep : ts.dependencies) FillLocation(*dep, compute->add_who_has());
  compute->set_priority(ts.priority);
}

void SchedulerState::SendSteal(WorkerState* w, const std::string& key) {
  if (w->removed) return;
  open_free_keys_.erase(w);  // keep the order with later frees
  WorkerMessage& message = out_.to_workers.emplace_back();
  message.worker_id = w->id;
  message.instruction.mutable_steal()->set_key(key);
}

proto::FreeKeys* SchedulerState::OpenFreeKeys(WorkerState* w) {
  auto it = open_free_keys_.find(w);
  if (it == open_free_keys_.end()) {
    it = open_free_keys_.emplace(w, out_.to_workers.size()).first;
    WorkerMessage& message = out_.to_workers.emplace_back();
    message.worker_id = w->id;
    message.instruction.mutable_free_keys();
  }
  return out_.to_workers[it->second].instruction.mutable_free_keys();
}

void SchedulerState::SendFreeKey(WorkerState* w, const std::string& key) {
  if (w->removed) return;
  OpenFreeKeys(w)->add_keys(key);
}

void SchedulerState::SendFreeItem(WorkerState* w, const std::string& key, int64_t index) {
  if (w->removed) return;
  proto::KeySlice* item = OpenFreeKeys(w)->add_items();
  item->set_key(key);
  item->set_index(index);
}

void SchedulerState::SendKeyStatus(ClientState* cs, proto::KeyStatus status) {
  ClientMessage& message = out_.to_clients.emplace_back();
  message.client_id = cs->id;
  *message.update.mutable_key_status() = std::move(status);
}

proto::KeyStatus SchedulerState::MemoryStatus(const TaskState& ts) const {
  proto::KeyStatus status;
  status.set_key(ts.key());
  status.set_state(proto::KeyStatus::MEMORY);
  FillLocation(ts, status.mutable_location());
  return status;
}

proto::KeyStatus SchedulerState::ErredStatus(const TaskState& ts) const {
  proto::KeyStatus status;
  status.set_key(ts.key());
  status.set_state(proto::KeyStatus::ERRED);
  if (ts.error != nullptr) {
    status.set_erred_key(ts.error->erred_key);
    status.set_function(ts.error->function);
    status.set_error(ts.error->message);
  }
  return status;
}

// Tells every client that wants `ts` its outcome, if it has one (memory or erred).
void SchedulerState::ReportToWanters(const TaskState& ts) {
  if (ts.who_wants.empty()) return;
  proto::KeyStatus status;
  if (ts.status == TaskStatus::kMemory) {
    status = MemoryStatus(ts);
  } else if (ts.status == TaskStatus::kErred) {
    status = ErredStatus(ts);
  } else {
    return;
  }
  for (ClientState* cs : ts.who_wants) SendKeyStatus(cs, status);
}

}  // namespace weft::scheduler
