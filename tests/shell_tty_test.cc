// `weft shell` on a terminal, driven through a pseudo-terminal as a person would type:
// Ctrl-C stops a running query (the cluster stops its tasks) and the session goes on with
// its names; Ctrl-C at the prompt drops the half-typed line; TAB completes names and
// methods; Ctrl-R finds an earlier line; Ctrl-D leaves with status 0. Every wait is on a
// condition — text on the terminal, or the cluster's state — with a deadline.
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/test_cluster.h"

namespace fs = std::filesystem;
using weft::ClusterInfo;
using weft::testing::Runfile;
using weft::testing::TestCluster;
using weft::testing::WaitForInfo;

namespace {

// A program on the slave side of a new pseudo-terminal (its stdin, stdout and stderr),
// and what it has written so far.
class Terminal {
 public:
  explicit Terminal(const std::vector<std::string>& argv) {
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    struct winsize size = {};
    size.ws_row = 40;
    size.ws_col = 200;  // no line wrapping in the echo of what is typed
    pid_ = ::forkpty(&master_, nullptr, nullptr, &size);
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setenv("TERM", "xterm", 1);
      ::execv(cargv[0], cargv.data());
      ::_exit(127);
    }
  }
  ~Terminal() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(master_);
  }

  void Type(const std::string& keys) {
    REQUIRE(::write(master_, keys.data(), keys.size()) == static_cast<ssize_t>(keys.size()));
  }

  // Reads until `text` appears after what earlier Expects consumed; consumes up to its
  // end. False (with everything read kept for the failure message) after `timeout`.
  bool Expect(const std::string& text, absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      size_t at = output_.find(text, consumed_);
      if (at != std::string::npos) {
        last_ = output_.substr(consumed_, at + text.size() - consumed_);
        consumed_ = at + text.size();
        return true;
      }
      if (!ReadSome(deadline)) {
        UNSCOPED_INFO("waited for " << text << " on the terminal, which shows:\n" << output_);
        return false;
      }
    }
  }

  // What the last Expect consumed (the text it waited for included).
  const std::string& last() const { return last_; }
  // The exit status once the program has ended (reading its output meanwhile), or -1
  // after `timeout`.
  int WaitForExit(absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      int status = 0;
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (absl::Now() >= deadline) {
        UNSCOPED_INFO("the program did not exit; the terminal shows:\n" << output_);
        return -1;
      }
      // Drains the terminal (a full one would block the program), or waits a little once
      // the program has closed its side.
      if (!ReadSome(std::min(deadline, absl::Now() + absl::Milliseconds(50)))) {
        struct pollfd none = {-1, 0, 0};
        ::poll(&none, 1, 10);
      }
    }
  }

 private:
  // Appends what the program writes before `deadline`; false when nothing came.
  bool ReadSome(absl::Time deadline) {
    struct pollfd p = {master_, POLLIN, 0};
    const int ms =
        static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
    if (::poll(&p, 1, ms) <= 0) return false;
    char buffer[4096];
    ssize_t n = ::read(master_, buffer, sizeof(buffer));
    if (n <= 0) return false;  // EIO: the program closed the terminal
    output_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  int master_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string output_;
  size_t consumed_ = 0;
  std::string last_;
};

constexpr char kPrompt[] = "weft> ";

// The printed result of a one-line query: the value, then spaces up to the timing at
// column 56 (shell.h: Session::Format).
std::string ResultLine(const std::string& value) {
  return value + std::string(56 - value.size(), ' ') + "(";
}

int64_t Processing(const ClusterInfo& info) {
  int64_t n = 0;
  for (const auto& w : info.worker_details) n += w.processing;
  return n;
}

std::string HistoryFile(const std::string& name) {
  const fs::path file = fs::temp_directory_path() / absl::StrCat("weft-", name, "-", getpid());
  fs::remove(file);
  return file.string();
}

