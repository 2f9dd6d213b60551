// Worker: carries out what WorkerState decides — the effect layer of a weft worker.
//
// Instructions from the scheduler (ComputeTask, FreeKeys) and outcomes of its own work
// (a fetch or an execution finished) go through one mutex into the WorkerState; the
// instructions it returns are carried out under the same mutex, in order, and are all
// quick: queue an execution on the executor pool (`nthreads` threads), queue a fetch on
// the fetch pool, set a running task's cancel flag, erase a key from the DataStore, or
// hand a TaskFinished/TaskFailed to the sender (the scheduler session's BatchedWriter).
// Executions and fetches run on their pools without the mutex.
//
// Memory: a monitor thread reads the process's memory (RSS from /proc/self/statm, or
// WorkerOptions::memory_reader) every `memory_monitor_interval`, and again after each
// task and fetch, and feeds it to WorkerState, which pauses the worker at
// `pause_fraction` × `memory_limit` (WorkerStatusChange sent at once) and resumes it
// below; a paused worker starts no task and fetches nothing. A reading at or above the
// threshold is believed only after the memory the process freed was handed back to the
// system (`release_memory`, worker/process_memory.h), so the worker pauses for memory it
// holds. While paused, the monitor spills the oldest value in memory and hands freed
// memory back at each tick (the rest of spilling is the DataStore's own business,
// data_store.h); freed memory is also handed back once the worker has been idle for
// `idle_release_delay` (no task running and nothing finished or freed). A worker paused for
// `stuck_pause_timeout` with no task running and no data in memory it can spill is stuck
// (worker/pause_watch.h): it says so, naming a failed spill's error if that is why, in its
// log and to the scheduler (WorkerStatusChange.stuck, Heartbeat.stuck), and calls
// `on_stuck` (weft-worker under a nanny: exit for a fresh process). The fetch pool has
// `fetch_threads` threads: at most that many GetData transfers come in at once
// (--transfer-concurrency).
//
// Lifecycle: construct, SetSender when a session is up (null while disconnected: events
// are dropped and the next session's RegisterWorker lists what is held), Shutdown (or
// the destructor) cancels running tasks and joins the pools.
//
// Threading: every public method is thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/channel_cache.h"
#include "common/io/io.h"
#include "proto/weft.pb.h"
#include "worker/data_store.h"
#include "worker/function_registry.h"
#include "worker/pause_watch.h"
#include "worker/thread_pool.h"
#include "worker/worker_state.h"

namespace weft {

struct WorkerOptions {
  std::string address;  // this worker's advertised Worker-service address
  int nthreads = 1;
  int fetch_threads = 4;  // concurrent GetData requests to peers (--transfer-concurrency)
  absl::Duration fetch_timeout = absl::Minutes(10);
  int64_t memory_limit = 0;     // bytes; 0: never pause
  double pause_fraction = 0.8;  // of memory_limit; 0: never pause
  // Bytes of memory in use; null: the process's resident set size.
  std::function<int64_t()> memory_reader;
  // Hands memory the process freed back to the system; null: ReleaseFreeMemory(), or
  // nothing when memory_reader is set.
  std::function<void()> release_memory;
  absl::Duration memory_monitor_interval = absl::Milliseconds(100);
  // Idle this long (nothing running, finished or freed), the worker hands freed memory
  // back. Not at once: an interactive session's next query would fault the same memory in
  // again, and on this kind of machine a page fault is dear (filter + count over the 20
  // hours: 376-419 ms half a second after the last query, 515-548 ms after a release).
  absl::Duration idle_release_delay = absl::Seconds(5);
  // Paused this long with no task running and no data in memory it can spill: stuck.
  absl::Duration stuck_pause_timeout = absl::Seconds(30);
  // Called once per stuck spell, on the monitor thread, with the log's message; null when
  // nobody can restart this worker (the message then says it stays paused).
  std::function<void(const std::string& why)> on_stuck;
  // How tasks reach remote files (TaskContext::io_options): weft-worker's I/O flags over
  // the AWS_* environment (common/io/io_flags.h), shared with the worker's pipeline stages
  // and cluster commands. Null: each task reads the environment.
  std::shared_ptr<const io::IoOptions> io;
  // The channels to peers (fetches), made with the worker's credentials and shared with its
  // pipeline stages. Null: an insecure cache of the worker's own.
  std::shared_ptr<ChannelCache> channels;
};

class Worker {
 public:
  using SendFn = std::function<void(const proto::WorkerEvent&)>;

