#include "worker/worker.h"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/data_client.h"
#include "common/format_bytes.h"
#include "common/logging.h"
#include "worker/process_memory.h"
#include "worker/task_runner.h"

namespace weft {

namespace {

int64_t PauseBytes(const WorkerOptions& options) {
  if (options.memory_limit <= 0 || options.pause_fraction <= 0) return 0;
  return std::max<int64_t>(
      1, static_cast<int64_t>(static_cast<double>(options.memory_limit) * options.pause_fraction));
}

}  // namespace

Worker::Worker(const WorkerOptions& options, const FunctionRegistry& registry, DataStore& store)
    : options_(options),
      channels_(options.channels != nullptr ? options.channels : std::make_shared<ChannelCache>()),
      registry_(registry),
      store_(store),
      state_(options.address, options.nthreads, /*max_keys_per_fetch=*/64, PauseBytes(options),
             /*fetch_budget_bytes=*/std::max<int64_t>(0, options.memory_limit) / 4),
      pause_watch_(options.stuck_pause_timeout),
      fetcher_(std::make_unique<ThreadPool>(std::max(1, options.fetch_threads))),
      executor_(std::make_unique<ThreadPool>(options.nthreads)) {
  // Without a limit the monitor still hands freed memory back when the worker goes idle.
  if (PauseBytes(options) > 0 || !options.memory_reader) {
    monitor_ = std::thread([this] { MonitorMemory(); });
  }
}

Worker::~Worker() { Shutdown(); }

void Worker::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    send_ = nullptr;
    for (auto& [key, flag] : cancel_flags_) flag->store(true);
  }
  if (monitor_.joinable()) monitor_.join();
  executor_.reset();
  fetcher_.reset();
}

void Worker::SetSender(SendFn send) {
  absl::MutexLock lock(&mu_);
  send_ = std::move(send);
  if (send_ && state_.paused()) SendStatusLocked(ReadMemory());  // a new session must know
}

void Worker::SendStatusLocked(int64_t process_bytes) {
  if (!send_) return;
  proto::WorkerEvent event;
  proto::WorkerStatusChange* change = event.mutable_status_change();
  change->set_paused(state_.paused());
  change->set_process_bytes(process_bytes);
  change->set_stuck(stuck_);
  send_(event);
}

int64_t Worker::ReadMemory() const {
  return options_.memory_reader ? options_.memory_reader() : ProcessRssBytes();
}

void Worker::ReleaseMemory() const {
  if (options_.release_memory) {
    options_.release_memory();
  } else if (!options_.memory_reader) {
    ReleaseFreeMemory();
  }
}

void Worker::CheckMemoryAfterWork() {
  constexpr int64_t kRssRereadAfterNs = 1'000'000;        // 1 ms
  constexpr int64_t kRssRereadGrowth = int64_t{4} << 20;  // 4 MiB
  if (!options_.memory_reader &&
      absl::GetCurrentTimeNanos() - memory_read_at_ns_.load(std::memory_order_relaxed) <
          kRssRereadAfterNs &&
      store_.memory_bytes() - memory_read_store_bytes_.load(std::memory_order_relaxed) <
          kRssRereadGrowth) {
    return;
  }
  CheckMemory();
}

void Worker::CheckMemory() {
  const int64_t pause_bytes = PauseBytes(options_);
  if (pause_bytes == 0) return;
  memory_read_at_ns_.store(absl::GetCurrentTimeNanos(), std::memory_order_relaxed);
  memory_read_store_bytes_.store(store_.memory_bytes(), std::memory_order_relaxed);
  int64_t bytes = ReadMemory();
  if (bytes >= pause_bytes) {  // over, unless much of it is memory we freed and still hold
    ReleaseMemory();
    bytes = ReadMemory();
  }
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  const bool was_paused = state_.paused();
  Apply(state_.HandleMemoryReading(bytes));
  if (state_.paused() != was_paused) {
    stuck_.clear();  // a new spell; the status change just sent has no `stuck`
    WEFT_LOG_INFO("{} at {} of memory (pause at {}; {} in the store, {} spilled)",
                  state_.paused() ? "paused" : "resumed", FormatBytes(bytes),
                  FormatBytes(pause_bytes), FormatBytes(store_.memory_bytes()),
                  FormatBytes(store_.spilled_bytes()));
  }
}

void Worker::MonitorMemory() {
  uint64_t last_activity = 0;
  uint64_t released_at = 0;  // activity_ when freed memory was last handed back idle
  absl::Time idle_since = absl::Now();
  while (true) {
    bool paused, running;
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&shut_down_), options_.memory_monitor_interval)) {
        return;
      }
      paused = state_.paused();
      running = state_.executing() > 0;
    }
    const uint64_t activity = activity_.load();
    if (paused) {
      // As dask's worker: spill the oldest value each tick (the process may be above the
      // pause threshold with the store under its spill target), and hand freed memory back.
      store_.SpillOldest();
      ReleaseMemory();
    } else if (running || activity != last_activity) {
      idle_since = absl::Now();
    } else if (activity != released_at && absl::Now() - idle_since >= options_.idle_release_delay) {
      // Idle for a while (nothing running, finished or freed) after some work: what it
      // freed goes back, so that an idle worker holds what its data needs.
      ReleaseMemory();
      released_at = activity;
    }
    last_activity = activity;
    CheckMemory();
    WatchPause();
  }
}

