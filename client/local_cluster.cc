#include "client/local_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/scheduler_file.h"

namespace weft::internal {
namespace fs = std::filesystem;

namespace {

bool IsExecutable(const fs::path& p) { return ::access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p); }

// The TLS flags of `security` (its token goes through the environment: see TokenEnv).
std::vector<std::string> TlsFlags(const SecurityOptions& security) {
  std::vector<std::string> flags;
  if (!security.ca_file.empty()) flags.insert(flags.end(), {"--tls-ca-file", security.ca_file});
  if (!security.cert_file.empty()) flags.insert(flags.end(), {"--tls-cert", security.cert_file});
  if (!security.key_file.empty()) flags.insert(flags.end(), {"--tls-key", security.key_file});
  return flags;
}

std::vector<std::string> TokenEnv(const SecurityOptions& security) {
  if (security.token.empty()) return {};
  return {"WEFT_AUTH_TOKEN=" + security.token};
}

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

bool Exited(pid_t pid) {
  int status;
  return ::waitpid(pid, &status, WNOHANG) == pid;
}

}  // namespace

absl::StatusOr<std::string> FindWeftBinary(const std::string& name, const std::string& bin_dir) {
  std::vector<fs::path> candidates;
  if (!bin_dir.empty()) {
    candidates.push_back(fs::path(bin_dir) / name);
  } else {
    if (const char* env = std::getenv("WEFT_BIN_DIR")) candidates.push_back(fs::path(env) / name);
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
      std::string sub = name == "weft-scheduler" ? "scheduler" : "worker";
      // Installed side by side, or anywhere in Bazel's output tree: walk up to the
      // directory holding scheduler/ and worker/.
      candidates.push_back(self.parent_path() / name);
      for (fs::path dir = self.parent_path(); dir.has_relative_path(); dir = dir.parent_path()) {
        candidates.push_back(dir / sub / name);
        if (dir == dir.parent_path()) break;
      }
    }
    if (const char* path = std::getenv("PATH")) {
      for (auto dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
        candidates.push_back(fs::path(std::string(dir)) / name);
      }
    }
  }
  for (const fs::path& p : candidates) {
    if (IsExecutable(p)) return p.string();
  }
  return absl::NotFoundError(absl::StrCat(
      "cannot find the ", name, " executable (set WEFT_BIN_DIR, or build it with ",
      "`bazel build //scheduler:weft-scheduler //worker:weft-worker`)"));
}

absl::StatusOr<pid_t> SpawnChild(const std::vector<std::string>& argv,
                                 const std::string& log_path,
                                 const std::vector<std::string>& extra_env) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  // Built before fork: the child may only make async-signal-safe calls.
  const std::vector<std::string> env = MergedEnvironment(extra_env);
  std::vector<char*> cenv;
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork failed: ", strerror(errno)));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);  // the parent died before prctl
    if (!log_path.empty()) {
      int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
    }
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  return pid;
}

void StopChild(pid_t pid, absl::Duration grace) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  absl::Time deadline = absl::Now() + grace;
  while (absl::Now() < deadline) {
    if (Exited(pid)) return;
    absl::SleepFor(absl::Milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  int status;
  ::waitpid(pid, &status, 0);
}

absl::StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Start(
    const LocalClusterOptions& options, absl::Duration timeout) {
  auto scheduler_bin = FindWeftBinary("weft-scheduler", options.bin_dir);
  if (!scheduler_bin.ok()) return scheduler_bin.status();
  auto worker_bin = FindWeftBinary("weft-worker", options.bin_dir);
  if (!worker_bin.ok()) return worker_bin.status();

  std::unique_ptr<LocalCluster> cluster(new LocalCluster());
  std::string tmpl = (fs::temp_directory_path() / "weft-local-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a temporary directory: ", strerror(errno)));
  }
  cluster->directory_ = tmpl;
  std::string scheduler_file = tmpl + "/scheduler.json";

  std::vector<std::string> scheduler_argv = {*scheduler_bin, "--host", "127.0.0.1", "--port",
                                             "0", "--scheduler-file", scheduler_file};
  std::vector<std::string> tls_flags = TlsFlags(options.security);
  scheduler_argv.insert(scheduler_argv.end(), tls_flags.begin(), tls_flags.end());
  auto pid = SpawnChild(scheduler_argv, tmpl + "/scheduler.log", TokenEnv(options.security));
  if (!pid.ok()) return pid.status();
  cluster->scheduler_pid_ = *pid;

  bool exited = false;
  absl::StatusOr<std::string> address =
      ReadSchedulerFile(scheduler_file, absl::Now() + timeout,
                        [&] { return exited = Exited(cluster->scheduler_pid_); });
  if (!address.ok()) {
    if (exited) cluster->scheduler_pid_ = -1;  // reaped; the destructor stops it otherwise
    return absl::UnavailableError(absl::StrCat("the local weft-scheduler did not start (",
                                               address.status().message(), "); its log is ",
                                               tmpl, "/scheduler.log"));
  }
  cluster->scheduler_address_ = *std::move(address);
  for (int i = 0; i < options.n_workers; ++i) {
    std::vector<std::string> argv = {*worker_bin, cluster->scheduler_address_,
                                     "--nthreads", absl::StrCat(options.threads_per_worker),
                                     "--name", absl::StrCat("local-", i),
                                     "--host", "127.0.0.1",
                                     "--local-directory", absl::StrCat(tmpl, "/worker-", i)};
    for (const auto& so : options.preload) {
      argv.push_back("--preload");
      argv.push_back(so);
    }
    argv.insert(argv.end(), tls_flags.begin(), tls_flags.end());
    argv.insert(argv.end(), options.extra_worker_args.begin(), options.extra_worker_args.end());
    auto wpid = SpawnChild(argv, absl::StrCat(tmpl, "/worker-", i, ".log"),
                           TokenEnv(options.security));
    if (!wpid.ok()) return wpid.status();
    cluster->worker_pids_.push_back(*wpid);
  }
  return cluster;
}

LocalCluster::~LocalCluster() {
  for (pid_t pid : worker_pids_) ::kill(pid, SIGTERM);
  for (pid_t pid : worker_pids_) StopChild(pid, absl::Seconds(5));
  StopChild(scheduler_pid_, absl::Seconds(5));
  if (!directory_.empty()) {
    std::error_code ec;
    fs::remove_all(directory_, ec);
  }
}

}  // namespace weft::internal
