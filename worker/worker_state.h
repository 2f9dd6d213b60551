// WorkerState: the per-task state machine of a worker, as dask's worker_state_machine.
//
// Pure: no threads, no sockets, no clock. Events come in (the scheduler asks to compute
// or free keys, a fetch or an execution finished, the session was lost) and each handler
// returns the Instructions the caller must carry out: fetch keys from a peer, execute a
// task, cancel a running task, drop a key from the DataStore, send an event to the
// scheduler. The Worker (worker.h) is the thin layer that performs them and feeds the
// outcomes back.
//
// Keys and their states (one table of legal (from, to) transitions, each with its handler:
// LookupTransition() in the .cc):
//   compute tasks   released → waiting → ready → executing → memory | erred
//                   (waiting while some dependency is not in memory here)
//   dependencies    released → fetch → flight → memory      (copies fetched from peers)
//                   flight → fetch (that holder failed: try the next one)
//   any             → released (freed, cancelled, lost; the record is forgotten)
// Slices: a task that reads a dependency only through KeySlice args (the shuffle's unpack
// tasks) depends on the slice keys (common/key.h SliceKey) instead, fetched like any key
// from the dependency's holders, unless the dependency is computed or held here (then the
// task waits for it and reads the item locally). A lost slice is reported to the scheduler
// as its dependency's key, which the scheduler then recomputes.
// A key the scheduler asked us to compute that we also happen to be fetching keeps being
// fetched: whichever way it reaches memory, it is reported as finished.
// FreeKeys.items (HandleFreeItems) drop items of a list result held here, which stays in
// memory: the DataStore then reports those items, and the whole list, as not held.
// Fetched copies the scheduler does not know about are dropped as soon as no local task
// needs them; computed results stay until FreeKeys. Copies the scheduler asks for
// (AcquireReplicas: a retiring worker's results moving here) are fetched the same way,
// answered with ReplicaAdded (or its error once no holder can provide them) and kept, as
// known to the scheduler, until FreeKeys.
//
// Puts: a client's value stored here with PutData (Client::scatter) enters memory as
// known to the scheduler (released/fetch/flight → memory, or more puts of a key in
// memory), pinned until the scheduler answers with PutAccepted: FreeKeys for a pinned
// key are ignored, being older than the scheduler's knowledge of the put (see
// proto PutAccepted). A lost session unpins everything (the new session's RegisterWorker
// lists the keys; the scheduler keeps or frees them).
//
// Pause: each memory reading (HandleMemoryReading) is compared with `pause_bytes`; at or
// above it the worker is paused — no task starts and no fetch is sent (running tasks and
// fetches in flight finish), as dask's worker — and the scheduler is told at once with a
// WorkerStatusChange; below it the worker resumes, says so, sends the fetches that waited
// and fills its executors again.
//
// Fetch requests: keys go out in the order of the local tasks that need them (priority,
// then arrival), one GetData request per holder for each task's inputs, except that small
// keys (below kSmallFetchBytes) of several tasks share a request (up to
// `max_keys_per_fetch`). A request's keys arrive together, so the first task's inputs
// never wait for later tasks' (a shuffle's unpack starts once its own buckets are here).
//
// Fetch budget (`fetch_budget_bytes` > 0, a quarter of the memory limit in the worker): a
// task waiting for inputs from peers is first queued by priority, and admitted — its
// missing inputs requested — only while the bytes already fetched and held for local tasks
// (until those tasks finish), plus an estimate of what admitted tasks still wait for (the
// holders' sizes from who_has, at most half the budget per task), stay within the budget.
// Whenever nothing is in flight, executing or ready while tasks are held back, the first of
// them is admitted however large, so that work always moves. Without it a worker handed
// many tasks at once (a shuffle's unpacks) fetched every input of all of them, and pushed
// them to disk only to read them back. Keys fetched as replicas (AcquireReplicas) are not
// held back.
//
// When no holder can provide a dependency, every task waiting for it is reported with
// TaskFailed.missing_dependencies and forgotten (the scheduler recomputes the lost key),
// unless a holder failed permanently (FetchOutcome.permanent): recomputing the key would
// not help (it may land on that holder again, and the fetch fail again, forever), so each
// of those tasks fails with that error as its own, and is forgotten.
// Each transition is recorded; Story(key) replays a key's history for tests and logs.
// An illegal transition is a bug: it is logged, counted (illegal_transitions()) and
// refused (the task keeps its state), never applied and never an abort. Validate()
// checks every invariant the transitions keep; tests call it after each event.
//
// Threading: not thread-safe; the owner serializes calls (Worker holds a mutex).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "proto/weft.pb.h"

