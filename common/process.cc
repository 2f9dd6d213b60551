#include "common/process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/poll.h"

namespace weft {
namespace {

// How often WaitForExit looks again. Polling keeps this free of SIGCHLD handlers, which
// would belong to the whole process.
constexpr absl::Duration kPollInterval = absl::Milliseconds(10);

// This process's environment with `extra` ("NAME=value") added or replacing.
std::vector<std::string> MergedEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    std::string prefix = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (const std::string& x : extra) replaced = replaced || x.rfind(prefix, 0) == 0;
    if (!replaced) out.push_back(std::move(entry));
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// In the child, between fork and exec: async-signal-safe calls only.
[[noreturn]] void ExecChild(pid_t parent, const SpawnOptions& options, char* const* argv,
                            char* const* envp) {
  ::prctl(PR_SET_PDEATHSIG, options.death_signal);
  if (::getppid() != parent) ::_exit(1);  // the parent died before prctl
  if (options.own_process_group) ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (!options.log_path.empty()) {
    const int flags = O_WRONLY | O_CREAT | (options.truncate_log ? O_TRUNC : O_APPEND);
    int fd = ::open(options.log_path.c_str(), flags, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
  }
  ::execvpe(argv[0], argv, envp);
  ::_exit(127);
}

}  // namespace

bool ChildExit::exited() const { return WIFEXITED(wait_status); }

int ChildExit::exit_code() const { return exited() ? WEXITSTATUS(wait_status) : -1; }

int ChildExit::term_signal() const { return WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0; }

std::string ChildExit::ToString() const {
  if (exited()) return absl::StrCat("exit status ", exit_code());
  if (term_signal() != 0) {
    const char* abbrev = sigabbrev_np(term_signal());
    return abbrev != nullptr ? absl::StrCat("killed by SIG", abbrev)
                             : absl::StrCat("killed by signal ", term_signal());
  }
  return absl::StrCat("wait status ", wait_status);
}

absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& argv,
                                   const SpawnOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("SpawnProcess: empty argv");
  // Built before fork: the child may only make async-signal-safe calls.
  const std::vector<std::string> env = MergedEnvironment(options.extra_env);
  std::vector<char*> cargv = CStrings(argv);
  std::vector<char*> cenv = CStrings(env);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork failed: ", std::strerror(errno)));
  if (pid == 0) ExecChild(parent, options, cargv.data(), cenv.data());
  return pid;
}

std::optional<ChildExit> TryReap(pid_t pid) {
  ChildExit exit;
  do {
    exit.pid = ::waitpid(pid, &exit.wait_status, WNOHANG);
  } while (exit.pid < 0 && errno == EINTR);
  if (exit.pid <= 0) return std::nullopt;
  return exit;
}

std::optional<ChildExit> WaitForExit(pid_t pid, absl::Duration timeout) {
  std::optional<ChildExit> exit;
  bool no_such_child = false;
  PollUntil(
      [&] {
        ChildExit reaped;
        reaped.pid = ::waitpid(pid, &reaped.wait_status, WNOHANG);
        if (reaped.pid > 0) exit = reaped;
        no_such_child = reaped.pid < 0 && errno != EINTR;  // ECHILD
        return exit.has_value() || no_such_child;
      },
      absl::Now() + timeout, kPollInterval);
  return exit;
}

std::optional<ChildExit> StopProcess(pid_t pid, absl::Duration grace) {
  if (pid <= 0) return std::nullopt;
  ::kill(pid, SIGTERM);
  if (auto exit = WaitForExit(pid, grace)) return exit;
  if (::kill(pid, SIGKILL) != 0 && errno == ESRCH) return std::nullopt;
  ChildExit exit{pid, 0};
  while (::waitpid(pid, &exit.wait_status, 0) < 0) {
    if (errno != EINTR) return std::nullopt;
  }
  return exit;
}

void StopProcesses(const std::vector<pid_t>& pids, absl::Duration grace) {
  for (pid_t pid : pids) {
    if (pid > 0) ::kill(pid, SIGTERM);
  }
  const absl::Time deadline = absl::Now() + grace;
  for (pid_t pid : pids) StopProcess(pid, std::max(absl::ZeroDuration(), deadline - absl::Now()));
}

}  // namespace weft
