// weft::Client — the entry point of the client library.
//
//   auto client = weft::Client::Connect("10.0.0.5:8786");   // a running cluster
//   auto client = weft::Client::Connect();                  // a local cluster of child processes
//   weft::Future<int64_t> f = (*client)->submit<int64_t>("inc", {41});
//   int64_t answer = f.result();                            // 42
//
// As dask's Client: tasks are named by a deterministic key (`inc-<hash of function and
// arguments>`), so submitting the same work twice returns a future on the same key; results
// stay on the workers until gathered (fetched straight from the worker that holds them,
// never through the scheduler), and are released on the cluster when the last Future for
// their key is dropped.
//
// Threading: every method is thread-safe. A background thread reads the scheduler's
// updates. The Client must outlive nothing: Futures keep what they need alive, and a
// Future used after its Client is destroyed reports kUnavailable.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "weft/future.h"
#include "weft/pipeline.h"
#include "weft/value.h"

namespace weft {

class Array;
class Bag;
namespace internal {
class ClientCore;
}  // namespace internal

struct ClientOptions {
  // "host:port" of a running scheduler (a port out of 1..65535 makes Connect fail with
  // kInvalidArgument). Empty: start a local cluster of child processes (one
  // weft-scheduler, n_workers weft-workers), stopped when the Client is destroyed.
  std::string address;
  // With `address` empty: the scheduler file (weft-scheduler --scheduler-file, as dask's
  // scheduler_file) to read it from, waiting up to connect_timeout for it to appear.
  std::string scheduler_file;
  std::string name = "weft-client";
  absl::Duration connect_timeout = absl::Seconds(10);

  // Security, as dask's --tls-ca-file/--tls-cert/--tls-key and a shared token: every channel
  // (to the scheduler, and to the workers for gathers) speaks TLS with these PEM files
  // (with a certificate of its own: mutual TLS) and carries `auth_token`. Empty fields
  // fall back to WEFT_TLS_CA_FILE, WEFT_TLS_CERT, WEFT_TLS_KEY and WEFT_AUTH_TOKEN. A local
  // cluster is started with the same credentials (the certificate must then name
  // 127.0.0.1). A cluster that refuses them makes Connect fail with kUnauthenticated.
  std::string tls_ca_file;
  std::string tls_cert;
  std::string tls_key;
  std::string auth_token;

  // The scheduler's word on work this client waits for that no worker can start (every
  // worker paused near its memory limit, or retiring, or none connected; said after a
  // few seconds of it, with the workers and their memory), and again when tasks start.
  // The work waits meanwhile, as dask's does. Called on the client's callback thread;
  // null: each message is written to stderr as "weft: MESSAGE".
  std::function<void(const std::string& message)> on_notice;

