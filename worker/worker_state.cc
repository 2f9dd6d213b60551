#include "worker/worker_state.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/key.h"
#include "common/logging.h"
#include "common/task_args.h"

namespace weft {
namespace {

using S = TaskState;

constexpr size_t kMaxStory = 10000;

proto::WorkerEvent Finished(const std::string& key, int64_t nbytes, const std::string& type_name,
                            double duration) {
  proto::WorkerEvent event;
  auto* finished = event.mutable_task_finished();
  finished->set_key(key);
  finished->set_nbytes(nbytes);
  finished->set_type_name(type_name);
  finished->set_duration_seconds(duration);
  return event;
}

// The keys a task reads locally: each dependency as is, except one that the args read
// only through slices and that is not here (`is_local`): its slices' keys instead; and
// none for a dependency that no arg names (the task only runs after it).
template <typename IsLocal>
std::vector<std::string> LocalInputs(const proto::TaskSpec& spec, IsLocal is_local) {
  std::set<std::string> whole;
  std::set<std::pair<std::string, int64_t>> slices;
  for (const proto::Arg& arg : spec.args()) CollectArgKeys(arg, &whole, &slices);
  std::vector<std::string> inputs;
  inputs.reserve(spec.dependencies_size());
  for (const std::string& dep : spec.dependencies()) {
    if (!ReadsKey(whole, slices, dep)) continue;
    if (whole.count(dep) > 0 || is_local(dep)) {
      inputs.push_back(dep);
      continue;
    }
    for (auto it = slices.lower_bound({dep, std::numeric_limits<int64_t>::min()});
         it != slices.end() && it->first == dep; ++it) {
      inputs.push_back(SliceKey(dep, it->second));
    }
  }
  return inputs;
}

proto::WorkerEvent Failed(const std::string& key, const std::string& function,
                          const std::string& message, const std::vector<std::string>& missing) {
  proto::WorkerEvent event;
  auto* failed = event.mutable_task_failed();
  failed->set_key(key);
  failed->set_function(function);
  failed->set_message(absl::StrCat(message, " [key ", key, "]"));
  // The scheduler knows slices by their dependency's key: that is what it recomputes.
  absl::flat_hash_set<std::string> reported;
  for (const auto& m : missing) {
    std::string base;
    int64_t index;
    const std::string& key = ParseSliceKey(m, &base, &index) ? base : m;
    if (reported.insert(key).second) failed->add_missing_dependencies(key);
  }
  return event;
}

}  // namespace

const char* TaskStateName(TaskState state) {
  switch (state) {
    case S::kReleased:
      return "released";
    case S::kWaiting:
      return "waiting";
    case S::kReady:
      return "ready";
    case S::kExecuting:
      return "executing";
    case S::kMemory:
      return "memory";
    case S::kErred:
      return "erred";
    case S::kFetch:
      return "fetch";
    case S::kFlight:
      return "flight";
  }
  return "?";
}

WorkerState::WorkerState(std::string self_address, int nthreads, int max_keys_per_fetch,
                         int64_t pause_bytes, int64_t fetch_budget_bytes)
    : self_address_(std::move(self_address)),
      nthreads_(std::max(1, nthreads)),
      max_keys_per_fetch_(std::max(1, max_keys_per_fetch)),
      pause_bytes_(std::max<int64_t>(0, pause_bytes)),
      fetch_budget_(std::max<int64_t>(0, fetch_budget_bytes)) {}

// ---------------------------------------------------------------------------
// Events

// Fires for every ComputeTask. A key already known is not started twice.
Instructions WorkerState::HandleCompute(const proto::ComputeTask& compute) {
  Instructions out;
  Task& task = Ensure(compute.task().key());
  switch (task.state) {
    case S::kMemory:  // computed or fetched already: report it (again)
      if (task.spec == nullptr) task.spec = std::make_shared<const proto::TaskSpec>(compute.task());
      task.reported = true;
      out.push_back(SendInstruction{Finished(task.key, task.nbytes, task.type_name, 0)});
      break;
    case S::kFetch:
    case S::kFlight:  // arriving soon from a peer: reported as finished when it lands
      task.spec = std::make_shared<const proto::TaskSpec>(compute.task());
      break;
    case S::kExecuting:
      if (task.cancelled) task.rerun = true;
      break;
    case S::kReady:
      if (task.priority != compute.priority()) {
        RemoveFromReady(task);
        task.priority = compute.priority();
        PushReady(task);
      }
      break;
    case S::kWaiting:
      if (!task.admitted) unadmitted_.erase(ReadyEntry{task.priority, task.sequence, task.key});
      task.priority = compute.priority();
      if (!task.admitted) unadmitted_.insert(ReadyEntry{task.priority, task.sequence, task.key});
      break;
    case S::kReleased:
    case S::kErred:
      StartCompute(task, compute, &out);
      break;
  }
  IssueFetches(&out);
  FillExecutors(&out);
  return out;
}

// Fires for FreeKeys.items: nothing will read these items of results held here.
Instructions WorkerState::HandleFreeItems(
    const std::vector<std::pair<std::string, int64_t>>& items) {
  Instructions out;
  for (const auto& [key, index] : items) {
    Task* task = Find(key);
    if (task == nullptr || task->state != S::kMemory || task->pins > 0) continue;
    if (out.empty() || std::get<ReleaseInstruction>(out.back()).key != key) {
      out.push_back(ReleaseInstruction{key, {}});
    }
    std::get<ReleaseInstruction>(out.back()).items.push_back(index);
  }
  return out;
}

// Fires for FreeKeys: the scheduler needs none of these keys any more.
Instructions WorkerState::HandleFreeKeys(const std::vector<std::string>& keys) {
  Instructions out;
  for (const std::string& key : keys) {
    Task* task = Find(key);
    if (task == nullptr || task->pins > 0) continue;  // pinned: this frees an older copy
    task->reported = false;
    switch (task->state) {
      case S::kExecuting:
        task->rerun = false;
        if (!task->cancelled) {
          task->cancelled = true;
          out.push_back(CancelInstruction{key});
        }
        break;
      case S::kReady:
      case S::kWaiting:
      case S::kErred:
        ReleaseInputs(*task, &out);
        FailDependents(key, "it was freed", &out);
        Forget(key, "freed", &out);
        break;
      case S::kMemory:
      case S::kFetch:
      case S::kFlight:
        task->spec.reset();
        DropIfUnneeded(key, &out);  // a local task may still need it
        break;
      case S::kReleased:
        break;
    }
  }
  FillExecutors(&out);
  return out;
}

// Fires for a StealRequest.
Instructions WorkerState::HandleSteal(const std::string& key) {
  Instructions out;
  Task* task = Find(key);
  bool stolen = task == nullptr || task->spec == nullptr;
  if (task != nullptr && task->spec != nullptr &&
      (task->state == S::kReady || task->state == S::kWaiting)) {
    ReleaseInputs(*task, &out);
    FailDependents(key, "it was stolen", &out);
    Forget(key, "stolen", &out);
    stolen = true;
  }
  proto::WorkerEvent event;
  event.mutable_steal_response()->set_key(key);
  event.mutable_steal_response()->set_stolen(stolen);
  out.push_back(SendInstruction{std::move(event)});
  return out;
}

// Fires when a GetData request to one peer ends, successfully or not.
// Fires when PutData stored a client's value under `key`.
Instructions WorkerState::HandleDataPut(const std::string& key, int64_t nbytes,
                                        const std::string& type_name) {
  Instructions out;
  Task& task = Ensure(key);
  ++task.pins;
  switch (task.state) {
    case S::kFetch:
    case S::kFlight:  // its fetch's late arrival is dropped by HandleFetchDone
    case S::kReleased:
      OnMemory(task, nbytes, type_name, /*duration=*/0, &out);
      task.reported = true;
      break;
    case S::kMemory:
      task.reported = true;
      break;
    default:  // computed here under the same key: its run decides
      break;
  }
  FillExecutors(&out);
  return out;
}

// Fires when the scheduler answers puts with PutAccepted.
Instructions WorkerState::HandlePutAccepted(const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    if (Task* task = Find(key); task != nullptr && task->pins > 0) --task->pins;
  }
  return {};
}

