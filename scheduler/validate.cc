// SchedulerState::Validate: every cross-reference the transitions must keep consistent.
// O(all tasks); tests call it after each event.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {
namespace {

using S = TaskStatus;

absl::Status Broken(const TaskState& ts, absl::string_view what) {
  return absl::InternalError(
      absl::StrCat("task ", ts.key(), " (", TaskStatusName(ts.status), "): ", what));
}

template <typename Vector>
bool Contains(const Vector& v, const WorkerState* w) {
  return std::find(v.begin(), v.end(), w) != v.end();
}

}  // namespace

absl::Status SchedulerState::ValidateTask(const TaskState& ts) const {
  const S st = ts.status;
  for (const TaskState* dep : ts.dependencies) {
    if (!dep->dependents.contains(&ts)) return Broken(ts, "missing from a dependency's dependents");
    bool should_wait =
        st == S::kWaiting || st == S::kNoWorker || st == S::kQueued || st == S::kProcessing;
    if (dep->waiters.contains(&ts) != should_wait) return Broken(ts, "dependency waiters wrong");
    bool should_be_waiting_on = st == S::kWaiting && dep->status != S::kMemory;
    if (ts.waiting_on.contains(dep) != should_be_waiting_on) return Broken(ts, "waiting_on wrong");
    if ((st == S::kNoWorker || st == S::kQueued || st == S::kProcessing) &&
        dep->status != S::kMemory) {
      return Broken(ts, "runs while a dependency is not in memory");
    }
  }
  for (const TaskState* dts : ts.dependents) {
    if (std::find(dts->dependencies.begin(), dts->dependencies.end(), &ts) ==
        dts->dependencies.end()) {
      return Broken(ts, "dependent does not list it");
    }
  }
  for (const TaskState* dts : ts.waiters) {
    if (!ts.dependents.contains(dts)) return Broken(ts, "waiter is not a dependent");
  }
  for (const ClientState* cs : ts.who_wants) {
    if (!cs->wants.contains(&ts)) return Broken(ts, "wanter does not list it");
  }
  if ((st == S::kProcessing) != (ts.processing_on != nullptr)) return Broken(ts, "processing_on");
  if (ts.processing_on != nullptr &&
      (ts.processing_on->removed || !ts.processing_on->processing.contains(&ts))) {
    return Broken(ts, "its worker does not list it as processing");
  }
  if ((st == S::kMemory) != !ts.who_has.empty()) return Broken(ts, "who_has");
  for (const WorkerState* w : ts.who_has) {
    if (w->removed || !w->has_what.contains(&ts)) return Broken(ts, "holder does not list it");
  }
  if ((st == S::kNoWorker) != no_worker_.contains(&ts)) return Broken(ts, "no-worker set");
  const std::pair<int64_t, TaskState*> entry{ts.priority, const_cast<TaskState*>(&ts)};
  const bool restricted = ts.restrictions != nullptr;
  if ((st == S::kQueued && !restricted) != queued_.contains(entry)) return Broken(ts, "queued set");
  if ((st == S::kQueued && restricted) != constrained_.contains(entry)) {
    return Broken(ts, "constrained set");
  }
  if (st == S::kQueued && !restricted && !ts.dependencies.empty()) {
    return Broken(ts, "queued with inputs");
  }
  if (st == S::kQueued && restricted && ts.restrictions->resources.empty()) {
    return Broken(ts, "waits for resources but needs none");
  }
  if (ts.stealing && st != S::kProcessing) return Broken(ts, "stealing but not processing");
  if (ts.steal_thief != nullptr &&
      (!ts.stealing || ts.steal_thief->removed || !ts.steal_thief->stealing_in.contains(&ts))) {
    return Broken(ts, "steal thief does not list it");
  }
  if (ts.prefix == nullptr) return Broken(ts, "no prefix");
  if ((st == S::kErred) != (ts.error != nullptr)) return Broken(ts, "error info");
  if (ts.scattered && st != S::kReleased && st != S::kMemory && st != S::kErred) {
    return Broken(ts, "scattered data is never run");
  }
  if (!ts.needed() && st != S::kReleased && st != S::kErred) {
    return Broken(ts, "not needed but not released");
  }
  if (!ts.needed() && ts.dependents.empty()) return Broken(ts, "should have been forgotten");
  if (ts.needed() && st == S::kReleased) return Broken(ts, "needed but released");
  return absl::OkStatus();
}

