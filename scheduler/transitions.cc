// The transition table of SchedulerState and one function per legal transition.
//
// Transitions do not call each other: each changes one task and *recommends* the moves
// it makes necessary for others (a dependent became ready, an input is no longer
// needed), and RunTransitions applies recommendations in order until none is left. This
// keeps each function small, and long chains of work iterative rather than recursive.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {

using S = TaskStatus;

const char* TaskStatusName(TaskStatus status) {
  switch (status) {
    case S::kReleased:
      return "released";
    case S::kWaiting:
      return "waiting";
    case S::kNoWorker:
      return "no-worker";
    case S::kQueued:
      return "queued";
    case S::kProcessing:
      return "processing";
    case S::kMemory:
      return "memory";
    case S::kErred:
      return "erred";
    case S::kForgotten:
      return "forgotten";
  }
  return "unknown";
}

SchedulerState::TransitionFn SchedulerState::LookupTransition(TaskStatus from, TaskStatus to) {
  struct Rule {
    TaskStatus from;
    TaskStatus to;
    TransitionFn fn;
  };
  // Every legal move. Anything else is a bug in the scheduler.
  static const Rule kRules[] = {
      {S::kReleased, S::kWaiting, &SchedulerState::ReleasedToWaiting},
      {S::kReleased, S::kErred, &SchedulerState::ReleasedToErred},
      {S::kReleased, S::kForgotten, &SchedulerState::ReleasedToForgotten},
      {S::kWaiting, S::kProcessing, &SchedulerState::WaitingToProcessing},
      {S::kWaiting, S::kNoWorker, &SchedulerState::WaitingToNoWorker},
      {S::kWaiting, S::kMemory, &SchedulerState::WaitingToMemory},
      {S::kWaiting, S::kErred, &SchedulerState::WaitingToErred},
      {S::kWaiting, S::kReleased, &SchedulerState::WaitingToReleased},
      {S::kNoWorker, S::kProcessing, &SchedulerState::NoWorkerToProcessing},
      {S::kNoWorker, S::kWaiting, &SchedulerState::NoWorkerToWaiting},
      {S::kNoWorker, S::kMemory, &SchedulerState::NoWorkerToMemory},
      {S::kNoWorker, S::kErred, &SchedulerState::NoWorkerToErred},
      {S::kNoWorker, S::kReleased, &SchedulerState::NoWorkerToReleased},
      {S::kNoWorker, S::kQueued, &SchedulerState::NoWorkerToQueued},
      {S::kWaiting, S::kQueued, &SchedulerState::WaitingToQueued},
      {S::kQueued, S::kProcessing, &SchedulerState::QueuedToProcessing},
      {S::kQueued, S::kMemory, &SchedulerState::QueuedToMemory},
      {S::kQueued, S::kReleased, &SchedulerState::QueuedToReleased},
      {S::kQueued, S::kNoWorker, &SchedulerState::QueuedToNoWorker},
      {S::kQueued, S::kWaiting, &SchedulerState::QueuedToWaiting},
      {S::kProcessing, S::kMemory, &SchedulerState::ProcessingToMemory},
      {S::kProcessing, S::kErred, &SchedulerState::ProcessingToErred},
      {S::kProcessing, S::kWaiting, &SchedulerState::ProcessingToWaiting},
      {S::kProcessing, S::kReleased, &SchedulerState::ProcessingToReleased},
      {S::kMemory, S::kReleased, &SchedulerState::MemoryToReleased},
      {S::kReleased, S::kMemory, &SchedulerState::ReleasedToMemory},
      {S::kMemory, S::kErred, &SchedulerState::MemoryToErred},
      {S::kErred, S::kMemory, &SchedulerState::ErredToMemory},
      {S::kErred, S::kForgotten, &SchedulerState::ErredToForgotten},
  };
  using Row = std::array<TransitionFn, kNumTaskStatuses>;
  static const std::array<Row, kNumTaskStatuses> kTable = [] {
    std::array<Row, kNumTaskStatuses> table{};
    for (const Rule& rule : kRules) {
      table[static_cast<int>(rule.from)][static_cast<int>(rule.to)] = rule.fn;
    }
    return table;
  }();
  return kTable[static_cast<int>(from)][static_cast<int>(to)];
}