// `weft shell ADDRESS` on a terminal, with `records` defined (3 items, 2 with type 1).
struct ShellOnTerminal {
  explicit ShellOnTerminal(const TestCluster& cluster, const std::string& history)
      : terminal({Runfile("client/weft"), "shell", cluster.address(), "--history-file", history}) {
    REQUIRE(terminal.Expect(kPrompt));
    terminal.Type("records = from_sequence([{\"type\": 1}, {\"type\": 2}, {\"type\": 1}])\r");
    REQUIRE(terminal.Expect(kPrompt));
    terminal.Type("records.count()\r");
    REQUIRE(terminal.Expect(ResultLine("3")));
    REQUIRE(terminal.Expect(kPrompt));
  }
  Terminal terminal;
};

}  // namespace

TEST_CASE("Ctrl-C in weft shell cancels the running query and keeps the session") {
  TestCluster cluster(2, {"--nthreads", "2"});
  auto client = cluster.Connect();
  const std::string history = HistoryFile("tty-interrupt");
  ShellOnTerminal shell(cluster, history);
  Terminal& t = shell.terminal;

  SECTION("a bag query: its tasks stop on the workers") {
    // Two tasks of a minute each, one per worker.
    t.Type("from_sequence([60, 61], npartitions=2).map_function(\"sleep\").compute()\r");
    REQUIRE(WaitForInfo(*client, [](const ClusterInfo& i) { return Processing(i) == 2; }));
    t.Type("\x03");
    REQUIRE(t.Expect("interrupted: the query was cancelled", absl::Seconds(5)));
    REQUIRE(t.Expect(kPrompt));
    // The cluster stops the work: well before the minute is up.
    CHECK(WaitForInfo(
        *client, [](const ClusterInfo& i) { return Processing(i) == 0; }, absl::Seconds(10)));
  }
  SECTION("a single value (count): its future is cancelled") {
    t.Type("from_sequence([60, 61], npartitions=2).map_function(\"sleep\").count()\r");
    REQUIRE(WaitForInfo(*client, [](const ClusterInfo& i) { return Processing(i) == 2; }));
    t.Type("\x03");
    REQUIRE(t.Expect("interrupted: the query was cancelled", absl::Seconds(5)));
    REQUIRE(t.Expect(kPrompt));
    CHECK(WaitForInfo(
        *client, [](const ClusterInfo& i) { return Processing(i) == 0; }, absl::Seconds(10)));
  }
  SECTION("an array reduction: its chunks stop on the workers") {
    // 8e9 random numbers in 160 chunks: far more than the test waits for.
    t.Type("random.uniform(0, 1, size=8000000000, chunks=50000000, seed=3).sum()\r");
    REQUIRE(WaitForInfo(*client, [](const ClusterInfo& i) { return Processing(i) >= 2; }));
    t.Type("\x03");
    REQUIRE(t.Expect("interrupted: the query was cancelled", absl::Seconds(5)));
    REQUIRE(t.Expect(kPrompt));
    CHECK(WaitForInfo(
        *client, [](const ClusterInfo& i) { return Processing(i) == 0; }, absl::Seconds(10)));
  }
  SECTION("take(), which cannot be cancelled: the prompt comes back at once") {
    t.Type("from_sequence([60, 61], npartitions=2).map_function(\"sleep\").take(1)\r");
    REQUIRE(WaitForInfo(*client, [](const ClusterInfo& i) { return Processing(i) >= 1; }));
    t.Type("\x03");
    REQUIRE(t.Expect("interrupted: stopped waiting", absl::Seconds(5)));
    REQUIRE(t.Expect(kPrompt));
    // Its thread is still waiting when the shell leaves below: leaving does not wait for it.
  }
  SECTION("at the prompt: the half-typed line is dropped") {
    t.Type("records.fil");
    REQUIRE(t.Expect("records.fil"));  // the editor has it
    t.Type("\x03");
    REQUIRE(t.Expect(kPrompt, absl::Seconds(5)));
  }

  // The session goes on, with what it had defined: a line that was dropped would have
  // made this one an error.
  t.Type("records.count()\r");
  REQUIRE(t.Expect(kPrompt));
  CHECK(t.last().find(ResultLine("3")) != std::string::npos);
  CHECK(t.last().find("error") == std::string::npos);

  t.Type("\x04");                                // Ctrl-D
  CHECK(t.WaitForExit(absl::Seconds(20)) == 0);  // well before the minute of the sleeps
  fs::remove(history);
}

