// SchedulerState: the scheduler's pure state machine, as dask.distributed's.
//
// It knows every task's state, where each result lives, which client wants which key and
// what each worker is running. Events go in as method calls (a worker joined, a task
// finished, a client submitted a graph, ...); what must be said to workers and clients
// comes out as instructions, drained with TakeInstructions(), which the gRPC layer only
// forwards. No sockets, no threads, no clock: the time is a parameter of the events that
// need it. Tests and simulations drive it directly.
//
// Task states and their legal moves are dask's (see TaskStatus and the one transition
// table in transitions.cc): released → waiting → processing → memory, plus no-worker,
// queued, erred and forgotten. An illegal transition is a bug: it is logged, counted
// (illegal_transitions()) and returned as an Internal status, never silently applied.
//
// Lifetime of a key (as dask): a task is kept while a client wants it or a task that is
// waiting or running needs its result. When neither holds, its result is freed on the
// workers (FreeKeys) and it becomes released; a released (or erred) task is forgotten —
// its record deleted — once no known task depends on it either. Released records that a
// finished dependent still points at stay (without data), so a lost result can be
// recomputed from them. Worker-side results arriving for a key that is not needed, or
// already in memory, are answered with FreeKeys. Items of a list result that tasks read
// apart (KeySlice args: a shuffle's buckets) are dropped on its holders once all their
// readers have results (FreeKeys.items; item_reads.cc).
//
// Scheduling policy (as dask.distributed's; options in SchedulerOptions):
//  - Durations are learnt per key prefix (TaskFinished.duration_seconds); a worker's
//    occupancy is the sum of the estimated durations of what it is processing.
//  - Placement (PlacementPolicy, default NewCostPlacement) weighs occupancy per thread
//    against the time to move the input bytes a worker does not hold.
//  - Root-task queuing: tasks without dependencies wait in `queued` and go out, in
//    priority order, to running workers with room (HasRoom), as workers free up. Tasks with inputs
//    go straight to a worker.
//  - Priorities: graphs first come first served; within a graph depth-first (ordering.h).
//  - Work stealing (Tick): tasks beyond the threads of a saturated worker are asked back
//    (StealRequest) for an idle one, when moving their inputs is cheap relative to their
//    duration. The task stays processing on the victim until StealResponse.
//  - Paused workers (WorkerStatusChange, Heartbeat.paused) get no new task.
//  - Restrictions (TaskSpec resources, workers, allow_other_workers; as dask's): a
//    restricted task runs only on a worker that matches it (names/addresses/hosts, and
//    at least the resources it asks for), and holds its resources there while it is
//    processing — given back when it finishes, errs, is stolen away, is released or its
//    worker leaves. Ready with no running worker that matches: no-worker, until one joins
//    or resumes. A matching worker is running but its resources are busy: queued (apart
//    from the root-task queue, which restricted tasks skip: their resources bound what a
//    worker gets), until a finish frees them; the scheduler sends a restricted task only
//    when it can start, so the worker never holds one back. Stealing moves a restricted
//    task only to a thief that matches it and has the resources free.
//  - Retries (TaskSpec.retries): a run that fails while retries are left goes back to
//    waiting and runs again (anywhere it may); the last failure is the one reported.
//  - User priorities (TaskSpec.priority, higher first) order ready tasks before the graph
//    order: they are folded into TaskState::priority (see ordering.cc).
//
// Cost: every event costs O(what it touches) — hash maps keyed by key, per-task and
// per-worker sets; nothing scans all tasks, except Validate() (for tests). Placement
// scans the workers once per task. Restricted tasks: deciding and placing one scans all
// workers; freed resources are offered to the waiting tasks in priority order, usually
// the first that fits takes them (worst case: all waiting restricted tasks).
//
// Threading: not thread-safe. One thread (the scheduler's event loop) owns it.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/weft.pb.h"
#include "scheduler/placement.h"
#include "scheduler/task_state.h"

