#include "client/local_cluster.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/process.h"
#include "common/scheduler_file.h"

namespace weft::internal {
namespace fs = std::filesystem;

namespace {

bool IsExecutable(const fs::path& p) {
  return ::access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p);
}

// The file this code was loaded from: libweft.so for a program linked with it (wherever
// the dynamic linker found it), else the executable. Empty when unknown.
fs::path ThisObjectFile() {
  Dl_info info;
  if (::dladdr(reinterpret_cast<void*>(&IsExecutable), &info) == 0 || info.dli_fname == nullptr ||
      info.dli_fname[0] == '\0') {
    return {};
  }
  std::error_code ec;
  fs::path path = fs::canonical(info.dli_fname, ec);
  return ec ? fs::path() : path;
}

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

// Every LocalCluster alive in this process, for StopAllLocalClusters.
absl::Mutex& RegistryMutex() {
  static auto* mu = new absl::Mutex();
  return *mu;
}

absl::flat_hash_set<LocalCluster*>& Registry() {
  static auto* clusters = new absl::flat_hash_set<LocalCluster*>();
  return *clusters;
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
    // An installed libweft.so (PREFIX/lib) finds the daemons installed with it (PREFIX/bin),
    // whatever program loaded it and whatever $PATH says.
    fs::path object = ThisObjectFile();
    if (!object.empty()) {
      candidates.push_back(object.parent_path() / name);
      candidates.push_back(object.parent_path().parent_path() / "bin" / name);
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
  return absl::NotFoundError(
      absl::StrCat("cannot find the ", name, " executable (set WEFT_BIN_DIR, or build it with ",
                   "`bazel build //scheduler:weft-scheduler //worker:weft-worker`)"));
}

absl::StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Start(
    const LocalClusterOptions& options, absl::Duration timeout) {
  auto scheduler_bin = FindWeftBinary("weft-scheduler", options.bin_dir);
  if (!scheduler_bin.ok()) return scheduler_bin.status();
  auto worker_bin = FindWeftBinary("weft-worker", options.bin_dir);
  if (!worker_bin.ok()) return worker_bin.status();

  std::unique_ptr<LocalCluster> cluster(new LocalCluster());
  // Registered at once, so that a signal during start-up still finds what exists so far;
  // its fields change under the registry's lock (StopAllLocalClusters reads them there).
  {
    absl::MutexLock lock(&RegistryMutex());
    Registry().insert(cluster.get());
  }
  auto locked = [](auto&& change) {
    absl::MutexLock lock(&RegistryMutex());
    change();
  };
  std::string tmpl = (fs::temp_directory_path() / "weft-local-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create a temporary directory: ", strerror(errno)));
  }
  locked([&] { cluster->directory_ = tmpl; });
  std::string scheduler_file = tmpl + "/scheduler.json";

  std::vector<std::string> scheduler_argv = {
      *scheduler_bin, "--host", "127.0.0.1", "--port", "0", "--scheduler-file", scheduler_file};
  std::vector<std::string> tls_flags = TlsFlags(options.security);
  scheduler_argv.insert(scheduler_argv.end(), tls_flags.begin(), tls_flags.end());
  SpawnOptions scheduler_spawn;
  scheduler_spawn.log_path = tmpl + "/scheduler.log";
  scheduler_spawn.extra_env = TokenEnv(options.security);
  scheduler_spawn.own_process_group = true;  // Ctrl-C in `weft shell` is the shell's
  auto pid = SpawnProcess(scheduler_argv, scheduler_spawn);
  if (!pid.ok()) return pid.status();
  locked([&] { cluster->scheduler_pid_ = *pid; });

  bool exited = false;
  absl::StatusOr<std::string> address =
      ReadSchedulerFile(scheduler_file, absl::Now() + timeout,
                        [&] { return exited = TryReap(cluster->scheduler_pid_).has_value(); });
  if (!address.ok()) {
    if (exited) locked([&] { cluster->scheduler_pid_ = -1; });  // reaped: nothing to stop
    return absl::UnavailableError(absl::StrCat("the local weft-scheduler did not start (",
                                               address.status().message(), "); its log is ", tmpl,
                                               "/scheduler.log"));
  }
  cluster->scheduler_address_ = *std::move(address);
  for (int i = 0; i < options.n_workers; ++i) {
    std::vector<std::string> argv = {*worker_bin,
                                     cluster->scheduler_address_,
                                     "--nthreads",
                                     absl::StrCat(options.threads_per_worker),
                                     "--name",
                                     absl::StrCat("local-", i),
                                     "--host",
                                     "127.0.0.1",
                                     "--local-directory",
                                     absl::StrCat(tmpl, "/worker-", i),
                                     "--no-nanny"};
    for (const auto& so : options.preload) {
      argv.push_back("--preload");
      argv.push_back(so);
    }
    argv.insert(argv.end(), tls_flags.begin(), tls_flags.end());
    argv.insert(argv.end(), options.extra_worker_args.begin(), options.extra_worker_args.end());
    SpawnOptions worker_spawn;
    worker_spawn.log_path = absl::StrCat(tmpl, "/worker-", i, ".log");
    worker_spawn.extra_env = TokenEnv(options.security);
    worker_spawn.own_process_group = true;
    auto wpid = SpawnProcess(argv, worker_spawn);
    if (!wpid.ok()) return wpid.status();
    locked([&] { cluster->worker_pids_.push_back(*wpid); });
  }
  return cluster;
}

absl::Status LocalCluster::CheckWorkers() {
  absl::MutexLock lock(&RegistryMutex());  // StopAllLocalClusters may be at work
  for (size_t i = 0; i < worker_pids_.size(); ++i) {
    if (worker_pids_[i] <= 0) continue;
    std::optional<ChildExit> exit = TryReap(worker_pids_[i]);
    if (!exit.has_value()) continue;
    worker_pids_[i] = -1;
    const std::string log = absl::StrCat(directory_, "/worker-", i, ".log");
    std::ifstream in(log);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
    const size_t from = lines.size() > 5 ? lines.size() - 5 : 0;
    std::string tail;
    for (size_t j = from; j < lines.size(); ++j) absl::StrAppend(&tail, "\n  ", lines[j]);
    return absl::FailedPreconditionError(absl::StrCat(
        "local worker local-", i, " exited (", exit->ToString(), "); the end of its log:", tail));
  }
  return absl::OkStatus();
}

LocalCluster::~LocalCluster() {
  absl::MutexLock lock(&RegistryMutex());
  Registry().erase(this);
  StopNow();
}

void LocalCluster::StopNow() {
  StopProcesses(worker_pids_, absl::Seconds(5));
  StopProcess(scheduler_pid_, absl::Seconds(5));
  worker_pids_.clear();
  scheduler_pid_ = -1;
  if (!directory_.empty()) {
    std::error_code ec;
    fs::remove_all(directory_, ec);
    directory_.clear();
  }
}

void StopAllLocalClusters() {
  absl::MutexLock lock(&RegistryMutex());
  for (LocalCluster* cluster : Registry()) cluster->StopNow();
}

}  // namespace weft::internal
