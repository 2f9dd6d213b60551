// The records SchedulerState keeps per task, per worker and per client.
//
// These are plain structs: SchedulerState (scheduler_state.h) owns every one of them and is
// the only code that changes them, always on the scheduler thread. They point at each
// other with raw pointers; a record lives until SchedulerState forgets it (tasks) or
// removes it (workers, clients), and the pointers to it are dropped at that moment.
//
// Threading: none of their own; they belong to the SchedulerState that owns them.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/time/time.h"
#include "proto/weft.pb.h"
#include "scheduler/ptr_set.h"

namespace weft::scheduler {

// A task's state, as in dask's scheduler. The legal moves between them are the transition
// table in transitions.cc.
enum class TaskStatus : uint8_t {
  kReleased,    // known, not needed now (or needed again and about to wait); no result
  kWaiting,     // needed; some dependencies are not in memory yet
  kNoWorker,    // ready to run but no running worker may run it (none at all, or none
                // that its restrictions allow); assigned when one joins or resumes
  kQueued,      // a root task (no dependencies) ready to run, held back until a worker has
                // room (root-task queuing, as dask's `queued`); or a restricted task ready
                // to run, held back until its resources are free on a worker that may run
                // it. Released in priority order
  kProcessing,  // sent to a worker (processing_on)
  kMemory,      // the result lives on the workers in who_has
  kErred,       // it, or a dependency, failed (error says which)
  kForgotten,   // gone; the record is about to be deleted
};
inline constexpr int kNumTaskStatuses = 8;

// "released", "waiting", "no-worker", "queued", "processing", "memory", "erred", "forgotten".
const char* TaskStatusName(TaskStatus status);

// One line of a task's story: a transition and the event that caused it. (Kept in the
// scheduler's transition log, not per task: see SchedulerOptions::transition_log_length.)
struct StoryEntry {
  TaskStatus from;
  TaskStatus to;
  const char* stimulus;  // static string naming the event, e.g. "task-finished"
  uint64_t stimulus_id;  // counts events since the scheduler started
};

// Why a task is erred: the key that failed (this task or a dependency), its function, and
// the message the worker (or the scheduler) gave.
struct ErrorInfo {
  std::string erred_key;
  std::string function;
  std::string message;
};

struct WorkerState;
struct ClientState;

// Where a task may run, from its TaskSpec (resources, workers, allow_other_workers), as
// dask's restrictions. Only tasks that have some carry one (TaskState::restrictions).
struct Restrictions {
  // Resource name → amount (> 0), sorted by name: the task runs only on a worker that
  // has that much of each (WorkerInfo.resources), and holds it there while processing.
  absl::InlinedVector<std::pair<std::string, double>, 1> resources;
  // Worker names, addresses or hosts it may run on; empty: any worker.
  std::vector<std::string> workers;
  // allow_other_workers: `workers` is a preference, used while one of them is running.
  bool loose = false;
};

// What the scheduler has learnt about the tasks of one key prefix (KeyPrefix(key), e.g.
// "inc" for "inc-5e3c..."): how long they take. Kept for the scheduler's lifetime (one
// record per distinct prefix, as dask's TaskPrefix).
struct TaskPrefix {
  explicit TaskPrefix(std::string prefix_name) : name(std::move(prefix_name)) {}

  std::string name;
  double duration_average = -1;  // seconds; < 0 while no run has been measured
  int64_t duration_count = 0;
  // Tasks of this prefix per TaskStatus (index: the enum's value), kept by the state
  // machine as tasks move, for progress per prefix (InfoReply.prefixes). The kForgotten
  // slot counts every task of the prefix ever forgotten.
  std::array<int64_t, kNumTaskStatuses> status_counts{};

  // Tasks of this prefix the scheduler still knows (not forgotten).
  int64_t live() const {
    int64_t n = 0;
    for (int i = 0; i < kNumTaskStatuses; ++i) {
      if (static_cast<TaskStatus>(i) != TaskStatus::kForgotten) n += status_counts[i];
    }
    return n;
  }