namespace weft::scheduler {

struct SchedulerOptions {
  // A worker silent (no event at all) for longer than this is removed by CheckTimeouts.
  absl::Duration worker_timeout = absl::Seconds(60);
  // Told to workers in WorkerWelcome: how often they send a Heartbeat.
  absl::Duration heartbeat_interval = absl::Seconds(1);
  // A task is erred once this many workers died while running it (dask's
  // allowed-failures, KilledWorker). At least 1.
  int allowed_failures = 3;
  // At most this many transitions per task returned by Story().
  size_t story_length = 16;
  // Transitions kept in all, for Story() (dask's transition-log-length): one log for
  // all tasks, so a million tasks do not hold a million small vectors. 0: none.
  size_t transition_log_length = 100'000;

  // ---- Scheduling policy.
  // Bytes per second assumed between workers, to weigh moving inputs against waiting.
  double bandwidth = 100e6;
  // The estimated duration of a task whose key prefix has never been measured (dask's
  // distributed.scheduler.default-task-durations default).
  double unknown_task_duration_seconds = 0.5;
  // Estimated durations by key prefix, for prefixes not measured yet (dask's
  // distributed.scheduler.default-task-durations, which lists its shuffle's splits at
  // 1 us). A shuffle's splits are listed here: each reads one large partition, all of them
  // become ready at once, and at the unknown 0.5 s each the scheduler moved partitions
  // between workers to even out work it had only guessed at (a 1 GB sort: 64 MB inputs
  // fetched, and 10 splits against 6 in 3 runs of 5). Once one has run, its measured
  // duration counts, and work stealing evens out what is really uneven.
  absl::flat_hash_map<std::string, double> default_task_durations = {
      {"range-split", 0.001},
      {"hash-split", 0.001},
      {"combine-split", 0.001},
      {"pairs-combine-split", 0.001}};
  // Root-task queuing: a worker has room for another root task while it processes fewer
  // than max(ceil(nthreads * worker_saturation), nthreads * min_roots_per_thread) tasks,
  // or — for tasks measured to be short — while its occupancy is under
  // nthreads * root_window_seconds, up to nthreads * max_roots_per_thread tasks. dask
  // sends saturation * nthreads (1.1); its tasks are rarely microseconds. One task in
  // flight per thread would make tiny tasks wait for a round trip each, so a worker
  // keeps ~100 ms of known-short work queued, and at least 2 tasks per thread.
  double worker_saturation = 1.1;
  int min_roots_per_thread = 2;
  double root_window_seconds = 0.1;
  int max_roots_per_thread = 1000;
  // Work stealing, on Tick at most every steal_interval.
  bool work_stealing = true;
  absl::Duration steal_interval = absl::Milliseconds(100);
  // A task is stolen only if fetching its inputs onto the thief takes at most this
  // fraction of its estimated duration, and its duration is at least steal_min_seconds
  // (shorter ones finish before a steal pays off, as dask's 5 ms).
  double steal_cost_ratio = 0.5;
  double steal_min_seconds = 0.005;

  // Clients waiting for work that no worker can run (CheckStall) are told after this
  // long: short pauses are the normal course of a worker near its memory limit.
  absl::Duration stall_notice_delay = absl::Seconds(5);
};

struct WorkerMessage {
  std::string worker_id;
  proto::WorkerInstruction instruction;
};

struct ClientMessage {
  std::string client_id;
  proto::ClientUpdate update;
};

// What the events since the last TakeInstructions() want said, in order per recipient.
struct Instructions {
  std::vector<WorkerMessage> to_workers;
  std::vector<ClientMessage> to_clients;
  // Workers the scheduler removed on its own (heartbeat timeout, or replaced by a new
  // registration of the same name): close their streams.
  std::vector<std::string> removed_workers;

  bool empty() const { return to_workers.empty() && to_clients.empty() && removed_workers.empty(); }
};

class SchedulerState {
 public:
  // `placement` defaults to NewCostPlacement(options.bandwidth).
  explicit SchedulerState(SchedulerOptions options,
                          std::unique_ptr<PlacementPolicy> placement = nullptr);
  SchedulerState(const SchedulerState&) = delete;
  SchedulerState& operator=(const SchedulerState&) = delete;
  ~SchedulerState();

