// The flags shared by the commands that run tasks (`weft submit`, `weft map`, `weft get`):
// where the tasks run (--scheduler, or a local cluster: --n-workers, --preload) and how, as
// the keywords of dask's submit (weft::SubmitOptions):
//
//   --resources "GPU=1 MEM=2e9"   repeatable; held while the task runs
//   --workers NAME                repeatable: a worker's --name, host:port or host
//   --allow-other-workers         with --workers: only a preference
//   --retries N                   re-runs after a failure before reporting it
//   --priority N                  higher runs first among ready tasks
//
// Repeatable flags take one value each time, so `--workers w1 inc 1` leaves `inc 1` to the
// positional arguments. Bad values are CLI11 validation errors, reported before connecting.
//
// Threading: free functions, no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/io/io_flags.h"
#include "weft/client.h"

namespace CLI {
class App;
}  // namespace CLI

namespace weft::cli {

struct ClusterFlags {
  std::string scheduler;             // host:port; empty: a local cluster
  std::vector<std::string> preload;  // plugins for the local cluster's workers
  int n_workers = 2;
};

struct TaskFlags {
  std::vector<std::string> resources;  // each "NAME=AMOUNT[ NAME=AMOUNT...]"
  std::vector<std::string> workers;
  bool allow_other_workers = false;
  int retries = 0;
  int64_t priority = 0;
};

// Adds --scheduler, --preload and --n-workers to `cmd`; `*flags` must outlive parsing.
void AddClusterFlags(CLI::App* cmd, ClusterFlags* flags);
// Adds the task option flags to `cmd`; `*flags` must outlive parsing.
void AddTaskFlags(CLI::App* cmd, TaskFlags* flags);

// The I/O flags (--s3-endpoint, --io-retries, ...: common/io/io_flags.h) of a command that
// reads data, as flags for the weft-workers of the local cluster it starts
// (ClientOptions::worker_args): data is read on the workers. kInvalidArgument when I/O
// flags come with `scheduler` (a running cluster), whose workers read as their own flags
// say: they would be ignored.
absl::StatusOr<std::vector<std::string>> LocalWorkerIoArgs(const io::IoFlags& io,
                                                           const std::string& scheduler);

// Connects to the scheduler, or starts the local cluster.
absl::StatusOr<std::unique_ptr<Client>> ConnectFor(const ClusterFlags& flags);

// A task's --resources: weft-worker's syntax (common/resources.h), at least one entry.
absl::StatusOr<std::map<std::string, double>> ParseTaskResources(const std::string& text);

// The SubmitOptions the flags say (of resources given twice, the last amount counts).
absl::StatusOr<SubmitOptions> ToSubmitOptions(const TaskFlags& flags);

// A command-line argument as a task argument: an integer, a decimal, true/false/null, a
// JSON list, object or quoted string when it starts like one ('[1,2,3]', '{"a":1}'), and
// anything else as the string itself. kInvalidArgument for JSON that does not parse.
absl::StatusOr<Value> CommandLineValue(const std::string& text);
// CommandLineValue of each; the first error.
absl::StatusOr<std::vector<Value>> CommandLineValues(const std::vector<std::string>& texts);

// Prints "weft: MESSAGE" on stderr and returns 1, the exit code of a failed run.
int ReportFailure(const absl::Status& status);
// Prints "weft COMMAND: MESSAGE" on stderr and returns 2, the exit code of a usage error.
int ReportUsageError(const std::string& command, const absl::Status& status);

}  // namespace weft::cli