namespace weft {

// Fetch requests: keys for several tasks share one only while it holds less than this.
inline constexpr int64_t kSmallFetchBytes = int64_t{1} << 20;

enum class TaskState { kReleased, kWaiting, kReady, kExecuting, kMemory, kErred, kFetch, kFlight };
const char* TaskStateName(TaskState state);

// --- Instructions (what the caller must do).
struct FetchInstruction {  // GetData `keys` from the worker at `address`
  std::string address;
  std::vector<std::string> keys;
};
struct ExecuteInstruction {  // run the task on an executor thread
  std::shared_ptr<const proto::TaskSpec> spec;
};
struct CancelInstruction {  // the running task's result is no longer wanted
  std::string key;
};
struct ReleaseInstruction {  // drop `key` from the DataStore, or only these items of it
  std::string key;
  std::vector<int64_t> items;  // empty: the whole key
};
struct SendInstruction {  // send to the scheduler (TaskFinished / TaskFailed)
  proto::WorkerEvent event;
};
using Instruction = std::variant<FetchInstruction, ExecuteInstruction, CancelInstruction,
                                 ReleaseInstruction, SendInstruction>;
using Instructions = std::vector<Instruction>;

// --- Outcomes fed back by the caller.
struct FetchedKey {
  std::string key;
  int64_t nbytes = 0;
  std::string type_name;
};
struct FetchOutcome {
  std::string address;
  std::vector<FetchedKey> received;  // now in the DataStore
  std::vector<std::string> failed;   // not obtained from this holder
  std::string error;                 // why, for messages
  // No retry can obtain them from this holder as things are (common/data_client.h
  // ClassifyFetchError: its TLS certificate is refused): not a lost result either.
  bool permanent = false;
};
struct ExecuteOutcome {
  std::string key;
  bool ok = false;  // ok: the result is in the DataStore
  int64_t nbytes = 0;
  std::string type_name;
  double duration_seconds = 0;
  std::string error;  // when !ok: the function's error, starting with "name("
  std::vector<std::string> missing_dependencies;  // inputs that were not in the store
};

struct StoryEntry {
  std::string key;
  TaskState from;
  TaskState to;
  std::string reason;
};

class WorkerState {
 public:
  // `self_address`: this worker's address (never fetched from); `nthreads`: executor
  // slots; `max_keys_per_fetch`: keys per GetData request; `pause_bytes`: the memory
  // reading at which the worker pauses (0: never); `fetch_budget_bytes`: see "Fetch
  // budget" above (0: fetch every missing input at once).
  WorkerState(std::string self_address, int nthreads, int max_keys_per_fetch = 64,
              int64_t pause_bytes = 0, int64_t fetch_budget_bytes = 0);

  // The scheduler asks to compute a task; fetches missing inputs from who_has.
  Instructions HandleCompute(const proto::ComputeTask& compute);
  // The scheduler no longer needs these keys (cancelled, released).
  Instructions HandleFreeKeys(const std::vector<std::string>& keys);
  // The scheduler no longer needs these items of list results held here (FreeKeys.items:
  // a shuffle split's buckets whose readers are done). The keys stay in memory.
  Instructions HandleFreeItems(const std::vector<std::pair<std::string, int64_t>>& items);
  // Fetch these results and keep them as replicas the scheduler knows of; each key is
  // answered with a ReplicaAdded event (at once when it is in memory here already).
  Instructions HandleAcquire(const proto::AcquireReplicas& acquire);
  // A client put `key` into the DataStore (PutData): see "Puts" above. A key being
  // computed here (the same key as a task's, by hand) is left to its run.
  Instructions HandleDataPut(const std::string& key, int64_t nbytes, const std::string& type_name);
  // The scheduler took these puts into account (PutAccepted): one pin off each.
  Instructions HandlePutAccepted(const std::vector<std::string>& keys);
  // Work stealing: give `key` back if it has not started; always answers with a
  // StealResponse (stolen = the scheduler may run it elsewhere; a key unknown here
  // counts as stolen, one running or done does not).
  Instructions HandleSteal(const std::string& key);
  Instructions HandleFetchDone(const FetchOutcome& outcome);
  Instructions HandleExecuteDone(const ExecuteOutcome& outcome);
  // The scheduler session broke: forget all work in progress (a new session starts from
  // what is in memory); results of running tasks will be discarded.
  Instructions HandleSessionLost();
  // A reading of the worker's memory use (process RSS, or what the caller measures).
  Instructions HandleMemoryReading(int64_t bytes);

