// ClientCore: the client's session with the scheduler and its table of keys.
//
// Owns the ClientSession stream: requests go out through a BatchedWriter, and a reader
// thread applies the scheduler's KeyStatus updates to the key table, waking whoever
// waits on a key. Keys are reference-counted by KeyHandles (one per set of Future
// copies); the first reference reports the key as wanted, the last one's release sends
// ReleaseKeys. Results are fetched from the workers that hold them (GetData), never
// through the scheduler.
//
// Lifecycle: Start() connects; Shutdown() (also run by the destructor) closes the stream.
// After Shutdown, waits and fetches fail with kUnavailable.
//
// Threading: all public methods are thread-safe; mu_ guards the key table and session
// state; no lock is held while writing to the stream or fetching data.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/batched_writer.h"
#include "common/channel_cache.h"
#include "common/data_client.h"
#include "common/security.h"
#include "proto/weft.grpc.pb.h"
#include "weft/future.h"
#include "weft/value.h"

namespace weft::internal {

// Payloads on the status of a failed task (kAborted): the function that failed, and the
// key it failed for.
inline constexpr char kFunctionPayload[] = "weft.dev/function";
inline constexpr char kErredKeyPayload[] = "weft.dev/erred_key";

class ClientCore : public std::enable_shared_from_this<ClientCore> {
 public:
  // `security`: the credentials of every channel (scheduler session and gathers).
  ClientCore(std::string address, std::string name, Security security = Security());
  ~ClientCore();

  // Connects and says hello; fails with kUnavailable if the scheduler does not answer
  // within `timeout`, kUnauthenticated if it refuses this client's credentials (saying
  // why: a failed TLS handshake, a missing or wrong token).
  absl::Status Start(absl::Duration timeout);
  void Shutdown();

  const std::string& address() const { return address_; }

  // Takes a reference on `task.key()` and, when this process did not hold the key yet,
  // sends the task (tasks whose key is already held are not sent again).
  std::shared_ptr<KeyHandle> Submit(proto::TaskSpec task);
  // Same for many tasks, sent in one UpdateGraph.
  std::vector<std::shared_ptr<KeyHandle>> SubmitMany(std::vector<proto::TaskSpec> tasks);

  // Sends a graph: the tasks in `tasks` (the scheduler skips keys it already has), and a
  // reference on each of `wanted` (keys of `tasks` or already on the cluster). With
  // skip_held, tasks whose key this process already held are not sent again.
  std::vector<std::shared_ptr<KeyHandle>> SubmitGraph(std::vector<proto::TaskSpec> tasks,
                                                      const std::vector<std::string>& wanted,
                                                      bool skip_held = false);

  // References on `wanted` for a graph refused before it was sent (Client::persist of a
  // cycle): nothing goes to the scheduler; keys this process did not hold yet are erred
  // at once with `why`'s message (until they are submitted again), keys it held keep
  // their state.
  std::vector<std::shared_ptr<KeyHandle>> Refuse(const std::vector<std::string>& wanted,
                                                 const absl::Status& why);

  // Puts `values` straight into the workers' data stores (Worker.PutData, never through
  // the scheduler), then announces them to the scheduler (ScatterData) and waits until it
  // has taken them: one handle per value, in order, on the key
  // `scatter-<hash of its encoding>` (MakeKey), so equal values share a key and are put
  // once. `workers`: names or addresses of the workers to use; empty: every worker.
  // Values go to those workers round robin weighted by their threads, in order (so
  // consecutive values land on different workers); with `broadcast`, every value goes to
  // every one of them. A key this process already holds in memory is not put again
  // (broadcast: not again where it is). Errors: kInvalidArgument naming an unknown
  // worker (and those there are), kUnavailable with no worker connected or when a
  // worker's PutData fails (naming it: what reached the others is freed again).
  absl::StatusOr<std::vector<std::shared_ptr<KeyHandle>>> Scatter(
      const ValueList& values, const std::vector<std::string>& workers, bool broadcast);

  // Called by ~KeyHandle.
  void Release(const std::string& key);