  // ---- Worker events. Unknown worker ids (a worker already removed) → NotFound, and
  // nothing changes: late messages from a dead worker are dropped.

  // A worker registered (running, not paused): returns its new id and queues its WorkerWelcome.
  // Results it still holds (held_keys) are kept when useful, else it is told to free them. Tasks
  // waiting in no-worker are assigned. Ids ("w1", "w2", ...) are one per registration and
  // never reused; names are unique: a worker still registered under the new one's name is
  // removed first, as by RemoveWorker (it is gone, e.g. restarted by its nanny before its
  // stream broke), and listed in removed_workers so that its stream is closed.
  std::string AddWorker(const proto::RegisterWorker& msg, absl::Time now);
  // Its stream closed, or it timed out. Its running tasks are rescheduled (or erred once
  // allowed_failures workers died running them); results only it held are recomputed if
  // still needed (wanters see LOST, then MEMORY again), else forgotten.
  absl::Status RemoveWorker(const std::string& worker_id, absl::string_view reason);
  absl::Status Heartbeat(const std::string& worker_id, const proto::Heartbeat& msg, absl::Time now);
  // Removes the workers not heard from for longer than options.worker_timeout.
  void CheckTimeouts(absl::Time now);
  // The periodic tick (the service calls it every ~100 ms): CheckTimeouts, stall notices
  // (CheckStall), then work stealing if options.steal_interval has passed since the last
  // round.
  void Tick(absl::Time now);
  // Stall notices (stall.cc): when no worker can run tasks — every worker paused
  // (memory) or retiring, or none connected — while tasks wait, for
  // options.stall_notice_delay, each client waiting for unfinished work is told why
  // (WorkNotice, stalled): the workers, their memory, which are stuck. Told again when a
  // worker becomes stuck or no longer is, or one joins or leaves; told once more
  // (stalled false) when a worker can run tasks again or nothing waits any more. The
  // tasks wait meanwhile, as dask's do.
  void CheckStall(absl::Time now);
  // The worker paused (no new tasks go there; queued root tasks wait for others) or
  // resumed (it gets work again). Heartbeat.paused has the same effect.
  absl::Status WorkerStatusChange(const std::string& worker_id,
                                  const proto::WorkerStatusChange& msg);
  // The answer to a StealRequest. stolen: the task moves to the thief (or is placed
  // again if the thief left). Not stolen: it stays, nothing changes. Answers about tasks
  // no longer processing on that worker (finished, released, rescheduled) are ignored.
  absl::Status StealResponse(const std::string& worker_id, const proto::StealResponse& msg);
  absl::Status TaskFinished(const std::string& worker_id, const proto::TaskFinished& msg);
  absl::Status TaskFailed(const std::string& worker_id, const proto::TaskFailed& msg);
  // Any message from a worker counts as a sign of life (TaskFinished/Failed included);
  // the service calls this for every batch it receives.
  void Touch(const std::string& worker_id, absl::Time now);

  // ---- Client events. Unknown client ids → NotFound, nothing changes.

  // Returns the new client's id and queues its ClientWelcome.
  std::string AddClient(const std::string& name);
  // Releases every key the client wanted, then forgets the client.
  absl::Status RemoveClient(const std::string& client_id);
  // New tasks that can never run are erred at once (wanters see ERRED): invalid options,
  // an unknown dependency, a dependency cycle (the message names its keys) or a
  // dependency on one.
  absl::Status UpdateGraph(const std::string& client_id, proto::UpdateGraph msg);
  absl::Status ReleaseKeys(const std::string& client_id, const proto::ReleaseKeys& msg);
  absl::Status CancelKeys(const std::string& client_id, const proto::CancelKeys& msg);
  // Graceful retirement (dask's retire_workers): the workers get no new task (they count
  // as paused, so their queued tasks may be stolen), every result only retiring workers
  // hold is copied to the running worker holding the fewest bytes (AcquireReplicas,
  // answered by ReplicaAdded), and a worker with nothing processing and nothing only it
  // holds is told to close for good (CloseWorker) — all driven by Tick. A copy that
  // fails is asked of another worker, up to 3 times per key; after that the key is
  // left to be recomputed like any lost result. Unknown ids: NotFound, nothing changes.
  absl::Status RetireWorkers(const std::vector<std::string>& worker_ids);
  // A worker's answer to AcquireReplicas for one key.
  absl::Status ReplicaAdded(const std::string& worker_id, const proto::ReplicaAdded& msg);