Instructions WorkerState::HandleFetchDone(const FetchOutcome& outcome) {
  Instructions out;
  for (const FetchedKey& received : outcome.received) {
    Task* task = Find(received.key);
    if (task == nullptr || task->state != S::kFlight) {
      // Freed while in flight. (A key already in memory keeps its one stored copy.)
      if (task == nullptr) out.push_back(ReleaseInstruction{received.key});
      continue;
    }
    OnMemory(*task, received.nbytes, received.type_name, /*duration=*/0, &out);
    if (!task->dependents.empty() && task->held_bytes == 0) {
      task->held_bytes = std::max<int64_t>(received.nbytes, 1);
      fetched_held_bytes_ += task->held_bytes;
    }
    DropIfUnneeded(received.key, &out);
  }
  for (const std::string& key : outcome.failed) {
    Task* task = Find(key);
    if (task == nullptr || task->state != S::kFlight) continue;
    task->tried.push_back(outcome.address);
    task->last_fetch_error = outcome.error;
    if (outcome.permanent) task->permanent_fetch_error = outcome.error;
    if (!task->holders.empty()) {
      Transition(*task, S::kFetch, absl::StrCat("not obtained from ", outcome.address))
          .IgnoreError();
    } else {
      OnDependencyLost(key, &out);
    }
  }
  IssueFetches(&out);
  FillExecutors(&out);
  return out;
}

