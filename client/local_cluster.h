// LocalCluster: one weft-scheduler and N weft-workers as child processes on loopback —
// what `weft::Client::Connect()` with no address starts, like dask's `Client()`.
//
// The scheduler picks a free port and writes it to a scheduler file in a private temporary
// directory; the workers read the same file. Children are started by common/process.h, so
// they die with this process even if it is killed; the destructor stops them (SIGTERM,
// then SIGKILL after a grace period) and removes the directory. Workers run without a
// nanny (--no-nanny): one process each, and one that dies stays dead.
//
// Threading: not thread-safe; owned by one Client.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/security.h"

namespace weft::internal {

struct LocalClusterOptions {
  int n_workers = 2;
  int threads_per_worker = 1;
  std::vector<std::string> preload;
  std::string bin_dir;  // empty: FindWeftBinary's search
  std::vector<std::string> extra_worker_args;
  // Given to the scheduler and every worker: the TLS files as flags, the token in their
  // environment (WEFT_AUTH_TOKEN), where `ps` does not show it.
  SecurityOptions security;
};

class LocalCluster {
 public:
  static absl::StatusOr<std::unique_ptr<LocalCluster>> Start(const LocalClusterOptions& options,
                                                             absl::Duration timeout);
  ~LocalCluster();

  const std::string& scheduler_address() const { return scheduler_address_; }
  // OK while every worker process runs; kFailedPrecondition once one has exited, saying
  // how and quoting the end of its log (a plugin that did not load, a bad flag), so that
  // a caller waiting for the workers can stop waiting and say why.
  absl::Status CheckWorkers();
  const std::vector<pid_t>& worker_pids() const { return worker_pids_; }

 private:
  friend void StopAllLocalClusters();
  LocalCluster() = default;
  // The destructor's work, idempotent; REQUIRES the registry's lock (local_cluster.cc).
  void StopNow();

  std::string directory_;
  std::string scheduler_address_;
  pid_t scheduler_pid_ = -1;
  std::vector<pid_t> worker_pids_;
};

// Stops every LocalCluster of this process now — its children, then its directory —
// without waiting for their owners: for a process about to end on a signal (the weft CLI
// on SIGINT/SIGTERM), so that no daemon or temporary directory outlives it. A cluster
// stopped so is an empty shell for its owner's destructor. Thread-safe.
void StopAllLocalClusters();

// The path of a weft executable (`weft-scheduler`, `weft-worker`): in `bin_dir` if given,
// else $WEFT_BIN_DIR, the directory of the running executable, the Bazel output tree
// around it (bazel-bin/scheduler/, bazel-bin/worker/), the directory of the library
// holding this code and ../bin beside it (an installed PREFIX/lib/libweft.so finds
// PREFIX/bin/), then $PATH.
absl::StatusOr<std::string> FindWeftBinary(const std::string& name, const std::string& bin_dir);

}  // namespace weft::internal
