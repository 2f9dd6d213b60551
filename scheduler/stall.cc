// Stall notices (SchedulerState::CheckStall): a client whose tasks no worker can start
// hears why, rather than waiting in silence.
#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/format_bytes.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {
namespace {

using S = TaskStatus;

// Workers named in a notice; the rest are counted.
constexpr size_t kMaxNamed = 5;
// Clients are looked at no more often than this during a stall (each look may scan what
// they want).
constexpr absl::Duration kStallCheckInterval = absl::Seconds(1);

bool Unfinished(S status) {
  return status == S::kWaiting || status == S::kNoWorker || status == S::kQueued ||
         status == S::kProcessing;
}

// "w1 at 612.4 MiB of its 400.0 MiB limit, stuck holding no data (its nanny restarts it)";
// "..., stuck with data it cannot spill (...)" when its spills failed.
std::string WhyNotRunning(const WorkerState& w) {
  if (w.retiring) return absl::StrCat(w.info.name(), " retiring");
  const int64_t process = w.last_heartbeat.process_bytes();
  std::string why = process > 0 && w.info.memory_limit() > 0
                        ? absl::StrCat(w.info.name(), " at ", FormatBytes(process), " of its ",
                                       FormatBytes(w.info.memory_limit()), " limit")
                        : absl::StrCat(w.info.name(), " paused");
  if (!w.stuck.empty()) {
    // Data in memory on a stuck worker is data it could not spill (its account says why).
    absl::StrAppend(
        &why, ", stuck ",
        w.last_heartbeat.memory_bytes() > 0 ? "with data it cannot spill" : "holding no data", " (",
        w.info.nanny() ? "its nanny restarts it" : "it has no nanny to restart it", ")");
  }
  return why;
}

}  // namespace

void SchedulerState::CheckStall(absl::Time now) {
  const int64_t waiting = CountInStatus(S::kWaiting) + CountInStatus(S::kNoWorker) +
                          CountInStatus(S::kQueued) + CountInStatus(S::kProcessing);
  if (running_workers_ > 0 || waiting == 0) {
    EndStall();
    return;
  }
  if (stalled_since_ == absl::InfiniteFuture()) stalled_since_ = now;
  if (now - stalled_since_ < options_.stall_notice_delay) return;
  if (now - stall_checked_ < kStallCheckInterval) return;
  stall_checked_ = now;
  const std::string signature = StallSignature();
  std::string message;  // made when the first client needs it
  std::vector<std::string> ids;
  for (const auto& [id, cs] : clients_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) {
    auto told = stall_told_.find(id);
    if (told != stall_told_.end() && told->second == signature) continue;
    if (!WaitsForWork(*clients_.at(id))) continue;
    if (message.empty()) message = StallMessage(waiting);
    SendWorkNotice(id, /*stalled=*/true, message);
    stall_told_[id] = signature;
  }
}

void SchedulerState::EndStall() {
  stalled_since_ = absl::InfiniteFuture();
  stall_checked_ = absl::InfinitePast();
  if (stall_told_.empty()) return;
  std::vector<std::string> running;
  for (const WorkerState* w : worker_list_) {
    if (!w->paused) running.push_back(w->info.name());
  }
  // Workers that run tasks say more than the work being done (or dropped) meanwhile.
  std::string message = "nothing waits for a worker any more";
  if (!running.empty()) {
    if (running.size() > kMaxNamed) running.resize(kMaxNamed);
    message = absl::StrCat("tasks start again: ", running_workers_ == 1 ? "worker " : "workers ",
                           absl::StrJoin(running, ", "),
                           running_workers_ > static_cast<int64_t>(kMaxNamed) ? ", ..." : "",
                           running_workers_ == 1 ? " runs them" : " run them");
  }
  std::vector<std::string> ids;
  for (const auto& [id, signature] : stall_told_) {
    if (clients_.contains(id)) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) SendWorkNotice(id, /*stalled=*/false, message);
  stall_told_.clear();
}

std::string SchedulerState::StallSignature() const {
  std::string signature;
  for (const WorkerState* w : worker_list_) {
    absl::StrAppend(&signature, w->id, w->retiring ? "r" : "", w->stuck.empty() ? "" : "s", " ");
  }
  return signature;
}

std::string SchedulerState::StallMessage(int64_t waiting) const {
  const std::string tasks = absl::StrCat(waiting, waiting == 1 ? " task waits" : " tasks wait");
  if (worker_list_.empty()) {
    return absl::StrCat("no worker can start tasks: none is connected to the scheduler; ", tasks,
                        " until one joins");
  }
  bool any_retiring = false, any_paused = false;
  std::vector<std::string> workers;
  for (const WorkerState* w : worker_list_) {
    (w->retiring ? any_retiring : any_paused) = true;
    if (workers.size() < kMaxNamed) workers.push_back(WhyNotRunning(*w));
  }
  if (worker_list_.size() > kMaxNamed) {
    workers.push_back(absl::StrCat(worker_list_.size() - kMaxNamed, " more"));
  }
  const size_t n = worker_list_.size();
  return absl::StrCat("no worker can start tasks: ",
                      n == 1 ? "the only worker is " : absl::StrCat("all ", n, " workers are "),
                      any_paused ? "paused (memory)" : "", any_paused && any_retiring ? " or " : "",
                      any_retiring ? "retiring" : "", ": ", absl::StrJoin(workers, "; "), ". ",
                      tasks, " until a worker resumes or joins");
}

bool SchedulerState::WaitsForWork(const ClientState& cs) {
  return std::any_of(cs.wants.begin(), cs.wants.end(),
                     [](const TaskState* ts) { return Unfinished(ts->status); });
}

void SchedulerState::SendWorkNotice(const std::string& client_id, bool stalled,
                                    const std::string& message) {
  ClientMessage& out = out_.to_clients.emplace_back();
  out.client_id = client_id;
  out.update.mutable_work_notice()->set_stalled(stalled);
  out.update.mutable_work_notice()->set_message(message);
}

}  // namespace weft::scheduler