// Fires when an executor thread is done with a task (its result, if any, is stored).
Instructions WorkerState::HandleExecuteDone(const ExecuteOutcome& outcome) {
  Instructions out;
  Task* task = Find(outcome.key);
  if (task == nullptr || task->state != S::kExecuting) {
    if (outcome.ok && task == nullptr) out.push_back(ReleaseInstruction{outcome.key});
    return out;
  }
  const std::string& function = task->spec->function();
  if (task->cancelled) {
    if (outcome.ok) out.push_back(ReleaseInstruction{outcome.key});
    if (task->rerun) {  // the result may be cut short by the cancellation: run again
      task->cancelled = task->rerun = false;
      Transition(*task, S::kReady, "cancelled, then asked for again").IgnoreError();
    } else {
      ReleaseInputs(*task, &out);
      Forget(outcome.key, "cancelled while executing", &out);
    }
  } else if (outcome.ok) {
    ReleaseInputs(*task, &out);
    OnMemory(*task, outcome.nbytes, outcome.type_name, outcome.duration_seconds, &out);
  } else if (!outcome.missing_dependencies.empty()) {
    FailMissing(outcome.key, outcome.missing_dependencies, outcome.error, &out);
  } else {
    Transition(*task, S::kErred, outcome.error).IgnoreError();
    out.push_back(SendInstruction{Failed(outcome.key, function, outcome.error, {})});
    ReleaseInputs(*task, &out);
    FailDependents(outcome.key, "it erred", &out);
  }
  IssueFetches(&out);  // its inputs' bytes no longer count against the fetch budget
  FillExecutors(&out);
  return out;
}

// Fires when the scheduler stream breaks. Only results the scheduler knew about survive.
Instructions WorkerState::HandleSessionLost() {
  Instructions out;
  std::vector<std::string> keys;
  for (const auto& [key, task] : tasks_) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) {
    Task& task = tasks_.at(key);
    task.dependents.clear();
    UncountHeld(task);
    task.waiting_for.clear();
    task.pins = 0;  // no PutAccepted will come on this session
    switch (task.state) {
      case S::kExecuting:
        task.rerun = false;
        task.reported = false;
        if (!task.cancelled) {
          task.cancelled = true;
          out.push_back(CancelInstruction{key});
        }
        break;
      case S::kMemory:
        if (!task.reported) {
          out.push_back(ReleaseInstruction{key});
          Forget(key, "session lost", &out);
        }
        break;
      default:
        Forget(key, "session lost", &out);
        break;
    }
  }
  return out;
}

// Fires for every memory reading. Only a crossing of the pause threshold does anything.
Instructions WorkerState::HandleMemoryReading(int64_t bytes) {
  Instructions out;
  const bool over = pause_bytes_ > 0 && bytes >= pause_bytes_;
  if (over == paused_) return out;
  paused_ = over;
  proto::WorkerEvent event;
  event.mutable_status_change()->set_paused(paused_);
  event.mutable_status_change()->set_process_bytes(bytes);
  out.push_back(SendInstruction{std::move(event)});
  IssueFetches(&out);  // resumed: fetch and start what waited
  FillExecutors(&out);
  return out;
}

// ---------------------------------------------------------------------------
// Transitions and their helpers

WorkerState::Task* WorkerState::Find(const std::string& key) {
  auto it = tasks_.find(key);
  return it == tasks_.end() ? nullptr : &it->second;
}

WorkerState::Task& WorkerState::Ensure(const std::string& key) {
  Task& task = tasks_[key];
  task.key = key;
  return task;
}

// ---------------------------------------------------------------------------
// The transition table: every legal (from, to) pair and its handler, which keeps the
// bookkeeping of the states it leaves and enters (the ready queue, the keys to fetch, the
// count of executing tasks). Anything else is a bug in this file: it is logged, counted
// and refused.