  FutureStatus Status(const std::string& key) const;
  // The addresses holding each key, as last reported by the scheduler.
  std::map<std::string, std::vector<std::string>> WhoHas(
      const std::vector<std::string>& keys) const;
  // Where each of `keys` is held and its size, as last reported by the scheduler (no
  // addresses for a key not in memory), in the order of `keys`.
  std::vector<proto::KeyLocation> Locations(const std::vector<std::string>& keys) const;
  absl::Status Wait(const std::string& key, absl::Duration timeout) const;
  // The index of the first key of `keys` that is done.
  absl::StatusOr<size_t> WaitAny(const std::vector<std::string>& keys,
                                 absl::Duration timeout) const;
  // Waits for every key, then fetches them from the workers.
  absl::StatusOr<std::vector<Value>> Gather(const std::vector<std::string>& keys);
  // `view` of each of `keys` (finished results), computed by the workers holding them and
  // read straight from them (Worker.GetView, all holders at once): no task, no scheduler round
  // trip. kUnavailable when a key is not known to be held, its holder does not answer,
  // no longer holds it, or refuses the view: the caller then computes the same answer
  // with tasks, which reports any error properly.
  absl::StatusOr<std::vector<Value>> View(const std::vector<std::string>& keys,
                                          const proto::DataView& view);
  // The items of `keys` (finished partitions) together: each holder sums the lengths of
  // those it holds (Worker.GetView, TOTAL_LENGTH), all holders at once, one number each on
  // the wire. kUnavailable as View, or when a holder cannot count one of its keys.
  absl::StatusOr<int64_t> TotalLength(const std::vector<std::string>& keys);
  void Cancel(const std::vector<std::string>& keys);
  // With own_prefixes, the reply's prefixes count only this client's tasks
  // (InfoRequest.own_prefixes).
  absl::StatusOr<proto::InfoReply> Info(absl::Duration timeout, bool own_prefixes = false);
  // What a task may use on a worker: its threads and memory limit (0: none).
  struct WorkerShape {
    int threads = 1;
    int64_t memory_limit = 0;
  };
  // The shapes of the workers at `addresses` (host:port), as the scheduler last reported
  // them: an Info request only when one of them has not been seen before. Addresses that
  // are no worker's are left out.
  absl::flat_hash_map<std::string, WorkerShape> WorkerShapes(
      const std::vector<std::string>& addresses);
  // Sends a ClusterCommand (its request_id is set here) and waits for the CommandReply:
  // kDeadlineExceeded after `timeout`; a command the scheduler refused as a whole comes
  // back as a reply with `error` set.
  absl::StatusOr<proto::CommandReply> Command(proto::ClusterCommand command,
                                              absl::Duration timeout);

  // Streaming pipelines (client/pipeline.cc): sends SubmitPipeline / StopPipeline, and
  // the latest PipelineStatus the scheduler sent for `id` (SUBMITTED before any).
  void SubmitPipeline(proto::SubmitPipeline submit);
  void StopPipeline(const std::string& id);
  proto::PipelineStatus PipelineStatusOf(const std::string& id) const;
  // Waits until `done(status)` holds, the session closes (kUnavailable) or `timeout`
  // passes (kDeadlineExceeded); returns the status then.
  absl::StatusOr<proto::PipelineStatus> WaitPipeline(
      const std::string& id, const std::function<bool(const proto::PipelineStatus&)>& done,
      absl::Duration timeout) const;

  // Calls `callback` once `key` is done (finished, erred, cancelled), on the client's
  // callback thread — at once there if it is done already. `key` must be held (a
  // KeyHandle exists); the callback may call anything on the client.
  void OnDone(const std::string& key, std::function<void()> callback);

  // Where the scheduler's WorkNotices go (their messages, on the callback thread); null:
  // nowhere. Set before Start().
  void SetNoticeHandler(std::function<void(const std::string&)> handler);

 private:
  struct KeyEntry {
    int refs = 0;
    FutureStatus status = FutureStatus::kPending;
    proto::KeyStatus last;  // the scheduler's latest word on the key
    // Erred here by Refuse: the scheduler never heard of it from us. Submitted again, it
    // is sent as if new.
    bool refused = false;
  };