  // A client put values straight into workers' data stores (Client::scatter; dask's
  // update_data): each key is now in memory on the workers at its addresses, and wanted
  // by the client. A key new to the scheduler (or released) becomes a scattered task in
  // memory (released → memory); one in memory gains those holders as replicas; one erred
  // because earlier scattered data of it was lost is in memory again (erred → memory).
  // Every holder is answered with PutAccepted (then FreeKeys when the data is not kept:
  // the client is unknown). Holders that left meanwhile are skipped; a key none of whose
  // holders is left is erred as lost. Scattered data cannot be recomputed: when its last
  // holder dies or loses it, the key is erred (memory → erred), and so is what depends
  // on it. Unknown client: NotFound (the holders are still answered and told to free).
  absl::Status ScatterData(const std::string& client_id, const proto::ScatterData& msg);

  // Every client's every wanted key is cancelled (wanters get CANCELLED with `reason`)
  // and released, so that nothing is left to compute or keep: what a cluster restart does
  // before the workers go.
  absl::Status CancelAll(absl::string_view reason);
  // Answers with an InfoReply (see FillInfo); with msg.own_prefixes, its prefixes count
  // only the tasks this client wants and, through unfinished ones, what they need.
  absl::Status Info(const std::string& client_id, const proto::InfoRequest& msg);

  // Everything queued since the last call.
  Instructions TakeInstructions();

  // ---- Introspection (for the service, the dashboard and tests).
  // The last options.story_length transitions of `key` still in the transition log;
  // empty once it is forgotten. O(options.transition_log_length): for debugging.
  std::vector<StoryEntry> Story(absl::string_view key) const;
  // Story(key) as one line per transition.
  std::string StoryString(absl::string_view key) const;
  // kForgotten for keys the scheduler does not know.
  TaskStatus GetStatus(absl::string_view key) const;
  const TaskState* GetTask(absl::string_view key) const;
  const WorkerState* GetWorker(const std::string& worker_id) const;
  size_t num_tasks() const { return tasks_.size(); }
  size_t num_workers() const { return worker_list_.size(); }
  size_t num_clients() const { return clients_.size(); }
  int64_t CountInStatus(TaskStatus status) const {
    return status_counts_[static_cast<int>(status)];
  }
  int64_t illegal_transitions() const { return illegal_transitions_; }
  int64_t steals_requested() const { return steals_requested_; }
  int64_t steals_done() const { return steals_done_; }
  // The estimated duration of one run of `ts`, from its prefix's measured average.
  double EstimateDuration(const TaskState& ts) const;
  const SchedulerOptions& options() const { return options_; }
  // The cluster as Info reports it: every worker in join order, task counts by state
  // (forgotten left out), and per key prefix with a live task, sorted by name, its counts
  // by state and average duration (0 while unmeasured). O(workers + live prefixes).
  // `prefixes` false leaves the prefixes out (a client's own are FillClientPrefixes').
  void FillInfo(proto::InfoReply* reply, bool prefixes = true) const;
  // Per key prefix, sorted by name: the tasks `cs` wants and, below each unfinished one,
  // its dependencies, by state. O(wanted + unfinished tasks reached).
  void FillClientPrefixes(const ClientState& cs, proto::InfoReply* reply) const;
  // Calls `visit(const TaskState&)` for each task it knows, in no particular order, until
  // `visit` returns false (for the dashboard's task graph, which stops at a cap).
  template <typename Visit>
  void ForEachTask(Visit visit) const {
    for (const std::unique_ptr<TaskState>& ts : tasks_) {
      if (!visit(static_cast<const TaskState&>(*ts))) return;
    }
  }