WorkerState::TransitionFn WorkerState::LookupTransition(TaskState from, TaskState to) {
  struct Rule {
    S from, to;
    TransitionFn fn;
  };
  static constexpr Rule kRules[] = {
      // A task asked for waits for inputs, or has them all (or none).
      {S::kReleased, S::kWaiting, &WorkerState::EnterWaiting},
      {S::kReleased, S::kReady, &WorkerState::EnterReady},
      // Asked for again after it erred.
      {S::kErred, S::kWaiting, &WorkerState::EnterWaiting},
      {S::kErred, S::kReady, &WorkerState::EnterReady},
      // Its last input arrived.
      {S::kWaiting, S::kReady, &WorkerState::WaitingToReady},
      // An executor is free.
      {S::kReady, S::kExecuting, &WorkerState::ReadyToExecuting},
      // The run ended: a result, an error, or cancelled (freed, or its inputs missing).
      {S::kExecuting, S::kMemory, &WorkerState::LeaveExecuting},
      {S::kExecuting, S::kErred, &WorkerState::LeaveExecuting},
      {S::kExecuting, S::kReleased, &WorkerState::LeaveExecuting},
      // Cancelled while running, then asked for again: run once more.
      {S::kExecuting, S::kReady, &WorkerState::ExecutingToReady},
      // A dependency or replica to fetch, from a holder; that holder failed, try the next.
      {S::kReleased, S::kFetch, &WorkerState::EnterFetch},
      {S::kFlight, S::kFetch, &WorkerState::FlightToFetch},
      // The fetch is requested; it arrives.
      {S::kFetch, S::kFlight, &WorkerState::FetchToFlight},
      {S::kFlight, S::kMemory, &WorkerState::LeaveFlight},
      // A client put it here (PutData).
      {S::kReleased, S::kMemory, &WorkerState::Plain},
      {S::kFetch, S::kMemory, &WorkerState::LeaveFetch},
      // Forgotten: freed, stolen, lost, no longer needed.
      {S::kWaiting, S::kReleased, &WorkerState::LeaveWaiting},
      {S::kReady, S::kReleased, &WorkerState::ReadyToReleased},
      {S::kFetch, S::kReleased, &WorkerState::LeaveFetch},
      {S::kFlight, S::kReleased, &WorkerState::LeaveFlight},
      {S::kMemory, S::kReleased, &WorkerState::Plain},
      {S::kErred, S::kReleased, &WorkerState::Plain},
  };
  constexpr int kStates = static_cast<int>(S::kFlight) + 1;
  using Row = std::array<TransitionFn, kStates>;
  static const std::array<Row, kStates> kTable = [] {
    std::array<Row, kStates> table{};
    for (const Rule& rule : kRules) {
      table[static_cast<int>(rule.from)][static_cast<int>(rule.to)] = rule.fn;
    }
    return table;
  }();
  return kTable[static_cast<int>(from)][static_cast<int>(to)];
}

absl::Status WorkerState::Transition(Task& task, TaskState to, const std::string& reason) {
  const TransitionFn fn = LookupTransition(task.state, to);
  if (fn == nullptr) {
    ++illegal_transitions_;
    std::string message =
        absl::StrCat("illegal transition of ", task.key, ": ", TaskStateName(task.state), " -> ",
                     TaskStateName(to), " (", reason, "); refused");
    WEFT_LOG_ERROR("{}", message);
    return absl::InternalError(std::move(message));
  }
  story_.push_back(StoryEntry{task.key, task.state, to, reason});
  if (story_.size() > kMaxStory) story_.pop_front();
  (this->*fn)(task);
  task.state = to;
  return absl::OkStatus();
}

absl::Status WorkerState::TEST_ForceTransition(const std::string& key, TaskState to) {
  Task* task = Find(key);
  if (task == nullptr) return absl::NotFoundError(absl::StrCat("no task ", key));
  return Transition(*task, to, "forced by a test");
}

// Fires for pairs whose states keep no bookkeeping beyond the task's own fields.
void WorkerState::Plain(Task&) {}

void WorkerState::EnterReady(Task& task) { PushReady(task); }

void WorkerState::ReadyToExecuting(Task& task) {
  RemoveFromReady(task);
  ++executing_;
}

void WorkerState::ReadyToReleased(Task& task) { RemoveFromReady(task); }

void WorkerState::LeaveExecuting(Task&) { --executing_; }

void WorkerState::ExecutingToReady(Task& task) {
  --executing_;
  PushReady(task);
}

