// The nanny: weft-worker's supervisor, as dask-worker's nanny.
//
// `weft-worker --nworkers N ...` (the nanny is the default; `--no-nanny` runs the worker in
// the calling process) starts N children, each this same binary re-executed with
// `--no-nanny` and the same flags (ChildCommandLines), and keeps them running:
//
//  - A child that dies (a crash, a signal, kill -9) is started again under the same name,
//    at once the first time; while it keeps dying soon after starting (a crash loop) the
//    nanny waits longer each time (1 s, 2 s, 4 s, ... up to 30 s) and says so in its log.
//  - A child that exits with kExitRestart (worker/exit_codes.h: --lifetime, or a restart
//    the scheduler asked for) is started again at once; that is not a crash.
//  - A child that exits with kExitClosed (0) closed for good (e.g. retired by the
//    scheduler): it is not restarted.
//  - A child that fails at start-up (kExitStartupError within its first seconds)
//    max_startup_failures times in a row is given up, with a message naming it and how it
//    ended; its own error message is in the log above (children share the nanny's stderr).
//  - The nanny exits when no child is left: 0 if they all closed, 1 if it gave up on one.
//  - SIGINT / SIGTERM: every child gets SIGTERM, then SIGKILL after a grace period; the
//    nanny exits 0. Children get SIGTERM from the kernel if the nanny dies
//    (PR_SET_PDEATHSIG, common/process.h), so none outlives it.
//
// A child knows it has a nanny from its environment: kNannyPidEnv holds its parent's pid
// (RunByNanny), so that the scheduler can tell which workers a restart would bring back.
//
// RestartPolicy is the decision, kept apart from the effects (RunNanny) and tested alone.
//
// Threading: RunNanny runs on the main thread (the one that starts the children: their
// death signal follows it) and owns all children of the process.
#pragma once

#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/process.h"

namespace weft {

struct RestartPolicyOptions {
  // A kExitStartupError sooner than this after starting is a start-up failure.
  absl::Duration startup_window = absl::Seconds(5);
  // Start-up failures in a row before the nanny gives up on a child.
  int max_startup_failures = 3;
  // A crash later than this after starting is not part of a crash loop.
  absl::Duration stable_uptime = absl::Seconds(30);
  // The delay before the second quick crash's restart, doubled for each one after it.
  absl::Duration first_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(30);
};

struct RestartDecision {
  enum class Action {
    kRestart,  // start it again after `delay`
    kDone,     // it closed for good
    kGiveUp,   // it keeps failing at start-up
  };
  Action action = Action::kRestart;
  absl::Duration delay = absl::ZeroDuration();
  std::string reason;  // for the log: "killed by SIGKILL after 3.2 s; crash-looping: ..."
};

// What to do when one child ends. One per child; remembers its recent history.
// Pure: no clock (the uptime is given), no processes. Not thread-safe.
class RestartPolicy {
 public:
  explicit RestartPolicy(RestartPolicyOptions options = {}) : options_(options) {}

  RestartDecision OnExit(const ChildExit& exit, absl::Duration uptime);

 private:
  const RestartPolicyOptions options_;
  int startup_failures_ = 0;  // in a row
  int quick_crashes_ = 0;     // in a row, each within stable_uptime of its start
};

// One child as the nanny runs it.
struct NannyChild {
  std::string label;              // for the log: its --name, or "#i" without one
  std::vector<std::string> argv;  // argv[0]: the executable
};

// The nanny's flags that shape its children's command lines.
struct ChildFlags {
  int n = 1;                    // --nworkers
  std::string name;             // --name; empty when none was given
  std::string local_directory;  // --local-directory; empty when none was given
  // If set, replaces --nthreads (the nanny shares the cores out for --nthreads 0, as dask).
  std::optional<int> nthreads_per_child;
};

// The children's command lines. `executable`: this binary; `args`: this process's
// arguments (argv[1..]). Each child gets `args` without --nworkers, with --no-nanny and
// --name NAME-i (NAME when n == 1; no --name when none was given). With n > 1, child i
// gets a --local-directory of its own inside the one given, DIR/NAME-i (DIR/worker-i
// without a name), so that the workers' files (spilled data, uploaded plugins) never meet.
std::vector<NannyChild> ChildCommandLines(const std::string& executable,
                                          const std::vector<std::string>& args,
                                          const ChildFlags& flags);

struct NannyOptions {
  std::vector<NannyChild> children;
  RestartPolicyOptions policy;
  // After SIGTERM to the children on shutdown, how long before SIGKILL. (A worker gives its
  // running tasks 5 s.)
  absl::Duration grace = absl::Seconds(10);
};

inline constexpr char kNannyPidEnv[] = "WEFT_NANNY_PID";

// Whether this process is a nanny's child: kNannyPidEnv names its parent.
bool RunByNanny();

// Runs the children until none is left or one of `stop_signals` arrives (REQUIRES: they
// are blocked in every thread, common/signals.h). Returns the nanny's exit status.
int RunNanny(const NannyOptions& options, const sigset_t& stop_signals);

}  // namespace weft
