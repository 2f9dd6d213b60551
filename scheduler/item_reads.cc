// Items read apart: a shuffle's unpack j reads item j (its bucket) of every split, and
// once every unpack that reads an item has a result, the split's holders drop that item
// (FreeKeys.items) rather than keep the whole split until the last unpack ends: the
// memory a shuffle holds falls as its outputs are made, as dask's P2P shuffle drops the
// shards it has unpacked.
//
// A dropped item is gone from the split: a reader that needs it again (its result was
// lost with a worker) finds it missing on the holder, which is reported as the split
// missing (TaskFailed.missing_dependencies), and the split is recomputed from its inputs,
// as any lost result is. So the answer stays exact: nothing is read from a split that is
// not whole again. The scheduler's nbytes for the split stays its whole size.
#include <algorithm>
#include <limits>

#include "scheduler/scheduler_state.h"

namespace weft::scheduler {

using S = TaskStatus;

void SchedulerState::WireReads(TaskState* ts, const std::set<std::string>& whole,
                               const std::set<std::pair<std::string, int64_t>>& items) {
  for (TaskState* dep : ts->dependencies) {
    auto first = items.lower_bound({dep->key(), std::numeric_limits<int64_t>::min()});
    const bool by_items = first != items.end() && first->first == dep->key();
    if (!by_items || whole.count(dep->key()) > 0) {
      dep->read_whole = true;
      continue;
    }
    if (ts->item_reads == nullptr) {
      ts->item_reads = std::make_unique<std::vector<std::pair<TaskState*, int64_t>>>();
    }
    if (dep->item_readers == nullptr) {
      dep->item_readers = std::make_unique<absl::flat_hash_map<int64_t, int32_t>>();
    }
    for (auto it = first; it != items.end() && it->first == dep->key(); ++it) {
      ts->item_reads->emplace_back(dep, it->second);
      ++(*dep->item_readers)[it->second];
      dep->item_span = std::max(dep->item_span, it->second + 1);
    }
  }
}

void SchedulerState::ConsumeItemReads(TaskState* ts) {
  if (ts->item_reads == nullptr) return;
  for (const auto& [dep, index] : *ts->item_reads) {
    if (dep->item_readers == nullptr) continue;
    auto it = dep->item_readers->find(index);
    if (it == dep->item_readers->end() || --it->second > 0) continue;
    dep->item_readers->erase(it);
    // Not needed any more: it is about to be freed whole.
    if (dep->status != S::kMemory || dep->read_whole || !dep->who_wants.empty() ||
        dep->waiters.empty()) {
      continue;
    }
    for (WorkerState* w : dep->who_has) SendFreeItem(w, dep->key(), index);
  }
  ts->item_reads.reset();
}

DependencyBytes::DependencyBytes(const TaskState& task) : task_(task) {
  if (task.item_reads == nullptr) return;
  for (const auto& [dep, index] : *task.item_reads) ++items_read_[dep];
}

int64_t DependencyBytes::operator()(const TaskState& dep) const {
  if (task_.OnlyRunsAfter(&dep)) return 0;
  const int64_t whole = std::max<int64_t>(dep.nbytes, 0);
  auto it = items_read_.find(&dep);
  if (it == items_read_.end() || dep.item_span <= 0) return whole;
  return static_cast<int64_t>(static_cast<double>(whole) * static_cast<double>(it->second) /
                              static_cast<double>(dep.item_span));
}

}  // namespace weft::scheduler
