// WorkerControl: what a worker does for the scheduler's cluster commands (ClusterCommand
// in proto/weft.proto) — everything the scheduler asks of the worker itself rather than
// of a task:
//  - plugins (LoadPlugin, and those of a WorkerWelcome): the library is written to
//    `<plugin_directory>/<hash of content>-<name>` (a new version is a new file, so
//    dlopen loads it anew), loaded and registered with FunctionRegistry::Conflict::
//    kReplace: its functions replace those of earlier plugins for the calls that start
//    afterwards. A library that does not load is answered with the loader's error.
//  - RunFunction: the function runs once on a thread of its own (so that neither the
//    scheduler stream nor the executors wait for it), with literal arguments and the
//    worker's I/O options (as its tasks get them); its encoded result or its error is the
//    answer.
//  - CloseWorker: answered at once, then `on_close(restart, reason)` — the owner ends the
//    session and exits with the status that tells a nanny to restart it or not.
// Answers go out as WorkerEvent.command_result through `send` (the Worker's sender:
// dropped while disconnected).
//
// Threading: Handle() and LoadPlugins() are called by the session's reader thread;
// RunFunction threads are joined by the destructor.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/io/io.h"
#include "proto/weft.pb.h"
#include "worker/data_store.h"
#include "worker/function_registry.h"

namespace weft {

class WorkerControl {
 public:
  using SendFn = std::function<void(const proto::WorkerEvent&)>;
  using CloseFn = std::function<void(bool restart, const std::string& reason)>;

  // `registry` and `store` must outlive this object; `io`: the worker's I/O options
  // (WorkerOptions::io; null: functions read the environment).
  WorkerControl(FunctionRegistry& registry, DataStore& store, std::string plugin_directory,
                std::shared_ptr<const io::IoOptions> io, SendFn send, CloseFn on_close);
  WorkerControl(const WorkerControl&) = delete;
  WorkerControl& operator=(const WorkerControl&) = delete;
  ~WorkerControl();

  // Whether `instruction` is a cluster command (then it is handled here).
  static bool IsCommand(const proto::WorkerInstruction& instruction);
  void Handle(const proto::WorkerInstruction& instruction);

  // Loads the plugins a welcome carries, in order; failures are logged (the worker runs
  // on without them: their functions are unknown here, and tasks say so).
  void LoadPlugins(const proto::WorkerWelcome& welcome);
  // Writes and loads one plugin (see the class comment).
  absl::Status LoadPlugin(const proto::Plugin& plugin);

 private:
  void Answer(uint64_t request_id, std::string value, std::string error);
  void Run(proto::RunFunction run);

  FunctionRegistry& registry_;
  DataStore& store_;
  const std::string plugin_directory_;
  const std::shared_ptr<const io::IoOptions> io_;
  const SendFn send_;
  const CloseFn on_close_;

  // RunFunction threads; finished ones are joined when the next one starts.
  struct RunThread {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  absl::Mutex mu_;
  std::vector<RunThread> runs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft
