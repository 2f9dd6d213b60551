// WorkerState::Validate: every invariant the transitions must keep. O(all tasks); tests
// call it after each event.
#include <string>

#include "absl/strings/str_cat.h"
#include "worker/worker_state.h"

namespace weft {
namespace {

using S = TaskState;

absl::Status Broken(const std::string& key, TaskState state, const std::string& what) {
  return absl::InternalError(absl::StrCat("task ", key, " (", TaskStateName(state), "): ", what));
}

}  // namespace

absl::Status WorkerState::ValidateTask(const Task& task) const {
  const S st = task.state;
  if (task.key.empty()) return Broken(task.key, st, "no key");
  const bool queued = ready_queue_.count(ReadyEntry{task.priority, task.sequence, task.key}) > 0;
  if ((st == S::kReady) != queued) return Broken(task.key, st, "ready queue wrong");
  if ((st == S::kFetch) != (to_fetch_.count(task.key) > 0)) {
    return Broken(task.key, st, "keys to fetch wrong");
  }
  if (st == S::kFetch && task.holders.empty())
    return Broken(task.key, st, "no holder to fetch from");
  const bool computed_here =
      st == S::kWaiting || st == S::kReady || st == S::kExecuting || st == S::kErred;
  if (computed_here && task.spec == nullptr) return Broken(task.key, st, "no task spec");
  if ((st == S::kWaiting) != !task.waiting_for.empty()) {
    return Broken(task.key, st, "waiting_for wrong");
  }
  for (const std::string& input : task.waiting_for) {
    auto it = tasks_.find(input);
    if (it == tasks_.end()) return Broken(task.key, st, "waits for a key it does not track");
    if (it->second.state == S::kMemory) return Broken(task.key, st, "waits for a key in memory");
  }
  if (task.reported && st != S::kMemory) return Broken(task.key, st, "reported but not in memory");
  if (task.pins < 0) return Broken(task.key, st, "negative pins");
  if (task.rerun && !task.cancelled) return Broken(task.key, st, "rerun without cancel");
  if (task.cancelled && st != S::kExecuting) return Broken(task.key, st, "cancelled, not running");
  const bool unadmitted = unadmitted_.count(ReadyEntry{task.priority, task.sequence, task.key}) > 0;
  if (st == S::kWaiting && task.admitted == unadmitted) {
    return Broken(task.key, st, "admitted and held back wrong");
  }
  if (st != S::kWaiting && (task.admitted || unadmitted)) {
    return Broken(task.key, st, "admitted or held back, but not waiting");
  }
  if (task.held_bytes != 0 && (st != S::kMemory || task.dependents.empty())) {
    return Broken(task.key, st, "counted as held for local tasks, but not");
  }
  return absl::OkStatus();
}

absl::Status WorkerState::Validate() const {
  int executing = 0, in_flight = 0;
  int64_t admitted_cost = 0, held = 0;
  for (const auto& [key, task] : tasks_) {
    if (key != task.key) return Broken(key, task.state, "filed under another key");
    absl::Status status = ValidateTask(task);
    if (!status.ok()) return status;
    if (task.state == S::kExecuting) ++executing;
    in_flight += task.state == S::kFlight ? 1 : 0;
    if (task.admitted) admitted_cost += AdmissionCost(task);
    held += task.held_bytes;
  }
  if (in_flight != in_flight_ || admitted_cost != admitted_estimate_ ||
      held != fetched_held_bytes_) {
    return absl::InternalError(absl::StrCat("fetch counts wrong: ", in_flight, " in flight (count ",
                                            in_flight_, "), admitted cost ", admitted_cost,
                                            " (sum ", admitted_estimate_, "), held ", held,
                                            " (sum ", fetched_held_bytes_, ")"));
  }
  if (unadmitted_.size() > tasks_.size()) {
    return absl::InternalError("held-back queue holds unknown keys");
  }
  if (executing != executing_) {
    return absl::InternalError(
        absl::StrCat(executing, " tasks executing, but the count says ", executing_));
  }
  for (const ReadyEntry& entry : ready_queue_) {
    if (tasks_.count(std::get<2>(entry)) == 0) {
      return absl::InternalError(
          absl::StrCat("ready queue holds unknown key ", std::get<2>(entry)));
    }
  }
  for (const std::string& key : to_fetch_) {
    if (tasks_.count(key) == 0) {
      return absl::InternalError(absl::StrCat("keys to fetch hold unknown key ", key));
    }
  }
  return absl::OkStatus();
}

}  // namespace weft