absl::Status SchedulerState::Transition(TaskState* ts, TaskStatus to, const TransitionArgs& args,
                                        Recs* recs) {
  TransitionFn fn = LookupTransition(ts->status, to);
  if (fn == nullptr) {
    ++illegal_transitions_;
    std::string message = absl::StrCat("illegal transition of ", ts->key(), ": ",
                                       TaskStatusName(ts->status), " -> ", TaskStatusName(to),
                                       " during ", stimulus_, "; story:\n", StoryString(ts->key()));
    WEFT_LOG_ERROR("{}", message);
    return absl::InternalError(message);
  }
  (this->*fn)(ts, args, recs);
  return absl::OkStatus();
}

// Also starts restricted tasks on workers whose resources were freed, and releases
// queued root tasks, in priority order, while a worker has room: every event that frees
// a worker (a task finished, a worker joined or resumed) ends here.
absl::Status SchedulerState::RunTransitions(Recs* recs) {
  absl::Status first_error;
  while (true) {
    while (!recs->empty()) {
      Recommendation rec = std::move(recs->front());
      recs->pop_front();
      if (IsStale(rec)) continue;
      // "Ready to run" becomes processing, queued or no-worker here, when it applies.
      if (rec.to == S::kProcessing) {
        rec.to = Decide(*rec.task);
        if (rec.to == rec.task->status) continue;
      }
      absl::Status status = Transition(rec.task, rec.to, rec.args, recs);
      if (!status.ok() && first_error.ok()) first_error = status;
    }
    if (!resources_freed_.empty()) {
      absl::Status status = StartConstrained(recs);
      if (!status.ok() && first_error.ok()) first_error = status;
      continue;
    }
    if (queued_.empty() || has_room_.empty()) break;
    Recommend(recs, queued_.begin()->second, S::kProcessing);
  }
  return first_error;
}

// Recommendations are made before the ones queued ahead of them run, so some no longer
// apply when their turn comes: the task moved on, or became needed again. Those are
// dropped here; what is left must be a legal transition.
bool SchedulerState::IsStale(const Recommendation& rec) const {
  const TaskState& ts = *rec.task;
  const S from = ts.status;
  if (from == S::kForgotten || from == rec.to) return true;
  switch (rec.to) {
    case S::kProcessing:
    case S::kNoWorker:
    case S::kQueued:
      return (from != S::kWaiting && from != S::kNoWorker && from != S::kQueued) ||
             !ts.waiting_on.empty();
    case S::kWaiting:
      // A queued root task has no inputs to lose: it is ready already.
      return from == S::kMemory || from == S::kErred ||
             (from == S::kQueued && ts.dependencies.empty()) ||
             (from == S::kReleased && !ts.needed());
    case S::kReleased:
      return ts.needed();
    case S::kForgotten:
      return ts.needed() || !ts.dependents.empty() || (from != S::kReleased && from != S::kErred);
    case S::kErred:
      return from == S::kMemory || from == S::kReleased;
    default:
      return false;
  }
}

void SchedulerState::Recommend(Recs* recs, TaskState* ts, TaskStatus to) {
  recs->push_back(Recommendation{ts, to, TransitionArgs()});
}

void SchedulerState::Recommend(Recs* recs, TaskState* ts, TaskStatus to, TransitionArgs args) {
  recs->push_back(Recommendation{ts, to, std::move(args)});
}

void SchedulerState::SetStatus(TaskState* ts, TaskStatus to) {
  --status_counts_[static_cast<int>(ts->status)];
  ++status_counts_[static_cast<int>(to)];
  --ts->prefix->status_counts[static_cast<int>(ts->status)];
  ++ts->prefix->status_counts[static_cast<int>(to)];
  if (to == S::kForgotten && ts->prefix->live() == 0) live_prefixes_.erase(ts->prefix);
  const size_t log_length = options_.transition_log_length;
  if (log_length > 0) {
    LoggedTransition logged{ts->serial, StoryEntry{ts->status, to, stimulus_, stimulus_id_}};
    if (transition_log_.size() < log_length) {
      transition_log_.push_back(logged);
    } else {
      transition_log_[transition_log_next_] = logged;
      transition_log_next_ = (transition_log_next_ + 1) % log_length;
    }
  }
  ts->status = to;
}

