// SchedulerState's scheduling policy: occupancy, where a ready task goes (processing,
// queued, no-worker), root-task queuing, paused workers and work stealing. The
// transitions call these; they decide, the transitions and events apply.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/key.h"
#include "common/status_macros.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {
namespace {

using S = TaskStatus;

double LoadPerThread(const WorkerState& w) { return w.occupancy / w.nthreads; }

}  // namespace

double SchedulerState::EstimateDuration(const TaskState& ts) const {
  return ts.prefix == nullptr ? options_.unknown_task_duration_seconds
                              : ts.prefix->Estimate(options_.unknown_task_duration_seconds);
}

TaskPrefix* SchedulerState::PrefixFor(absl::string_view key) {
  std::string name = KeyPrefix(std::string_view(key.data(), key.size()));
  auto it = prefixes_.find(name);
  if (it == prefixes_.end()) {
    auto owned = std::make_unique<TaskPrefix>(name);
    if (auto d = options_.default_task_durations.find(name);
        d != options_.default_task_durations.end()) {
      owned->default_duration = d->second;
    }
    it = prefixes_.emplace(std::move(name), std::move(owned)).first;
  }
  return it->second.get();
}

TaskStatus SchedulerState::Decide(const TaskState& ts) const {
  if (worker_list_.empty()) return S::kNoWorker;
  if (ts.restrictions != nullptr) return DecideRestricted(ts);
  if (ts.dependencies.empty()) {
    // Root tasks always pass through the queue: RunTransitions releases it in priority
    // order once the event's other transitions are done, so the roots an event readies
    // (a whole graph's) go out in priority order, not in the order they became ready.
    if (ts.status != S::kQueued) return S::kQueued;
    return has_room_.empty() ? S::kQueued : S::kProcessing;
  }
  return running_workers_ > 0 ? S::kProcessing : S::kNoWorker;
}

void SchedulerState::Candidates(const TaskState& ts, std::vector<WorkerState*>* out) const {
  if (ts.restrictions != nullptr) {
    RestrictedCandidates(ts, out);
    return;
  }
  std::vector<WorkerState*>& candidates = *out;
  candidates.clear();
  if (ts.dependencies.empty()) {
    // A window of the workers with room, rotating in join order: placement stays O(1)
    // per task with a thousand workers with room (a graph's first wave of roots).
    constexpr size_t kMaxRootCandidates = 16;
    auto it = has_room_.lower_bound({root_cursor_, nullptr});
    for (size_t i = 0; i < has_room_.size() && candidates.size() < kMaxRootCandidates; ++i) {
      if (it == has_room_.end()) it = has_room_.begin();
      candidates.push_back(it->second);
      ++it;
    }
    root_cursor_ = it == has_room_.end() ? 0 : it->first;
    return;
  }
  // The running holders of its inputs (dask's decide_worker), and a few idle workers:
  // the placement policy weighs moving the inputs there against waiting on a holder.
  constexpr size_t kMaxIdleCandidates = 8;
  for (const auto& [number, w] : idle_) {
    if (candidates.size() == kMaxIdleCandidates) break;
    candidates.push_back(w);
  }
  for (const TaskState* dep : ts.dependencies) {
    // Only run after: its holders are no better a place than any other.
    if (ts.OnlyRunsAfter(dep)) continue;
    for (WorkerState* w : dep->who_has) {
      if (w->paused || std::find(candidates.begin(), candidates.end(), w) != candidates.end()) {
        continue;
      }
      candidates.push_back(w);
    }
  }
  if (candidates.empty()) {
    for (WorkerState* w : worker_list_) {
      if (!w->paused) candidates.push_back(w);
    }
  }
}

bool SchedulerState::HasRoom(const WorkerState& w) const {
  if (w.removed || w.paused) return false;
  const int64_t n = static_cast<int64_t>(w.processing.size());
  const int64_t cap = std::max<int64_t>(
      {1, static_cast<int64_t>(std::ceil(w.nthreads * options_.worker_saturation)),
       int64_t{w.nthreads} * options_.min_roots_per_thread});
  if (n < cap) return true;
  if (n >= int64_t{w.nthreads} * options_.max_roots_per_thread) return false;
  return w.occupancy < w.nthreads * options_.root_window_seconds;
}