  // Local cluster only.
  int n_workers = 2;
  int threads_per_worker = 1;
  std::vector<std::string> preload;  // plugin .so files for the workers
  // More weft-worker flags for each worker, after weft's own: e.g. how they reach S3,
  // {"--s3-endpoint", "http://127.0.0.1:9000", "--io-retries", "1"} (weft-worker --help).
  std::vector<std::string> worker_args;
  // Where weft-scheduler and weft-worker are; empty: $WEFT_BIN_DIR, the directory of this
  // executable and its Bazel siblings, then $PATH.
  std::string bin_dir;
};

// Where and how submitted tasks run, as the keywords of dask's submit/map/persist:
//
//   weft::SubmitOptions gpu;
//   gpu.resources = {{"GPU", 1}};                 // workers started with --resources GPU=1
//   auto f = client->submit("train", {data}, gpu);
//
// A task with restrictions runs only on a worker that satisfies them. While none of the
// connected workers does, it waits in the scheduler's `no-worker` state (ClusterInfo::
// tasks_by_state) and starts as soon as one joins; while they do but their resources are
// held by other tasks, it waits in `queued`. Options are not part of a task's key: the
// same function and arguments submitted again with other options return the existing
// task, with its first options.
struct SubmitOptions {
  // Abstract resources one run of the task holds while it runs, e.g. {{"GPU", 1}}:
  // matched against each worker's `weft-worker --resources "GPU=2 MEM=10e9"`. A worker
  // with GPU=2 runs at most two GPU=1 tasks at a time. Amounts must be > 0.
  std::map<std::string, double> resources;
  // The workers that may run it: names (`weft-worker --name`), addresses (host:port) or
  // hosts. Empty: any worker.
  std::vector<std::string> workers;
  // With `workers`: they are only a preference, and any worker (with the resources) runs
  // the task while none of them is connected. Resources are required either way.
  bool allow_other_workers = false;
  // A run that fails (the function errs or throws) is retried up to this many times before
  // the task is reported erred, with the last run's error. Lost workers are counted apart.
  int retries = 0;
  // Higher runs first among tasks that are ready (as dask's priority; default 0), before
  // submission order and the graph's own depth-first order. Clamped to ±4096.
  int64_t priority = 0;
};

// Where Client::scatter puts values (dask's scatter keywords).
struct ScatterOptions {
  // Workers by name (`weft-worker --name`) or address (host:port); empty: every worker.
  std::vector<std::string> workers;
  // Every value to every one of those workers, rather than each to one of them.
  bool broadcast = false;
};

// One task of a hand-built graph: `function(args...)`, where Arg::Key("x") refers to the
// result of key "x" (another task of the graph, or a key already on the cluster).
struct GraphTask {
  std::string function;
  std::vector<Arg> args;
  // A literal value as a task (dask's {'x': 1}).
  static GraphTask Literal(Value value) { return {"identity", {Arg(std::move(value))}}; }
  static GraphTask Call(std::string function, std::vector<Arg> args) {
    return {std::move(function), std::move(args)};
  }
};
// Key → task, as dask's dict graphs: {{"x", Literal(1)}, {"z", Call("add", {Key("x"), 2})}}.
using Graph = std::map<std::string, GraphTask>;

// kInvalidArgument naming the keys of a dependency cycle among the tasks of `graph`, each
// needing the next ("the graph has a cycle: a -> b -> a"), else OK. The search starts from
// `keys`, then the rest of the graph, so the cycle named is the first those keys meet.
// Keys outside the graph (already on the cluster) cannot close a cycle. A cycle would
// never run: Client::persist and get check this before sending anything, as dask raises
// at submission. O(graph size).
absl::Status CheckGraph(const Graph& graph, const std::vector<std::string>& keys = {});

struct WorkerInfo {
  std::string name;
  std::string address;
  int pid = 0;  // its process id on its host (a nanny's worker gets a new one on restart)
  int threads = 0;
  int64_t memory_limit = 0;
  int64_t memory_bytes = 0;     // held in memory by its data store
  int64_t spilled_bytes = 0;    // spilled to its --local-directory
  int64_t peak_held_bytes = 0;  // the most its data store held at once (memory + spilled)
  int64_t bytes_fetched = 0;    // received from peers since it started
  int64_t process_bytes = 0;    // its process's resident set size (what it pauses on)
  bool paused = false;
  // Set when it is stuck in a pause (paused with no task running and no data in memory it
  // can spill — a full local directory, say — still over its threshold): the worker's own
  // account, and what is done about it.
  std::string stuck;
  // Transitions its state machine refused since it started: each one a bug in weft,
  // described in that worker's log. 0 on a healthy worker.
  int64_t illegal_transitions = 0;
  int processing = 0;
  int64_t keys_in_memory = 0;
  std::map<std::string, double> resources;       // what it was started with (--resources)
  std::map<std::string, double> resources_used;  // held by the tasks running there
};

// The scheduler's tasks of one key prefix ("read_text", "inc", ...): all clients' together,
// or one client's (Client::info with TaskScope::kThisClient).
struct PrefixInfo {
  std::string prefix;
  std::map<std::string, int64_t> tasks_by_state;  // "waiting", "processing", "memory", ...
  double average_duration_seconds = 0;            // of its finished tasks; 0 before the first
};

struct ClusterInfo {
  std::string scheduler_address;
  std::string dashboard_address;  // the web dashboard's URL; empty when it serves none
  int workers = 0;
  int threads = 0;
  int64_t memory_limit = 0;
  int64_t memory_bytes = 0;  // held by the workers' data stores, as of their last heartbeat
  int64_t tasks_total = 0;
  std::map<std::string, int64_t> tasks_by_state;  // "memory", "processing", "released", ...
  std::vector<WorkerInfo> worker_details;
  std::vector<PrefixInfo> prefixes;  // the task prefixes the scheduler knows
  std::string ToString() const;      // <Client: scheduler=127.0.0.1:8786 workers=2 threads=4>
};

class Client {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> Connect(ClientOptions options);
  static absl::StatusOr<std::unique_ptr<Client>> Connect(std::string address = "");
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs `function` (a name in the workers' registry) on `args`. Pure by default: the
  // same function and arguments give the same key. `key` overrides the generated key.
  template <typename T = Value>
  Future<T> submit(const std::string& function, std::vector<Arg> args = {}, std::string key = "") {
    return Future<T>(SubmitTask(function, std::move(args), SubmitOptions(), std::move(key)));
  }
  // The same with restrictions, retries or a priority (see SubmitOptions).
  template <typename T = Value>
  Future<T> submit(const std::string& function, std::vector<Arg> args, const SubmitOptions& options,
                   std::string key = "") {
    return Future<T>(SubmitTask(function, std::move(args), options, std::move(key)));
  }

  // One task per item: function(item), each with `options`. All tasks go to the
  // scheduler in one message.
  template <typename T = Value>
  std::vector<Future<T>> map(const std::string& function, const std::vector<Arg>& items,
                             const SubmitOptions& options = SubmitOptions()) {
    std::vector<Future<T>> out;
    for (auto& handle : MapTasks(function, items, options)) out.emplace_back(std::move(handle));
    return out;
  }

  // Waits for every future and fetches the results straight from the workers, several
  // keys per request. The first failed task makes the whole gather fail with its error.
  template <typename T>
  absl::StatusOr<std::vector<T>> gather(const std::vector<Future<T>>& futures) {
    std::vector<std::string> keys;
    keys.reserve(futures.size());
    for (const auto& f : futures) keys.push_back(f.key());
    absl::StatusOr<std::vector<Value>> values = GatherKeys(keys);
    if (!values.ok()) return values.status();
    std::vector<T> out;
    out.reserve(values->size());
    for (size_t i = 0; i < values->size(); ++i) {
      absl::StatusOr<T> v = ConvertValue<T>((*values)[i]);
      if (!v.ok()) return v.status();
      out.push_back(*std::move(v));
    }
    return out;
  }

  // Sends every task of `graph` in one message and returns at once with futures for
  // `keys` (dask's client.compute / persist on a graph). Tasks no future needs are freed
  // on the workers as soon as their dependents have run. `options` apply to every task
  // of the graph. A graph with a dependency cycle (CheckGraph) is not sent: the futures
  // of keys this client did not hold yet are erred with CheckGraph's message at once.
  std::vector<Future<Value>> persist(const Graph& graph, const std::vector<std::string>& keys,
                                     const SubmitOptions& options = SubmitOptions());
  // persist, then gather: the values of `keys` (dask's client.get). A graph with a
  // dependency cycle is refused with CheckGraph's error before anything is sent.
  absl::StatusOr<std::vector<Value>> get(const Graph& graph, const std::vector<std::string>& keys,
                                         const SubmitOptions& options = SubmitOptions());

  // Puts local values on the workers and returns a finished future per value, in order
  // (dask's client.scatter with hash=True). Each value goes from this process straight
  // to a worker's data store, never through the scheduler; values are spread over the
  // workers round robin in proportion to their threads, so consecutive values land on
  // different workers (with options.broadcast: every value on every worker). A value's
  // key is `scatter-<hash of its encoding>`: scattering an equal value again returns a
  // future on the same key and does not store it again. The futures serve as task
  // arguments (Arg(future)) like any other, keep the data alive on the workers, and the
  // last one dropped frees it there; gather() fetches the values back.
  // Scattered data has no task that made it: if every worker holding a key dies, the key
  // is lost for good (as in dask) and its futures, and the tasks that need it, fail with
  // an error saying that the scattered data was lost with the worker; scatter it again.
  // Errors: kInvalidArgument for a worker in options.workers that is not connected
  // (the message lists those that are), kUnavailable when there is no worker or a put
  // failed (naming the worker; nothing is kept).
  absl::StatusOr<std::vector<Future<Value>>> scatter(const ValueList& values,
                                                     const ScatterOptions& options = {});

  // Blocks until every future is done (finished, erred or cancelled) or `timeout` passes.
  template <typename T>
  absl::Status wait(const std::vector<Future<T>>& futures,
                    absl::Duration timeout = absl::InfiniteDuration()) {
    const absl::Time deadline = absl::Now() + timeout;
    for (const auto& f : futures) {
      absl::Status s = f.wait(deadline - absl::Now());
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Stops the computation of these futures' keys; they end as kCancelled.
  template <typename T>
  void cancel(const std::vector<Future<T>>& futures) {
    std::vector<std::string> keys;
    for (const auto& f : futures) keys.push_back(f.key());
    CancelKeys(keys);
  }

  // Where each future's result lives (worker addresses), as dask's client.who_has; empty
  // for keys not in memory.
  template <typename T>
  std::map<std::string, std::vector<std::string>> who_has(const std::vector<Future<T>>& futures) {
    std::vector<std::string> keys;
    for (const auto& f : futures) keys.push_back(f.key());
    return WhoHas(keys);
  }

  // Workers, threads and tasks of the cluster, from the scheduler. ClusterInfo::prefixes
  // covers every client's tasks, or with TaskScope::kThisClient only this client's: the
  // keys it holds futures for and, below unfinished ones, the tasks they need (what
  // progress bars count).
  enum class TaskScope { kCluster, kThisClient };
  absl::StatusOr<ClusterInfo> info(absl::Duration timeout = absl::Seconds(10),
                                   TaskScope prefixes = TaskScope::kCluster);

  // ---- The workers themselves, as dask's Client.upload_file, run, restart and
  // wait_for_workers.

  // Sends the plugin shared library at `path` to every worker, which loads it without
  // restarting; workers that join later load it too, and a new version of the same file
  // name replaces the functions of the old one for tasks that start afterwards. Returns
  // once every worker has loaded it; an error names each worker that refused it and why
  // (the scheduler still offers it to workers that join later).
  absl::Status upload_file(const std::string& path, absl::Duration timeout = absl::Seconds(60));

  // Calls the registered function `function(args...)` once on every worker (or on those
  // `workers` names, by name, address or host), outside the task graph, and returns each
  // one's result by worker address. An error names every worker where it failed.
  absl::StatusOr<std::map<std::string, Value>> run(const std::string& function,
                                                   std::vector<Value> args = {},
                                                   std::vector<std::string> workers = {},
                                                   absl::Duration timeout = absl::Seconds(60));

  // The last `n` lines of each worker's log (or of those `workers` names), by worker
  // address, oldest first (dask's get_worker_logs).
  absl::StatusOr<std::map<std::string, std::vector<std::string>>> get_worker_logs(
      int n = 100, std::vector<std::string> workers = {});

  // Cancels every task of every client (their futures end cancelled) and has each
  // worker's nanny replace it with a fresh process, then waits up to `timeout` until as
  // many workers as before are connected. Refused (nothing done) when a worker runs
  // without a nanny (weft-worker --no-nanny).
  absl::Status restart(absl::Duration timeout = absl::Seconds(60));

  // Retires the workers named (by name, address or host; dask's retire_workers): they get
  // no new task, finish what they run, every result only they hold is copied to the
  // other workers, then they close for good (a nanny does not restart them). Returns
  // once they have left; no future is lost. At least one worker must stay.
  absl::Status retire_workers(std::vector<std::string> workers,
                              absl::Duration timeout = absl::Seconds(60));

  // Waits until at least `n` workers are connected: kDeadlineExceeded after `timeout`.
  absl::Status wait_for_workers(int n, absl::Duration timeout = absl::Seconds(60));

  // ---- Streaming pipelines (weft/pipeline.h).

  // Submits `pipeline` and returns at once with a handle to watch, wait for or stop it;
  // kInvalidArgument (nothing sent) when pipeline.Validate() refuses it. Placement,
  // start-up errors and the end come through the handle's status.
  absl::StatusOr<PipelineHandle> run_pipeline(const Pipeline& pipeline);

  // The scheduler's address (for a local cluster, the one it was started on).
  const std::string& scheduler_address() const;

 private:
  friend class Array;
  friend class Bag;
  struct Impl;
  std::shared_ptr<internal::ClientCore> core() const;
  explicit Client(std::unique_ptr<Impl> impl);

  std::shared_ptr<internal::KeyHandle> SubmitTask(const std::string& function,
                                                  std::vector<Arg> args,
                                                  const SubmitOptions& options, std::string key);
  std::vector<std::shared_ptr<internal::KeyHandle>> MapTasks(const std::string& function,
                                                             const std::vector<Arg>& items,
                                                             const SubmitOptions& options);
  absl::StatusOr<std::vector<Value>> GatherKeys(const std::vector<std::string>& keys);
  void CancelKeys(const std::vector<std::string>& keys);
  std::map<std::string, std::vector<std::string>> WhoHas(const std::vector<std::string>& keys);

  std::unique_ptr<Impl> impl_;
};

// Yields futures in the order they finish (dask's as_completed):
//   for (weft::AsCompleted done(futures); auto f = done.next();) use(f->result());
template <typename T>
class AsCompleted {
 public:
  explicit AsCompleted(std::vector<Future<T>> futures) : pending_(std::move(futures)) {}
  // The next future to be done, or nullopt when all have been returned (or `timeout`
  // passed without any finishing).
  std::optional<Future<T>> next(absl::Duration timeout = absl::InfiniteDuration()) {
    if (pending_.empty()) return std::nullopt;
    std::vector<const internal::KeyHandle*> handles;
    for (const auto& f : pending_) handles.push_back(f.handle().get());
    absl::StatusOr<size_t> i = internal::WaitAny(handles, timeout);
    if (!i.ok()) return std::nullopt;
    Future<T> done = pending_[*i];
    pending_.erase(pending_.begin() + *i);
    return done;
  }
  size_t remaining() const { return pending_.size(); }

 private:
  std::vector<Future<T>> pending_;
};

}  // namespace weft
