#include "worker/stream/source_ledger.h"

#include <utility>

namespace weft::stream {

SourceLedger::SourceLedger(std::vector<Target> targets) {
  for (Target& t : targets) targets_.push_back({std::move(t), 0, false});
}

std::optional<std::string> SourceLedger::Pick() const {
  std::optional<size_t> best;
  int best_free = 0;
  for (size_t i = 0; i < targets_.size(); ++i) {
    const TargetState& t = targets_[i];
    const int free = t.target.limit - t.load;
    if (t.lost || free <= best_free) continue;
    best = i;
    best_free = free;
  }
  if (!best.has_value()) return std::nullopt;
  return targets_[*best].target.address;
}

void SourceLedger::Sent(uint64_t seq, std::shared_ptr<const std::string> data,
                        const std::string& address) {
  for (size_t i = 0; i < targets_.size(); ++i) {
    if (targets_[i].target.address != address) continue;
    ++targets_[i].load;
    batches_[seq] = {std::move(data), i};
    return;
  }
}

void SourceLedger::Ack(uint64_t below) {
  if (below <= acked_below_) return;
  acked_below_ = below;
  for (auto it = batches_.begin(); it != batches_.end() && it->first < below;) {
    --targets_[it->second.target].load;
    it = batches_.erase(it);
  }
}

std::optional<size_t> SourceLedger::LeastLoaded() const {
  std::optional<size_t> best;
  for (size_t i = 0; i < targets_.size(); ++i) {
    const TargetState& t = targets_[i];
    if (t.lost) continue;
    // Compare load/limit without division: a/b < c/d ⇔ a·d < c·b.
    if (!best.has_value() || int64_t{t.load} * targets_[*best].target.limit <
                                 int64_t{targets_[*best].load} * t.target.limit) {
      best = i;
    }
  }
  return best;
}

std::vector<SourceLedger::Send> SourceLedger::Lose(const std::string& address) {
  std::vector<Send> resend;
  size_t lost = targets_.size();
  for (size_t i = 0; i < targets_.size(); ++i) {
    if (targets_[i].target.address == address && !targets_[i].lost) lost = i;
  }
  if (lost == targets_.size()) return resend;
  targets_[lost].lost = true;
  for (auto& [seq, batch] : batches_) {
    if (batch.target != lost) continue;
    --targets_[lost].load;
    std::optional<size_t> to = LeastLoaded();
    if (!to.has_value()) continue;  // nobody left: the caller fails the pipeline
    batch.target = *to;
    ++targets_[*to].load;
    resend.push_back({seq, targets_[*to].target.address, batch.data});
  }
  return resend;
}

bool SourceLedger::has_live_targets() const {
  for (const TargetState& t : targets_) {
    if (!t.lost) return true;
  }
  return false;
}

int SourceLedger::load(const std::string& address) const {
  for (const TargetState& t : targets_) {
    if (t.target.address == address) return t.load;
  }
  return 0;
}

}  // namespace weft::stream
