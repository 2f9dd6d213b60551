// Scattered data (SchedulerState::ScatterData): values a client put straight into the
// workers' data stores (Worker.PutData), taken into the scheduler's account as keys in
// memory that no run produced.
//
// Why the client announces them (dask's update_data) rather than the workers: the key
// must be wanted from the moment it is known, or it would be freed at once; the client
// is the one that wants it, and it says so in the same message. Why PutAccepted: a
// FreeKeys for an earlier copy of the same key (content-addressed keys come back) may
// still be on its way to the worker when the new copy lands there; the worker ignores
// FreeKeys for a key put but not yet accepted, and PutAccepted, which follows on the
// same ordered stream as every earlier FreeKeys, ends that.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {
namespace {

using S = TaskStatus;

// The function name of scattered keys: never run (no worker registers it).
constexpr char kScatterFunction[] = "scatter";

}  // namespace

ErrorInfo SchedulerState::ScatteredLost(const TaskState& ts, absl::string_view how) {
  return ErrorInfo{ts.key(), ts.function(),
                   absl::StrCat("the scattered data of ", ts.key(), " ", how,
                                "; it cannot be recomputed: scatter it again")};
}

absl::Status SchedulerState::LoseScattered(TaskState* ts, absl::string_view how, Recs* recs) {
  TransitionArgs args;
  args.error = ScatteredLost(*ts, how);
  return Transition(ts, S::kErred, args, recs);
}

void SchedulerState::SendPutAccepted(WorkerState* w, const std::string& key) {
  if (w->removed) return;
  open_free_keys_.erase(w);  // later frees must come after this
  WorkerMessage& message = out_.to_workers.emplace_back();
  message.worker_id = w->id;
  message.instruction.mutable_put_accepted()->add_keys(key);
}

WorkerState* SchedulerState::FindWorkerByAddress(const std::string& address) const {
  auto it = std::find_if(worker_list_.begin(), worker_list_.end(),
                         [&](const WorkerState* w) { return w->info.address() == address; });
  return it == worker_list_.end() ? nullptr : *it;
}

absl::Status SchedulerState::ScatterData(const std::string& client_id,
                                         const proto::ScatterData& msg) {
  Begin("scatter-data");
  ClientState* cs = FindClient(client_id);
  Recs recs;
  absl::Status first_error;
  auto note = [&first_error](absl::Status status) {
    if (!status.ok() && first_error.ok()) first_error = std::move(status);
  };
  std::vector<TaskState*> added;
  for (const proto::KeyLocation& location : msg.keys()) {
    std::vector<WorkerState*> holders;
    for (const std::string& address : location.addresses()) {
      WorkerState* w = FindWorkerByAddress(address);
      if (w == nullptr) continue;  // it left: whatever it held is gone with it
      SendPutAccepted(w, location.key());
      holders.push_back(w);
    }
    TaskState* ts = location.key().empty() ? nullptr : FindTask(location.key());
    if (cs == nullptr || location.key().empty()) {
      for (WorkerState* w : holders) SendFreeKey(w, location.key());
      continue;
    }
    if (ts == nullptr) {
      ts = AddTaskRecord(location.key(), kScatterFunction, "");
      ts->scattered = true;
      added.push_back(ts);
    }
    if (ts->who_wants.insert(cs)) cs->wants.insert(ts);
    TransitionArgs args;
    args.nbytes = location.nbytes();
    if (holders.empty()) {
      // Every holder left before we heard of the put.
      if (ts->status == S::kReleased && ts->scattered) {
        note(LoseScattered(ts, "was lost with the workers it was put on", &recs));  // reports
      } else {
        ReportWanted(cs, ts);
      }
      continue;
    }
    switch (ts->status) {
      case S::kMemory:
        for (WorkerState* w : holders) AddReplica(ts, w, location.nbytes());
        ReportWanted(cs, ts);  // with the new holders
        continue;
      case S::kErred:
        if (!ts->scattered) {  // a failed task of the same key: its error stands
          for (WorkerState* w : holders) SendFreeKey(w, ts->key());
          ReportWanted(cs, ts);
          continue;
        }
        break;
      case S::kReleased:
        ts->scattered = true;  // released: no run under way that could produce it
        break;
      default:
        break;  // waiting or running under the same key: the data is its result
    }
    // The other holders first, so that the one report to the wanters names them all.
    for (size_t i = 1; i < holders.size(); ++i) AddReplica(ts, holders[i], location.nbytes());
    args.worker = holders.front();
    note(Transition(ts, S::kMemory, args, &recs));
  }
  AssignPriorities(added, {});
  note(RunTransitions(&recs));
  if (cs == nullptr) return absl::NotFoundError(absl::StrCat("unknown client ", client_id));
  return first_error;
}

}  // namespace weft::scheduler