  // Checks every cross-reference invariant (O(all tasks)). For tests and debugging.
  absl::Status Validate() const;

  // Test hook: applies one transition to `key` as the state machine would, so tests can
  // check that an illegal one is refused and reported.
  absl::Status TEST_ForceTransition(absl::string_view key, TaskStatus to);

 private:
  // What a transition may need beyond the task: the worker that holds a new result, or
  // why the task is erred.
  struct TransitionArgs {
    WorkerState* worker = nullptr;  // → memory
    int64_t nbytes = 0;             // → memory
    ErrorInfo error;                // → erred
  };
  struct Recommendation {
    TaskState* task;
    TaskStatus to;
    TransitionArgs args;
  };
  using Recs = std::deque<Recommendation>;
  using TransitionFn = void (SchedulerState::*)(TaskState*, const TransitionArgs&, Recs*);
  // The transition table: the function for a legal (from, to) pair, else nullptr.
  static TransitionFn LookupTransition(TaskStatus from, TaskStatus to);

  // ---- Transition machinery (transitions.cc).
  // Applies one transition now; an illegal pair is reported and changes nothing.
  absl::Status Transition(TaskState* ts, TaskStatus to, const TransitionArgs& args, Recs* recs);
  // Applies recommendations, and those they cause, until none is left.
  absl::Status RunTransitions(Recs* recs);
  // A recommendation made obsolete by a transition applied after it was made.
  bool IsStale(const Recommendation& rec) const;
  void Recommend(Recs* recs, TaskState* ts, TaskStatus to);
  void Recommend(Recs* recs, TaskState* ts, TaskStatus to, TransitionArgs args);
  void SetStatus(TaskState* ts, TaskStatus to);

