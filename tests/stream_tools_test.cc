// `weft send`, `weft receive` and `weft classify-file` as real processes on loopback
// (issue 13). No cluster: these tools speak plain framed TCP.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/framing.h"
#include "common/poll.h"
#include "common/process.h"
#include "tests/test_cluster.h"

namespace weft::testing {
namespace {

std::string TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl = absl::StrCat(base != nullptr ? base : "/tmp", "/stream-tools-XXXXXX");
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string Weft() { return Runfile("client/weft"); }

// `weft receive --print-address` on a free port, in the background.
struct Receiver {
  Receiver(const std::string& dir, const std::string& output) : log(dir + "/receive.log") {
    SpawnOptions options;
    options.log_path = log;
    options.truncate_log = true;
    auto started = SpawnProcess({Weft(), "receive", "--listen", "127.0.0.1:0", "--framed",
                                 "--output", output, "--print-address"},
                                options);
    REQUIRE(started.ok());
    pid = *started;
    const std::string prefix = "listening on ";
    REQUIRE(PollUntil([&] { return absl::StrContains(ReadFileBytes(log), "\n"); },
                      absl::Now() + absl::Seconds(30)));
    const std::string first = ReadFileBytes(log);
    REQUIRE(absl::StartsWith(first, prefix));
    address = first.substr(prefix.size(), first.find('\n') - prefix.size());
  }
  ~Receiver() { StopProcess(pid, absl::Seconds(1)); }

  // How the receiver ended (waits up to 30 s).
  ChildExit Wait() {
    auto exit = WaitForExit(pid, absl::Seconds(30));
    REQUIRE(exit.has_value());
    pid = -1;
    return *exit;
  }

  std::string log;
  pid_t pid = -1;
  std::string address;
};

TEST_CASE("weft send to weft receive: the received file is the sent one") {
  const std::string dir = TempDir();
  std::string lines;
  for (int i = 0; i < 1000; ++i) {
    // One empty line: an empty frame, received as an empty line.
    lines += i == 500 ? "\n" : absl::StrCat(i, ",", std::string(i % 37, 'x'), ",0.5\n");
  }
  WriteFile(dir + "/in.txt", lines);
  Receiver receiver(dir, dir + "/out.txt");
  auto sent = RunCommand({Weft(), "send", dir + "/in.txt", "--to", receiver.address});
  CHECK(sent.exit_code == 0);
  CHECK(sent.output.empty());
  const ChildExit exit = receiver.Wait();
  INFO(ReadFileBytes(receiver.log));
  CHECK(exit.exit_code() == 0);
  CHECK(RunCommand({"cmp", dir + "/in.txt", dir + "/out.txt"}).exit_code == 0);
}

TEST_CASE("weft send to a port nobody listens on: exit 1, nothing listens") {
  std::string bound;
  auto listener = ListenTcp("127.0.0.1:0", &bound);
  REQUIRE(listener.ok());
  ::close(*listener);  // a port that was free a moment ago, with nobody on it now
  const std::string dir = TempDir();
  WriteFile(dir + "/in.txt", "a\nb\n");
  auto sent =
      RunCommand({Weft(), "send", dir + "/in.txt", "--to", bound, "--connect-timeout", "0.3"});
  CHECK(sent.exit_code == 1);
  CHECK(sent.output == "weft: nothing listens on " + bound + "\n");
}

TEST_CASE("weft receive: a sender that drops mid-frame is exit 1 saying where") {
  const std::string dir = TempDir();
  Receiver receiver(dir, dir + "/out.txt");
  auto fd = ConnectTcp(receiver.address, absl::Seconds(10));
  REQUIRE(fd.ok());
  REQUIRE(WriteFrame(*fd, "first").ok());
  const std::string partial(
      "\0\0\0\x0a"
      "abc",
      7);  // a 10-byte frame cut after 3 bytes
  REQUIRE(::write(*fd, partial.data(), partial.size()) == 7);
  ::close(*fd);
  const ChildExit exit = receiver.Wait();
  CHECK(exit.exit_code() == 1);
  CHECK(absl::StrContains(
      ReadFileBytes(receiver.log),
      "weft: the connection closed after 3 of 10 payload bytes (after 1 frames, before EOT)"));
  CHECK(ReadFileBytes(dir + "/out.txt") == "first\n");
}

TEST_CASE("weft receive without --framed refuses: exit 2") {
  auto run = RunCommand({Weft(), "receive", "--listen", "127.0.0.1:0"});
  CHECK(run.exit_code == 2);
  CHECK(absl::StartsWith(run.output, "weft receive: only framed input is supported"));
}

TEST_CASE("weft classify-file labels rows as an independent Python computation does") {
  const std::string dir = TempDir();
  auto gen = RunCommand({"python3", Runfile("bench/gen_csv.py"), "--rows", "5000", "--seed", "7",
                         "--output", dir + "/rows.csv"});
  REQUIRE(gen.exit_code == 0);
  for (const std::string threshold : {"0", "0.75"}) {
    auto answers =
        RunCommand({"python3", Runfile("tests/classify_answers.py"), dir + "/rows.csv", threshold});
    REQUIRE(answers.exit_code == 0);
    auto classified = RunCommand({Weft(), "classify-file", dir + "/rows.csv", "--threshold",
                                  threshold, "--output", dir + "/labels.txt"});
    REQUIRE(classified.exit_code == 0);
    const std::string labels = ReadFileBytes(dir + "/labels.txt");
    CHECK(labels == answers.output);
    // Both labels occur, and every data row is there: the test can fail.
    CHECK(absl::StrContains(labels, ",high\n"));
    CHECK(absl::StrContains(labels, ",low\n"));
    CHECK(std::count(labels.begin(), labels.end(), '\n') == 5000);
  }
}

TEST_CASE("weft classify-file: a row with the wrong field count is exit 1 naming it") {
  const std::string dir = TempDir();
  WriteFile(dir + "/bad.csv", "index,a,b\n0,1,2\n1,2\n");
  auto run = RunCommand({Weft(), "classify-file", dir + "/bad.csv"});
  CHECK(run.exit_code == 1);
  CHECK(run.output == "weft: " + dir + "/bad.csv: row 3 has 2 fields, the header has 3\n");
}

}  // namespace
}  // namespace weft::testing
