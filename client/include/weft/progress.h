// weft::progress — a bar per task prefix while the cluster works, as dask's progress().
//
//   auto futures = client->map<int64_t>("slowinc", {1, 2, 3});
//   absl::Status s = weft::progress(*client, futures, std::cerr);   // waits, drawing
//
//   read_text  [##############################] 24/24 done | 1.3 s
//   parse_json [###############               ] 12/24 done, 2 erred | 1.3 s
//
// The counts are the scheduler's, per key prefix (ClusterInfo::prefixes), polled every
// `interval`, and only this client's: the keys it holds futures for and the tasks they
// still need (Client::TaskScope::kThisClient), never other clients' work on the same
// scheduler. A prefix gets a bar when it is one of the waited-for futures' prefixes, or
// when it has unfinished tasks (waiting, queued, no-worker, processing) at some poll
// while we wait — so upstream tasks of a graph show too, and finished old work does not.
//
// On a terminal (ProgressOptions::Mode::kAuto with `out` being std::cerr or std::cout on a
// tty) the bars are redrawn in place; otherwise they are printed once, as a summary, when
// the work is done.
//
// Threading: progress() blocks the calling thread until the work is done; the waiting
// itself runs on a helper thread it starts and joins. Client is thread-safe, so other
// threads may use it meanwhile. ProgressBars is a plain value for one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "weft/client.h"
#include "weft/future.h"

namespace weft {

class Bag;

struct ProgressOptions {
  enum class Mode {
    kAuto,     // kRedraw when `out` is std::cerr / std::cout and that is a terminal
    kRedraw,   // redraw the bars in place (ANSI cursor movement)
    kSummary,  // print the bars once, when the work is done
  };
  Mode mode = Mode::kAuto;
  absl::Duration interval = absl::Milliseconds(100);  // between polls of the scheduler
  // kRedraw draws nothing before this, so that quick work leaves no trace.
  absl::Duration delay = absl::Milliseconds(300);
  bool clear_when_done = false;  // kRedraw: erase the bars at the end
  int bar_width = 30;
};

// What the bars show, from successive snapshots of the scheduler's prefixes. Pure: no
// clock, no I/O (progress() feeds it; tests feed it by hand).
class ProgressBars {
 public:
  struct Bar {
    std::string prefix;
    int64_t total = 0;    // the most tasks seen at once (finished ones are later forgotten)
    int64_t pending = 0;  // waiting, queued, no-worker, processing
    int64_t erred = 0;
    double average_duration_seconds = 0;
    int64_t done() const { return total - pending; }  // finished or erred
  };

  // `own_prefixes` always get a bar once the scheduler reports them.
  explicit ProgressBars(std::vector<std::string> own_prefixes = {});

  void Update(const std::vector<PrefixInfo>& prefixes);
  // The prefixes shown, in the order they first qualified (by name within one update).
  const std::vector<Bar>& bars() const { return shown_; }
  // One line per bar: `parse_json [#####     ] 12/24 done, 2 erred | 1.3 s`, prefixes
  // padded to one width.
  std::vector<std::string> Render(absl::Duration elapsed, int bar_width = 30) const;

 private:
  std::vector<std::string> own_prefixes_;
  std::vector<Bar> shown_;
};

// Runs `work` on a helper thread and draws the cluster's progress on `out` until it
// returns; returns what `work` returned. For calls that block until the cluster is done,
// such as Bag::compute():
//   absl::StatusOr<ValueList> rows;
//   weft::progress_during(*client, [&] { rows = bag.compute(); return rows.status(); }, std::cerr);
absl::Status progress_during(Client& client, const std::function<absl::Status()>& work,
                             std::ostream& out, const ProgressOptions& options = {},
                             std::vector<std::string> own_prefixes = {});

// Draws until a persisted Bag's partitions are all computed (Bag::wait()); the first
// failure is the result. A Bag that was not persisted has nothing running: returns at once.
absl::Status progress(Client& client, const Bag& bag, std::ostream& out,
                      const ProgressOptions& options = {});

namespace internal {
absl::Status ProgressOnHandles(Client& client, std::vector<std::shared_ptr<KeyHandle>> handles,
                               std::ostream& out, const ProgressOptions& options);
}  // namespace internal

// Draws until every future is done (finished, erred or cancelled). Returns the error of
// the first future to fail (in time), or OK when all finished.
template <typename T>
absl::Status progress(Client& client, const std::vector<Future<T>>& futures, std::ostream& out,
                      const ProgressOptions& options = {}) {
  std::vector<std::shared_ptr<internal::KeyHandle>> handles;
  handles.reserve(futures.size());
  for (const auto& f : futures) handles.push_back(f.handle());
  return internal::ProgressOnHandles(client, std::move(handles), out, options);
}

}  // namespace weft
