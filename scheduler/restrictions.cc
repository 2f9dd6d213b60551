// SchedulerState's task restrictions, as dask's: which workers may run a task (names,
// addresses or hosts; allow_other_workers), the resources it holds on its worker while
// processing, and the restricted tasks that wait in queued for resources to free up.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "common/status_macros.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {
namespace {

using S = TaskStatus;

// Amounts are doubles ("MEM=10e9", "GPU=0.5") whose sums drift: compare with some slack.
constexpr double kSlack = 1e-9;

// `w` is one of the workers `r` names, by name, address or host.
bool Named(const WorkerState& w, const Restrictions& r) {
  for (const std::string& entry : r.workers) {
    if (entry == w.info.name() || entry == w.info.address() || entry == HostOf(w.info.address())) {
      return true;
    }
  }
  return false;
}

double Amount(const absl::flat_hash_map<std::string, double>& amounts, const std::string& name) {
  auto it = amounts.find(name);
  return it == amounts.end() ? 0 : it->second;
}

// `w` has what `r` asks for, free or not.
bool HasResources(const WorkerState& w, const Restrictions& r) {
  for (const auto& [name, amount] : r.resources) {
    if (Amount(w.resources, name) + kSlack < amount) return false;
  }
  return true;
}

// What `r` asks for is free on `w`, `reserved` (name → amount) aside.
bool ResourcesFree(const WorkerState& w, const Restrictions& r,
                   const absl::flat_hash_map<std::string, double>& reserved = {}) {
  for (const auto& [name, amount] : r.resources) {
    const double free =
        Amount(w.resources, name) - Amount(w.resources_used, name) - Amount(reserved, name);
    if (free + kSlack < amount) return false;
  }
  return true;
}

// Some of w's resources are free.
bool AnyFree(const WorkerState& w) {
  for (const auto& [name, amount] : w.resources) {
    if (amount - Amount(w.resources_used, name) > kSlack) return true;
  }
  return false;
}

}  // namespace

SchedulerState::TaskOptions SchedulerState::TakeTaskOptions(proto::TaskSpec* spec) {
  TaskOptions options;
  options.user_priority = spec->priority();
  options.retries = std::max(0, spec->retries());
  if (spec->retries() < 0)
    options.error = absl::StrCat("retries must be >= 0, got ", spec->retries());
  if (spec->resources_size() > 0 || spec->workers_size() > 0) {
    auto r = std::make_unique<Restrictions>();
    for (const auto& [name, amount] : spec->resources()) {
      if (name.empty() || !std::isfinite(amount) || amount <= 0) {
        options.error = absl::StrCat("resource '", name, "' = ", amount,
                                     ": resources need a name and an amount > 0");
        continue;
      }
      r->resources.emplace_back(name, amount);
    }
    std::sort(r->resources.begin(), r->resources.end());
    for (std::string& worker : *spec->mutable_workers()) {
      if (worker.empty()) {
        options.error = "an empty worker name in workers";
        continue;
      }
      r->workers.push_back(std::move(worker));
    }
    r->loose = spec->allow_other_workers() && !r->workers.empty();
    if (!r->resources.empty() || !r->workers.empty()) options.restrictions = std::move(r);
  }
  spec->clear_resources();
  spec->clear_workers();
  spec->clear_allow_other_workers();
  spec->clear_retries();
  spec->clear_priority();
  return options;
}

void SchedulerState::AllowedWorkers(const TaskState& ts, std::vector<WorkerState*>* out) const {
  const Restrictions& r = *ts.restrictions;
  out->clear();
  for (WorkerState* w : worker_list_) {
    if (!w->paused && HasResources(*w, r) && (r.workers.empty() || Named(*w, r))) {
      out->push_back(w);
    }
  }
  if (!out->empty() || !r.loose) return;
  // allow_other_workers: none of the workers it names can run it now; any may.
  for (WorkerState* w : worker_list_) {
    if (!w->paused && HasResources(*w, r)) out->push_back(w);
  }
}

