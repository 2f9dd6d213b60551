#include "scheduler/placement.h"

#include <cstdint>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/container/inlined_vector.h"

namespace weft::scheduler {
namespace {

class CostPlacement : public PlacementPolicy {
 public:
  explicit CostPlacement(double bandwidth) : bandwidth_(bandwidth > 0 ? bandwidth : 1.0) {}

  WorkerState* Choose(const TaskState& task, const std::vector<WorkerState*>& candidates) override {
    // Bytes of the inputs each holder already has. A task has few inputs and each input
    // few holders, so a short vector beats a hash map here (this runs for every task).
    absl::InlinedVector<std::pair<const WorkerState*, int64_t>, 8> held;
    int64_t total = 0;
    const DependencyBytes read(task);
    for (const TaskState* dep : task.dependencies) {
      const int64_t bytes = read(*dep);
      total += bytes;
      for (const WorkerState* w : dep->who_has) {
        auto it = held.begin();
        while (it != held.end() && it->first != w) ++it;
        if (it == held.end()) {
          held.emplace_back(w, bytes);
        } else {
          it->second += bytes;
        }
      }
    }
    auto held_by = [&held](const WorkerState* w) -> int64_t {
      for (const auto& [holder, bytes] : held) {
        if (holder == w) return bytes;
      }
      return 0;
    };
    // Smaller is better: (start time, -held bytes, load per thread, distance from the
    // round-robin cursor in join numbers).
    using Key = std::tuple<double, int64_t, double, int64_t>;
    WorkerState* best = nullptr;
    Key best_key;
    for (WorkerState* w : candidates) {
      int64_t bytes = held_by(w);
      double start = w->occupancy / w->nthreads + static_cast<double>(total - bytes) / bandwidth_;
      double load = static_cast<double>(w->processing.size()) / w->nthreads;
      int64_t rank = w->number >= next_ ? w->number - next_
                                        : w->number - next_ + std::numeric_limits<int32_t>::max();
      Key key{start, -bytes, load, rank};
      if (best == nullptr || key < best_key) {
        best = w;
        best_key = key;
      }
    }
    next_ = best->number + 1;
    return best;
  }

 private:
  const double bandwidth_;
  int64_t next_ = 0;  // round-robin cursor: a worker number
};

}  // namespace

std::unique_ptr<PlacementPolicy> NewCostPlacement(double bandwidth) {
  return std::make_unique<CostPlacement>(bandwidth);
}

std::unique_ptr<PlacementPolicy> NewLocalityPlacement() { return NewCostPlacement(100e6); }

}  // namespace weft::scheduler