  // Records one measured run: an exponentially weighted average (half old, half new, as
  // dask's TaskPrefix.add_duration), so the estimate follows a prefix that changes speed.
  void AddDuration(double seconds) {
    duration_average = duration_count == 0 ? seconds : 0.5 * duration_average + 0.5 * seconds;
    ++duration_count;
  }
  // The estimate for one run: the measured average, else `unknown`.
  // The measured average; else the prefix's default (SchedulerOptions::
  // default_task_durations); else `unknown`.
  double Estimate(double unknown) const {
    if (duration_average >= 0) return duration_average;
    return default_duration >= 0 ? default_duration : unknown;
  }
  double default_duration = -1;  // seconds; < 0: none configured
};

// One task. Kept compact (a million of them is an ordinary graph): the spec is not kept
// as a proto::TaskSpec, whose every arg and key is a heap object, but as its key, its
// function (interned) and the rest of it serialized; the dependency keys are not kept
// twice, since `dependencies` points at those tasks. FillTaskSpec builds the TaskSpec
// again when a worker is to run it. The sets are PtrSets (no heap while small).
struct TaskState {
  TaskState(std::string task_key, const std::string* task_function, std::string spec_rest)
      : key_(std::move(task_key)), function_(task_function), rest(std::move(spec_rest)) {}

  const std::string& key() const { return key_; }
  const std::string& function() const { return *function_; }

 private:
  std::string key_;
  const std::string* function_;  // interned by the SchedulerState; never null

 public:
  // The TaskSpec less key, function and dependencies, serialized: its args (and any
  // field the spec gains later).
  std::string rest;
  // Lower runs first: the user's priority (TaskSpec.priority, higher first), then graphs
  // first come first served, within a graph depth-first, a task needing earlier graphs'
  // tasks right after them (see ordering.cc). Ties are rare and broken by the queues.
  int64_t priority = 0;
  // The graph order alone (priority without the user's priority): what a later graph's
  // task that needs this one is placed after.
  int64_t order = 0;
  TaskPrefix* prefix = nullptr;  // owned by the SchedulerState; never null once added
  uint64_t serial = 0;           // unique per task record: finds its transitions in the log

  absl::InlinedVector<TaskState*, 2> dependencies;  // each once, in spec order
  PtrSet<TaskState> dependents;                     // every known task that depends on this one
  PtrSet<TaskState> waiting_on;                     // kWaiting: dependencies not in memory yet
  PtrSet<TaskState> waiters;                        // dependents in waiting/no-worker/processing
  PtrSet<ClientState> who_wants;                    // clients holding a future for this key
  absl::InlinedVector<WorkerState*, 1> who_has;     // kMemory: workers holding the result
  WorkerState* processing_on = nullptr;             // kProcessing: where it runs
  // kProcessing: the estimated duration added to processing_on->occupancy when it was
  // assigned (taken off again, exactly, when it stops).
  double occupancy = 0;
  // kProcessing: a StealRequest for it is in flight; the worker that gets it if the
  // victim (processing_on) gives it up. Null when no steal is under way, or the thief left.
  WorkerState* steal_thief = nullptr;
  int64_t nbytes = -1;               // size of the result, once known
  std::unique_ptr<ErrorInfo> error;  // kErred only
  // Null for a task that may run anywhere (most tasks).
  std::unique_ptr<Restrictions> restrictions;
  TaskStatus status = TaskStatus::kReleased;
  bool stealing = false;  // a StealRequest is in flight (steal_thief may be gone)
  // Its data came from a client (SchedulerState::ScatterData), not from a run: it has no
  // function to run again, so losing its last holder errs it instead of recomputing it.
  bool scattered = false;
  int32_t suspicious = 0;  // workers that died while running this task
  int32_t retries = 0;     // failed runs it may still re-run (TaskSpec.retries)
  // Some dependent reads the whole result (a plain key arg): its items are never dropped.
  bool read_whole = false;