absl::Status SchedulerState::Validate() const {
  std::array<int64_t, kNumTaskStatuses> counts{};
  for (const auto& ts : tasks_) {
    if (FindTask(ts->key()) != ts.get()) return Broken(*ts, "not found under its key");
    ++counts[static_cast<int>(ts->status)];
    WEFT_RETURN_IF_ERROR(ValidateTask(*ts));
  }
  for (int i = 0; i < kNumTaskStatuses; ++i) {
    if (static_cast<S>(i) == S::kForgotten) continue;
    if (counts[i] != status_counts_[i]) {
      return absl::InternalError(absl::StrCat("count of ", TaskStatusName(static_cast<S>(i)),
                                              " tasks is ", status_counts_[i], ", actually ",
                                              counts[i]));
    }
  }
  if (worker_list_.size() != workers_.size()) return absl::InternalError("worker list size");
  if (has_room_.size() > worker_list_.size()) return absl::InternalError("room set size");
  int64_t running = 0;
  for (size_t i = 0; i < worker_list_.size(); ++i) {
    const WorkerState* w = worker_list_[i];
    if (w->slot != i) return absl::InternalError(absl::StrCat("worker ", w->id, " slot"));
    double occupancy = 0;
    for (const TaskState* ts : w->processing) {
      if (ts->processing_on != w) return Broken(*ts, "listed as processing elsewhere");
      occupancy += ts->occupancy;
    }
    absl::flat_hash_map<std::string, double> used;
    for (const TaskState* ts : w->processing) {
      if (ts->restrictions == nullptr) continue;
      for (const auto& [name, amount] : ts->restrictions->resources) used[name] += amount;
    }
    for (const auto& [name, amount] : used) {
      auto it = w->resources_used.find(name);
      double held = it == w->resources_used.end() ? 0 : it->second;
      if (std::abs(held - amount) > 1e-6) {
        return absl::InternalError(
            absl::StrCat("worker ", w->id, " holds ", held, " of ", name, ", actually ", amount));
      }
      auto total = w->resources.find(name);
      if (total == w->resources.end() || amount > total->second + 1e-6) {
        return absl::InternalError(absl::StrCat("worker ", w->id, " overcommits ", name));
      }
    }
    for (const auto& [name, amount] : w->resources_used) {
      if (!used.contains(name)) {
        return absl::InternalError(absl::StrCat("worker ", w->id, " holds ", name, " for nothing"));
      }
    }
    if (std::abs(occupancy - w->occupancy) > 1e-6 * (1 + occupancy)) {
      return absl::InternalError(
          absl::StrCat("worker ", w->id, " occupancy ", w->occupancy, ", actually ", occupancy));
    }
    if (HasRoom(*w) != has_room_.contains({w->number, const_cast<WorkerState*>(w)})) {
      return absl::InternalError(absl::StrCat("worker ", w->id, " room set"));
    }
    bool idle = !w->paused && w->processing.empty();
    if (idle != idle_.contains({w->number, const_cast<WorkerState*>(w)})) {
      return absl::InternalError(absl::StrCat("worker ", w->id, " idle set"));
    }
    if (!w->paused) ++running;
    for (const TaskState* ts : w->stealing_in) {
      if (ts->steal_thief != w) return Broken(*ts, "stolen for another worker");
    }
    for (const TaskState* ts : w->has_what) {
      if (!Contains(ts->who_has, w)) return Broken(*ts, "listed as held elsewhere");
    }
  }
  if (running != running_workers_) return absl::InternalError("running worker count");
  for (const auto& [id, cs] : clients_) {
    for (const TaskState* ts : cs->wants) {
      if (!ts->who_wants.contains(cs.get())) return Broken(*ts, "client wants it, not listed");
    }
  }
  if (illegal_transitions_ > 0) {
    return absl::InternalError(absl::StrCat(illegal_transitions_, " illegal transitions"));
  }
  return absl::OkStatus();
}

}  // namespace weft::scheduler
