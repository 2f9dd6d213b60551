// Task priorities, as dask.order approximates them: a graph is run depth-first, so that
// what unlocks the release of inputs finishes before new inputs are produced.
//
// Between graphs, first come first served: every task of a graph gets a priority above
// all tasks of earlier graphs — except a task that needs tasks of earlier graphs (an `add`
// submitted after the two `slowinc`s it adds, a `sum` of earlier futures): it is placed
// right after the latest of those inputs (and after its inputs in its own graph), as
// dask.order would place it had everything been one graph, so it runs as soon as its
// inputs exist, before roots submitted in between, and frees them early. Graph orders are
// spaced kOrderGap apart to leave room for such tasks; two placed after the same input
// take the next free places, up to kOrderGap - 1 of them, and then share the last one
// (ties are fine: the queues break them by task). Within a graph, the order is the task's
// index in a depth-first post-order walk from its outputs (tasks nothing in the graph depends on),
// each task's dependencies visited in spec order. The outputs are walked in the order of
// the earliest submitted task each one needs (then their own submission order), so the
// graph starts where the client's submission starts, and finishes what one root unlocks
// before the next root runs. A reduction tree is thus finished pair by pair (load a,
// load b, sum a+b, load c, ...) rather than level by level. O(n log n) in the outputs,
// O(tasks + edges) otherwise; iterative.
//
// User priorities (TaskSpec.priority, as dask's: higher runs first, default 0) come
// before all of that: TaskState::priority = order - user_priority * kUserPriorityStride,
// so every sort by priority — the scheduler's queues, stealing, the workers' ready
// queues (ComputeTask.priority) — honours them without a second field. User priorities
// are clamped to ±kMaxUserPriority; the order stays below the stride (2^40 tasks at
// kOrderGap apart).
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {
namespace {

enum class Mark : uint8_t { kNew, kOnStack, kDone };

constexpr int64_t kOrderGap = int64_t{1} << 10;
constexpr int64_t kUserPriorityStride = int64_t{1} << 50;
constexpr int64_t kMaxUserPriority = int64_t{1} << 12;

// Post-order depth-first walks over the new tasks of one graph. While it runs, a new
// task's priority is base + its index in `added` (old tasks are all below base).
class GraphWalk {
 public:
  GraphWalk(const std::vector<TaskState*>& added, int64_t base)
      : added_(added), base_(base), marks_(added.size(), Mark::kNew) {}

  size_t Index(const TaskState* ts) const { return static_cast<size_t>(ts->priority - base_); }
  // Old tasks are below base, or — with a negative user priority — far above base + n.
  bool IsNew(const TaskState* ts) const {
    return ts->priority >= base_ && ts->priority < base_ + static_cast<int64_t>(added_.size());
  }

  void Reset() { std::fill(marks_.begin(), marks_.end(), Mark::kNew); }
  bool Done(const TaskState* ts) const { return marks_[Index(ts)] != Mark::kNew; }

  // Walks the new tasks under `start` not walked yet; calls visit(ts) in post-order.
  template <typename Visit>
  void From(TaskState* start, Visit&& visit) {
    if (Done(start)) return;
    marks_[Index(start)] = Mark::kOnStack;
    stack_.emplace_back(start, 0);
    while (!stack_.empty()) {
      TaskState* ts = stack_.back().first;
      size_t& next = stack_.back().second;
      if (next < ts->dependencies.size()) {
        TaskState* dep = ts->dependencies[next++];
        if (IsNew(dep) && marks_[Index(dep)] == Mark::kNew) {  // a cycle is not followed
          marks_[Index(dep)] = Mark::kOnStack;
          stack_.emplace_back(dep, 0);
        }
        continue;
      }
      marks_[Index(ts)] = Mark::kDone;
      stack_.pop_back();
      visit(ts);
    }
  }

 private:
  const std::vector<TaskState*>& added_;
  const int64_t base_;
  std::vector<Mark> marks_;
  std::vector<std::pair<TaskState*, size_t>> stack_;  // a task, its next dependency
};

}  // namespace

// REQUIRES: the tasks of `added` are new, in submission order, with their dependencies
// wired; user_priorities is empty or one per task of `added`.
void SchedulerState::AssignPriorities(const std::vector<TaskState*>& added,
                                      const std::vector<int64_t>& user_priorities) {
  // While walking, a new task's priority is base + its index in `added` (GraphWalk's
  // mark); the final ones are set at the end, from the order.
  const int64_t base = next_priority_;
  for (size_t i = 0; i < added.size(); ++i) added[i]->priority = base + static_cast<int64_t>(i);
  GraphWalk walk(added, base);

  // The earliest submitted new task each new task needs (itself included).
  std::vector<size_t> first(added.size());
  for (TaskState* start : added) {
    walk.From(start, [&](TaskState* ts) {
      size_t earliest = walk.Index(ts);
      for (const TaskState* dep : ts->dependencies) {
        if (walk.IsNew(dep)) earliest = std::min(earliest, first[walk.Index(dep)]);
      }
      first[walk.Index(ts)] = earliest;
    });
  }
  std::vector<TaskState*> outputs;
  for (TaskState* ts : added) {
    if (ts->dependents.empty()) outputs.push_back(ts);
  }
  std::stable_sort(outputs.begin(), outputs.end(), [&](const TaskState* a, const TaskState* b) {
    return first[walk.Index(a)] < first[walk.Index(b)];
  });

  std::vector<TaskState*> order;
  order.reserve(added.size());
  walk.Reset();
  auto append = [&order](TaskState* ts) { order.push_back(ts); };
  for (TaskState* ts : outputs) walk.From(ts, append);
  for (TaskState* ts : added) walk.From(ts, append);  // only tasks on a dependency cycle

  // Each task's order (user priorities aside), in walk order so that a task's new
  // dependencies have theirs first. A task with inputs from earlier graphs goes right
  // after the latest of all its inputs, if that is earlier than its place in this graph.
  std::vector<int64_t> orders(added.size());
  absl::flat_hash_map<int64_t, int64_t> placed_after;  // an anchor → tasks placed after it
  for (size_t i = 0; i < order.size(); ++i) {
    TaskState* ts = order[i];
    int64_t own = base + static_cast<int64_t>(i) * kOrderGap;
    int64_t latest_input = -1;
    bool has_old_input = false;
    for (const TaskState* dep : ts->dependencies) {
      if (walk.IsNew(dep)) {
        latest_input = std::max(latest_input, orders[walk.Index(dep)]);
      } else {
        has_old_input = true;
        latest_input = std::max(latest_input, dep->order);
      }
    }
    if (has_old_input && latest_input + 1 < own) {
      const int64_t slot = std::min(++placed_after[latest_input], kOrderGap - 1);
      own = std::min(own, latest_input + slot);
    }
    orders[walk.Index(ts)] = own;
  }
  for (TaskState* ts : order) {
    const size_t index = walk.Index(ts);
    int64_t user = 0;
    if (!user_priorities.empty()) {
      user = std::clamp(user_priorities[index], -kMaxUserPriority, kMaxUserPriority);
    }
    ts->order = orders[index];
    ts->priority = orders[index] - user * kUserPriorityStride;
  }
  next_priority_ = base + static_cast<int64_t>(order.size()) * kOrderGap;
}

}  // namespace weft::scheduler