void SchedulerState::UpdateRoom(WorkerState* w) {
  if (HasRoom(*w)) {
    has_room_.emplace(w->number, w);
  } else {
    has_room_.erase({w->number, w});
  }
  if (!w->removed && !w->paused && w->processing.empty()) {
    idle_.emplace(w->number, w);
  } else {
    idle_.erase({w->number, w});
  }
}

void SchedulerState::AddProcessing(TaskState* ts, WorkerState* w) {
  ts->processing_on = w;
  ts->occupancy = EstimateDuration(*ts);
  w->processing.insert(ts);
  w->occupancy += ts->occupancy;
  HoldResources(*ts, w);
  UpdateRoom(w);
}

void SchedulerState::RemoveProcessing(TaskState* ts) {
  WorkerState* w = ts->processing_on;
  ClearSteal(ts);
  w->processing.erase(ts);
  // Sums of doubles drift; an empty worker is exactly idle.
  w->occupancy = w->processing.empty() ? 0 : std::max(0.0, w->occupancy - ts->occupancy);
  ts->occupancy = 0;
  ts->processing_on = nullptr;
  ReleaseResources(*ts, w);
  UpdateRoom(w);
}

void SchedulerState::ClearSteal(TaskState* ts) {
  if (ts->steal_thief != nullptr) ts->steal_thief->stealing_in.erase(ts);
  ts->steal_thief = nullptr;
  ts->stealing = false;
}

void SchedulerState::SetPaused(WorkerState* w, bool paused, Recs* recs) {
  if (w->paused == paused) return;
  w->paused = paused;
  running_workers_ += paused ? -1 : 1;
  UpdateRoom(w);
  if (paused) {
    // Steals for it still in flight: the tasks are placed afresh if the victim lets go.
    for (TaskState* ts : w->stealing_in) ts->steal_thief = nullptr;
    w->stealing_in.clear();
    return;
  }
  if (!w->resources.empty()) resources_freed_.emplace(w->number, w);
  std::vector<TaskState*> ready(no_worker_.begin(), no_worker_.end());
  std::sort(ready.begin(), ready.end(),
            [](const TaskState* a, const TaskState* b) { return a->priority < b->priority; });
  for (TaskState* ts : ready) Recommend(recs, ts, S::kProcessing);
}

