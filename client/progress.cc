#include "weft/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <iostream>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/key.h"
#include "common/status_macros.h"
#include "weft/bag.h"

namespace weft {
namespace {

int64_t Count(const PrefixInfo& p, const char* state) {
  auto it = p.tasks_by_state.find(state);
  return it == p.tasks_by_state.end() ? 0 : it->second;
}

int64_t Pending(const PrefixInfo& p) {
  return Count(p, "waiting") + Count(p, "queued") + Count(p, "no-worker") + Count(p, "processing");
}

int64_t Live(const PrefixInfo& p) {
  int64_t n = 0;
  for (const auto& [state, count] : p.tasks_by_state) {
    if (state != "forgotten") n += count;
  }
  return n;
}

std::string Elapsed(absl::Duration d) {
  double s = absl::ToDoubleSeconds(d);
  return s < 1 ? absl::StrFormat("%.0f ms", s * 1000) : absl::StrFormat("%.1f s", s);
}

// Only the standard streams can be asked whether they are a terminal.
bool Redraws(std::ostream& out, ProgressOptions::Mode mode) {
  switch (mode) {
    case ProgressOptions::Mode::kRedraw:
      return true;
    case ProgressOptions::Mode::kSummary:
      return false;
    case ProgressOptions::Mode::kAuto:
      if (&out == &std::cerr || &out == &std::clog) return ::isatty(2) == 1;
      if (&out == &std::cout) return ::isatty(1) == 1;
      return false;
  }
  return false;
}

// Redraws a block of lines in place with ANSI cursor movement.
class InPlace {
 public:
  explicit InPlace(std::ostream& out) : out_(out) {}
  bool drawn() const { return drawn_ > 0; }
  void Draw(const std::vector<std::string>& lines) {
    if (drawn_ > 0) out_ << "\x1b[" << drawn_ << "A";
    for (const auto& line : lines) out_ << "\r\x1b[2K" << line << "\n";
    drawn_ = static_cast<int>(lines.size());  // bars are only ever added
    out_.flush();
  }
  void Clear() {
    if (drawn_ > 0) out_ << "\x1b[" << drawn_ << "A\r\x1b[J";
    drawn_ = 0;
    out_.flush();
  }

 private:
  std::ostream& out_;
  int drawn_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------
// ProgressBars

ProgressBars::ProgressBars(std::vector<std::string> own_prefixes)
    : own_prefixes_(std::move(own_prefixes)) {}

void ProgressBars::Update(const std::vector<PrefixInfo>& prefixes) {
  absl::flat_hash_set<std::string> reported;
  for (const PrefixInfo& p : prefixes) {
    reported.insert(p.prefix);
    auto bar = std::find_if(shown_.begin(), shown_.end(),
                            [&](const Bar& b) { return b.prefix == p.prefix; });
    if (bar == shown_.end()) {
      bool own =
          std::find(own_prefixes_.begin(), own_prefixes_.end(), p.prefix) != own_prefixes_.end();
      if (!own && Pending(p) == 0) continue;
      // The scheduler sorts prefixes by name, so new bars of one update come in that order.
      bar = shown_.insert(shown_.end(), Bar{p.prefix});
    }
    bar->total = std::max(bar->total, Live(p));
    bar->pending = Pending(p);
    bar->erred = Count(p, "erred");
    bar->average_duration_seconds = p.average_duration_seconds;
  }
  // A prefix the scheduler no longer reports has had all its tasks forgotten: done.
  for (Bar& bar : shown_) {
    if (!reported.contains(bar.prefix)) bar.pending = 0;
  }
}

std::vector<std::string> ProgressBars::Render(absl::Duration elapsed, int bar_width) const {
  size_t name_width = 0;
  for (const Bar& b : shown_) name_width = std::max(name_width, b.prefix.size());
  std::vector<std::string> lines;
  for (const Bar& b : shown_) {
    int filled = b.total > 0 ? static_cast<int>(bar_width * b.done() / b.total) : bar_width;
    std::string line = absl::StrCat(b.prefix, std::string(name_width - b.prefix.size(), ' '), " [",
                                    std::string(filled, '#'), std::string(bar_width - filled, ' '),
                                    "] ", b.done(), "/", b.total, " done");
    if (b.erred > 0) absl::StrAppend(&line, ", ", b.erred, " erred");
    absl::StrAppend(&line, " | ", Elapsed(elapsed));
    lines.push_back(std::move(line));
  }
  return lines;
}

// ---------------------------------------------------------------------------
// Drawing while waiting

absl::Status progress_during(Client& client, const std::function<absl::Status()>& work,
                             std::ostream& out, const ProgressOptions& options,
                             std::vector<std::string> own_prefixes) {
  const bool redraw = Redraws(out, options.mode);
  const absl::Time start = absl::Now();
  std::promise<absl::Status> result;
  std::future<absl::Status> done = result.get_future();
  std::thread waiter([&] { result.set_value(work()); });

  ProgressBars bars(std::move(own_prefixes));
  auto poll = [&] {
    absl::StatusOr<ClusterInfo> info =
        client.info(absl::Seconds(5), Client::TaskScope::kThisClient);
    if (info.ok()) bars.Update(info->prefixes);  // no bars this time; the work reports errors
  };
  InPlace screen(out);
  poll();
  const auto interval = absl::ToChronoMilliseconds(options.interval);
  while (done.wait_for(interval) != std::future_status::ready) {
    poll();
    if (redraw && absl::Now() - start >= options.delay) {
      screen.Draw(bars.Render(absl::Now() - start, options.bar_width));
    }
  }
  waiter.join();
  poll();
  std::vector<std::string> lines = bars.Render(absl::Now() - start, options.bar_width);
  if (!redraw) {
    for (const auto& line : lines) out << line << "\n";
    out.flush();
  } else if (screen.drawn()) {
    if (options.clear_when_done) {
      screen.Clear();
    } else {
      screen.Draw(lines);
    }
  }
  return done.get();
}

absl::Status progress(Client& client, const Bag& bag, std::ostream& out,
                      const ProgressOptions& options) {
  return progress_during(
      client, [&bag] { return bag.wait(); }, out, options);
}

namespace internal {

absl::Status ProgressOnHandles(Client& client, std::vector<std::shared_ptr<KeyHandle>> handles,
                               std::ostream& out, const ProgressOptions& options) {
  std::vector<std::string> own;
  for (const auto& h : handles) {
    std::string prefix = KeyPrefix(h->key());
    if (std::find(own.begin(), own.end(), prefix) == own.end()) own.push_back(std::move(prefix));
  }
  auto wait_all = [&handles]() -> absl::Status {
    std::vector<const KeyHandle*> pending;
    for (const auto& h : handles) pending.push_back(h.get());
    while (!pending.empty()) {
      WEFT_ASSIGN_OR_RETURN(size_t i, WaitAny(pending, absl::InfiniteDuration()));
      const KeyHandle* h = pending[i];
      // The error of an erred or cancelled key, naming its function; no data is fetched.
      if (h->status() != FutureStatus::kFinished) return h->Fetch().status();
      pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return absl::OkStatus();
  };
  return progress_during(client, wait_all, out, options, std::move(own));
}

}  // namespace internal
}  // namespace weft