void WorkerState::EnterFetch(Task& task) { to_fetch_.insert(task.key); }

void WorkerState::LeaveFetch(Task& task) { to_fetch_.erase(task.key); }

void WorkerState::EnterWaiting(Task& task) {
  task.admitted = false;
  unadmitted_.insert(ReadyEntry{task.priority, task.sequence, task.key});
}

void WorkerState::LeaveWaiting(Task& task) {
  if (task.admitted) {
    admitted_estimate_ -= AdmissionCost(task);
  } else {
    unadmitted_.erase(ReadyEntry{task.priority, task.sequence, task.key});
  }
  task.admitted = false;
}

void WorkerState::WaitingToReady(Task& task) {
  LeaveWaiting(task);
  EnterReady(task);
}

void WorkerState::FetchToFlight(Task& task) {
  LeaveFetch(task);
  ++in_flight_;
}

void WorkerState::LeaveFlight(Task&) { --in_flight_; }

void WorkerState::FlightToFetch(Task& task) {
  LeaveFlight(task);
  EnterFetch(task);
}

// Removes the record (any state → released).
void WorkerState::Forget(const std::string& key, const std::string& reason, Instructions*) {
  Task* task = Find(key);
  if (task == nullptr) return;
  if (task->state != S::kReleased) Transition(*task, S::kReleased, reason).IgnoreError();
  UncountHeld(*task);
  tasks_.erase(key);
}

void WorkerState::StartCompute(Task& task, const proto::ComputeTask& compute, Instructions* out) {
  task.spec = std::make_shared<const proto::TaskSpec>(compute.task());
  task.priority = compute.priority();
  task.sequence = next_sequence_++;
  task.waiting_for.clear();
  task.fetch_estimate = 0;  // asked for again (it erred): counted afresh below
  std::map<std::string, std::vector<std::string>> holders;
  absl::flat_hash_map<std::string, int64_t> sizes;
  for (const proto::KeyLocation& location : compute.who_has()) {
    for (const std::string& address : location.addresses()) {
      if (address != self_address_) holders[location.key()].push_back(address);
    }
    sizes[location.key()] = location.nbytes();
  }
  task.inputs = LocalInputs(*task.spec, [this](const std::string& dep) {
    const Task* held = Find(dep);
    return held != nullptr && (held->state == S::kMemory || held->spec != nullptr);
  });
  std::vector<std::string> missing;
  for (const std::string& input : task.inputs) {
    std::string base;
    int64_t index;
    const std::string& dep = ParseSliceKey(input, &base, &index) ? base : input;
    AddDependency(task, input, holders[dep], &missing);
    Task* held = Find(input);
    if (held != nullptr && (held->state == S::kFetch || held->state == S::kFlight)) {
      // A slice's size is not known: its whole value's is an upper bound.
      auto size = sizes.find(dep);
      held->size_estimate = std::max<int64_t>(1, size == sizes.end() ? 1 : size->second);
      task.fetch_estimate += held->size_estimate;
    }
  }
  MakeReadyOrWait(task);
  if (!missing.empty()) {
    FailMissing(task.key, missing, "no worker holds it (who_has names no other holder)", out);
  }
}

void WorkerState::AddHolders(Task& task, const std::vector<std::string>& holders) {
  for (const std::string& address : holders) {
    bool known =
        std::find(task.holders.begin(), task.holders.end(), address) != task.holders.end() ||
        std::find(task.tried.begin(), task.tried.end(), address) != task.tried.end();
    if (!known) task.holders.push_back(address);
  }
}

SendInstruction WorkerState::ReplicaAnswer(const std::string& key, int64_t nbytes,
                                           const std::string& error) {
  proto::WorkerEvent event;
  proto::ReplicaAdded* added = event.mutable_replica_added();
  added->set_key(key);
  added->set_nbytes(nbytes);
  added->set_error(error);
  return SendInstruction{std::move(event)};
}

