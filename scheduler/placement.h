// Where a ready task runs: a one-method policy, so placement can grow (resources, work
// stealing, memory pressure) without touching the state machine.
//
// Threading: called only from the thread that owns the SchedulerState.
#pragma once

#include <memory>
#include <vector>

#include "scheduler/task_state.h"

namespace weft::scheduler {

class PlacementPolicy {
 public:
  virtual ~PlacementPolicy() = default;

  // Picks the worker that runs `task`. Its dependencies are all in memory.
  // REQUIRES: `workers` is non-empty, in join order, and workers[i]->slot == i.
  virtual WorkerState* Choose(const TaskState& task, const std::vector<WorkerState*>& workers) = 0;
};

// The default policy: the worker holding the most bytes of the task's inputs; ties (and
// tasks whose inputs are held nowhere or are empty) go to the least occupied worker
// (tasks processing / nthreads), then round robin in join order.
std::unique_ptr<PlacementPolicy> NewLocalityPlacement();

}  // namespace weft::scheduler
