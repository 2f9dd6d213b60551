#include "worker/worker.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "worker/data_client.h"
#include "worker/task_runner.h"

namespace weft {

namespace {

int64_t PauseBytes(const WorkerOptions& options) {
  if (options.memory_limit <= 0 || options.pause_fraction <= 0) return 0;
  return std::max<int64_t>(
      1, static_cast<int64_t>(static_cast<double>(options.memory_limit) * options.pause_fraction));
}

}  // namespace

int64_t ProcessRssBytes() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  long long size = 0, resident = 0;
  int fields = std::fscanf(statm, "%lld %lld", &size, &resident);
  std::fclose(statm);
  return fields == 2 ? static_cast<int64_t>(resident) * ::sysconf(_SC_PAGESIZE) : 0;
}

Worker::Worker(const WorkerOptions& options, const FunctionRegistry& registry, DataStore& store)
    : options_(options),
      registry_(registry),
      store_(store),
      state_(options.address, options.nthreads, /*max_keys_per_fetch=*/64, PauseBytes(options)),
      fetcher_(std::make_unique<ThreadPool>(std::max(1, options.fetch_threads))),
      executor_(std::make_unique<ThreadPool>(options.nthreads)) {
  if (PauseBytes(options) > 0) monitor_ = std::thread([this] { MonitorMemory(); });
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
  if (send_ && state_.paused()) {  // a new scheduler session must know at once
    proto::WorkerEvent event;
    event.mutable_status_change()->set_paused(true);
    send_(event);
  }
}

void Worker::CheckMemory() {
  if (PauseBytes(options_) == 0) return;
  const int64_t bytes = options_.memory_reader ? options_.memory_reader() : ProcessRssBytes();
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  const bool was_paused = state_.paused();
  Apply(state_.HandleMemoryReading(bytes));
  if (state_.paused() != was_paused) {
    WEFT_LOG_INFO("{} at {} bytes of memory (pause at {}; {} in the store, {} spilled)",
                  state_.paused() ? "paused" : "resumed", bytes, PauseBytes(options_),
                  store_.memory_bytes(), store_.spilled_bytes());
  }
}

void Worker::MonitorMemory() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&shut_down_), options_.memory_monitor_interval)) {
        return;
      }
    }
    // While paused, as dask's worker: spill the oldest value each tick (the process may
    // be above the pause threshold with the store under its spill target), and give
    // freed memory lingering in malloc's arenas back to the system.
    if (paused()) {
      store_.SpillOldest();
      if (!options_.memory_reader) ::malloc_trim(0);
    }
    CheckMemory();
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
            store_.Erase(i.key);
          } else if constexpr (std::is_same_v<T, SendInstruction>) {
            if (send_) send_(i.event);
          }
        },
        instruction);
  }
}

void Worker::Execute(std::shared_ptr<const proto::TaskSpec> spec,
                     std::shared_ptr<std::atomic<bool>> cancel_flag) {
  ExecuteOutcome outcome = RunTask(spec, registry_, store_, cancel_flag);
  if (!outcome.ok) WEFT_LOG_DEBUG("task {} failed: {}", outcome.key, outcome.error);
  CheckMemory();  // a new result: pause before starting the next task if need be
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
  absl::StatusOr<KeyValues> values = FetchValues(*ChannelTo(fetch.address), fetch.keys,
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
  CheckMemory();
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  Apply(state_.HandleFetchDone(outcome));
}

std::shared_ptr<grpc::Channel> Worker::ChannelTo(const std::string& address) {
  absl::MutexLock lock(&channels_mu_);
  auto& channel = channels_[address];
  if (channel == nullptr) channel = MakeWeftChannel(address);
  return channel;
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
  absl::MutexLock lock(&mu_);
  heartbeat.set_executing(state_.executing());
  heartbeat.set_ready(state_.ready());
  heartbeat.set_paused(state_.paused());
  return heartbeat;
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