Instructions WorkerState::HandleAcquire(const proto::AcquireReplicas& acquire) {
  Instructions out;
  for (const proto::KeyLocation& location : acquire.keys()) {
    const std::string& key = location.key();
    std::vector<std::string> holders;
    for (const std::string& address : location.addresses()) {
      if (address != self_address_) holders.push_back(address);
    }
    Task& task = Ensure(key);
    switch (task.state) {
      case S::kMemory:
        task.reported = true;
        out.push_back(ReplicaAnswer(key, task.nbytes, ""));
        break;
      case S::kReleased:
        AddHolders(task, holders);
        if (task.holders.empty()) {
          out.push_back(ReplicaAnswer(key, 0, "no holder to copy it from"));
          Forget(key, "asked to copy, but no holder", &out);
          break;
        }
        task.replica = true;
        Transition(task, S::kFetch, "a copy for the scheduler").IgnoreError();
        break;
      case S::kFetch:
      case S::kFlight:
        AddHolders(task, holders);
        task.replica = true;
        break;
      case S::kWaiting:
      case S::kReady:
      case S::kExecuting:
      case S::kErred:
        out.push_back(ReplicaAnswer(
            key, 0, absl::StrCat("it is ", TaskStateName(task.state), " here, not a copy")));
        break;
    }
  }
  IssueFetches(&out);
  return out;
}

void WorkerState::AddDependency(Task& task, const std::string& dep,
                                const std::vector<std::string>& holders,
                                std::vector<std::string>* missing) {
  if (dep == task.key) return;
  Task& input = Ensure(dep);
  input.dependents.insert(task.key);
  switch (input.state) {
    case S::kMemory:
      return;
    case S::kReleased:
      AddHolders(input, holders);
      if (input.holders.empty()) {
        missing->push_back(dep);
        return;
      }
      Transition(input, S::kFetch, absl::StrCat("needed by ", task.key)).IgnoreError();
      break;
    case S::kFetch:
    case S::kFlight:
      AddHolders(input, holders);
      break;
    case S::kErred:
      missing->push_back(dep);
      return;
    case S::kWaiting:
    case S::kReady:
    case S::kExecuting:
      break;  // computed here: wait for it
  }
  task.waiting_for.insert(dep);
}

void WorkerState::MakeReadyOrWait(Task& task) {
  if (task.waiting_for.empty()) {
    Transition(task, S::kReady, "inputs in memory").IgnoreError();
  } else {
    Transition(task, S::kWaiting, absl::StrCat("waiting for ", task.waiting_for.size(), " inputs"))
        .IgnoreError();
  }
}

void WorkerState::PushReady(Task& task) {
  ready_queue_.insert(ReadyEntry{task.priority, task.sequence, task.key});
}

void WorkerState::RemoveFromReady(const Task& task) {
  ready_queue_.erase(ReadyEntry{task.priority, task.sequence, task.key});
}

// executing/flight → memory. Wakes the local tasks that were waiting for this key.
void WorkerState::OnMemory(Task& task, int64_t nbytes, const std::string& type_name,
                           double duration, Instructions* out) {
  Transition(task, S::kMemory, duration > 0 || task.spec ? "computed" : "fetched").IgnoreError();
  task.nbytes = nbytes;
  task.type_name = type_name;
  if (task.spec != nullptr) {
    task.reported = true;
    out->push_back(SendInstruction{Finished(task.key, nbytes, type_name, duration)});
  } else if (task.replica) {
    task.replica = false;
    task.reported = true;
    out->push_back(ReplicaAnswer(task.key, nbytes, ""));
  }
  for (const std::string& dependent_key : task.dependents) {
    Task* dependent = Find(dependent_key);
    if (dependent == nullptr || dependent->state != S::kWaiting) continue;
    if (dependent->waiting_for.erase(task.key) && dependent->waiting_for.empty()) {
      Transition(*dependent, S::kReady, absl::StrCat(task.key, " arrived")).IgnoreError();
    }
  }
}

// A key we were fetching has no holder left: every local task that needs it fails.
void WorkerState::OnDependencyLost(const std::string& key, Instructions* out) {
  Task* input = Find(key);
  if (input == nullptr) return;
  const bool unfetchable = !input->permanent_fetch_error.empty();
  std::string why =
      absl::StrCat("no holder could provide it (tried ", absl::StrJoin(input->tried, ", "),
                   "): ", unfetchable ? input->permanent_fetch_error : input->last_fetch_error);
  if (input->spec != nullptr) {
    // We were also asked to compute this key ourselves; report it lost so that the
    // scheduler recomputes it where its inputs are known.
    out->push_back(SendInstruction{Failed(key, input->spec->function(), why, {key})});
  }
  if (input->replica) out->push_back(ReplicaAnswer(key, 0, why));
  input->spec.reset();
  // A key no retry can fetch fails its dependents with that as their own error: reporting
  // it missing would have the scheduler recompute it, maybe on the holder we cannot reach,
  // and so on forever.
  FailDependents(key, why, out, /*recompute=*/!unfetchable);
  Forget(key, "no holder left", out);
}

