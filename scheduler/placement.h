// Where a ready task runs: a one-method policy, so placement can grow (resources, memory
// pressure) without touching the state machine.
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

  // Picks the worker that runs `task` among `candidates`, which the SchedulerState has
  // already narrowed down: for a task with inputs, the running workers that hold some of
  // them (all running workers if none does); for a root task, the running workers with
  // room for one more (root-task queuing). Its dependencies are all in memory.
  // REQUIRES: `candidates` is non-empty, without duplicates.
  virtual WorkerState* Choose(const TaskState& task,
                              const std::vector<WorkerState*>& candidates) = 0;
};

// The default policy, dask's decide_worker objective: the worker where the task could
// start first, estimated as occupancy / nthreads (seconds of queued work per thread) plus
// the time to fetch the input bytes it does not hold at `bandwidth` bytes per second (of a
// dependency it reads items of apart, only that share: DependencyBytes).
// Ties go to the worker holding more input bytes, then to fewer tasks per thread, then
// round robin in join order.
std::unique_ptr<PlacementPolicy> NewCostPlacement(double bandwidth);

// NewCostPlacement(100 MB/s).
std::unique_ptr<PlacementPolicy> NewLocalityPlacement();

}  // namespace weft::scheduler
