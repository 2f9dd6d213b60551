// BatchedWriter: turns many small control messages into few stream writes.
//
// Callers Add() items into a pending batch (a proto message with repeated fields); a
// writer thread owned by this object sends the pending batch when it holds
// `max_items` items or `flush_interval` after its first item, whichever comes first.
// This is how every control stream in weft writes: never one write per task.
//
// `write` is called only from the writer thread, one batch at a time, so it may call a
// gRPC stream's Write() directly. When `write` returns false (the stream broke) the
// writer stops and later Add() calls return false.
//
// Time: the batching interval is measured on `clock` (the real one unless a test passes a
// FakeClock, common/testing/fake_clock.h); it must outlive the writer.
//
// Threading: Add, Flush and Close are thread-safe. Close (also run by the destructor)
// sends what is pending, then joins the writer thread; call it before the stream dies.
#pragma once

#include <functional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace weft {

template <typename Batch>
class BatchedWriter {
 public:
  using WriteFn = std::function<bool(const Batch&)>;

  // flush_interval: how long the first item of a batch may wait for company. The default,
  // zero, sends as soon as the writer thread is free: a lone item goes out at once (low
  // latency for interactive queries), and items that arrive while a write is in flight go
  // together in the next one (batching under load, with no timer).
  explicit BatchedWriter(WriteFn write, absl::Duration flush_interval = absl::ZeroDuration(),
                         int max_items = 1024, Clock* clock = Clock::Real())
      : write_(std::move(write)),
        flush_interval_(flush_interval),
        max_items_(max_items),
        clock_(clock) {
    absl::MutexLock lock(&join_mu_);
    thread_ = std::thread([this] { Run(); });
  }
  BatchedWriter(const BatchedWriter&) = delete;
  BatchedWriter& operator=(const BatchedWriter&) = delete;
  ~BatchedWriter() { Close(); }

  // Adds one item: `fill(Batch*)` appends it to the pending batch. Returns false when the
  // writer is closed or broken (the item is dropped).
  template <typename Fill>
  bool Add(Fill&& fill) {
    absl::MutexLock lock(&mu_);
    if (closed_ || broken_) return false;
    if (pending_items_ == 0) first_item_at_ = clock_->Now();
    fill(&pending_);
    ++pending_items_;
    return true;
  }

  // Asks the writer thread to send what is pending now.
  void Flush() {
    absl::MutexLock lock(&mu_);
    // Only a non-empty batch can be flushed; a request left standing with nothing
    // pending would make the next lone item skip its batching interval.
    if (pending_items_ > 0) flush_requested_ = true;
  }

  bool broken() const {
    absl::MutexLock lock(&mu_);
    return broken_;
  }

  void Close() {
    {
      absl::MutexLock lock(&mu_);
      closed_ = true;
    }
    // Two threads may Close() at once; only one may join.
    absl::MutexLock join_lock(&join_mu_);
    if (thread_.joinable()) thread_.join();
  }

 private:
  // The writer thread: sleeps until an item arrives, then until the batch is full, a
  // flush or close is asked for, or flush_interval_ has passed since the first item.
  void Run() {
    while (true) {
      Batch batch;
      {
        absl::MutexLock lock(&mu_);
        auto has_items_or_closed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return pending_items_ > 0 || closed_;
        };
        mu_.Await(absl::Condition(&has_items_or_closed));
        if (pending_items_ == 0) return;  // closed and drained
        auto send_now = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return closed_ || flush_requested_ || pending_items_ >= max_items_;
        };
        clock_->AwaitWithDeadline(&mu_, absl::Condition(&send_now),
                                  first_item_at_ + flush_interval_);
        batch.Swap(&pending_);
        pending_items_ = 0;
        flush_requested_ = false;
      }
      if (!write_(batch)) {
        absl::MutexLock lock(&mu_);
        broken_ = true;
        return;
      }
    }
  }

  // Constant after construction.
  const WriteFn write_;
  const absl::Duration flush_interval_;
  const int max_items_;
  Clock* const clock_;

  mutable absl::Mutex mu_;
  Batch pending_ ABSL_GUARDED_BY(mu_);
  int pending_items_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time first_item_at_ ABSL_GUARDED_BY(mu_);
  bool flush_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex join_mu_;
  std::thread thread_ ABSL_GUARDED_BY(join_mu_);
};

}  // namespace weft
