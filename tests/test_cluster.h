// TestCluster: a real weft-scheduler and real weft-workers on loopback, as child
// processes of the test, for cross-process tests. The binaries come from the test's
// runfiles (declare them in `data`).
//
// Threading: use from the test's thread only.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/poll.h"
#include "weft/client.h"

namespace weft::testing {

// The path of `path` (relative to the workspace, e.g. "worker/weft-worker") in the runfiles.
std::string Runfile(const std::string& path);

// `s` quoted for sh: 'it'\''s'.
std::string ShellQuote(const std::string& s);

// The bytes of a file ("" if it cannot be read).
std::string ReadFileBytes(const std::string& path);

// `v` written as Python's json.dumps(v, ensure_ascii=False) writes it (", " and ": "
// separators), so that answers printed by a Python script compare as text. Doubles are
// written with up to 17 significant digits, as Python's repr does for most values.
std::string PythonJson(const Value& v);

// An HTTP GET of `target` ("/api/workers") from the server at `base` ("http://HOST:PORT",
// a trailing '/' allowed; plain HTTP, 10 s to answer): the dashboard's pages and API.
// Throws boost::system::system_error when the server cannot be reached or answers badly.
struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};
HttpResponse HttpGet(const std::string& base, const std::string& target);

// Runs a command and returns its exit code and what it printed (stdout and stderr).
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_seconds = 60);

// Waits until `pred(info)` holds for the scheduler's ClusterInfo, asking again every 20 ms;
// false after `timeout`. The one way tests wait for the cluster to reach a state.
template <typename Pred>
bool WaitForInfo(Client& client, Pred pred, absl::Duration timeout = absl::Seconds(30)) {
  return PollUntil(
      [&] {
        auto info = client.info();
        return info.ok() && pred(*info);
      },
      absl::Now() + timeout, absl::Milliseconds(20));
}

// How many tasks the scheduler holds in `state` ("no-worker", "memory", ...).
int64_t TasksIn(const ClusterInfo& info, const std::string& state);

// Sets (or, for an empty value, unsets) environment variables; restores them when done.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::map<std::string, std::string>& vars);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

class TestCluster {
 public:
  // Starts a scheduler (free port) and `n_workers` workers with `worker_args` added to each
  // worker's command line, and waits until all have registered.
  explicit TestCluster(int n_workers = 2, std::vector<std::string> worker_args = {},
                       std::vector<std::string> scheduler_args = {});
  ~TestCluster();

  const std::string& address() const { return address_; }
  // Starts one more worker; returns its index.
  int AddWorker(std::vector<std::string> extra_args = {});
  pid_t worker_pid(int i) const { return workers_[i]; }
  // Sends `signal` to worker i (SIGKILL: it is reaped).
  void SignalWorker(int i, int signal);
  std::unique_ptr<Client> Connect();
  // Waits until the scheduler reports `n` workers; false on timeout.
  bool WaitForWorkers(int n, int timeout_seconds = 30);
  std::string Logs() const;  // every process's log, for failure messages

 private:
  std::string dir_;
  std::string address_;
  pid_t scheduler_ = -1;
  std::vector<pid_t> workers_;
  std::vector<std::string> worker_args_;
};

}  // namespace weft::testing
