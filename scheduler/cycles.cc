// Dependency cycles in a submitted graph (SchedulerState::ErrCycles).
//
// A task on a cycle waits for itself: left alone it stays waiting forever, and since the
// tasks of a cycle are each other's dependents none of them is ever forgotten either.
// The client library refuses such graphs before sending them; a graph from elsewhere
// is caught here, once the new tasks are wired.
#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {
namespace {

using S = TaskStatus;

// "a -> b -> c -> a": the keys of a cycle, each needing the next, closed by the first.
// A long cycle is shortened in the middle.
std::string DescribeCycle(const std::vector<TaskState*>& cycle) {
  constexpr size_t kShown = 8;
  std::vector<absl::string_view> keys;
  for (size_t i = 0; i < cycle.size() && i < kShown; ++i) keys.push_back(cycle[i]->key());
  std::string more;
  if (cycle.size() > kShown) {
    more = absl::StrCat("... ", cycle.size() - kShown, " more ...");
    keys.push_back(more);
  }
  keys.push_back(cycle.front()->key());
  return absl::StrJoin(keys, " -> ");
}

}  // namespace

absl::Status SchedulerState::ErrCycles(const std::vector<TaskState*>& added, Recs* recs) {
  if (added.empty()) return absl::OkStatus();
  // Older tasks were wired when they came, to older tasks only: a cycle is made of new
  // tasks, which are numbered by serial.
  const uint64_t first = added.front()->serial;
  auto index = [first](const TaskState* ts) -> int64_t {
    return ts->serial >= first ? static_cast<int64_t>(ts->serial - first) : -1;
  };
  // Kahn's algorithm: a task is resolved once all its new dependencies are. What is left
  // unresolved is on a cycle or depends on one.
  std::vector<int32_t> unresolved(added.size(), 0);
  std::vector<TaskState*> ready;
  for (TaskState* ts : added) {
    for (TaskState* dep : ts->dependencies) unresolved[index(ts)] += index(dep) >= 0;
    if (unresolved[index(ts)] == 0) ready.push_back(ts);
  }
  size_t resolved = 0;
  while (!ready.empty()) {
    TaskState* ts = ready.back();
    ready.pop_back();
    ++resolved;
    for (TaskState* dts : ts->dependents) {
      if (index(dts) >= 0 && --unresolved[index(dts)] == 0) ready.push_back(dts);
    }
  }
  if (resolved == added.size()) return absl::OkStatus();

  // Each unresolved task has an unresolved dependency: following them from each task in
  // submission order closes a cycle, or reaches a task already placed. Every task is
  // walked once; cycle_of[i] names the cycle that added[i] is on or leads to.
  enum Mark : uint8_t { kUnvisited, kOnPath, kDone };
  std::vector<uint8_t> mark(added.size(), kUnvisited);
  std::vector<int32_t> cycle_of(added.size(), -1);
  std::vector<std::string> cycles;
  std::vector<bool> on_cycle(added.size(), false);
  std::vector<TaskState*> path;
  for (TaskState* start : added) {
    if (unresolved[index(start)] == 0 || mark[index(start)] != kUnvisited) continue;
    path.assign(1, start);
    mark[index(start)] = kOnPath;
    int32_t cycle = -1;
    while (cycle < 0) {
      TaskState* next = nullptr;
      for (TaskState* dep : path.back()->dependencies) {
        if (index(dep) >= 0 && unresolved[index(dep)] > 0) {
          next = dep;
          break;
        }
      }
      if (mark[index(next)] == kOnPath) {
        auto from = std::find(path.begin(), path.end(), next);
        cycle = static_cast<int32_t>(cycles.size());
        cycles.push_back(DescribeCycle(std::vector<TaskState*>(from, path.end())));
        for (auto it = from; it != path.end(); ++it) on_cycle[index(*it)] = true;
      } else if (mark[index(next)] == kDone) {
        cycle = cycle_of[index(next)];
      } else {
        mark[index(next)] = kOnPath;
        path.push_back(next);
      }
    }
    for (TaskState* ts : path) {
      mark[index(ts)] = kDone;
      cycle_of[index(ts)] = cycle;
    }
  }

  // Cut their edges first: an erred task on a cycle would otherwise keep its fellows
  // (and itself) as dependents forever.
  for (TaskState* ts : added) {
    if (unresolved[index(ts)] == 0) continue;
    for (TaskState* dep : ts->dependencies) {
      dep->dependents.erase(ts);
      if (index(dep) < 0) MaybeRelease(dep, recs);
    }
    ts->dependencies.clear();
  }
  absl::Status first_error;
  for (TaskState* ts : added) {
    if (unresolved[index(ts)] == 0) continue;
    TransitionArgs args;
    args.error = {ts->key(), ts->function(),
                  absl::StrCat("task ", ts->key(), " (", ts->function(), ") ",
                               on_cycle[index(ts)] ? "is in" : "depends on",
                               " a dependency cycle: ", cycles[cycle_of[index(ts)]])};
    absl::Status status = Transition(ts, S::kErred, args, recs);
    if (!status.ok() && first_error.ok()) first_error = status;
  }
  return first_error;
}

}  // namespace weft::scheduler
