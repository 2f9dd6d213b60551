#include "scheduler/placement.h"

#include <cstdint>

#include "absl/container/flat_hash_map.h"

namespace weft::scheduler {
namespace {

// a is less occupied than b: processing/nthreads compared without rounding.
bool LessOccupied(const WorkerState& a, const WorkerState& b) {
  return static_cast<int64_t>(a.processing.size()) * b.nthreads <
         static_cast<int64_t>(b.processing.size()) * a.nthreads;
}

class LocalityPlacement : public PlacementPolicy {
 public:
  WorkerState* Choose(const TaskState& task, const std::vector<WorkerState*>& workers) override {
    const size_t n = workers.size();
    // Bytes of the inputs each worker already holds. Empty for tasks without inputs.
    absl::flat_hash_map<WorkerState*, int64_t> held;
    int64_t most = 0;
    for (const TaskState* dep : task.dependencies) {
      for (WorkerState* w : dep->who_has) {
        int64_t& bytes = held[w];
        bytes += dep->nbytes > 0 ? dep->nbytes : 0;
        if (bytes > most) most = bytes;
      }
    }
    // Candidates: the holders of the most input bytes, or every worker when no input
    // has a size. Among them the least occupied wins; the round-robin cursor breaks ties
    // (the first candidate at or after it, in join order).
    WorkerState* best = nullptr;
    size_t cursor = next_ % n;
    for (size_t i = 0; i < n; ++i) {
      WorkerState* w = workers[(cursor + i) % n];
      if (most > 0) {
        auto it = held.find(w);
        if (it == held.end() || it->second != most) continue;
      }
      if (best == nullptr || LessOccupied(*w, *best)) best = w;
      if (best->processing.empty()) break;  // nobody is less occupied than idle
    }
    next_ = best->slot + 1;
    return best;
  }

 private:
  size_t next_ = 0;  // round-robin cursor: a slot index
};

}  // namespace

std::unique_ptr<PlacementPolicy> NewLocalityPlacement() {
  return std::make_unique<LocalityPlacement>();
}

}  // namespace weft::scheduler