// ---- The transitions.

// released → waiting: the task became needed: a client wants it, a needed dependent
// waits for it, or its result was lost and is needed again.
void SchedulerState::ReleasedToWaiting(TaskState* ts, const TransitionArgs&, Recs* recs) {
  SetStatus(ts, S::kWaiting);
  EnterWaiting(ts, recs);
}

// released → erred: a newly submitted task names a dependency the scheduler does not know.
void SchedulerState::ReleasedToErred(TaskState* ts, const TransitionArgs& args, Recs* recs) {
  MarkErred(ts, args.error, recs);
}

// released → forgotten: nobody wants it and no known task depends on it.
void SchedulerState::ReleasedToForgotten(TaskState* ts, const TransitionArgs&, Recs* recs) {
  Forget(ts, recs);
}

// waiting → processing: all its inputs are in memory; a worker is chosen and told.
void SchedulerState::WaitingToProcessing(TaskState* ts, const TransitionArgs&, Recs*) {
  Assign(ts);
}

// waiting → no-worker: ready to run, but there is no worker.
void SchedulerState::WaitingToNoWorker(TaskState* ts, const TransitionArgs&, Recs*) {
  no_worker_.insert(ts);
  SetStatus(ts, S::kNoWorker);
}

// waiting → memory: a worker reports a result we did not ask it for (a run from before a
// reschedule, or a rejoining worker's data) while the task is needed: it is taken.
void SchedulerState::WaitingToMemory(TaskState* ts, const TransitionArgs& args, Recs* recs) {
  ts->waiting_on.clear();
  StoreResult(ts, args.worker, args.nbytes, recs);
}

// waiting → erred: one of its dependencies failed, so it can never run.
void SchedulerState::WaitingToErred(TaskState* ts, const TransitionArgs& args, Recs* recs) {
  ts->waiting_on.clear();
  MarkErred(ts, args.error, recs);
}

// waiting → released: nobody needs it any more (released or cancelled).
void SchedulerState::WaitingToReleased(TaskState* ts, const TransitionArgs&, Recs* recs) {
  ts->waiting_on.clear();
  LeaveDependencies(ts, recs);
  SetStatus(ts, S::kReleased);
  MaybeRelease(ts, recs);
}

// no-worker → queued: a worker joined, but has no room for this root task; or a worker
// that may run this restricted task joined or resumed, and its resources are busy.
void SchedulerState::NoWorkerToQueued(TaskState* ts, const TransitionArgs&, Recs*) {
  no_worker_.erase(ts);
  Enqueue(ts);
  SetStatus(ts, S::kQueued);
}

// waiting → queued: a root task is ready, and no running worker has room for it; or a
// restricted task is ready, and its resources are busy on every worker that may run it.
void SchedulerState::WaitingToQueued(TaskState* ts, const TransitionArgs&, Recs*) {
  Enqueue(ts);
  SetStatus(ts, S::kQueued);
}

// queued → processing: a worker has room; the first queued task (by priority) goes. Or
// a restricted task's resources were freed on a worker that may run it.
void SchedulerState::QueuedToProcessing(TaskState* ts, const TransitionArgs&, Recs*) {
  Unqueue(ts);
  Assign(ts);
}

// queued → memory: a worker reports its result anyway (a run from before a reschedule,
// or a rejoining worker's data) while it is needed.
void SchedulerState::QueuedToMemory(TaskState* ts, const TransitionArgs& args, Recs* recs) {
  Unqueue(ts);
  StoreResult(ts, args.worker, args.nbytes, recs);
}

// queued → released: nobody needs it any more.
void SchedulerState::QueuedToReleased(TaskState* ts, const TransitionArgs&, Recs* recs) {
  Unqueue(ts);
  LeaveDependencies(ts, recs);
  SetStatus(ts, S::kReleased);
  MaybeRelease(ts, recs);
}

// queued → no-worker: a restricted task waited for resources, and the last running
// worker that may run it left.
void SchedulerState::QueuedToNoWorker(TaskState* ts, const TransitionArgs&, Recs*) {
  Unqueue(ts);
  no_worker_.insert(ts);
  SetStatus(ts, S::kNoWorker);
}