  // `registry` and `store` must outlive the Worker.
  Worker(const WorkerOptions& options, const FunctionRegistry& registry, DataStore& store);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  // Where TaskFinished/TaskFailed/WorkerStatusChange go; null drops them. A new sender
  // of a paused worker is told at once that it is paused (and whether it is stuck).
  void SetSender(SendFn send);

  void HandleInstruction(const proto::WorkerInstruction& instruction);
  // A client put `key` (nbytes, of kind type_name) into the DataStore with PutData; the
  // scheduler will hear of it from that client (WorkerState::HandleDataPut).
  void HandleDataPut(const std::string& key, int64_t nbytes, const std::string& type_name);
  // Sends `event` through the current sender (dropped while there is none): for the
  // answers of WorkerControl, which shares this session.
  void Send(const proto::WorkerEvent& event);
  // The scheduler session broke: forget work in progress, keep reported results.
  void OnSessionLost();

  std::vector<proto::KeyLocation> HeldKeys() const;
  proto::Heartbeat Metrics() const;
  TaskState state(const std::string& key) const;
  std::vector<StoryEntry> Story(const std::string& key) const;
  bool paused() const;
  // Reads the memory now and pauses or resumes accordingly (the monitor thread does this
  // every interval; tests call it after changing what their memory_reader returns).
  void CheckMemory();

  // Cancels running tasks and waits for the pools to stop. Idempotent.
  void Shutdown();

  // WorkerState::TEST_ForceTransition under the mutex: lets a test make the state machine
  // refuse a transition, to check that the count reaches the heartbeat.
  absl::Status TEST_ForceTransition(const std::string& key, TaskState to);

 private:
  void Apply(Instructions instructions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Execute(std::shared_ptr<const proto::TaskSpec> spec,
               std::shared_ptr<std::atomic<bool>> cancel_flag);
  void Fetch(const FetchInstruction& fetch);
  // CheckMemory after a task or a fetch, unless the process's RSS was read less than
  // kRssRereadAfter ago and the store has grown by less than kRssRereadGrowth since
  // (reading /proc costs a few µs, as much as a trivial task; memory cannot grow by much
  // in that time). A memory_reader given in the options (tests) is asked every time.
  void CheckMemoryAfterWork();
  void MonitorMemory();
  int64_t ReadMemory() const;
  void ReleaseMemory() const;
  // The monitor's look for a stuck pause (PauseWatch), and what follows from it.
  void WatchPause();
  void SendStatusLocked(int64_t process_bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const WorkerOptions options_;
  // options_.channels, or the worker's own.
  const std::shared_ptr<ChannelCache> channels_;
  const FunctionRegistry& registry_;
  DataStore& store_;

  mutable absl::Mutex mu_;
  WorkerState state_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<std::atomic<bool>>> cancel_flags_
      ABSL_GUARDED_BY(mu_);
  SendFn send_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::string stuck_ ABSL_GUARDED_BY(mu_);  // WorkerStatusChange.stuck; empty: not stuck
  PauseWatch pause_watch_;                  // the monitor thread's
  // Tasks and fetches finished and keys freed, for the monitor's idea of idle.
  std::atomic<uint64_t> activity_{0};
  // When CheckMemory last read the memory (absl::GetCurrentTimeNanos) and the store's
  // memory_bytes() then.
  std::atomic<int64_t> memory_read_at_ns_{0};
  std::atomic<int64_t> memory_read_store_bytes_{0};
  // Sum of Value::nbytes() of the values fetched from peers (Heartbeat.bytes_fetched).
  std::atomic<int64_t> bytes_fetched_{0};

  // Declared last: destroyed (joined) first, while everything they use still exists.
  std::unique_ptr<ThreadPool> fetcher_;
  std::unique_ptr<ThreadPool> executor_;
  std::thread monitor_;  // MonitorMemory until shut_down_; joined by Shutdown
};

}  // namespace weft
