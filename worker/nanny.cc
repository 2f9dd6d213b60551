#include "worker/nanny.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "worker/exit_codes.h"

namespace weft {
namespace {

using Action = RestartDecision::Action;

// How often the nanny looks for children that ended. Polling (rather than a SIGCHLD
// handler) keeps one thread and the signal mask of common/signals.h.
constexpr timespec kTick{0, 50 * 1000 * 1000};

std::string Seconds(absl::Duration d) {
  return absl::StrFormat("%.1f s", absl::ToDoubleSeconds(d));
}

// Whether `arg` is `flag` given as "--flag VALUE" (true, *joined false) or "--flag=VALUE"
// (true, *joined true).
bool IsFlag(const std::string& arg, absl::string_view flag, bool* joined) {
  *joined = absl::StartsWith(arg, absl::StrCat(flag, "="));
  return *joined || arg == flag;
}

}  // namespace

RestartDecision RestartPolicy::OnExit(const ChildExit& exit, absl::Duration uptime) {
  RestartDecision decision;
  const std::string how = absl::StrCat(exit.ToString(), " after ", Seconds(uptime));
  if (exit.exited() && exit.exit_code() == kExitClosed) {
    decision.action = Action::kDone;
    decision.reason = absl::StrCat("closed (", how, "); not restarting it");
    return decision;
  }
  if (exit.exited() && exit.exit_code() == kExitRestart) {
    startup_failures_ = 0;
    quick_crashes_ = 0;
    decision.reason = absl::StrCat("asked to be restarted (", how, "); restarting it");
    return decision;
  }
  if (exit.exited() && exit.exit_code() == kExitStartupError && uptime < options_.startup_window) {
    ++startup_failures_;
    if (startup_failures_ >= options_.max_startup_failures) {
      decision.action = Action::kGiveUp;
      decision.reason =
          absl::StrCat("failed at start-up ", startup_failures_, " times in a row (the last: ", how,
                       "; its error is in the log above); giving up on it");
      return decision;
    }
    decision.delay = std::min(options_.max_backoff, options_.first_backoff * startup_failures_);
    decision.reason =
        absl::StrCat("failed at start-up (", how, "); trying again in ", Seconds(decision.delay));
    return decision;
  }
  startup_failures_ = 0;
  quick_crashes_ = uptime < options_.stable_uptime ? quick_crashes_ + 1 : 1;
  if (quick_crashes_ <= 1) {
    decision.reason = absl::StrCat("died (", how, "); restarting it");
    return decision;
  }
  const int doublings = std::min(quick_crashes_ - 2, 16);
  decision.delay = std::min(options_.max_backoff, options_.first_backoff * (1 << doublings));
  decision.reason = absl::StrCat("died (", how, "); crash-looping (", quick_crashes_,
                                 " crashes in a row, each within ", Seconds(options_.stable_uptime),
                                 " of starting): restarting it in ", Seconds(decision.delay));
  return decision;
}

std::vector<NannyChild> ChildCommandLines(const std::string& executable,
                                          const std::vector<std::string>& args,
                                          const ChildFlags& flags) {
  const bool own_directories = flags.n > 1 && !flags.local_directory.empty();
  std::vector<std::string> common = {executable};
  for (size_t i = 0; i < args.size(); ++i) {
    bool joined = false;
    if (IsFlag(args[i], "--nworkers", &joined) || IsFlag(args[i], "--name", &joined) ||
        (flags.nthreads_per_child.has_value() && IsFlag(args[i], "--nthreads", &joined)) ||
        (own_directories && IsFlag(args[i], "--local-directory", &joined))) {
      if (!joined) ++i;  // and its value
      continue;
    }
    if (args[i] == "--no-nanny") continue;
    common.push_back(args[i]);
  }
  common.push_back("--no-nanny");
  if (flags.nthreads_per_child.has_value()) {
    common.insert(common.end(), {"--nthreads", absl::StrCat(*flags.nthreads_per_child)});
  }
  std::vector<NannyChild> children(flags.n);
  for (int i = 0; i < flags.n; ++i) {
    NannyChild& child = children[i];
    child.argv = common;
    const std::string name =
        flags.name.empty() || flags.n == 1 ? flags.name : absl::StrCat(flags.name, "-", i);
    if (!name.empty()) child.argv.insert(child.argv.end(), {"--name", name});
    if (own_directories) {
      child.argv.insert(
          child.argv.end(),
          {"--local-directory", absl::StrCat(flags.local_directory, "/",
                                             name.empty() ? absl::StrCat("worker-", i) : name)});
    }
    child.label = name.empty() ? absl::StrCat("#", i) : name;
  }
  return children;
}

namespace {

// One child's run: the effects around its RestartPolicy.
struct Running {
  const NannyChild* spec;
  RestartPolicy policy;
  pid_t pid = -1;
  absl::Time started;
  bool pending = true;  // to be started at restart_at
  absl::Time restart_at = absl::InfinitePast();
  bool finished = false;  // closed for good, or given up
};

void Start(Running& child, absl::Time now) {
  child.pending = false;
  SpawnOptions spawn;
  spawn.death_signal = SIGTERM;  // a clean close if the nanny dies
  spawn.extra_env = {absl::StrCat(kNannyPidEnv, "=", ::getpid())};
  auto pid = SpawnProcess(child.spec->argv, spawn);
  if (!pid.ok()) {
    WEFT_LOG_ERROR("cannot start worker {}: {}; trying again in 1 s", child.spec->label,
                   std::string(pid.status().message()));
    child.pending = true;
    child.restart_at = now + absl::Seconds(1);
    return;
  }
  child.pid = *pid;
  child.started = now;
  WEFT_LOG_INFO("started worker {} (pid {})", child.spec->label, child.pid);
}

// Handles the end of the child `exit` is about; false if it was none of ours.
bool OnExit(std::vector<Running>& children, const ChildExit& exit, absl::Time now, bool* gave_up) {
  auto it = std::find_if(children.begin(), children.end(),
                         [&](const Running& c) { return c.pid == exit.pid; });
  if (it == children.end()) return false;
  Running& child = *it;
  child.pid = -1;
  RestartDecision decision = child.policy.OnExit(exit, now - child.started);
  switch (decision.action) {
    case Action::kRestart:
      if (decision.delay > absl::ZeroDuration()) {
        WEFT_LOG_WARN("worker {} (pid {}) {}", child.spec->label, exit.pid, decision.reason);
      } else {
        WEFT_LOG_INFO("worker {} (pid {}) {}", child.spec->label, exit.pid, decision.reason);
      }
      child.pending = true;
      child.restart_at = now + decision.delay;
      break;
    case Action::kDone:
      WEFT_LOG_INFO("worker {} (pid {}) {}", child.spec->label, exit.pid, decision.reason);
      child.finished = true;
      break;
    case Action::kGiveUp:
      WEFT_LOG_ERROR("worker {} (pid {}) {}", child.spec->label, exit.pid, decision.reason);
      child.finished = true;
      *gave_up = true;
      break;
  }
  return true;
}

void StopAll(std::vector<Running>& children, absl::Duration grace) {
  std::vector<pid_t> pids;
  for (const Running& child : children) {
    if (child.pid > 0) pids.push_back(child.pid);
  }
  WEFT_LOG_INFO("stopping {} worker(s)", pids.size());
  StopProcesses(pids, grace);
}

}  // namespace

bool RunByNanny() {
  const char* nanny = std::getenv(kNannyPidEnv);
  return nanny != nullptr && std::string(nanny) == absl::StrCat(::getppid());
}

int RunNanny(const NannyOptions& options, const sigset_t& stop_signals) {
  std::vector<Running> children;
  for (const NannyChild& spec : options.children) {
    children.push_back(Running{&spec, RestartPolicy(options.policy)});
  }
  bool gave_up = false;
  while (true) {
    const absl::Time now = absl::Now();
    for (Running& child : children) {
      if (child.pending && now >= child.restart_at) Start(child, now);
    }
    if (std::all_of(children.begin(), children.end(),
                    [](const Running& c) { return c.finished; })) {
      WEFT_LOG_INFO("no worker left; the nanny exits");
      return gave_up ? kExitStartupError : kExitClosed;
    }
    const int signal = sigtimedwait(&stop_signals, nullptr, &kTick);
    if (signal > 0) {
      WEFT_LOG_INFO("received {}", strsignal(signal));
      StopAll(children, options.grace);
      return kExitClosed;
    }
    while (std::optional<ChildExit> exit = TryReap()) {
      if (!OnExit(children, *exit, absl::Now(), &gave_up)) {
        WEFT_LOG_WARN("reaped pid {}, not one of the workers ({})", exit->pid, exit->ToString());
      }
    }
  }
}

}  // namespace weft