  void ShutdownOnce();
  std::string SchedulerName() const;  // "the scheduler at HOST:PORT"
  // Until channel_ is READY; kUnauthenticated as soon as it fails for our credentials.
  absl::Status WaitForChannel(absl::Duration timeout);
  // Why the channel (in TRANSIENT_FAILURE) last failed to connect, from a quick call.
  absl::Status LastConnectError();
  void ReadLoop();
  // Runs due_callbacks_ until callbacks_stopping_.
  void CallbackLoop();
  void Apply(const proto::ClientUpdate& update) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The error status for a finished-but-failed key, naming function and key.
  static absl::Status KeyError(const std::string& key, const KeyEntry& entry);
  absl::Status WaitAll(const std::vector<std::string>& keys, absl::Duration timeout) const;
  // One attempt at fetching `keys` (all in memory) from their holders.
  absl::StatusOr<std::vector<Value>> FetchOnce(const std::vector<std::string>& keys);
  // The positions in `keys` of the keys each worker holds, by the first holder the scheduler
  // reported (a map: the same order every time). kUnavailable for a key not finished or
  // held nowhere.
  absl::StatusOr<std::map<std::string, std::vector<size_t>>> ByFirstHolder(
      const std::vector<std::string>& keys) const;
  // One GetView call for keys[positions] to the worker at `address`: its answers, and in
  // `missing` the keys it gave none for. kUnavailable naming the worker when the call fails.
  absl::StatusOr<KeyValues> ViewsFrom(const std::string& address,
                                      const std::vector<std::string>& keys,
                                      const std::vector<size_t>& positions,
                                      const proto::DataView& view,
                                      std::vector<std::string>* missing);

  // Scatter's pieces (scatter.cc). A worker that takes scattered values.
  struct ScatterTarget {
    std::string name;
    std::string address;
    int nthreads = 1;
  };
  // The workers `wanted` names (all when empty), in the scheduler's join order.
  absl::StatusOr<std::vector<ScatterTarget>> ScatterTargets(const std::vector<std::string>& wanted);
  // One PutData call: `keys` and their encodings to the worker at `address`. Returns the
  // keys stored there, with their sizes.
  absl::StatusOr<std::vector<proto::KeyLocation>> PutValues(
      const std::string& address,
      const std::vector<std::pair<std::string, const absl::Cord*>>& items);

  // Constant after construction.
  const std::string address_;
  const std::string name_;
  const Security security_;
  ChannelCache channels_;  // to workers (gathers, scatters), with security_

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::Scheduler::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<proto::ClientRequestBatch, proto::ClientUpdateBatch>>
      stream_;
  std::unique_ptr<BatchedWriter<proto::ClientRequestBatch>> writer_;
  std::thread reader_;
  std::once_flag shutdown_once_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, KeyEntry> keys_ ABSL_GUARDED_BY(mu_);
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::string close_reason_ ABSL_GUARDED_BY(mu_);
  absl::Status close_status_ ABSL_GUARDED_BY(mu_);  // the stream's final status
  uint64_t next_info_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, proto::InfoReply> info_replies_ ABSL_GUARDED_BY(mu_);
  // By worker address, from every Info reply (WorkerShapes).
  absl::flat_hash_map<std::string, WorkerShape> worker_shapes_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, proto::CommandReply> command_replies_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, proto::PipelineStatus> pipelines_ ABSL_GUARDED_BY(mu_);
  // Done callbacks waiting for their key, and those due to run (on callback_thread_).
  absl::flat_hash_map<std::string, std::vector<std::function<void()>>> done_callbacks_
      ABSL_GUARDED_BY(mu_);
  std::deque<std::function<void()>> due_callbacks_ ABSL_GUARDED_BY(mu_);
  std::function<void(const std::string&)> notice_handler_ ABSL_GUARDED_BY(mu_);
  bool callbacks_stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread callback_thread_;  // started by the first OnDone or notice
};

}  // namespace weft::internal
