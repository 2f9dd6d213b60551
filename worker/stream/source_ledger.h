// SourceLedger: the source stage's book of the batches it sent and the sink has not yet
// acknowledged, and of each parallel worker's credit.
//
// Each parallel worker (target) may hold at most `limit` unacknowledged batches (2 × its
// threads): this is the pipeline's backpressure — with no credit left anywhere, Pick()
// says so and the source stops reading its TCP connection. A batch is kept (and its
// credit held) until the sink acknowledges that every batch below some number is written
// (acknowledgements are cumulative: the sink writes in order). When a target is lost,
// its unacknowledged batches are handed to the live targets (overcommitting their
// credit for a while) for the caller to send again; the sink drops the duplicates.
//
// Pure: no I/O, no clock. Threading: not thread-safe; SourceRunner guards it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft::stream {

class SourceLedger {
 public:
  struct Target {
    std::string address;
    int limit = 2;  // unacknowledged batches it may hold
  };
  // A batch to send (again) to `address`.
  struct Send {
    uint64_t seq = 0;
    std::string address;
    std::shared_ptr<const std::string> data;
  };

  explicit SourceLedger(std::vector<Target> targets);

  // The live target with the most free credit (ties: the first listed); nullopt when none
  // has any left, or none is left at all.
  std::optional<std::string> Pick() const;
  // Batch `seq` went to `address`: kept until acknowledged.
  void Sent(uint64_t seq, std::shared_ptr<const std::string> data, const std::string& address);
  // The sink wrote every batch below `below`: they are dropped and their credit returned.
  void Ack(uint64_t below);
  // The target at `address` is gone: it gets no new batch, and its unacknowledged batches
  // are reassigned to the live targets, least loaded first, in sequence order. Empty when
  // the address is unknown or was lost before.
  std::vector<Send> Lose(const std::string& address);

  bool has_live_targets() const;
  size_t unacked() const { return batches_.size(); }
  uint64_t acked_below() const { return acked_below_; }
  // Unacknowledged batches assigned to `address` (0 for an unknown one).
  int load(const std::string& address) const;

 private:
  struct TargetState {
    Target target;
    int load = 0;
    bool lost = false;
  };
  struct Batch {
    std::shared_ptr<const std::string> data;
    size_t target = 0;  // index into targets_
  };
  // The live target with the lowest load relative to its limit, ignoring credit.
  std::optional<size_t> LeastLoaded() const;

  std::vector<TargetState> targets_;
  std::map<uint64_t, Batch> batches_;
  uint64_t acked_below_ = 0;
};

}  // namespace weft::stream