  // Dependencies that no arg names: the task only runs after them (TaskSpec.dependencies),
  // so where they are held does not draw it, and moving them costs nothing. Null for most
  // tasks (a sort's second read of its input runs after the boundaries).
  std::unique_ptr<std::vector<const TaskState*>> order_only;
  // Whether `dep` is one of order_only.
  bool OnlyRunsAfter(const TaskState* dep) const {
    return order_only != nullptr &&
           std::find(order_only->begin(), order_only->end(), dep) != order_only->end();
  }

  // Items read apart (KeySlice args: a shuffle's unpack j reads bucket j of every split).
  // Both null for most tasks.
  // The dependencies' items this task reads, until it has a result (then its reads are
  // done, and this is reset).
  std::unique_ptr<std::vector<std::pair<TaskState*, int64_t>>> item_reads;
  // Per item of this task's list result: the dependents that read it apart and have no
  // result yet. When one falls to 0 and nothing reads the whole result, the holders drop
  // that item (FreeKeys.items), and the result counts as lost to a later reader of it.
  std::unique_ptr<absl::flat_hash_map<int64_t, int32_t>> item_readers;
  // 1 + the highest index of an item of this task's result that a dependent reads apart:
  // the list's length as far as its readers show (a split's nout). 0 if none does.
  int64_t item_span = 0;

  // A client wants it, or a dependent that is waiting or running needs its result.
  bool needed() const { return !who_wants.empty() || !waiters.empty(); }
};

// The bytes `task` reads of each of its dependencies, to weigh moving them (placement,
// stealing): a dependency's whole nbytes (0 while unknown), or, for one it reads items of
// apart, that share of it: nbytes × items read / item_span (a shuffle's unpack reads
// 1/nout of every split), or 0 for one it only runs after (TaskState::order_only). Buckets
// are taken to be of equal size.
// Built per decision; holds pointers into `task`, which must outlive it.
// (Defined in item_reads.cc.)
class DependencyBytes {
 public:
  explicit DependencyBytes(const TaskState& task);
  int64_t operator()(const TaskState& dep) const;

 private:
  // Per dependency read by items: how many of its items `task` reads. Empty for most.
  absl::flat_hash_map<const TaskState*, int64_t> items_read_;
  const TaskState& task_;
};

// Sets *spec to the TaskSpec `ts` was submitted with: key, function, the rest, and the
// keys of its dependencies in spec order, each once. (Defined in instructions.cc.)
void FillTaskSpec(const TaskState& ts, proto::TaskSpec* spec);

struct WorkerState {
  std::string id;      // "w1", "w2", ...: unique for the scheduler's lifetime
  int64_t number = 0;  // the number in id; orders workers by join time, never reused
  proto::WorkerInfo info;
  int nthreads = 1;  // at least 1
  size_t slot = 0;   // index in the scheduler's join-ordered worker list
  bool removed = false;

  absl::flat_hash_set<TaskState*> processing;  // tasks sent to it and not finished
  double occupancy = 0;     // seconds: sum of the estimated durations of `processing`
  bool paused = false;      // near its memory limit, or retiring: gets no new tasks
  bool retiring = false;    // SchedulerState::RetireWorkers: data moving off, then close
  bool close_sent = false;  // retiring, and told to close (CloseWorker)
  // Resource name → amount it has (info.resources, amounts > 0), and what the
  // restricted tasks in `processing` hold of them.
  absl::flat_hash_map<std::string, double> resources;
  absl::flat_hash_map<std::string, double> resources_used;
  absl::flat_hash_set<TaskState*> stealing_in;  // tasks being stolen for it
  absl::flat_hash_set<TaskState*> has_what;     // results it holds (scheduler's view)
  int64_t nbytes = 0;                           // sum of has_what's nbytes

  absl::Time last_seen;
  proto::Heartbeat last_heartbeat;  // process_bytes also from its latest status change
  std::string stuck;                // WorkerStatusChange.stuck / Heartbeat.stuck: paused for good
};

struct ClientState {
  std::string id;  // "c1", "c2", ...
  std::string name;
  absl::flat_hash_set<TaskState*> wants;
};

}  // namespace weft::scheduler
