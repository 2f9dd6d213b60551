// SchedulerState's events: each looks up the records it concerns, makes the transitions
// the event calls for, and lets RunTransitions follow through.
#include "scheduler/scheduler_state.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/task_args.h"

namespace weft::scheduler {
namespace {

using S = TaskStatus;

void SortByPriority(std::vector<TaskState*>* tasks) {
  std::sort(tasks->begin(), tasks->end(),
            [](const TaskState* a, const TaskState* b) { return a->priority < b->priority; });
}

template <typename Set>
std::vector<TaskState*> SortedByPriority(const Set& set) {
  std::vector<TaskState*> tasks(set.begin(), set.end());
  SortByPriority(&tasks);
  return tasks;
}

}  // namespace

SchedulerState::SchedulerState(SchedulerOptions options, std::unique_ptr<PlacementPolicy> placement)
    : options_(std::move(options)),
      placement_(placement != nullptr ? std::move(placement)
                                      : NewCostPlacement(options_.bandwidth)) {}

SchedulerState::~SchedulerState() = default;

void SchedulerState::Begin(const char* stimulus) {
  stimulus_ = stimulus;
  ++stimulus_id_;
  retired_tasks_.clear();
  retired_workers_.clear();
  open_free_keys_.clear();
}

Instructions SchedulerState::TakeInstructions() {
  Instructions taken = std::move(out_);
  out_ = Instructions();
  open_free_keys_.clear();
  return taken;
}

// ---- Workers.

std::string SchedulerState::AddWorker(const proto::RegisterWorker& msg, absl::Time now) {
  // A name still registered belongs to a worker that is gone though we have not noticed
  // yet (killed with its host, restarted by its nanny before its stream broke): it left.
  // The name is the user's handle on a worker (restrictions, `weft info`), so it must
  // stay unique; ids are ours, one per registration, never reused.
  if (const std::string& name = msg.info().name(); !name.empty()) {
    auto same_name = std::find_if(worker_list_.begin(), worker_list_.end(),
                                  [&](const WorkerState* w) { return w->info.name() == name; });
    if (same_name != worker_list_.end()) {
      const std::string old_id = (*same_name)->id;
      (void)RemoveWorker(old_id, absl::StrCat("a new worker registered as ", name));
      out_.removed_workers.push_back(old_id);
    }
  }
  Begin("add-worker");
  auto owned = std::make_unique<WorkerState>();
  WorkerState* w = owned.get();
  w->number = next_worker_number_++;
  w->id = absl::StrCat("w", w->number);
  w->info = msg.info();
  w->nthreads = std::max(1, msg.info().nthreads());
  for (const auto& [name, amount] : msg.info().resources()) {
    if (!name.empty() && std::isfinite(amount) && amount > 0) w->resources[name] = amount;
  }
  w->slot = worker_list_.size();
  w->last_seen = now;
  workers_.emplace(w->id, std::move(owned));
  worker_list_.push_back(w);
  ++running_workers_;
  UpdateRoom(w);
  if (!w->resources.empty()) resources_freed_.emplace(w->number, w);  // tasks may wait for it

  WorkerMessage& welcome = out_.to_workers.emplace_back();
  welcome.worker_id = w->id;
  welcome.instruction.mutable_welcome()->set_worker_id(w->id);
  welcome.instruction.mutable_welcome()->set_heartbeat_interval_seconds(
      absl::ToDoubleSeconds(options_.heartbeat_interval));

  Recs recs;
  for (const proto::KeyLocation& held : msg.held_keys()) {
    TaskState* ts = FindTask(held.key());
    if (ts == nullptr) {
      SendFreeKey(w, held.key());
    } else if (ts->status == S::kMemory) {
      AddReplica(ts, w, held.nbytes());  // one more copy of a result we have
    } else {
      (void)AcceptOrFree(ts, w, held.nbytes(), &recs);
    }
  }
  for (TaskState* ts : SortedByPriority(no_worker_)) Recommend(&recs, ts, S::kProcessing);
  (void)RunTransitions(&recs);  // an illegal transition is logged and counted there
  return w->id;
}

absl::Status SchedulerState::RemoveWorker(const std::string& worker_id, absl::string_view reason) {
  Begin("remove-worker");
  WorkerState* w = FindWorker(worker_id);
  if (w == nullptr) return absl::NotFoundError(absl::StrCat("unknown worker ", worker_id));
  w->removed = true;
  retiring_.erase(w->number);
  // Copies it was to receive: asked of another worker at the next tick. With no
  // retirement left, nothing of them is needed any more.
  absl::erase_if(replicating_, [w](const auto& entry) { return entry.second == w->id; });
  if (retiring_.empty()) replica_failures_.clear();
  if (!w->paused) --running_workers_;
  has_room_.erase({w->number, w});
  idle_.erase({w->number, w});
  resources_freed_.erase({w->number, w});
  // Steals it was to receive: the victims' tasks are placed afresh if they let go.
  for (TaskState* ts : w->stealing_in) ts->steal_thief = nullptr;
  w->stealing_in.clear();
  worker_list_.erase(worker_list_.begin() + w->slot);
  for (size_t i = w->slot; i < worker_list_.size(); ++i) worker_list_[i]->slot = i;
  auto it = workers_.find(worker_id);
  retired_workers_.push_back(std::move(it->second));
  workers_.erase(it);

  Recs recs;
  // What it was running runs again elsewhere, unless it has now seen too many deaths.
  for (TaskState* ts : SortedByPriority(w->processing)) {
    ++ts->suspicious;
    if (ts->suspicious < options_.allowed_failures) {
      Recommend(&recs, ts, S::kWaiting);
      continue;
    }
    TransitionArgs args;
    args.error.erred_key = ts->key();
    args.error.function = ts->function();
    args.error.message =
        absl::StrCat("task ", ts->key(), " (", ts->function(), ") was running on ", ts->suspicious,
                     " workers that died (allowed failures: ", options_.allowed_failures,
                     "); the last one was ", w->info.address(), " (", reason, ")");
    Recommend(&recs, ts, S::kErred, std::move(args));
  }
  // Results that lived only there are lost: recomputed if needed, else forgotten.
  absl::Status first_error;
  for (TaskState* ts : SortedByPriority(w->has_what)) {
    RemoveReplica(ts, w);
    if (ts->who_has.empty() && ts->status == S::kMemory) {
      absl::Status status =
          ts->scattered ? LoseScattered(ts,
                                        absl::StrCat("was lost with worker ", w->info.address(),
                                                     " (", reason, "), its only holder"),
                                        &recs)
                        : Transition(ts, S::kReleased, {}, &recs);
      if (!status.ok() && first_error.ok()) first_error = status;
    }
  }
  // Restricted tasks waiting for resources: decided again, in no-worker if it was the
  // last running worker that may run them.
  for (const auto& [priority, ts] : constrained_) Recommend(&recs, ts, S::kProcessing);
  absl::Status status = RunTransitions(&recs);
  return first_error.ok() ? status : first_error;
}

absl::Status SchedulerState::Heartbeat(const std::string& worker_id, const proto::Heartbeat& msg,
                                       absl::Time now) {
  WorkerState* w = FindWorker(worker_id);
  if (w == nullptr) return absl::NotFoundError(absl::StrCat("unknown worker ", worker_id));
  w->last_seen = now;
  w->last_heartbeat = msg;
  w->stuck = msg.stuck();
  const bool paused = msg.paused() || w->retiring;  // a retiring worker stays paused
  if (paused == w->paused) return absl::OkStatus();
  Begin(paused ? "worker-paused" : "worker-resumed");
  Recs recs;
  SetPaused(w, paused, &recs);
  return RunTransitions(&recs);
}

void SchedulerState::Touch(const std::string& worker_id, absl::Time now) {
  WorkerState* w = FindWorker(worker_id);
  if (w != nullptr) w->last_seen = std::max(w->last_seen, now);
}

void SchedulerState::CheckTimeouts(absl::Time now) {
  std::vector<std::pair<std::string, absl::Duration>> expired;
  for (const WorkerState* w : worker_list_) {
    absl::Duration silent = now - w->last_seen;
    if (silent > options_.worker_timeout) expired.emplace_back(w->id, silent);
  }
  for (const auto& [id, silent] : expired) {
    (void)RemoveWorker(id, absl::StrCat("no heartbeat for ", absl::FormatDuration(silent)));
    out_.removed_workers.push_back(id);
  }
}

absl::Status SchedulerState::TaskFinished(const std::string& worker_id,
                                          const proto::TaskFinished& msg) {
  Begin("task-finished");
  WorkerState* w = FindWorker(worker_id);
  if (w == nullptr) return absl::NotFoundError(absl::StrCat("unknown worker ", worker_id));
  TaskState* ts = FindTask(msg.key());
  if (ts == nullptr) {  // forgotten meanwhile (released or cancelled)
    SendFreeKey(w, msg.key());
    return absl::OkStatus();
  }
  if (msg.duration_seconds() > 0) ts->prefix->AddDuration(msg.duration_seconds());
  Recs recs;
  if (ts->status == S::kProcessing && ts->processing_on == w) {
    TransitionArgs args;
    args.worker = w;
    args.nbytes = msg.nbytes();
    WEFT_RETURN_IF_ERROR(Transition(ts, S::kMemory, args, &recs));
  } else {
    WEFT_RETURN_IF_ERROR(AcceptOrFree(ts, w, msg.nbytes(), &recs));
  }
  return RunTransitions(&recs);
}

absl::Status SchedulerState::AcceptOrFree(TaskState* ts, WorkerState* w, int64_t nbytes,
                                          Recs* recs) {
  bool unfinished = ts->status == S::kWaiting || ts->status == S::kNoWorker ||
                    ts->status == S::kQueued || ts->status == S::kProcessing;
  if (ts->needed() && unfinished) {
    TransitionArgs args;
    args.worker = w;
    args.nbytes = nbytes;
    return Transition(ts, S::kMemory, args, recs);
  }
  SendFreeKey(w, ts->key());
  return absl::OkStatus();
}

absl::Status SchedulerState::TaskFailed(const std::string& worker_id,
                                        const proto::TaskFailed& msg) {
  Begin("task-failed");
  WorkerState* w = FindWorker(worker_id);
  if (w == nullptr) return absl::NotFoundError(absl::StrCat("unknown worker ", worker_id));
  TaskState* ts = FindTask(msg.key());
  // A failure of a run we no longer care about (cancelled, rescheduled) changes nothing.
  if (ts == nullptr || ts->status != S::kProcessing || ts->processing_on != w) {
    return absl::OkStatus();
  }
  Recs recs;
  if (msg.missing_dependencies_size() > 0) {
    // Not the task's fault: the inputs are gone from their holders. Recompute them (the
    // lost-result path puts the task back to waiting), then run it again.
    for (const std::string& key : msg.missing_dependencies()) {
      TaskState* dep = FindTask(key);
      if (dep == nullptr || dep->status != S::kMemory) continue;
      for (WorkerState* holder :
           std::vector<WorkerState*>(dep->who_has.begin(), dep->who_has.end())) {
        SendFreeKey(holder, key);
        RemoveReplica(dep, holder);
      }
      if (dep->scattered) {
        WEFT_RETURN_IF_ERROR(LoseScattered(
            dep, absl::StrCat("was missing from its holders (", msg.message(), ")"), &recs));
        continue;
      }
      WEFT_RETURN_IF_ERROR(Transition(dep, S::kReleased, {}, &recs));
    }
    Recommend(&recs, ts, S::kWaiting);
    return RunTransitions(&recs);
  }
  if (ts->retries > 0) {  // it runs again (it may land on the same worker)
    --ts->retries;
    WEFT_RETURN_IF_ERROR(Transition(ts, S::kWaiting, {}, &recs));
    return RunTransitions(&recs);
  }
  TransitionArgs args;
  args.error.erred_key = ts->key();
  args.error.function = msg.function().empty() ? ts->function() : msg.function();
  args.error.message = msg.message();
  WEFT_RETURN_IF_ERROR(Transition(ts, S::kErred, args, &recs));
  return RunTransitions(&recs);
}

// ---- Clients.

std::string SchedulerState::AddClient(const std::string& name) {
  Begin("add-client");
  auto owned = std::make_unique<ClientState>();
  ClientState* cs = owned.get();
  cs->id = absl::StrCat("c", next_client_number_++);
  cs->name = name;
  clients_.emplace(cs->id, std::move(owned));
  ClientMessage& welcome = out_.to_clients.emplace_back();
  welcome.client_id = cs->id;
  welcome.update.mutable_welcome()->set_client_id(cs->id);
  return cs->id;
}

absl::Status SchedulerState::RemoveClient(const std::string& client_id) {
  Begin("remove-client");
  ClientState* cs = FindClient(client_id);
  if (cs == nullptr) return absl::NotFoundError(absl::StrCat("unknown client ", client_id));
  absl::Status status = ReleaseClientWants(cs, SortedByPriority(cs->wants));
  clients_.erase(client_id);
  return status;
}

absl::Status SchedulerState::UpdateGraph(const std::string& client_id, proto::UpdateGraph msg) {
  Begin("update-graph");
  ClientState* cs = FindClient(client_id);
  if (cs == nullptr) return absl::NotFoundError(absl::StrCat("unknown client ", client_id));
  // New keys only: a known key is the same work, already done or under way (and of a
  // key given twice in one graph, the first spec counts).
  // The specs are taken out of the message one by one, in submission order (reversed in
  // place, then released from the end), so each one's storage is freed as its TaskState
  // takes what it keeps, rather than a million protos living until the end of the event.
  // A task's dependencies are wired at once when they are all known (submitted before
  // it, as usual), else once the whole graph is in, always in spec order.
  google::protobuf::RepeatedPtrField<proto::TaskSpec>& specs = *msg.mutable_tasks();
  for (int i = 0, j = specs.size() - 1; i < j; ++i, --j) specs.SwapElements(i, j);
  std::vector<TaskState*> added;
  added.reserve(specs.size());
  std::vector<int64_t> user_priorities;  // for added[i]; stays empty while all are 0
  // What added[i] reads (null or past the end: it reads no item apart).
  struct ArgKeys {
    std::set<std::string> whole;
    std::set<std::pair<std::string, int64_t>> items;
  };
  std::vector<std::unique_ptr<ArgKeys>> added_reads;
  std::vector<std::pair<TaskState*, std::string>> invalid_options;
  tasks_.reserve(tasks_.size() + specs.size());
  std::vector<std::pair<TaskState*, std::vector<std::string>>> unwired;
  std::vector<std::pair<TaskState*, std::vector<std::string>>> order_only_keys;
  absl::InlinedVector<TaskState*, 4> deps;
  while (!specs.empty()) {
    std::unique_ptr<proto::TaskSpec> spec(specs.ReleaseLast());
    if (spec->key().empty() || tasks_.contains(spec->key())) continue;
    std::string key = std::move(*spec->mutable_key());
    spec->clear_key();
    std::string function = std::move(*spec->mutable_function());
    spec->clear_function();
    google::protobuf::RepeatedPtrField<std::string> dependency_keys;
    dependency_keys.Swap(spec->mutable_dependencies());
    TaskOptions options = TakeTaskOptions(spec.get());
    std::unique_ptr<ArgKeys> reads;  // only for a task that reads items apart
    if (std::any_of(spec->args().begin(), spec->args().end(), HasSliceArg)) {
      reads = std::make_unique<ArgKeys>();
      for (const proto::Arg& arg : spec->args()) {
        CollectArgKeys(arg, &reads->whole, &reads->items);
      }
    }
    // Dependencies no arg names (it only runs after them): looked for only when the args
    // name fewer keys than there are dependencies, which is rare.
    std::vector<std::string> order_only;
    size_t named = 0;
    for (const proto::Arg& arg : spec->args()) named += CountArgKeys(arg);
    if (named < static_cast<size_t>(dependency_keys.size())) {
      ArgKeys keys;
      for (const proto::Arg& arg : spec->args()) CollectArgKeys(arg, &keys.whole, &keys.items);
      for (const std::string& dep : dependency_keys) {
        if (!ReadsKey(keys.whole, keys.items, dep)) order_only.push_back(dep);
      }
    }
    std::string rest;
    spec->SerializeToString(&rest);
    spec.reset();

    TaskState* ts = AddTaskRecord(std::move(key), function, std::move(rest));
    ts->restrictions = std::move(options.restrictions);
    ts->retries = options.retries;
    if (options.user_priority != 0) {
      user_priorities.resize(added.size(), 0);
      user_priorities.push_back(options.user_priority);
    }
    if (!options.error.empty()) invalid_options.emplace_back(ts, std::move(options.error));
    added.push_back(ts);
    if (reads != nullptr) {
      added_reads.resize(added.size());
      added_reads.back() = std::move(reads);
    }
    if (!order_only.empty()) order_only_keys.emplace_back(ts, std::move(order_only));

    deps.clear();
    for (const std::string& dep_key : dependency_keys) {
      TaskState* dep = FindTask(dep_key);
      if (dep == nullptr || dep == ts) break;
      deps.push_back(dep);
    }
    if (deps.size() == static_cast<size_t>(dependency_keys.size())) {
      for (TaskState* dep : deps) {
        if (dep->dependents.insert(ts)) ts->dependencies.push_back(dep);
      }
    } else {
      unwired.emplace_back(
          ts, std::vector<std::string>(std::make_move_iterator(dependency_keys.begin()),
                                       std::make_move_iterator(dependency_keys.end())));
    }
  }
  std::vector<std::pair<TaskState*, std::string>> unknown_deps;
  for (auto& [ts, keys] : unwired) {
    for (std::string& key : keys) {
      TaskState* dep = FindTask(key);
      if (dep == nullptr || dep == ts) {
        unknown_deps.emplace_back(ts, std::move(key));
      } else if (dep->dependents.insert(ts)) {
        ts->dependencies.push_back(dep);
      }
    }
  }
  for (auto& [ts, keys] : order_only_keys) {
    for (const std::string& key : keys) {
      const TaskState* dep = FindTask(key);
      if (dep == nullptr || std::find(ts->dependencies.begin(), ts->dependencies.end(), dep) ==
                                ts->dependencies.end()) {
        continue;  // unknown: the task errs below
      }
      if (ts->order_only == nullptr) {
        ts->order_only = std::make_unique<std::vector<const TaskState*>>();
      }
      ts->order_only->push_back(dep);
    }
  }
  if (!user_priorities.empty()) user_priorities.resize(added.size(), 0);
  AssignPriorities(added, user_priorities);
  Recs recs;
  absl::Status first_error = ErrCycles(added, &recs);
  const ArgKeys no_items;
  for (size_t i = 0; i < added.size(); ++i) {
    const ArgKeys& reads =
        i < added_reads.size() && added_reads[i] != nullptr ? *added_reads[i] : no_items;
    WireReads(added[i], reads.whole, reads.items);
  }
  for (const auto& [ts, error] : invalid_options) {
    if (ts->status == S::kErred) continue;  // on a dependency cycle
    TransitionArgs args;
    args.error = {ts->key(), ts->function(),
                  absl::StrCat("task ", ts->key(), " (", ts->function(), "): ", error)};
    absl::Status status = Transition(ts, S::kErred, args, &recs);
    if (!status.ok() && first_error.ok()) first_error = status;
  }
  for (const auto& [ts, unknown] : unknown_deps) {
    if (ts->status == S::kErred) continue;  // a second unknown dependency
    TransitionArgs args;
    args.error = {ts->key(), ts->function(),
                  absl::StrCat("task ", ts->key(), " (", ts->function(), ") depends on ",
                               unknown == ts->key() ? "itself" : "unknown key " + unknown)};
    absl::Status status = Transition(ts, S::kErred, args, &recs);
    if (!status.ok() && first_error.ok()) first_error = status;
  }
  for (const std::string& key : msg.wanted_keys()) {
    TaskState* ts = FindTask(key);
    if (ts == nullptr) {
      proto::KeyStatus unknown;
      unknown.set_key(key);
      unknown.set_state(proto::KeyStatus::ERRED);
      unknown.set_erred_key(key);
      unknown.set_error(absl::StrCat("unknown key ", key,
                                     ": no task with this key was submitted, or it was "
                                     "released"));
      SendKeyStatus(cs, std::move(unknown));
      continue;
    }
    if (ts->who_wants.insert(cs)) cs->wants.insert(ts);
    ReportWanted(cs, ts);
    if (ts->status != S::kReleased) continue;
    if (!ts->scattered) {
      Recommend(&recs, ts, S::kWaiting);
      continue;
    }
    TransitionArgs args;  // its data is gone, and there is nothing to run again
    args.error = ScatteredLost(*ts, "was released");
    absl::Status status = Transition(ts, S::kErred, args, &recs);
    if (!status.ok() && first_error.ok()) first_error = status;
  }
  // New tasks nobody needs (not wanted, nothing depends on them) are dropped at once.
  for (TaskState* ts : added) MaybeRelease(ts, &recs);
  absl::Status status = RunTransitions(&recs);
  return first_error.ok() ? status : first_error;
}

TaskState* SchedulerState::AddTaskRecord(std::string key, const std::string& function,
                                         std::string rest) {
  const std::string* interned = &*functions_.insert(function).first;
  auto owned = std::make_unique<TaskState>(std::move(key), interned, std::move(rest));
  TaskState* ts = owned.get();
  ts->prefix = PrefixFor(ts->key());
  ts->serial = next_task_serial_++;
  tasks_.insert(std::move(owned));
  ++status_counts_[static_cast<int>(S::kReleased)];
  ++ts->prefix->status_counts[static_cast<int>(S::kReleased)];
  live_prefixes_.insert(ts->prefix);
  return ts;
}

void SchedulerState::ReportWanted(ClientState* cs, TaskState* ts) {
  if (ts->status == S::kMemory) SendKeyStatus(cs, MemoryStatus(*ts));
  if (ts->status == S::kErred) SendKeyStatus(cs, ErredStatus(*ts));
}

absl::Status SchedulerState::ReleaseKeys(const std::string& client_id,
                                         const proto::ReleaseKeys& msg) {
  Begin("release-keys");
  ClientState* cs = FindClient(client_id);
  if (cs == nullptr) return absl::NotFoundError(absl::StrCat("unknown client ", client_id));
  std::vector<TaskState*> tasks;
  for (const std::string& key : msg.keys()) {
    if (TaskState* ts = FindTask(key)) tasks.push_back(ts);
  }
  return ReleaseClientWants(cs, tasks);
}

absl::Status SchedulerState::ReleaseClientWants(ClientState* cs,
                                                const std::vector<TaskState*>& tasks) {
  Recs recs;
  for (TaskState* ts : tasks) {
    if (ts->who_wants.erase(cs) == 0) continue;
    cs->wants.erase(ts);
    MaybeRelease(ts, &recs);
  }
  return RunTransitions(&recs);
}

absl::Status SchedulerState::CancelKeys(const std::string& client_id,
                                        const proto::CancelKeys& msg) {
  Begin("cancel-keys");
  ClientState* cs = FindClient(client_id);
  if (cs == nullptr) return absl::NotFoundError(absl::StrCat("unknown client ", client_id));
  // The keys not in memory yet, and what depends on them and is not done either: none of
  // them can complete now.
  std::vector<TaskState*> stack;
  absl::flat_hash_set<TaskState*> seen;
  for (const std::string& key : msg.keys()) {
    TaskState* ts = FindTask(key);
    if (ts != nullptr && seen.insert(ts).second) stack.push_back(ts);
  }
  std::vector<TaskState*> cancelled;
  while (!stack.empty()) {
    TaskState* ts = stack.back();
    stack.pop_back();
    if (ts->status == S::kMemory || ts->status == S::kErred) continue;
    cancelled.push_back(ts);
    for (TaskState* dts : ts->dependents) {
      if (seen.insert(dts).second) stack.push_back(dts);
    }
  }
  SortByPriority(&cancelled);
  for (TaskState* ts : cancelled) {
    proto::KeyStatus status;
    status.set_key(ts->key());
    status.set_state(proto::KeyStatus::CANCELLED);
    status.set_error(absl::StrCat(ts->key(), " was cancelled by client ", cs->name));
    for (ClientState* wanter : ts->who_wants) {
      SendKeyStatus(wanter, status);
      wanter->wants.erase(ts);
    }
    ts->who_wants.clear();
  }
  Recs recs;
  for (TaskState* ts : cancelled) MaybeRelease(ts, &recs);
  return RunTransitions(&recs);
}

absl::Status SchedulerState::CancelAll(absl::string_view reason) {
  Begin("cancel-all");
  Recs recs;
  std::vector<TaskState*> released;
  for (auto& [id, cs] : clients_) {
    for (TaskState* ts : SortedByPriority(cs->wants)) {
      proto::KeyStatus status;
      status.set_key(ts->key());
      status.set_state(proto::KeyStatus::CANCELLED);
      status.set_error(absl::StrCat(ts->key(), " was cancelled: ", reason));
      SendKeyStatus(cs.get(), std::move(status));
      ts->who_wants.erase(cs.get());
      released.push_back(ts);
    }
    cs->wants.clear();
  }
  SortByPriority(&released);
  for (TaskState* ts : released) MaybeRelease(ts, &recs);
  return RunTransitions(&recs);
}

absl::Status SchedulerState::Info(const std::string& client_id, const proto::InfoRequest& msg) {
  ClientState* cs = FindClient(client_id);
  if (cs == nullptr) return absl::NotFoundError(absl::StrCat("unknown client ", client_id));
  ClientMessage& message = out_.to_clients.emplace_back();
  message.client_id = cs->id;
  proto::InfoReply* reply = message.update.mutable_info();
  FillInfo(reply, /*prefixes=*/!msg.own_prefixes());
  if (msg.own_prefixes()) FillClientPrefixes(*cs, reply);
  reply->set_request_id(msg.request_id());
  return absl::OkStatus();
}

namespace {

// One prefix's line of an InfoReply: its tasks per status in `counts` (forgotten left out)
// and its average duration (0 while unmeasured).
void AddPrefixProgress(const TaskPrefix& prefix,
                       const std::array<int64_t, kNumTaskStatuses>& counts,
                       proto::InfoReply* reply) {
  proto::PrefixProgress* progress = reply->add_prefixes();
  progress->set_prefix(prefix.name);
  progress->set_average_duration_seconds(std::max(prefix.duration_average, 0.0));
  for (int i = 0; i < kNumTaskStatuses; ++i) {
    const TaskStatus status = static_cast<TaskStatus>(i);
    if (status == TaskStatus::kForgotten) continue;
    (*progress->mutable_tasks_by_state())[TaskStatusName(status)] = counts[i];
  }
}

}  // namespace

// Counts the client's wanted tasks and, below the unfinished ones, their dependencies:
// what a progress bar for this client's work shows. A finished task's dependencies are
// finished too (or forgotten), so the walk stops there and costs O(unfinished tasks) plus
// the wanted ones, however large the finished part of the graph is. Iterative, so a
// deep chain cannot overflow the stack.
void SchedulerState::FillClientPrefixes(const ClientState& cs, proto::InfoReply* reply) const {
  absl::flat_hash_set<const TaskState*> seen;
  std::vector<const TaskState*> stack(cs.wants.begin(), cs.wants.end());
  absl::flat_hash_map<const TaskPrefix*, std::array<int64_t, kNumTaskStatuses>> counts;
  while (!stack.empty()) {
    const TaskState* ts = stack.back();
    stack.pop_back();
    if (!seen.insert(ts).second) continue;
    ++counts[ts->prefix][static_cast<int>(ts->status)];
    if (ts->status == S::kMemory || ts->status == S::kErred) continue;
    for (const TaskState* dep : ts->dependencies) stack.push_back(dep);
  }
  std::vector<const TaskPrefix*> prefixes;
  for (const auto& [prefix, unused] : counts) prefixes.push_back(prefix);
  std::sort(prefixes.begin(), prefixes.end(),
            [](const TaskPrefix* a, const TaskPrefix* b) { return a->name < b->name; });
  for (const TaskPrefix* prefix : prefixes) AddPrefixProgress(*prefix, counts[prefix], reply);
}

void SchedulerState::FillInfo(proto::InfoReply* reply, bool prefixes) const {
  for (const WorkerState* w : worker_list_) {
    proto::WorkerSummary* summary = reply->add_workers();
    summary->set_worker_id(w->id);
    summary->set_name(w->info.name());
    summary->set_address(w->info.address());
    summary->set_pid(w->info.pid());
    summary->set_nthreads(w->nthreads);
    summary->set_memory_limit(w->info.memory_limit());
    int64_t reported = w->last_heartbeat.memory_bytes();
    summary->set_memory_bytes(reported > 0 ? reported : w->nbytes);
    summary->set_processing(static_cast<int32_t>(w->processing.size()));
    summary->set_keys_in_memory(static_cast<int64_t>(w->has_what.size()));
    summary->set_spilled_bytes(w->last_heartbeat.spilled_bytes());
    summary->set_peak_held_bytes(w->last_heartbeat.peak_held_bytes());
    summary->set_bytes_fetched(w->last_heartbeat.bytes_fetched());
    summary->set_paused(w->paused);
    summary->set_process_bytes(w->last_heartbeat.process_bytes());
    summary->set_stuck(w->stuck);
    summary->set_illegal_transitions(w->last_heartbeat.illegal_transitions());
    summary->set_cpu_percent(w->last_heartbeat.cpu_percent());
    summary->set_occupancy_seconds(w->occupancy);
    for (const auto& [name, amount] : w->resources) (*summary->mutable_resources())[name] = amount;
    for (const auto& [name, amount] : w->resources_used) {
      (*summary->mutable_resources_used())[name] = amount;
    }
  }
  reply->set_tasks_total(static_cast<int64_t>(tasks_.size()));
  for (int i = 0; i < kNumTaskStatuses; ++i) {
    if (static_cast<S>(i) == S::kForgotten) continue;
    (*reply->mutable_tasks_by_state())[TaskStatusName(static_cast<S>(i))] = status_counts_[i];
  }
  if (!prefixes) return;
  std::vector<const TaskPrefix*> live(live_prefixes_.begin(), live_prefixes_.end());
  std::sort(live.begin(), live.end(),
            [](const TaskPrefix* a, const TaskPrefix* b) { return a->name < b->name; });
  for (const TaskPrefix* prefix : live) AddPrefixProgress(*prefix, prefix->status_counts, reply);
}

// ---- Lookups and introspection.

TaskState* SchedulerState::FindTask(absl::string_view key) const {
  auto it = tasks_.find(key);
  return it == tasks_.end() ? nullptr : it->get();
}

WorkerState* SchedulerState::FindWorker(const std::string& id) const {
  auto it = workers_.find(id);
  return it == workers_.end() ? nullptr : it->second.get();
}

ClientState* SchedulerState::FindClient(const std::string& id) const {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.get();
}

const TaskState* SchedulerState::GetTask(absl::string_view key) const { return FindTask(key); }

const WorkerState* SchedulerState::GetWorker(const std::string& worker_id) const {
  return FindWorker(worker_id);
}

TaskStatus SchedulerState::GetStatus(absl::string_view key) const {
  const TaskState* ts = FindTask(key);
  return ts == nullptr ? S::kForgotten : ts->status;
}

std::vector<StoryEntry> SchedulerState::Story(absl::string_view key) const {
  const TaskState* ts = FindTask(key);
  std::vector<StoryEntry> story;
  if (ts == nullptr) return story;
  // Oldest first: the ring starts at transition_log_next_ once it is full.
  const size_t n = transition_log_.size();
  for (size_t i = 0; i < n; ++i) {
    const LoggedTransition& logged = transition_log_[(transition_log_next_ + i) % n];
    if (logged.serial == ts->serial) story.push_back(logged.entry);
  }
  if (story.size() > options_.story_length) {
    story.erase(story.begin(), story.end() - options_.story_length);
  }
  return story;
}

absl::Status SchedulerState::TEST_ForceTransition(absl::string_view key, TaskStatus to) {
  Begin("test");
  TaskState* ts = FindTask(key);
  if (ts == nullptr) return absl::NotFoundError(absl::StrCat("unknown key ", key));
  Recs recs;
  WEFT_RETURN_IF_ERROR(Transition(ts, to, TransitionArgs(), &recs));
  return RunTransitions(&recs);
}

std::string SchedulerState::StoryString(absl::string_view key) const {
  std::string out;
  for (const StoryEntry& e : Story(key)) {
    absl::StrAppend(&out, "  ", key, ": ", TaskStatusName(e.from), " -> ", TaskStatusName(e.to),
                    " (", e.stimulus, " #", e.stimulus_id, ")\n");
  }
  return out;
}

}  // namespace weft::scheduler