void Worker::WatchPause() {
  bool paused, running;
  {
    absl::MutexLock lock(&mu_);
    paused = state_.paused();
    running = state_.executing() > 0;
  }
  const bool was_stuck = pause_watch_.stuck();
  const bool can_shed = running || store_.can_spill();
  if (pause_watch_.Observe(paused, can_shed, absl::Now())) {
    const int64_t bytes = ReadMemory();
    const int64_t in_memory = store_.memory_bytes();
    // Data in memory that cannot go to disk (a spill that failed: a full or missing local
    // directory; or a worker that does not spill), or memory no data accounts for.
    std::string held;
    if (in_memory > 0) {
      const absl::Status spill_error = store_.last_spill_error();
      held = absl::StrCat("with no task running and ", FormatBytes(in_memory),
                          " of data in memory that cannot be spilled (",
                          spill_error.ok()
                              ? "this worker does not spill: no --local-directory or memory target"
                              : absl::StrCat("spilling failed: ", spill_error.message()),
                          ")");
    } else {
      held = absl::StrCat("with no task running and no data in memory (", store_.size(),
                          " keys held, all on disk): the process holds memory that none of "
                          "its data accounts for");
    }
    const std::string why = absl::StrCat(
        "paused for ", absl::FormatDuration(options_.stuck_pause_timeout), " at ",
        FormatBytes(bytes), " of memory (pause at ", FormatBytes(PauseBytes(options_)), ", limit ",
        FormatBytes(options_.memory_limit), ") ", held, "; ",
        options_.on_stuck ? "restarting: its nanny starts a fresh worker"
                          : "it stays paused: it has no nanny to restart it (--no-nanny)");
    WEFT_LOG_WARN("{}", why);
    {
      absl::MutexLock lock(&mu_);
      if (shut_down_) return;
      stuck_ = why;
      SendStatusLocked(bytes);
    }
    if (options_.on_stuck) options_.on_stuck(why);
  } else if (was_stuck && !pause_watch_.stuck()) {
    absl::MutexLock lock(&mu_);
    if (!stuck_.empty() && state_.paused()) {  // paused still, but it can shed memory again
      stuck_.clear();
      SendStatusLocked(ReadMemory());
    }
  }
}

bool Worker::paused() const {
  absl::MutexLock lock(&mu_);
  return state_.paused();
}

void Worker::Send(const proto::WorkerEvent& event) {
  absl::MutexLock lock(&mu_);
  if (send_) send_(event);
}

void Worker::HandleInstruction(const proto::WorkerInstruction& instruction) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  switch (instruction.kind_case()) {
    case proto::WorkerInstruction::kCompute:
      Apply(state_.HandleCompute(instruction.compute()));
      break;
    case proto::WorkerInstruction::kFreeKeys: {
      const auto& keys = instruction.free_keys().keys();
      Apply(state_.HandleFreeKeys(std::vector<std::string>(keys.begin(), keys.end())));
      std::vector<std::pair<std::string, int64_t>> items;
      for (const proto::KeySlice& item : instruction.free_keys().items()) {
        items.emplace_back(item.key(), item.index());
      }
      if (!items.empty()) Apply(state_.HandleFreeItems(items));
      break;
    }
    case proto::WorkerInstruction::kSteal:
      Apply(state_.HandleSteal(instruction.steal().key()));
      break;
    case proto::WorkerInstruction::kAcquireReplicas:
      Apply(state_.HandleAcquire(instruction.acquire_replicas()));
      break;
    case proto::WorkerInstruction::kPutAccepted: {
      const auto& keys = instruction.put_accepted().keys();
      Apply(state_.HandlePutAccepted(std::vector<std::string>(keys.begin(), keys.end())));
      break;
    }
    case proto::WorkerInstruction::kWelcome:     // handled by the session
    case proto::WorkerInstruction::kLoadPlugin:  // cluster commands: WorkerControl's
    case proto::WorkerInstruction::kRunFunction:
    case proto::WorkerInstruction::kClose:
    case proto::WorkerInstruction::kStartStage:  // pipeline stages: the StageHost's
    case proto::WorkerInstruction::kStopStage:
    case proto::WorkerInstruction::kReplayBatches:
    case proto::WorkerInstruction::KIND_NOT_SET:
      break;
  }
}

void Worker::HandleDataPut(const std::string& key, int64_t nbytes, const std::string& type_name) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  Apply(state_.HandleDataPut(key, nbytes, type_name));
}

void Worker::OnSessionLost() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  Apply(state_.HandleSessionLost());
}