// queued → waiting: a restricted task waited for resources, and one of its inputs was
// lost with the last worker holding it.
void SchedulerState::QueuedToWaiting(TaskState* ts, const TransitionArgs&, Recs* recs) {
  Unqueue(ts);
  SetStatus(ts, S::kWaiting);
  EnterWaiting(ts, recs);
}

// no-worker → processing: a worker joined.
void SchedulerState::NoWorkerToProcessing(TaskState* ts, const TransitionArgs&, Recs*) {
  no_worker_.erase(ts);
  Assign(ts);
}

// no-worker → waiting: one of its inputs was lost with the last worker holding it.
void SchedulerState::NoWorkerToWaiting(TaskState* ts, const TransitionArgs&, Recs* recs) {
  no_worker_.erase(ts);
  SetStatus(ts, S::kWaiting);
  EnterWaiting(ts, recs);
}

// no-worker → memory: a rejoining worker still holds the result.
void SchedulerState::NoWorkerToMemory(TaskState* ts, const TransitionArgs& args, Recs* recs) {
  no_worker_.erase(ts);
  StoreResult(ts, args.worker, args.nbytes, recs);
}

// no-worker → erred: allowed_failures workers died running it, and none is left.
void SchedulerState::NoWorkerToErred(TaskState* ts, const TransitionArgs& args, Recs* recs) {
  no_worker_.erase(ts);
  MarkErred(ts, args.error, recs);
}

// no-worker → released: nobody needs it any more.
void SchedulerState::NoWorkerToReleased(TaskState* ts, const TransitionArgs&, Recs* recs) {
  no_worker_.erase(ts);
  LeaveDependencies(ts, recs);
  SetStatus(ts, S::kReleased);
  MaybeRelease(ts, recs);
}

// processing → memory: its worker finished it — or another worker did, while it was
// still needed; then the one it was sent to is told to drop it.
void SchedulerState::ProcessingToMemory(TaskState* ts, const TransitionArgs& args, Recs* recs) {
  StopProcessing(ts, /*cancel_on_worker=*/ts->processing_on != args.worker);
  StoreResult(ts, args.worker, args.nbytes, recs);
}

// processing → erred: it failed on its worker, or allowed_failures workers died while
// running it.
void SchedulerState::ProcessingToErred(TaskState* ts, const TransitionArgs& args, Recs* recs) {
  StopProcessing(ts, /*cancel_on_worker=*/args.error.erred_key != ts->key());
  MarkErred(ts, args.error, recs);
}

// processing → waiting: its worker died, or an input it needed was lost; it runs again.
void SchedulerState::ProcessingToWaiting(TaskState* ts, const TransitionArgs&, Recs* recs) {
  StopProcessing(ts, /*cancel_on_worker=*/true);
  SetStatus(ts, S::kWaiting);
  EnterWaiting(ts, recs);
}

// processing → released: nobody needs it any more; its worker is told to drop it.
void SchedulerState::ProcessingToReleased(TaskState* ts, const TransitionArgs&, Recs* recs) {
  StopProcessing(ts, /*cancel_on_worker=*/true);
  LeaveDependencies(ts, recs);
  SetStatus(ts, S::kReleased);
  MaybeRelease(ts, recs);
}

// memory → released: nobody needs the result any more (its holders are told to free it),
// or the last worker holding it died (then it is recomputed if still needed, and its
// wanters hear LOST first).
void SchedulerState::MemoryToReleased(TaskState* ts, const TransitionArgs&, Recs* recs) {
  std::vector<WorkerState*> holders(ts->who_has.begin(), ts->who_has.end());
  for (WorkerState* w : holders) {
    SendFreeKey(w, ts->key());
    RemoveReplica(ts, w);
  }
  ts->nbytes = -1;
  SetStatus(ts, S::kReleased);
  std::vector<TaskState*> waiters(ts->waiters.begin(), ts->waiters.end());
  std::sort(waiters.begin(), waiters.end(),
            [](const TaskState* a, const TaskState* b) { return a->priority < b->priority; });
  for (TaskState* dts : waiters) {
    if (dts->status == S::kWaiting) {
      dts->waiting_on.insert(ts);
    } else {
      Recommend(recs, dts, S::kWaiting);  // processing or no-worker: it lost an input
    }
  }
  if (!ts->who_wants.empty()) {
    proto::KeyStatus lost;
    lost.set_key(ts->key());
    lost.set_state(proto::KeyStatus::LOST);
    lost.set_error(absl::StrCat("the result of ", ts->key(),
                                " was lost with its last worker; recomputing it"));
    for (ClientState* cs : ts->who_wants) SendKeyStatus(cs, lost);
  }
  if (ts->needed()) {
    Recommend(recs, ts, S::kWaiting);
  } else {
    MaybeRelease(ts, recs);
  }
}