  // Keys in memory that the scheduler knows we hold (for RegisterWorker.held_keys).
  std::vector<proto::KeyLocation> HeldKeys() const;

  TaskState state(const std::string& key) const;
  int executing() const { return executing_; }
  bool paused() const { return paused_; }
  int ready() const { return static_cast<int>(ready_queue_.size()); }
  // Bytes fetched from peers and held for local tasks that have not finished.
  int64_t fetched_held_bytes() const { return fetched_held_bytes_; }
  // Waiting tasks whose inputs are not requested yet (the fetch budget holds them back).
  int held_back() const { return static_cast<int>(unadmitted_.size()); }
  int64_t tracked_keys() const { return static_cast<int64_t>(tasks_.size()); }
  std::vector<StoryEntry> Story(const std::string& key) const;
  // Illegal transitions refused so far (each one a bug, logged when it happened).
  int64_t illegal_transitions() const { return illegal_transitions_; }
  // Checks the invariants the transitions keep (the ready queue, the keys to fetch and
  // the executing count agree with the tasks' states; each state's fields are set).
  // O(all tasks); for tests. Internal status naming the task on the first violation.
  absl::Status Validate() const;
  // Applies one transition by hand, through the table, so that a test can check that an
  // illegal one is refused and reported.
  absl::Status TEST_ForceTransition(const std::string& key, TaskState to);

 private:
  struct Task {
    std::string key;
    TaskState state = TaskState::kReleased;
    // Set when the scheduler asked us to compute this key.
    std::shared_ptr<const proto::TaskSpec> spec;
    // The keys this task reads here: its dependencies, except that a dependency read only
    // through KeySlice args is replaced by those slices' keys (SliceKey), which are
    // fetched instead of the whole value unless that value is here anyway.
    std::vector<std::string> inputs;
    int64_t priority = 0;
    uint64_t sequence = 0;                         // arrival order: FIFO among equal priorities
    absl::flat_hash_set<std::string> waiting_for;  // inputs not in memory yet
    absl::flat_hash_set<std::string> dependents;   // local tasks that need this key
    std::deque<std::string> holders;               // peers to fetch from, next first
    std::vector<std::string> tried;                // peers that failed
    std::string last_fetch_error;
    std::string permanent_fetch_error;  // from a holder that can never provide it
    bool reported = false;              // the scheduler knows this key is in our memory
    bool replica = false;               // fetching because the scheduler asked (AcquireReplicas)
    bool cancelled = false;             // executing, but freed: discard the result
    bool rerun = false;                 // cancelled, then asked for again: run once more
    int pins = 0;                       // puts the scheduler has not accepted yet
    int64_t nbytes = 0;
    std::string type_name;
    // Fetch budget. A task computed here: its inputs' sizes from who_has (those to fetch),
    // and whether its fetches may go out (it counts AdmissionCost() against the budget
    // meanwhile). A fetched key: its bytes, counted while local tasks still need it.
    int64_t fetch_estimate = 0;
    bool admitted = false;
    int64_t held_bytes = 0;
    // A key to fetch: its size from who_has (a slice: its whole value's, an upper bound).
    int64_t size_estimate = 0;
  };
  using ReadyEntry = std::tuple<int64_t, uint64_t, std::string>;