TaskStatus SchedulerState::DecideRestricted(const TaskState& ts) const {
  std::vector<WorkerState*> allowed;
  AllowedWorkers(ts, &allowed);
  if (allowed.empty()) return S::kNoWorker;
  if (ts.restrictions->resources.empty()) return S::kProcessing;
  // A task that needs resources passes through constrained_, as root tasks through
  // queued_: StartConstrained hands out the free resources in priority order once the
  // event's other transitions are done, not in the order tasks became ready.
  if (ts.status != S::kQueued) return S::kQueued;
  for (const WorkerState* w : allowed) {
    if (ResourcesFree(*w, *ts.restrictions)) return S::kProcessing;
  }
  return S::kQueued;
}

void SchedulerState::OfferResourcesFor(const TaskState& ts) {
  std::vector<WorkerState*> free;
  RestrictedCandidates(ts, &free);
  for (WorkerState* w : free) resources_freed_.emplace(w->number, w);
}

void SchedulerState::RestrictedCandidates(const TaskState& ts,
                                          std::vector<WorkerState*>* out) const {
  AllowedWorkers(ts, out);
  out->erase(
      std::remove_if(out->begin(), out->end(),
                     [&ts](const WorkerState* w) { return !ResourcesFree(*w, *ts.restrictions); }),
      out->end());
}

void SchedulerState::HoldResources(const TaskState& ts, WorkerState* w) {
  if (ts.restrictions == nullptr) return;
  for (const auto& [name, amount] : ts.restrictions->resources) w->resources_used[name] += amount;
}

void SchedulerState::ReleaseResources(const TaskState& ts, WorkerState* w) {
  if (ts.restrictions == nullptr || ts.restrictions->resources.empty()) return;
  for (const auto& [name, amount] : ts.restrictions->resources) {
    auto it = w->resources_used.find(name);
    if (it == w->resources_used.end()) continue;
    it->second -= amount;
    if (it->second <= kSlack) w->resources_used.erase(it);
  }
  if (!w->removed) resources_freed_.emplace(w->number, w);
}

absl::Status SchedulerState::StartConstrained(Recs* recs) {
  std::vector<WorkerState*> freed;
  for (const auto& [number, w] : resources_freed_) freed.push_back(w);
  resources_freed_.clear();
  absl::Status first_error;
  for (WorkerState* w : freed) {
    if (w->removed || w->paused) continue;
    // In priority order; a transition changes constrained_, so walk it by key. Every
    // task here asks for some resource, so once none of w's is free, none fits.
    auto it = constrained_.begin();
    while (it != constrained_.end() && AnyFree(*w)) {
      const std::pair<int64_t, TaskState*> entry = *it;
      TaskState* ts = entry.second;
      if (HasResources(*w, *ts->restrictions) && ResourcesFree(*w, *ts->restrictions) &&
          DecideRestricted(*ts) == S::kProcessing) {
        absl::Status status = Transition(ts, S::kProcessing, {}, recs);
        if (!status.ok() && first_error.ok()) first_error = status;
      }
      it = constrained_.upper_bound(entry);
    }
  }
  return first_error;
}

bool SchedulerState::CanSteal(const WorkerState& thief, const TaskState& ts) const {
  if (ts.restrictions == nullptr) return true;
  const Restrictions& r = *ts.restrictions;
  if (!HasResources(thief, r)) return false;
  // allow_other_workers: its workers are a preference, which stealing may override.
  if (!r.workers.empty() && !r.loose && !Named(thief, r)) return false;
  // What the steals already on their way to the thief will hold there.
  absl::flat_hash_map<std::string, double> reserved;
  for (const TaskState* incoming : thief.stealing_in) {
    if (incoming->restrictions == nullptr) continue;
    for (const auto& [name, amount] : incoming->restrictions->resources) reserved[name] += amount;
  }
  return ResourcesFree(thief, r, reserved);
}

}  // namespace weft::scheduler
