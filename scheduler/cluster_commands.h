// ClusterCommands: the scheduler's side of ClusterCommand — operations on the workers
// themselves rather than on tasks, as dask's Client.upload_file, Client.run and
// Client.restart.
//
//  - upload: the plugin is kept (a newer upload of the same file name replaces an older
//    one) and sent to every running worker (LoadPlugin); the reply lists each worker's
//    outcome, so a library that does not load is an error naming every worker that
//    refused it. Workers that join later get every kept plugin in their WorkerWelcome.
//  - run: RunFunction on every addressed worker; the reply carries each one's result.
//  - restart: refused unless every worker runs under a nanny. Otherwise the caller has
//    cancelled every task (SchedulerState::CancelAll) and each worker is told to close
//    with the restart status; the reply goes out once all of them have left (their nannies
//    then start fresh ones, which the client waits for).
//  - retire: the workers named (at least one must stay) are handed to the caller, whose
//    SchedulerState::RetireWorkers moves their data and closes them; the reply goes out
//    once all of them have left.
// A command's reply waits for one answer per addressed worker; a worker that leaves
// first answers with an error ("left before answering"), except for restart, where
// leaving is the answer. Commands of a client that disconnects are dropped.
//
// Pure, as SchedulerState: events in, messages out (TakeInstructions), no sockets,
// threads or clock. Threading: not thread-safe; the scheduler's event loop owns it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "proto/weft.pb.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler {

class ClusterCommands {
 public:
  // Keeps `plugin` for every worker, as an upload before any worker joined
  // (weft-scheduler --preload). A plugin of the same name is replaced.
  void Preload(proto::Plugin plugin);
  // A worker registered under `worker_id`: adds every kept plugin to its welcome.
  void WorkerJoined(const std::string& worker_id, const proto::WorkerInfo& info,
                    proto::WorkerWelcome* welcome);
  // It left (stream closed or timed out): commands waiting on it get its answer now.
  void WorkerLeft(const std::string& worker_id);
  void ClientLeft(const std::string& client_id);

  // What an accepted command asks of the task state, before the instructions queued here
  // go out.
  struct Effect {
    enum Kind {
      kNone,
      kCancelAll,  // a restart: cancel every task (SchedulerState::CancelAll)
      kRetire,     // SchedulerState::RetireWorkers(worker_ids)
    };
    Kind kind = kNone;
    std::vector<std::string> worker_ids;
  };
  // A client's command: queues what goes to workers (or the refusal to the client).
  Effect Command(const std::string& client_id, proto::ClusterCommand command);
  // A worker's answer to LoadPlugin, RunFunction or CloseWorker.
  void Result(const std::string& worker_id, const proto::CommandResult& result);

  // What must be sent since the last call (to_workers, to_clients).
  Instructions TakeInstructions();

  size_t num_plugins() const { return plugins_.size(); }
  size_t num_pending() const { return pending_.size(); }

 private:
  struct WorkerEntry {
    proto::WorkerInfo info;
  };
  // One command in flight: who asked, and the answer slot of each addressed worker.
  struct Pending {
    std::string client_id;
    uint64_t client_request_id = 0;
    bool answered_by_leaving = false;     // restart, retire
    std::vector<std::string> worker_ids;  // join order
    absl::flat_hash_map<std::string, proto::CommandReply::WorkerResult> results;
  };

  // The running workers that `selectors` (names, addresses or hosts; empty: all) name, in
  // join order; `unmatched` gets the selectors that named none.
  std::vector<std::string> Select(const google::protobuf::RepeatedPtrField<std::string>& selectors,
                                  std::vector<std::string>* unmatched) const;
  // Adds `plugin` to plugins_, replacing one of the same file name.
  void Keep(proto::Plugin plugin);
  void Refuse(const std::string& client_id, uint64_t request_id, std::string error);
  // Records `worker_id`'s answer to command `id` and replies once all are in.
  void Answer(uint64_t id, const std::string& worker_id, proto::CommandReply::WorkerResult result);
  void SendToWorker(const std::string& worker_id, proto::WorkerInstruction instruction);

  std::vector<std::string> worker_order_;  // join order
  absl::flat_hash_map<std::string, WorkerEntry> workers_;
  std::vector<proto::Plugin> plugins_;  // upload order; one per file name
  uint64_t next_id_ = 1;
  absl::flat_hash_map<uint64_t, Pending> pending_;
  Instructions out_;
};

}  // namespace weft::scheduler