TEST_CASE("Ctrl-C in weft shell on its own local cluster leaves that cluster running") {
  const std::string history = HistoryFile("tty-local");
  Terminal t({Runfile("client/weft"), "shell", "--n-workers", "1", "--history-file", history});
  REQUIRE(t.Expect("scheduler=", absl::Seconds(30)));
  REQUIRE(t.Expect(" "));
  std::string address = t.last();  // "127.0.0.1:PORT "
  address.pop_back();
  REQUIRE(t.Expect(kPrompt));
  auto client = weft::Client::Connect(address);  // to see the local cluster's state
  REQUIRE(client.ok());
  t.Type("records = from_sequence([{\"type\": 1}, {\"type\": 2}, {\"type\": 1}])\r");
  REQUIRE(t.Expect(kPrompt));
  t.Type("from_sequence([60]).map_function(\"sleep\").count()\r");
  REQUIRE(WaitForInfo(**client, [](const ClusterInfo& i) { return Processing(i) == 1; }));
  t.Type("\x03");
  REQUIRE(t.Expect("interrupted", absl::Seconds(10)));
  REQUIRE(t.Expect(kPrompt));
  // The scheduler and worker were not in the terminal's process group: still there.
  t.Type("records.count()\r");
  REQUIRE(t.Expect(ResultLine("3"), absl::Seconds(20)));
  REQUIRE(t.Expect(kPrompt));
  t.Type("\x04");
  CHECK(t.WaitForExit(absl::Seconds(20)) == 0);
  fs::remove(history);
}

TEST_CASE("keys typed while a query runs wait for the next prompt") {
  TestCluster cluster(1);
  const std::string history = HistoryFile("tty-typeahead");
  ShellOnTerminal shell(cluster, history);
  Terminal& t = shell.terminal;
  // A query of a second, then (while it runs) the next line and Ctrl-D.
  t.Type("from_sequence([1]).map_function(\"sleep\").count()\r");
  t.Type("records.count()\r\x04");
  REQUIRE(t.Expect(ResultLine("1")));
  REQUIRE(t.Expect(ResultLine("3")));
  CHECK(t.WaitForExit() == 0);
  fs::remove(history);
}

TEST_CASE("TAB completes names and methods; Ctrl-R finds an earlier line; Ctrl-D leaves") {
  TestCluster cluster(1);
  const std::string history = HistoryFile("tty-complete");
  ShellOnTerminal shell(cluster, history);
  Terminal& t = shell.terminal;

  // `rec` + TAB is `records` (a defined name: nothing appended).
  t.Type("rec\t.count()\r");
  REQUIRE(t.Expect(kPrompt));
  CHECK(t.last().find(ResultLine("3")) != std::string::npos);

  // `records.fil` + TAB is `records.filter(` (a method: the parenthesis opened).
  t.Type("records.fil\t\"type == 1\").count()\r");
  REQUIRE(t.Expect(kPrompt));
  CHECK(t.last().find(ResultLine("2")) != std::string::npos);

  t.Type("records.pluck(\"type\").distinct().count()\r");
  REQUIRE(t.Expect(kPrompt));
  CHECK(t.last().find(ResultLine("2")) != std::string::npos);

  // Ctrl-R and a piece of the filter line: that line again, run by Enter. (The editor
  // reads the keys in order, so they go in one write.)
  t.Type("\x12type == 1\r");
  REQUIRE(t.Expect(kPrompt));
  CHECK(t.last().find(ResultLine("2")) != std::string::npos);
  CHECK(t.last().find("error") == std::string::npos);

  t.Type("\x04");
  CHECK(t.WaitForExit() == 0);
  fs::remove(history);
}