// Every local task waiting for `key` fails for want of it (see FailMissing).
void WorkerState::FailDependents(const std::string& key, const std::string& why, Instructions* out,
                                 bool recompute) {
  Task* input = Find(key);
  if (input == nullptr) return;
  std::vector<std::string> dependents(input->dependents.begin(), input->dependents.end());
  std::sort(dependents.begin(), dependents.end());
  for (const std::string& dependent : dependents) {
    Task* task = Find(dependent);
    if (task == nullptr || task->state == S::kExecuting || task->state == S::kMemory ||
        task->state == S::kErred) {
      continue;
    }
    FailMissing(dependent, {key}, why, out, recompute);
  }
}

// Reports `key` failed for want of `inputs`, and forgets it. `recompute`: as missing
// dependencies, which the scheduler recomputes before it runs `key` again; otherwise as
// the task's own error.
void WorkerState::FailMissing(const std::string& key, const std::vector<std::string>& inputs,
                              const std::string& why, Instructions* out, bool recompute) {
  Task* task = Find(key);
  if (task == nullptr || task->spec == nullptr) return;
  std::string message = absl::StrCat(task->spec->function(), "(): could not get ",
                                     inputs.size() == 1 ? "dependency " : "dependencies ",
                                     absl::StrJoin(inputs, ", "), ": ", why);
  out->push_back(SendInstruction{Failed(key, task->spec->function(), message,
                                        recompute ? inputs : std::vector<std::string>())});
  ReleaseInputs(*task, out);
  FailDependents(key, "its own dependency was lost", out);
  Forget(key, "missing dependency", out);
}

// `task` no longer needs its inputs: fetched copies nobody else needs are dropped.
void WorkerState::ReleaseInputs(const Task& task, Instructions* out) {
  if (task.spec == nullptr) return;
  const std::string key = task.key;  // `task` may not survive the loop
  const std::vector<std::string> deps = task.inputs;
  for (const std::string& dep : deps) {
    Task* input = Find(dep);
    if (input == nullptr) continue;
    input->dependents.erase(key);
    if (input->dependents.empty()) UncountHeld(*input);
    DropIfUnneeded(dep, out);
  }
  if (Task* self = Find(key)) self->waiting_for.clear();
}

// Forgets `key` when neither the scheduler nor a local task wants it.
void WorkerState::DropIfUnneeded(const std::string& key, Instructions* out) {
  Task* task = Find(key);
  if (task == nullptr || !task->dependents.empty() || task->spec != nullptr || task->reported) {
    return;
  }
  switch (task->state) {
    case S::kMemory:
      out->push_back(ReleaseInstruction{key});
      Forget(key, "no longer needed", out);
      break;
    case S::kFetch:
    case S::kFlight:  // a late arrival is released by HandleFetchDone
    case S::kReleased:
      Forget(key, "no longer needed", out);
      break;
    default:
      break;
  }
}

void WorkerState::UncountHeld(Task& task) {
  fetched_held_bytes_ -= task.held_bytes;
  task.held_bytes = 0;
}

int64_t WorkerState::AdmissionCost(const Task& task) const {
  return fetch_budget_ == 0 ? 0 : std::min(task.fetch_estimate, fetch_budget_ / 2);
}

void WorkerState::AdmitTasks(bool force_one) {
  while (!unadmitted_.empty()) {
    Task* task = Find(std::get<2>(*unadmitted_.begin()));
    if (task == nullptr || task->state != S::kWaiting) {  // a bug: Validate() reports it
      unadmitted_.erase(unadmitted_.begin());
      continue;
    }
    const int64_t cost = AdmissionCost(*task);
    if (!force_one && cost > 0 && fetched_held_bytes_ + admitted_estimate_ + cost > fetch_budget_) {
      return;
    }
    unadmitted_.erase(unadmitted_.begin());
    task->admitted = true;
    admitted_estimate_ += cost;
    if (force_one) return;
  }
}

bool WorkerState::FetchWanted(const Task& input) const {
  if (input.replica || input.dependents.empty()) return true;
  for (const std::string& key : input.dependents) {
    auto it = tasks_.find(key);
    if (it == tasks_.end() || it->second.state != S::kWaiting || it->second.admitted) return true;
  }
  return false;
}