  Task& Ensure(const std::string& key);
  // Applies one transition (its handler, then the state) and records it in the story; an
  // illegal pair is logged, counted and returned as an Internal status, changing nothing.
  absl::Status Transition(Task& task, TaskState to, const std::string& reason);
  using TransitionFn = void (WorkerState::*)(Task&);
  // The handler of the legal pair (from, to); null when the pair is illegal.
  static TransitionFn LookupTransition(TaskState from, TaskState to);
  // Transition handlers (see the table in the .cc for when each fires).
  void Plain(Task& task);
  void EnterReady(Task& task);
  void ReadyToExecuting(Task& task);
  void ReadyToReleased(Task& task);
  void LeaveExecuting(Task& task);
  void ExecutingToReady(Task& task);
  void EnterFetch(Task& task);
  void LeaveFetch(Task& task);
  void EnterWaiting(Task& task);
  void LeaveWaiting(Task& task);
  void WaitingToReady(Task& task);
  void FetchToFlight(Task& task);
  void LeaveFlight(Task& task);
  void FlightToFetch(Task& task);
  absl::Status ValidateTask(const Task& task) const;
  void Forget(const std::string& key, const std::string& reason, Instructions* out);

  // Adds the peers in `holders` not known for `task` yet (tried or queued).
  static void AddHolders(Task& task, const std::vector<std::string>& holders);
  // ReplicaAdded for `key`: held (nbytes), or `error`.
  static SendInstruction ReplicaAnswer(const std::string& key, int64_t nbytes,
                                       const std::string& error);
  void AddDependency(Task& task, const std::string& dep, const std::vector<std::string>& holders,
                     std::vector<std::string>* missing);
  void StartCompute(Task& task, const proto::ComputeTask& compute, Instructions* out);
  void MakeReadyOrWait(Task& task);
  void PushReady(Task& task);
  void RemoveFromReady(const Task& task);
  void OnMemory(Task& task, int64_t nbytes, const std::string& type_name, double duration,
                Instructions* out);
  void OnDependencyLost(const std::string& key, Instructions* out);
  void FailDependents(const std::string& key, const std::string& why, Instructions* out,
                      bool recompute = true);
  Task* Find(const std::string& key);
  void FailMissing(const std::string& key, const std::vector<std::string>& inputs,
                   const std::string& why, Instructions* out, bool recompute = true);
  void ReleaseInputs(const Task& task, Instructions* out);
  void DropIfUnneeded(const std::string& key, Instructions* out);
  // What an admitted task counts against the fetch budget while it waits: its estimate,
  // at most half the budget (0 without a budget).
  int64_t AdmissionCost(const Task& task) const;
  // Admits waiting tasks in priority order while the fetch budget allows (`force_one`:
  // the first one, whatever the budget).
  void AdmitTasks(bool force_one);
  // Whether the fetch of `input` may be requested now: a replica, or needed by an
  // admitted (or no longer waiting) local task.
  bool FetchWanted(const Task& input) const;
  // Stops counting `task`'s bytes as held for local tasks.
  void UncountHeld(Task& task);
  void IssueFetches(Instructions* out);
  void FillExecutors(Instructions* out);

  // Constant after construction.
  const std::string self_address_;
  const int nthreads_;
  const int max_keys_per_fetch_;
  const int64_t pause_bytes_;
  const int64_t fetch_budget_;

  // std::unordered_map: handlers hold Task& across insertions, which must stay valid.
  std::unordered_map<std::string, Task> tasks_;
  std::set<ReadyEntry> ready_queue_;
  absl::flat_hash_set<std::string> to_fetch_;  // keys in kFetch not yet requested
  std::set<ReadyEntry> unadmitted_;            // waiting tasks not admitted, by priority
  int64_t admitted_estimate_ = 0;              // their AdmissionCost(), summed
  int64_t fetched_held_bytes_ = 0;             // held_bytes, summed
  int in_flight_ = 0;                          // keys in kFlight
  int executing_ = 0;
  bool paused_ = false;
  uint64_t next_sequence_ = 0;
  int64_t illegal_transitions_ = 0;
  std::deque<StoryEntry> story_;  // the last kMaxStory transitions
};

}  // namespace weft
