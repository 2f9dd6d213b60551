// Starting, waiting for and stopping child processes: the one fork/exec launcher of weft
// (the local cluster, the worker's nanny, the cross-process test fixtures).
//
// A child started here dies with this process: it is started with PR_SET_PDEATHSIG, so the
// kernel sends it `death_signal` when the thread that started it exits, even by SIGKILL.
// (The signal follows the *thread*: start long-lived children from a thread that lives as
// long as they should, normally the main thread.) The child starts with no signal
// blocked, whatever the starting thread had blocked (see common/signals.h).
//
// Reaping: SpawnProcess does not reap. Use TryReap / WaitForExit / StopProcess (or the
// caller's own waitpid); a child nobody reaps stays a zombie until this process exits.
//
// Threading: the functions are thread-safe as fork/exec/waitpid are; TryReap(-1) reaps any
// child of this process, so use it only in a process that owns all its children (the
// nanny), never in a library next to other code that starts processes.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace weft {

struct SpawnOptions {
  // stdout and stderr of the child go to this file (created 0644; appended to unless
  // truncate_log). Empty: inherited from this process.
  std::string log_path;
  bool truncate_log = false;
  // "NAME=value" entries added to the environment the child inherits, replacing
  // variables of the same name.
  std::vector<std::string> extra_env;
  // Sent to the child when the starting thread exits (PR_SET_PDEATHSIG).
  int death_signal = SIGKILL;
  // The child leads a process group of its own (setpgid), so that Ctrl-C at a terminal
  // reaches this process and not the child (a local cluster's daemons under `weft
  // shell`, whose Ctrl-C cancels a query); it still dies with this process.
  bool own_process_group = false;
};

// Starts argv[0] (a path, or a name looked up in $PATH) with `argv`; returns its pid.
// Fails only if fork fails: an exec failure shows as the child exiting with status 127.
absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& argv,
                                   const SpawnOptions& options = {});

// How a child ended: the raw wait status, decoded.
struct ChildExit {
  pid_t pid = -1;
  int wait_status = 0;

  bool exited() const;           // by exit(); exit_code() says with what
  int exit_code() const;         // -1 unless exited()
  int term_signal() const;       // the signal that killed it; 0 unless killed
  std::string ToString() const;  // "exit status 1", "killed by SIGKILL"
};

// Reaps `pid` (-1: any child) if it has exited; nullopt if it is still running (or there
// is no such child). Never blocks.
std::optional<ChildExit> TryReap(pid_t pid = -1);

// Waits up to `timeout` for `pid` (-1: any child) to exit, and reaps it; nullopt on
// timeout or when there is no such child.
std::optional<ChildExit> WaitForExit(pid_t pid, absl::Duration timeout);

// Stops a child: SIGTERM, up to `grace` to exit, then SIGKILL; reaps it. Returns how it
// ended (nullopt if it was not a child of ours, or already reaped). pid <= 0: nothing.
std::optional<ChildExit> StopProcess(pid_t pid, absl::Duration grace);

// StopProcess for several children at once: SIGTERM to all first, so that they stop in
// parallel and the grace period is shared; then SIGKILL to those still running.
void StopProcesses(const std::vector<pid_t>& pids, absl::Duration grace);

}  // namespace weft