  // The transitions: one small function per legal (from, to) pair.
  void ReleasedToWaiting(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void ReleasedToErred(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void ReleasedToForgotten(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void WaitingToProcessing(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void WaitingToNoWorker(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void WaitingToMemory(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void WaitingToErred(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void WaitingToReleased(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void NoWorkerToProcessing(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void NoWorkerToWaiting(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void NoWorkerToMemory(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void NoWorkerToErred(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void NoWorkerToReleased(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void NoWorkerToQueued(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void WaitingToQueued(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void QueuedToProcessing(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void QueuedToMemory(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void QueuedToReleased(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void QueuedToNoWorker(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void QueuedToWaiting(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void ProcessingToMemory(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void ProcessingToErred(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void ProcessingToWaiting(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void ProcessingToReleased(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void MemoryToReleased(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void ReleasedToMemory(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void MemoryToErred(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void ErredToMemory(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void ErredToReleased(TaskState* ts, const TransitionArgs& args, Recs* recs);
  void ErredToForgotten(TaskState* ts, const TransitionArgs& args, Recs* recs);

  // Pieces the transitions share.
  // Into / out of kQueued's set: queued_ for root tasks, constrained_ for restricted ones.
  void Enqueue(TaskState* ts);
  void Unqueue(TaskState* ts);
  void EnterWaiting(TaskState* ts, Recs* recs);
  void Assign(TaskState* ts);
  void StopProcessing(TaskState* ts, bool cancel_on_worker);
  void StoreResult(TaskState* ts, WorkerState* worker, int64_t nbytes, Recs* recs);
  void MarkErred(TaskState* ts, const ErrorInfo& error, Recs* recs);
  void LeaveDependencies(TaskState* ts, Recs* recs);
  void MaybeRelease(TaskState* ts, Recs* recs);
  void Forget(TaskState* ts, Recs* recs);
  void AddReplica(TaskState* ts, WorkerState* w, int64_t nbytes);

  // ---- Items read apart (item_reads.cc).
  // Records what the newly wired `ts` reads of its dependencies: the items it reads apart
  // (`items`, from its spec's KeySlice args) are counted in each dependency's
  // item_readers; a dependency it reads otherwise (whole, or only as an ordering edge)
  // is marked read_whole.
  void WireReads(TaskState* ts, const std::set<std::string>& whole,
                 const std::set<std::pair<std::string, int64_t>>& items);
  // `ts` has a result: its item reads are done. Each item no other unfinished dependent
  // reads is dropped by the holders of a dependency that is still needed, read by items
  // only and wanted by no client.
  void ConsumeItemReads(TaskState* ts);
  void RemoveReplica(TaskState* ts, WorkerState* w);

  // ---- Policy: occupancy, root-task queuing, pausing, stealing (policy.cc).
  // Where a task that is ready to run goes now: processing, queued (a root task not
  // queued yet, or no worker has room) or no-worker (no running worker).
  TaskStatus Decide(const TaskState& ts) const;
  // The workers PlacementPolicy chooses among, into *out. REQUIRES: Decide(ts) ==
  // kProcessing.
  void Candidates(const TaskState& ts, std::vector<WorkerState*>* out) const;
  // Whether `w` takes another root task now (see SchedulerOptions::worker_saturation).
  bool HasRoom(const WorkerState& w) const;
  // Re-evaluates w's place in has_room_ and idle_ after its load or pause state changed.
  void UpdateRoom(WorkerState* w);
  void AddProcessing(TaskState* ts, WorkerState* w);
  void RemoveProcessing(TaskState* ts);
  void ClearSteal(TaskState* ts);
  void SetPaused(WorkerState* w, bool paused, Recs* recs);
  // One round of work stealing.
  void Balance();
  // Whether a steal may move `ts` to `thief` (its restrictions, resources free there).
  bool CanSteal(const WorkerState& thief, const TaskState& ts) const;

  // ---- Scattered data (scatter.cc).
  // Why `ts` (scattered) is not on the cluster any more: `how` says what happened.
  static ErrorInfo ScatteredLost(const TaskState& ts, absl::string_view how);
  // Its last holder died or lost it: the key errs (memory → erred), with `how`.
  absl::Status LoseScattered(TaskState* ts, absl::string_view how, Recs* recs);
  void SendPutAccepted(WorkerState* w, const std::string& key);
  WorkerState* FindWorkerByAddress(const std::string& address) const;

  // ---- Retirement (retire.cc).
  // Asks for copies of what only retiring workers hold, and closes those that are done.
  void AdvanceRetirements();
  void SendCloseWorker(WorkerState* w);

  // ---- Restrictions (restrictions.cc).
  // The restrictions, retries and user priority a TaskSpec carries, taken out of it (so
  // that the spec kept for workers has none); `error` says why they are invalid.
  struct TaskOptions {
    std::unique_ptr<Restrictions> restrictions;
    int32_t retries = 0;
    int64_t user_priority = 0;
    std::string error;
  };
  static TaskOptions TakeTaskOptions(proto::TaskSpec* spec);
  // Decide() for a restricted task: no-worker (no running worker may run it), queued
  // (it needs resources: always queued first, then processing once they are free there)
  // or processing.
  TaskStatus DecideRestricted(const TaskState& ts) const;
  // The running workers that `ts` (restricted) may run on, whether or not its resources
  // are free there now; with allow_other_workers and none of its workers running, every
  // running worker with the resources.
  void AllowedWorkers(const TaskState& ts, std::vector<WorkerState*>* out) const;
  // Candidates() for a restricted task: AllowedWorkers with its resources free.
  void RestrictedCandidates(const TaskState& ts, std::vector<WorkerState*>* out) const;
  // Resources `ts` holds on `w` while processing there (no-ops for unrestricted tasks).
  void HoldResources(const TaskState& ts, WorkerState* w);
  void ReleaseResources(const TaskState& ts, WorkerState* w);
  // Adds the workers where `ts` (restricted, queued) could start now to resources_freed_.
  void OfferResourcesFor(const TaskState& ts);
  // Offers the workers in resources_freed_ the tasks of constrained_ that fit, in
  // priority order; empties resources_freed_.
  absl::Status StartConstrained(Recs* recs);
  TaskPrefix* PrefixFor(absl::string_view key);
  // Assigns priorities to the tasks a graph added (ordering.cc): depth-first graph order,
  // after the user's priority of each (user_priorities[i] for added[i]; empty: all 0).
  void AssignPriorities(const std::vector<TaskState*>& added,
                        const std::vector<int64_t>& user_priorities);
  // Errs the tasks a graph added (released, wired) that can never run because of a
  // dependency cycle among them: those on a cycle, with a message naming its keys, and
  // those that depend on one. Their dependency edges are cut, so that they are forgotten
  // once no client wants them. O(added tasks and their edges) (cycles.cc).
  // REQUIRES: added[i]->serial == added[0]->serial + i, and no other task is newer.
  absl::Status ErrCycles(const std::vector<TaskState*>& added, Recs* recs);

  // ---- Events (scheduler_state.cc).
  // A new record for `key`, released, counted in its prefix (not wired to dependencies).
  TaskState* AddTaskRecord(std::string key, const std::string& function, std::string rest);
  // Starts handling an event: names it for stories, drops what the last one retired.
  void Begin(const char* stimulus);
  // A result from `w` that is not the one we asked for (a stale or duplicate finish, or a
  // key held by a rejoining worker): kept if the key is needed and not in memory yet.
  absl::Status AcceptOrFree(TaskState* ts, WorkerState* w, int64_t nbytes, Recs* recs);
  absl::Status ReleaseClientWants(ClientState* cs, const std::vector<TaskState*>& tasks);
  void ReportWanted(ClientState* cs, TaskState* ts);
  TaskState* FindTask(absl::string_view key) const;
  WorkerState* FindWorker(const std::string& id) const;
  ClientState* FindClient(const std::string& id) const;
  absl::Status ValidateTask(const TaskState& ts) const;

  // ---- Output (instructions.cc).
  void SendCompute(WorkerState* w, const TaskState& ts);
  void SendFreeKey(WorkerState* w, const std::string& key);
  // Item `index` of `key`'s list result (FreeKeys.items): its readers are done.
  void SendFreeItem(WorkerState* w, const std::string& key, int64_t index);
  // The FreeKeys message open for `w` (new at the end of the output if none is).
  proto::FreeKeys* OpenFreeKeys(WorkerState* w);
  void SendSteal(WorkerState* w, const std::string& key);
  void SendKeyStatus(ClientState* cs, proto::KeyStatus status);
  void ReportToWanters(const TaskState& ts);
  proto::KeyStatus MemoryStatus(const TaskState& ts) const;
  proto::KeyStatus ErredStatus(const TaskState& ts) const;

  // ---- Stall notices (stall.cc).
  void EndStall();
  // Identifies what a stall notice says: the workers, and which of them are stuck.
  std::string StallSignature() const;
  std::string StallMessage(int64_t waiting) const;
  // Whether `cs` wants a task that has not finished.
  static bool WaitsForWork(const ClientState& cs);
  void SendWorkNotice(const std::string& client_id, bool stalled, const std::string& message);

  // Constant after construction.
  const SchedulerOptions options_;
  const std::unique_ptr<PlacementPolicy> placement_;

  // Tasks, found by key (the set hashes and compares TaskState::key()): one pointer per
  // slot rather than a key view and a pointer.
  struct TaskKeyHash {
    using is_transparent = void;
    size_t operator()(absl::string_view key) const { return absl::Hash<absl::string_view>()(key); }
    size_t operator()(const std::unique_ptr<TaskState>& ts) const { return (*this)(ts->key()); }
  };
  struct TaskKeyEq {
    using is_transparent = void;
    static absl::string_view KeyOf(absl::string_view key) { return key; }
    static absl::string_view KeyOf(const std::unique_ptr<TaskState>& ts) { return ts->key(); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return KeyOf(a) == KeyOf(b);
    }
  };
  absl::flat_hash_set<std::unique_ptr<TaskState>, TaskKeyHash, TaskKeyEq> tasks_;
  // Function names, one copy each (TaskState points at them); kept for the scheduler's
  // lifetime, as prefixes_.
  absl::node_hash_set<std::string> functions_;
  absl::flat_hash_set<TaskState*> no_worker_;  // tasks in kNoWorker
  // Unrestricted root tasks in kQueued, by priority: the first goes out when a worker
  // has room.
  absl::btree_set<std::pair<int64_t, TaskState*>> queued_;
  // Restricted tasks in kQueued, by priority: a running worker may run them, but their
  // resources are busy there.
  absl::btree_set<std::pair<int64_t, TaskState*>> constrained_;
  // Workers whose resources were freed (or that joined or resumed) during this event:
  // RunTransitions offers them the tasks of constrained_ (StartConstrained).
  absl::btree_set<std::pair<int64_t, WorkerState*>> resources_freed_;
  // Running workers that take another root task now (HasRoom), by join number.
  absl::btree_set<std::pair<int64_t, WorkerState*>> has_room_;
  // Running workers processing nothing, by join number.
  absl::btree_set<std::pair<int64_t, WorkerState*>> idle_;
  int64_t running_workers_ = 0;  // workers not paused
  absl::flat_hash_map<std::string, std::unique_ptr<TaskPrefix>> prefixes_;
  // The prefixes with a task not forgotten (prefixes_ keeps every prefix ever seen).
  absl::flat_hash_set<TaskPrefix*> live_prefixes_;
  absl::Time last_balance_ = absl::InfinitePast();
  // CheckStall: since when no worker can run the tasks that wait (InfiniteFuture: they
  // can), when clients were last looked at, and the clients told (id → StallSignature).
  absl::Time stalled_since_ = absl::InfiniteFuture();
  absl::Time stall_checked_ = absl::InfinitePast();
  absl::flat_hash_map<std::string, std::string> stall_told_;
  int64_t steals_requested_ = 0;
  int64_t steals_done_ = 0;
  std::array<int64_t, kNumTaskStatuses> status_counts_{};
  int64_t next_priority_ = 0;
  uint64_t next_task_serial_ = 1;
  std::vector<WorkerState*> candidates_;  // Assign's scratch space, reused
  mutable int64_t root_cursor_ = 0;       // Candidates' rotating window over has_room_
  // The transition log: a ring of the last transition_log_length transitions.
  struct LoggedTransition {
    uint64_t serial;  // TaskState::serial
    StoryEntry entry;
  };
  std::vector<LoggedTransition> transition_log_;
  size_t transition_log_next_ = 0;  // where the next entry goes once the ring is full

  absl::flat_hash_map<std::string, std::unique_ptr<WorkerState>> workers_;
  std::vector<WorkerState*> worker_list_;  // join order; worker_list_[i]->slot == i
  int64_t next_worker_number_ = 1;

  absl::flat_hash_map<std::string, std::unique_ptr<ClientState>> clients_;
  // Retiring workers by number (join order), and the copies asked for them: key → the
  // id of the worker fetching it, and failed copies per key.
  absl::btree_map<int64_t, WorkerState*> retiring_;
  absl::flat_hash_map<std::string, std::string> replicating_;
  absl::flat_hash_map<std::string, int> replica_failures_;
  int64_t next_client_number_ = 1;

  // Records retired during the current event; recommendations may still point at them,
  // so they are deleted when the next event begins.
  std::vector<std::unique_ptr<TaskState>> retired_tasks_;
  std::vector<std::unique_ptr<WorkerState>> retired_workers_;

  const char* stimulus_ = "init";
  uint64_t stimulus_id_ = 0;
  int64_t illegal_transitions_ = 0;

  Instructions out_;
  // The FreeKeys at the end of out_.to_workers for a worker, still open to more keys, so
  // that freeing many keys makes one message while the order with ComputeTask holds.
  absl::flat_hash_map<WorkerState*, size_t> open_free_keys_;
};

}  // namespace weft::scheduler