// Groups the keys to fetch by their next holder, several keys per request, for the tasks
// the fetch budget admits. Nothing while paused (as dask's worker): what a paused worker
// fetches would only raise its memory. (Keys held back stay in to_fetch_ and are looked at
// again at each event: only while memory is short.)
void WorkerState::IssueFetches(Instructions* out) {
  if (paused_ || to_fetch_.empty()) return;
  AdmitTasks(/*force_one=*/false);
  std::vector<std::string> keys;
  while (true) {
    for (const std::string& key : to_fetch_) {
      const Task* task = Find(key);
      if (task == nullptr || FetchWanted(*task)) keys.push_back(key);
    }
    // Whatever the budget says, work always moves: when nothing is fetched, run or ready
    // to run (whose end would free budget), the first task held back is let through.
    if (!keys.empty() || in_flight_ > 0 || executing_ > 0 || !ready_queue_.empty() ||
        unadmitted_.empty()) {
      break;
    }
    AdmitTasks(/*force_one=*/true);
  }
  // In the order of the first local task that needs each key (see "Fetch requests").
  struct Wanted {
    int64_t priority;
    uint64_t sequence;
    std::string key;
    bool operator<(const Wanted& o) const {
      return std::tie(priority, sequence, key) < std::tie(o.priority, o.sequence, o.key);
    }
  };
  std::vector<Wanted> wanted;
  wanted.reserve(keys.size());
  for (std::string& key : keys) {
    Wanted w{std::numeric_limits<int64_t>::max(), std::numeric_limits<uint64_t>::max(),
             std::move(key)};
    if (const Task* task = Find(w.key)) {
      for (const std::string& dependent : task->dependents) {
        const Task* d = Find(dependent);
        if (d != nullptr && std::tie(d->priority, d->sequence) < std::tie(w.priority, w.sequence)) {
          w.priority = d->priority;
          w.sequence = d->sequence;
        }
      }
    }
    wanted.push_back(std::move(w));
  }
  std::sort(wanted.begin(), wanted.end());
  struct Request {
    std::vector<std::string> keys;
    int64_t bytes = 0;
    uint64_t sequence = 0;  // the first task it serves
  };
  std::map<std::string, Request> open;  // per holder, the request being filled
  auto flush = [&](const std::string& address, Request& request) {
    if (!request.keys.empty()) out->push_back(FetchInstruction{address, std::move(request.keys)});
    request = Request();
  };
  for (const Wanted& w : wanted) {
    Task* task = Find(w.key);
    if (task == nullptr || task->holders.empty()) {  // a bug: Validate() reports it
      to_fetch_.erase(w.key);
      continue;
    }
    const std::string address = task->holders.front();
    if (!Transition(*task, S::kFlight, absl::StrCat("fetching from ", address)).ok()) {
      to_fetch_.erase(w.key);
      continue;
    }
    task->holders.pop_front();
    Request& request = open[address];
    const bool next_task = !request.keys.empty() && request.sequence != w.sequence;
    if (static_cast<int>(request.keys.size()) >= max_keys_per_fetch_ ||
        (next_task && request.bytes >= kSmallFetchBytes)) {
      flush(address, request);
    }
    if (request.keys.empty()) request.sequence = w.sequence;
    request.keys.push_back(w.key);
    request.bytes += task->size_estimate;
  }
  for (auto& [address, request] : open) flush(address, request);
}

void WorkerState::FillExecutors(Instructions* out) {
  while (!paused_ && executing_ < nthreads_ && !ready_queue_.empty()) {
    const std::string key = std::get<2>(*ready_queue_.begin());
    Task* task = Find(key);
    if (task == nullptr || !Transition(*task, S::kExecuting, "executor free").ok()) {
      ready_queue_.erase(ready_queue_.begin());  // a bug: Validate() reports it
      continue;
    }
    out->push_back(ExecuteInstruction{task->spec});
  }
}

// ---------------------------------------------------------------------------
// Queries

std::vector<proto::KeyLocation> WorkerState::HeldKeys() const {
  std::vector<proto::KeyLocation> held;
  for (const auto& [key, task] : tasks_) {
    if (task.state != S::kMemory || !task.reported) continue;
    proto::KeyLocation location;
    location.set_key(key);
    location.add_addresses(self_address_);
    location.set_nbytes(task.nbytes);
    held.push_back(std::move(location));
  }
  return held;
}

TaskState WorkerState::state(const std::string& key) const {
  auto it = tasks_.find(key);
  return it == tasks_.end() ? S::kReleased : it->second.state;
}

std::vector<StoryEntry> WorkerState::Story(const std::string& key) const {
  std::vector<StoryEntry> story;
  for (const StoryEntry& entry : story_) {
    if (entry.key == key) story.push_back(entry);
  }
  return story;
}

}  // namespace weft