// Every instruction is a quick hand-off, so all of them run under mu_, in the order the
// state machine gave them (a Release must not overtake an earlier decision).
void Worker::Apply(Instructions instructions) {
  for (Instruction& instruction : instructions) {
    std::visit(
        [this](auto& i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          using T = std::decay_t<decltype(i)>;
          if constexpr (std::is_same_v<T, FetchInstruction>) {
            fetcher_->Schedule([this, fetch = std::move(i)] { Fetch(fetch); });
          } else if constexpr (std::is_same_v<T, ExecuteInstruction>) {
            auto flag = std::make_shared<std::atomic<bool>>(false);
            cancel_flags_[i.spec->key()] = flag;
            executor_->Schedule([this, spec = std::move(i.spec), flag] { Execute(spec, flag); });
          } else if constexpr (std::is_same_v<T, CancelInstruction>) {
            auto it = cancel_flags_.find(i.key);
            if (it != cancel_flags_.end()) it->second->store(true);
          } else if constexpr (std::is_same_v<T, ReleaseInstruction>) {
            if (i.items.empty()) {
              store_.Erase(i.key);
            } else {
              store_.DropItems(i.key, i.items);
            }
            activity_.fetch_add(1);
          } else if constexpr (std::is_same_v<T, SendInstruction>) {
            if (send_) send_(i.event);
          }
        },
        instruction);
  }
}

void Worker::Execute(std::shared_ptr<const proto::TaskSpec> spec,
                     std::shared_ptr<std::atomic<bool>> cancel_flag) {
  ExecuteOutcome outcome = RunTask(spec, registry_, store_, cancel_flag, options_.io);
  if (!outcome.ok) WEFT_LOG_DEBUG("task {} failed: {}", outcome.key, outcome.error);
  activity_.fetch_add(1);
  CheckMemoryAfterWork();  // a new result: pause before starting the next task if need be
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;  // the pools are being joined: start nothing new
  auto it = cancel_flags_.find(outcome.key);
  if (it != cancel_flags_.end() && it->second == cancel_flag) cancel_flags_.erase(it);
  Apply(state_.HandleExecuteDone(outcome));
}

void Worker::Fetch(const FetchInstruction& fetch) {
  FetchOutcome outcome;
  outcome.address = fetch.address;
  std::vector<std::string> missing;
  absl::StatusOr<KeyValues> values = FetchValues(*channels_->Get(fetch.address), fetch.keys,
                                                 absl::Now() + options_.fetch_timeout, &missing);
  if (!values.ok()) {
    WEFT_LOG_WARN("fetching {} keys from {} failed: {}", fetch.keys.size(), fetch.address,
                  values.status().ToString());
    outcome.failed = fetch.keys;
    absl::Status error = ClassifyFetchError(values.status(), fetch.address);
    outcome.permanent = absl::IsFailedPrecondition(error);
    outcome.error = outcome.permanent
                        ? std::string(error.message())
                        : absl::StrCat("GetData from ", fetch.address, ": ", error.ToString());
  } else {
    absl::flat_hash_map<std::string, bool> received;
    for (auto& [key, value] : *values) {
      std::string type_name = value.kind_name();
      int64_t nbytes = store_.Put(key, std::move(value));
      bytes_fetched_.fetch_add(nbytes, std::memory_order_relaxed);
      outcome.received.push_back(FetchedKey{key, nbytes, std::move(type_name)});
      received[key] = true;
    }
    for (const std::string& key : fetch.keys) {
      if (!received.contains(key)) outcome.failed.push_back(key);
    }
    outcome.error = absl::StrCat(fetch.address, " does not hold it");
  }
  activity_.fetch_add(1);
  CheckMemoryAfterWork();
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  Apply(state_.HandleFetchDone(outcome));
}

std::vector<proto::KeyLocation> Worker::HeldKeys() const {
  absl::MutexLock lock(&mu_);
  return state_.HeldKeys();
}

proto::Heartbeat Worker::Metrics() const {
  proto::Heartbeat heartbeat;
  heartbeat.set_memory_bytes(store_.memory_bytes());
  heartbeat.set_spilled_bytes(store_.spilled_bytes());
  heartbeat.set_peak_held_bytes(store_.peak_held_bytes());
  heartbeat.set_stored_keys(store_.size());
  heartbeat.set_bytes_fetched(bytes_fetched_.load(std::memory_order_relaxed));
  heartbeat.set_process_bytes(ReadMemory());
  absl::MutexLock lock(&mu_);
  heartbeat.set_stuck(stuck_);
  heartbeat.set_executing(state_.executing());
  heartbeat.set_ready(state_.ready());
  heartbeat.set_paused(state_.paused());
  heartbeat.set_illegal_transitions(state_.illegal_transitions());
  return heartbeat;
}

absl::Status Worker::TEST_ForceTransition(const std::string& key, TaskState to) {
  absl::MutexLock lock(&mu_);
  return state_.TEST_ForceTransition(key, to);
}

TaskState Worker::state(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  return state_.state(key);
}

std::vector<StoryEntry> Worker::Story(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  return state_.Story(key);
}

}  // namespace weft