// ---- Work stealing (dask's work_stealing.py, simplified): thieves are running workers
// with a free thread; victims are workers with more tasks than threads (or paused with
// any). From each victim, most loaded first, the tasks it would run last are asked back
// for the least loaded thief, if they are long enough and their inputs cheap to move.
void SchedulerState::Balance() {
  if (!options_.work_stealing || worker_list_.size() < 2) return;
  auto load = [](const WorkerState* w) {
    return static_cast<int64_t>(w->processing.size() + w->stealing_in.size());
  };
  std::vector<WorkerState*> thieves;
  std::vector<WorkerState*> victims;
  for (WorkerState* w : worker_list_) {
    if (!w->paused && load(w) < w->nthreads) {
      thieves.push_back(w);
    } else if (static_cast<int64_t>(w->processing.size()) > (w->paused ? 0 : w->nthreads)) {
      victims.push_back(w);
    }
  }
  if (thieves.empty() || victims.empty()) return;
  std::sort(thieves.begin(), thieves.end(), [](const WorkerState* a, const WorkerState* b) {
    return LoadPerThread(*a) < LoadPerThread(*b);
  });
  std::sort(victims.begin(), victims.end(), [](const WorkerState* a, const WorkerState* b) {
    return LoadPerThread(*a) > LoadPerThread(*b);
  });
  size_t thief_index = 0;
  for (WorkerState* victim : victims) {
    std::vector<TaskState*> tasks;
    for (TaskState* ts : victim->processing) {
      if (!ts->stealing) tasks.push_back(ts);
    }
    // It runs its `keep` highest-priority tasks first: those may have started.
    const size_t keep = victim->paused ? 0 : victim->nthreads;
    if (tasks.size() <= keep) continue;
    const size_t surplus = tasks.size() - keep;
    std::partial_sort(
        tasks.begin(), tasks.begin() + surplus, tasks.end(),
        [](const TaskState* a, const TaskState* b) { return a->priority > b->priority; });
    for (size_t i = 0; i < surplus; ++i) {
      while (thief_index < thieves.size() &&
             load(thieves[thief_index]) >= thieves[thief_index]->nthreads) {
        ++thief_index;
      }
      if (thief_index == thieves.size()) return;
      TaskState* ts = tasks[i];
      // A restricted task goes only to a thief that may run it, with its resources free.
      size_t j = thief_index;
      while (j < thieves.size() &&
             (load(thieves[j]) >= thieves[j]->nthreads || !CanSteal(*thieves[j], *ts))) {
        ++j;
      }
      if (j == thieves.size()) continue;
      WorkerState* thief = thieves[j];
      const double duration = EstimateDuration(*ts);
      if (duration < options_.steal_min_seconds) continue;
      int64_t missing = 0;
      const DependencyBytes read(*ts);
      for (const TaskState* dep : ts->dependencies) {
        if (std::find(dep->who_has.begin(), dep->who_has.end(), thief) == dep->who_has.end()) {
          missing += read(*dep);
        }
      }
      if (missing / options_.bandwidth > options_.steal_cost_ratio * duration) continue;
      ts->stealing = true;
      ts->steal_thief = thief;
      thief->stealing_in.insert(ts);
      SendSteal(victim, ts->key());
      ++steals_requested_;
    }
  }
}

void SchedulerState::Tick(absl::Time now) {
  CheckTimeouts(now);
  CheckStall(now);
  if (!retiring_.empty()) {
    Begin("retire");
    AdvanceRetirements();
  }
  if (now - last_balance_ < options_.steal_interval) return;
  last_balance_ = now;
  Begin("balance");
  Balance();
}

absl::Status SchedulerState::WorkerStatusChange(const std::string& worker_id,
                                                const proto::WorkerStatusChange& msg) {
  Begin(msg.paused() ? "worker-paused" : "worker-resumed");
  WorkerState* w = FindWorker(worker_id);
  if (w == nullptr) return absl::NotFoundError(absl::StrCat("unknown worker ", worker_id));
  w->last_heartbeat.set_process_bytes(msg.process_bytes());
  w->stuck = msg.stuck();
  Recs recs;
  SetPaused(w, msg.paused() || w->retiring, &recs);  // a retiring worker stays paused
  return RunTransitions(&recs);
}

absl::Status SchedulerState::StealResponse(const std::string& worker_id,
                                           const proto::StealResponse& msg) {
  Begin("steal-response");
  WorkerState* w = FindWorker(worker_id);
  if (w == nullptr) return absl::NotFoundError(absl::StrCat("unknown worker ", worker_id));
  TaskState* ts = FindTask(msg.key());
  // Finished, released or rescheduled meanwhile: the answer is about a run we dropped.
  if (ts == nullptr || ts->status != S::kProcessing || ts->processing_on != w) {
    return absl::OkStatus();
  }
  WorkerState* thief = ts->steal_thief;
  ClearSteal(ts);
  if (!msg.stolen()) return absl::OkStatus();  // it started: it finishes where it is
  ++steals_done_;
  Recs recs;
  if (thief != nullptr && !thief->paused && CanSteal(*thief, *ts)) {
    // A move, not a change of state: the task stays processing, on the thief now. The
    // story records it as processing → processing.
    RemoveProcessing(ts);
    AddProcessing(ts, thief);
    SetStatus(ts, S::kProcessing);
    SendCompute(thief, *ts);
  } else {
    // The thief left, paused or has no room left for its restrictions: the victim
    // dropped the task, so place it afresh.
    WEFT_RETURN_IF_ERROR(Transition(ts, S::kWaiting, {}, &recs));
  }
  return RunTransitions(&recs);
}

}  // namespace weft::scheduler