// released → memory: a client scattered data for this key (new, or known without data):
// it is on args.worker now. (Only scattered keys: a task's result comes from a run.)
void SchedulerState::ReleasedToMemory(TaskState* ts, const TransitionArgs& args, Recs* recs) {
  StoreResult(ts, args.worker, args.nbytes, recs);
}

// memory → erred: the last worker holding scattered data died or lost it. There is no
// run to repeat: the key fails, and what waits for it with it (dask: the key is lost).
void SchedulerState::MemoryToErred(TaskState* ts, const TransitionArgs& args, Recs* recs) {
  std::vector<WorkerState*> holders(ts->who_has.begin(), ts->who_has.end());
  for (WorkerState* w : holders) {
    SendFreeKey(w, ts->key());
    RemoveReplica(ts, w);
  }
  ts->nbytes = -1;
  MarkErred(ts, args.error, recs);
}

// erred → memory: a key erred because its scattered data was lost is scattered again.
void SchedulerState::ErredToMemory(TaskState* ts, const TransitionArgs& args, Recs* recs) {
  ts->error.reset();
  StoreResult(ts, args.worker, args.nbytes, recs);
}

// erred → forgotten: nobody wants the failed task and nothing depends on it.
void SchedulerState::ErredToForgotten(TaskState* ts, const TransitionArgs&, Recs* recs) {
  Forget(ts, recs);
}

// ---- Pieces the transitions share.

void SchedulerState::Enqueue(TaskState* ts) {
  if (ts->restrictions == nullptr) {
    queued_.emplace(ts->priority, ts);
    return;
  }
  constrained_.emplace(ts->priority, ts);
  OfferResourcesFor(*ts);  // where it could start now, it starts once this event is done
}

void SchedulerState::Unqueue(TaskState* ts) {
  (ts->restrictions != nullptr ? constrained_ : queued_).erase({ts->priority, ts});
}

// Registers `ts` as waiting on its inputs that are not in memory and asks for those that
// are released; recommends running it when nothing is missing, or erring it when an
// input has failed.
void SchedulerState::EnterWaiting(TaskState* ts, Recs* recs) {
  ts->waiting_on.clear();
  for (TaskState* dep : ts->dependencies) {
    // Released scattered data is gone for good: nothing can bring it back.
    const bool gone = dep->scattered && dep->status == S::kReleased;
    if (dep->status == S::kErred || gone) {
      TransitionArgs args;
      args.error = gone ? ScatteredLost(*dep, "was released") : *dep->error;
      Recommend(recs, ts, S::kErred, std::move(args));
      return;
    }
  }
  for (TaskState* dep : ts->dependencies) {
    dep->waiters.insert(ts);
    if (dep->status == S::kMemory) continue;
    ts->waiting_on.insert(dep);
    if (dep->status == S::kReleased) Recommend(recs, dep, S::kWaiting);
  }
  if (ts->waiting_on.empty()) Recommend(recs, ts, S::kProcessing);
}

// REQUIRES: Decide(*ts) == kProcessing (RunTransitions checked it).
void SchedulerState::Assign(TaskState* ts) {
  Candidates(*ts, &candidates_);
  WorkerState* w = placement_->Choose(*ts, candidates_);
  AddProcessing(ts, w);
  SetStatus(ts, S::kProcessing);
  SendCompute(w, *ts);
}

