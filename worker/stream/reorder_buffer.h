// ReorderBuffer: the sink stage's ordering — results arrive in any order (and, after a
// replay, twice); they leave in sequence order, each once.
//
// Pure: no I/O. Threading: not thread-safe; SinkRunner guards it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace weft::stream {

class ReorderBuffer {
 public:
  // Offers the result of batch `seq`. False (and dropped) for a duplicate: a batch
  // already taken or already waiting.
  bool Offer(uint64_t seq, std::string data) {
    if (seq < next_ || waiting_.count(seq) > 0) return false;
    waiting_.emplace(seq, std::move(data));
    return true;
  }
  // The source made `count` batches in all (seq 0 .. count-1).
  void SetEnd(uint64_t count) { end_ = count; }

  // The results that are next in order, removed from the buffer.
  std::vector<std::pair<uint64_t, std::string>> TakeReady() {
    std::vector<std::pair<uint64_t, std::string>> ready;
    for (auto it = waiting_.begin(); it != waiting_.end() && it->first == next_;) {
      ready.emplace_back(it->first, std::move(it->second));
      it = waiting_.erase(it);
      ++next_;
    }
    return ready;
  }

  // The next batch in order is waiting: TakeReady() returns something.
  bool ready() const { return !waiting_.empty() && waiting_.begin()->first == next_; }
  // Every batch below this has been taken.
  uint64_t next() const { return next_; }
  // The end is known and every batch has been taken.
  bool complete() const { return end_.has_value() && next_ >= *end_; }
  size_t waiting() const { return waiting_.size(); }

 private:
  uint64_t next_ = 0;
  std::map<uint64_t, std::string> waiting_;
  std::optional<uint64_t> end_;
};

}  // namespace weft::stream