void SchedulerState::StopProcessing(TaskState* ts, bool cancel_on_worker) {
  WorkerState* w = ts->processing_on;
  RemoveProcessing(ts);
  if (cancel_on_worker) SendFreeKey(w, ts->key());
}

// The result of `ts` is on `worker`: dependents that waited only for it become ready,
// inputs nothing else needs are released, and wanters hear MEMORY.
void SchedulerState::StoreResult(TaskState* ts, WorkerState* worker, int64_t nbytes, Recs* recs) {
  AddReplica(ts, worker, nbytes);
  SetStatus(ts, S::kMemory);
  std::vector<TaskState*> ready;
  for (TaskState* dts : ts->waiters) {
    if (dts->status == S::kWaiting && dts->waiting_on.erase(ts) > 0 && dts->waiting_on.empty()) {
      ready.push_back(dts);
    }
  }
  std::sort(ready.begin(), ready.end(),
            [](const TaskState* a, const TaskState* b) { return a->priority < b->priority; });
  for (TaskState* dts : ready) Recommend(recs, dts, S::kProcessing);
  LeaveDependencies(ts, recs);
  ConsumeItemReads(ts);
  ReportToWanters(*ts);
  MaybeRelease(ts, recs);
}

// `ts` failed, or can never run: its waiting dependents fail with it.
void SchedulerState::MarkErred(TaskState* ts, const ErrorInfo& error, Recs* recs) {
  ts->error = std::make_unique<ErrorInfo>(error);
  SetStatus(ts, S::kErred);
  LeaveDependencies(ts, recs);
  std::vector<TaskState*> doomed(ts->waiters.begin(), ts->waiters.end());
  std::sort(doomed.begin(), doomed.end(),
            [](const TaskState* a, const TaskState* b) { return a->priority < b->priority; });
  for (TaskState* dts : doomed) {
    TransitionArgs args;
    args.error = error;
    Recommend(recs, dts, S::kErred, std::move(args));
  }
  ReportToWanters(*ts);
}

// `ts` no longer needs its inputs (it finished, failed or was released).
void SchedulerState::LeaveDependencies(TaskState* ts, Recs* recs) {
  for (TaskState* dep : ts->dependencies) {
    if (dep->waiters.erase(ts) > 0) MaybeRelease(dep, recs);
  }
}

// Recommends releasing `ts` when nothing needs it: dropping its result or stopping its
// run, or forgetting it once no known task depends on it either.
void SchedulerState::MaybeRelease(TaskState* ts, Recs* recs) {
  if (ts->needed()) return;
  switch (ts->status) {
    case S::kWaiting:
    case S::kNoWorker:
    case S::kQueued:
    case S::kProcessing:
    case S::kMemory:
      Recommend(recs, ts, S::kReleased);
      break;
    case S::kReleased:
    case S::kErred:
      if (ts->dependents.empty()) Recommend(recs, ts, S::kForgotten);
      break;
    case S::kForgotten:
      break;
  }
}

void SchedulerState::Forget(TaskState* ts, Recs* recs) {
  for (TaskState* dep : ts->dependencies) {
    dep->dependents.erase(ts);
    MaybeRelease(dep, recs);
  }
  ts->dependencies.clear();
  ts->item_reads.reset();
  SetStatus(ts, S::kForgotten);
  auto node = tasks_.extract(tasks_.find(ts->key()));
  retired_tasks_.push_back(std::move(node.value()));
}

void SchedulerState::AddReplica(TaskState* ts, WorkerState* w, int64_t nbytes) {
  if (std::find(ts->who_has.begin(), ts->who_has.end(), w) != ts->who_has.end()) return;
  if (ts->who_has.empty()) ts->nbytes = nbytes;
  ts->who_has.push_back(w);
  w->has_what.insert(ts);
  w->nbytes += std::max<int64_t>(ts->nbytes, 0);
}

void SchedulerState::RemoveReplica(TaskState* ts, WorkerState* w) {
  auto it = std::find(ts->who_has.begin(), ts->who_has.end(), w);
  if (it == ts->who_has.end()) return;
  ts->who_has.erase(it);
  w->has_what.erase(ts);
  w->nbytes -= std::max<int64_t>(ts->nbytes, 0);
}

}  // namespace weft::scheduler
