// Streaming pipelines end to end (issue 13): a real scheduler and workers, `weft receive`
// as the framed sink, `weft send` as the framed source, and `weft classify-file` as the
// serial reference the output must equal byte for byte; over mutual TLS, and with the
// workers' I/O flags reaching the stages' reads.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "common/framing.h"
#include "common/io/s3rver_fixture.h"
#include "common/poll.h"
#include "common/process.h"
#include "common/testing/test_certs.h"
#include "tests/test_cluster.h"
#include "weft/pipeline.h"

using weft::PipelineHandle;
using weft::PipelineState;
using weft::PipelineStatus;
using weft::testing::ReadFileBytes;
using weft::testing::RunCommand;
using weft::testing::Runfile;
using weft::testing::TestCluster;

namespace {

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// A port nobody listens on now (bound, then released).
int FreePort() {
  std::string bound;
  absl::StatusOr<int> fd = weft::ListenTcp("127.0.0.1:0", &bound);
  REQUIRE(fd.ok());
  ::close(*fd);
  return std::stoi(bound.substr(bound.rfind(':') + 1));
}

// The write-up's shape: an index column and 10 numbers; `bad_row` (1-based data row, 0:
// none) gets a field too few.
std::string WriteRows(const std::string& name, int rows, int bad_row = 0) {
  const std::string path = TempDir() + "/" + name;
  std::ofstream out(path);
  std::mt19937 random(rows);
  std::uniform_real_distribution<double> value(-1, 1);
  out << ",a,b,c,d,e,f,g,h,i,j\n";
  for (int r = 1; r <= rows; ++r) {
    out << r - 1;
    for (int f = 0; f < (r == bad_row ? 9 : 10); ++f) {
      char field[32];
      std::snprintf(field, sizeof(field), ",%.4f", value(random));
      out << field;
    }
    out << "\n";
  }
  return path;
}

std::string Reference(const std::string& rows) {
  const std::string path = rows + ".reference";
  auto result = RunCommand({Runfile("client/weft"), "classify-file", rows, "--output", path});
  REQUIRE(result.exit_code == 0);
  return ReadFileBytes(path);
}

// `weft receive` on a free port, writing to `output`.
struct Receiver {
  int port = FreePort();
  std::string output;
  pid_t pid = -1;

  explicit Receiver(std::string out) : output(std::move(out)) {
    weft::SpawnOptions options;
    options.log_path = output + ".log";
    options.truncate_log = true;
    auto started =
        weft::SpawnProcess({Runfile("client/weft"), "receive", "--listen",
                            "127.0.0.1:" + std::to_string(port), "--framed", "--output", output},
                           options);
    REQUIRE(started.ok());
    pid = *started;
  }
  ~Receiver() {
    if (pid > 0) weft::StopProcess(pid, absl::Seconds(1));
  }
  // Waits for it to exit; its exit code (-1 if it did not exit within the timeout).
  int Wait() {
    auto exit = weft::WaitForExit(pid, absl::Seconds(60));
    if (!exit.has_value()) return -1;
    pid = -1;
    return exit->exit_code();
  }
};

weft::Pipeline Classifier(int source_port, int sink_port, int batch_rows, int64_t burn_us) {
  weft::Pipeline pipeline("classifier");
  pipeline.source(weft::TcpSource{"127.0.0.1", source_port})
      .to_stateful(weft::BatchRows{batch_rows, /*header=*/true})
      .to_parallel("example.classify_csv",
                   {{"threshold", weft::Value(int64_t{0})}, {"burn_us", weft::Value(burn_us)}})
      .to_sink(weft::TcpSink{"127.0.0.1", sink_port});
  return pipeline;
}

int Send(const std::string& rows, int port) {
  return RunCommand(
             {Runfile("client/weft"), "send", rows, "--to", "127.0.0.1:" + std::to_string(port)},
             120)
      .exit_code;
}

// Runs the classifier over `rows` on `cluster`; the output must equal classify-file's.
void RunAndCompare(TestCluster& cluster, const std::string& rows, int batch_rows, int64_t burn_us) {
  auto client = cluster.Connect();
  Receiver receiver(rows + ".out");
  const int source_port = FreePort();
  auto handle = client->run_pipeline(Classifier(source_port, receiver.port, batch_rows, burn_us));
  REQUIRE(handle.ok());
  REQUIRE(Send(rows, source_port) == 0);
  absl::Status done = handle->wait(absl::Seconds(120));
  INFO(cluster.Logs());
  REQUIRE(done.ok());
  CHECK(receiver.Wait() == 0);  // EOT ended it
  CHECK(ReadFileBytes(receiver.output) == Reference(rows));
  PipelineStatus status = handle->status();
  CHECK(status.state == PipelineState::kDone);
  CHECK(status.rows_out > 0);
}

// A framed sink in the test that reads slowly: it accepts the pipeline's sink, reads
// `pause_after` frames, then stops reading until Resume(), then reads to EOT. Its receive
// buffer is made small, so that what it does not read backs up into the pipeline.
class SlowReader {
 public:
  explicit SlowReader(int64_t pause_after) : pause_after_(pause_after) {
    std::string bound;
    absl::StatusOr<int> fd = weft::ListenTcp("127.0.0.1:0", &bound);
    REQUIRE(fd.ok());
    listen_fd_ = *fd;
    const int small = 8 << 10;  // accepted sockets inherit it
    REQUIRE(::setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) == 0);
    port_ = std::stoi(bound.substr(bound.rfind(':') + 1));
    thread_ = std::thread([this] { Run(); });
  }
  ~SlowReader() {
    Resume();
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }

  int port() const { return port_; }
  int64_t frames() const { return frames_.load(); }
  // The kernel's receive buffer of the accepted connection, in bytes (0 before it).
  int64_t receive_buffer() const { return receive_buffer_.load(); }
  void Resume() {
    if (!resume_.HasBeenNotified()) resume_.Notify();
  }
  // Waits for EOT (or a failure); each frame followed by '\n', as `weft receive` writes.
  absl::Status Finish(std::string* output) {
    thread_.join();
    *output = std::move(output_);
    return status_;
  }

 private:
  void Run() {
    absl::StatusOr<int> fd = weft::AcceptTcp(listen_fd_, absl::Seconds(60));
    if (!fd.ok()) {
      status_ = fd.status();
      return;
    }
    int size = 0;
    socklen_t length = sizeof(size);
    ::getsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &size, &length);
    receive_buffer_.store(size);
    // A small buffer: the reader must not take much more than `pause_after` frames.
    weft::FrameReader reader(*fd, weft::kDefaultMaxFrame, /*buffer_size=*/256);
    while (true) {
      if (frames_.load() == pause_after_) resume_.WaitForNotification();
      absl::StatusOr<std::string_view> frame = reader.ReadView();
      if (!frame.ok()) {
        status_ = frame.status();
        break;
      }
      if (weft::IsEot(*frame)) break;
      output_.append(frame->data(), frame->size());
      output_ += '\n';
      frames_.fetch_add(1);
    }
    ::close(*fd);
  }

  const int64_t pause_after_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int64_t> frames_{0};
  std::atomic<int64_t> receive_buffer_{0};
  absl::Notification resume_;
  std::string output_;                      // the reader thread's until Finish
  absl::Status status_ = absl::OkStatus();  // the reader thread's until Finish
};

// The most bytes a socket's send buffer may grow to (the third of tcp_wmem; 4 MiB, the
// usual maximum, when it cannot be read).
int64_t MaxSendBuffer() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_wmem");
  int64_t min = 0, initial = 0, max = 0;
  if (in >> min >> initial >> max) return max;
  return 4 << 20;
}

}  // namespace

TEST_CASE("1,000 rows through 2 workers x 2 threads equal the serial run; EOT ends it") {
  TestCluster cluster(2, {"--nthreads", "2"});
  RunAndCompare(cluster, WriteRows("rows1000.csv", 1000), 100, 0);
}

TEST_CASE("100,000 rows in uneven batches, with a per-row cost, keep their order") {
  TestCluster cluster(2, {"--nthreads", "2"});
  // 77 rows per batch: the last batch is short; 5 us a row spreads batches over threads.
  RunAndCompare(cluster, WriteRows("rows100000.csv", 100000), 77, 5);
}

TEST_CASE("a parallel-only worker killed mid-stream: its batches are replayed, output intact") {
  TestCluster cluster(2, {"--nthreads", "2"});
  const int third = cluster.AddWorker();  // joins last: parallel only
  REQUIRE(cluster.WaitForWorkers(3));
  auto client = cluster.Connect();
  const std::string rows = WriteRows("rows_kill.csv", 3000);
  Receiver receiver(rows + ".out");
  const int source_port = FreePort();
  // 5 ms a row over 6 threads: about 2.5 s of stream.
  auto handle = client->run_pipeline(Classifier(source_port, receiver.port, 20, 5000));
  REQUIRE(handle.ok());
  auto sent = std::async(std::launch::async, [&] { return Send(rows, source_port); });
  REQUIRE(weft::PollUntil([&] { return handle->status().batches_out >= 20; },
                          absl::Now() + absl::Seconds(60)));
  REQUIRE_FALSE(handle->status().finished());
  cluster.SignalWorker(third, SIGKILL);
  CHECK(sent.get() == 0);
  absl::Status done = handle->wait(absl::Seconds(120));
  INFO(cluster.Logs());
  REQUIRE(done.ok());
  CHECK(receiver.Wait() == 0);
  CHECK(ReadFileBytes(receiver.output) == Reference(rows));
}

TEST_CASE("a function failing on a batch fails the pipeline naming the stage and the batch") {
  TestCluster cluster(2, {"--nthreads", "2"});
  auto client = cluster.Connect();
  const std::string rows = WriteRows("rows_bad.csv", 1000, /*bad_row=*/250);
  Receiver receiver(rows + ".out");
  const int source_port = FreePort();
  auto handle = client->run_pipeline(Classifier(source_port, receiver.port, 100, 0));
  REQUIRE(handle.ok());
  Send(rows, source_port);  // may fail: the source stops reading once the pipeline failed
  absl::Status done = handle->wait(absl::Seconds(60));
  CHECK(absl::IsAborted(done));
  const std::string error = handle->status().error;
  CHECK(handle->status().state == PipelineState::kFailed);
  CHECK(error.find("pipeline " + handle->id()) != std::string::npos);
  CHECK(error.find("parallel stage (example.classify_csv)") != std::string::npos);
  // Data row 250 is in batch 2 (rows 201..300), line 51 of that batch with its header.
  CHECK(error.find("batch 2: example.classify_csv(): row 51 has 10 fields") != std::string::npos);
}

TEST_CASE("a sink nobody listens on fails the pipeline at start") {
  TestCluster cluster(1, {"--nthreads", "2"});
  auto client = cluster.Connect();
  const int sink_port = FreePort();
  auto handle = client->run_pipeline(Classifier(FreePort(), sink_port, 100, 0));
  REQUIRE(handle.ok());
  CHECK(absl::IsAborted(handle->wait(absl::Seconds(60))));
  CHECK(handle->status().error ==
        "pipeline " + handle->id() + ": sink stage: before batch 0: cannot connect to 127.0.0.1:" +
            std::to_string(sink_port) +
            ": nothing listens on 127.0.0.1:" + std::to_string(sink_port));
}

TEST_CASE("a frame longer than the maximum fails the source naming the batch and frame") {
  TestCluster cluster(1, {"--nthreads", "2"});
  auto client = cluster.Connect();
  const std::string rows = WriteRows("rows_long.csv", 10);
  Receiver receiver(rows + ".out");
  const int source_port = FreePort();
  weft::Pipeline pipeline = Classifier(source_port, receiver.port, 100, 0);
  pipeline.max_frame(40);  // the header fits, a data row (~75 bytes) does not
  auto handle = client->run_pipeline(pipeline);
  REQUIRE(handle.ok());
  Send(rows, source_port);
  CHECK(absl::IsAborted(handle->wait(absl::Seconds(60))));
  const std::string error = handle->status().error;
  CHECK(error.find("pipeline " + handle->id() + ": source stage: batch 0 (frame 2): ") == 0);
}

TEST_CASE("skip_bad_records: a bad row and a too-long frame are skipped and counted") {
  TestCluster cluster(2, {"--nthreads", "2"});
  auto client = cluster.Connect();
  const std::string good = WriteRows("rows_skip.csv", 1000);
  // The input: the same rows, with data row 250 a field short and, after data row 600, a
  // line longer than the maximum frame.
  std::string bad_input;
  {
    std::istringstream in(ReadFileBytes(WriteRows("rows_skip_input.csv", 1000, 250)));
    std::ostringstream out;
    int line = 0;
    for (std::string row; std::getline(in, row); ++line) {
      out << row << "\n";
      if (line == 600) out << "600.5" << std::string(300, '9') << "\n";
    }
    bad_input = TempDir() + "/rows_skip_bad.csv";
    std::ofstream(bad_input) << out.str();
  }
  // The serial run over the input without those two lines.
  std::string expected_input;
  {
    std::istringstream in(ReadFileBytes(bad_input));
    std::ostringstream out;
    int line = 0;
    for (std::string row; std::getline(in, row); ++line) {
      if (line != 250 && line != 601) out << row << "\n";
    }
    expected_input = TempDir() + "/rows_skip_expected.csv";
    std::ofstream(expected_input) << out.str();
  }
  const std::string reference = Reference(expected_input);
  REQUIRE(reference.size() > ReadFileBytes(good).size() / 2);

  Receiver receiver(bad_input + ".out");
  const int source_port = FreePort();
  weft::Pipeline pipeline = Classifier(source_port, receiver.port, 100, 0);
  pipeline.max_frame(200).skip_bad_records();
  auto handle = client->run_pipeline(pipeline);
  REQUIRE(handle.ok());
  REQUIRE(Send(bad_input, source_port) == 0);
  absl::Status done = handle->wait(absl::Seconds(120));
  INFO(cluster.Logs());
  REQUIRE(done.ok());
  CHECK(receiver.Wait() == 0);
  CHECK(ReadFileBytes(receiver.output) == reference);
  const PipelineStatus status = handle->status();
  CHECK(status.records_skipped == 2);
  CHECK(status.rows_out == 999);
  // Whichever was reported first names its stage, batch and why.
  const std::string& first = status.first_skipped;
  INFO(first);
  const std::string prefix = "pipeline " + handle->id() + ": ";
  CHECK((first == prefix + "parallel stage (example.classify_csv): batch 2, row 50 of it: skipped: "
                           "example.classify_csv(): row 2 has 10 fields, the header has 11" ||
         first == prefix + "source stage: batch 6 (frame 603): a frame of 305 bytes is longer than "
                           "the maximum of 200 bytes"));
}

// Runs source → `step` → stream.identity → sink over `lines` on `cluster`; the output.
std::string RunStateful(TestCluster& cluster, const std::string& name,
                        const std::vector<std::string>& lines, weft::StatefulFunction step,
                        bool skip, PipelineStatus* status) {
  auto client = cluster.Connect();
  const std::string input = TempDir() + "/" + name;
  {
    std::ofstream out(input);
    for (const std::string& line : lines) out << line << "\n";
  }
  Receiver receiver(input + ".out");
  const int source_port = FreePort();
  weft::Pipeline pipeline(name);
  pipeline.source(weft::TcpSource{"127.0.0.1", source_port})
      .to_stateful(std::move(step))
      .to_parallel("stream.identity")
      .to_sink(weft::TcpSink{"127.0.0.1", receiver.port})
      .skip_bad_records(skip);
  auto handle = client->run_pipeline(pipeline);
  REQUIRE(handle.ok());
  Send(input, source_port);
  absl::Status done = handle->wait(absl::Seconds(60));
  *status = handle->status();
  if (!done.ok()) return "";
  CHECK(receiver.Wait() == 0);
  return ReadFileBytes(receiver.output);
}

TEST_CASE("a plugin's stateful function makes the batches, its state spanning rows") {
  TestCluster cluster(2, {"--preload", Runfile("worker/libexample_plugin.so")});
  PipelineStatus status;
  // pair_rows: batches of two rows, the unpaired row held as state, flushed at EOT.
  const std::vector<std::string> rows = {"r0", "r1", "r2", "r3", "r4", "r5", "r6"};
  CHECK(RunStateful(cluster, "pairs", rows, {"pair_rows", weft::Value()}, false, &status) ==
        "r0\nr1\nr2\nr3\nr4\nr5\nr6\n");
  CHECK(status.state == PipelineState::kDone);
  CHECK(status.batches_in == 4);

  // A row the function fails on: the pipeline fails naming the step and the row ...
  const std::vector<std::string> with_bad = {"r0", "r1", "bad", "r3"};
  RunStateful(cluster, "pairs-bad", with_bad, {"pair_rows", weft::Value()}, false, &status);
  CHECK(status.state == PipelineState::kFailed);
  CHECK(status.error.find("source stage: stateful step (pair_rows): row 3: pair_rows(): "
                          "pair_rows: row 'bad'") != std::string::npos);
  // ... or, when asked, is skipped and counted, the state kept across it.
  CHECK(RunStateful(cluster, "pairs-skip", with_bad, {"pair_rows", weft::Value()}, true, &status) ==
        "r0\nr1\nr3\n");
  CHECK(status.records_skipped == 1);

  // A function the workers do not have: the pipeline fails at start.
  auto client = cluster.Connect();
  weft::Pipeline nope("nope");
  nope.source(weft::TcpSource{"127.0.0.1", FreePort()})
      .to_stateful(weft::StatefulFunction{"no_such_step", weft::Value()})
      .to_parallel("stream.identity")
      .to_sink(weft::TcpSink{"127.0.0.1", FreePort()});
  auto handle = client->run_pipeline(nope);
  REQUIRE(handle.ok());
  CHECK(absl::IsAborted(handle->wait(absl::Seconds(60))));
  CHECK(handle->status().error.find("stateful step: no function no_such_step is registered") !=
        std::string::npos);
}

TEST_CASE("a sink that stops reading stalls the source; the output is complete once it reads") {
  TestCluster cluster(1, {"--nthreads", "2"});
  auto client = cluster.Connect();
  constexpr int kRows = 100000;
  constexpr int kBatchRows = 100;
  constexpr int64_t kCredits = 2 * 2;  // 2 x the parallel worker's threads
  constexpr int64_t kPauseAfter = 2000;
  const std::string rows = WriteRows("rows_backpressure.csv", kRows);
  const std::string reference = Reference(rows);
  SlowReader reader(kPauseAfter);
  const int source_port = FreePort();
  auto handle = client->run_pipeline(Classifier(source_port, reader.port(), kBatchRows, 0));
  REQUIRE(handle.ok());
  auto sent = std::async(std::launch::async, [&] { return Send(rows, source_port); });

  // The reader has paused; then the source stalls: no counter moves for 2 s (the stages
  // report at most every 500 ms while batches move, so a quiet 2 s is a stall).
  REQUIRE(weft::PollUntil([&] { return reader.frames() == kPauseAfter; },
                          absl::Now() + absl::Seconds(60)));
  PipelineStatus seen = handle->status();
  const bool stalled = weft::PollUntil(
      [&] {
        const PipelineStatus next = handle->next_status(seen, absl::Seconds(2));
        const bool quiet = next.state == seen.state && next.batches_in == seen.batches_in &&
                           next.batches_out == seen.batches_out;
        seen = next;
        return quiet;
      },
      absl::Now() + absl::Seconds(60));
  INFO("batches_in " << seen.batches_in << ", batches_out " << seen.batches_out);
  REQUIRE(stalled);
  REQUIRE_FALSE(seen.finished());
  CHECK(reader.frames() == kPauseAfter);  // it really did not read meanwhile

  // The bound: what the reader took, what the kernel buffers between the sink and the
  // reader (the sink's send buffer at its largest, the reader's receive buffer) counted
  // in the shortest output row, and the credits: at most 2 x threads batches in flight.
  size_t shortest = reference.size();
  for (size_t start = 0, nl; (nl = reference.find('\n', start)) != std::string::npos;
       start = nl + 1) {
    shortest = std::min(shortest, nl - start);
  }
  const int64_t buffered_rows =
      (MaxSendBuffer() + reader.receive_buffer()) / static_cast<int64_t>(shortest + 4);
  const int64_t bound = (kPauseAfter + buffered_rows) / kBatchRows + 1 + kCredits;
  REQUIRE(bound < kRows / kBatchRows);  // otherwise no stall could be seen

  // How many batches the source had made when it stalled: reported even though nothing
  // moves any more (a stage's last counters go out once its 500 ms are up).
  INFO("stalled at " << seen.batches_in << " batches, bound " << bound << " of "
                     << kRows / kBatchRows);
  CHECK(seen.batches_in > 0);
  CHECK(seen.batches_in <= bound);
  reader.Resume();

  // Reading again: the pipeline drains, the output is complete and in order.
  CHECK(sent.get() == 0);
  absl::Status done = handle->wait(absl::Seconds(120));
  INFO(cluster.Logs());
  REQUIRE(done.ok());
  std::string output;
  REQUIRE(reader.Finish(&output).ok());
  CHECK(output == reference);
  CHECK(handle->status().batches_in == kRows / kBatchRows);
}

TEST_CASE("a pipeline across TLS workers: the stages stream to each other with their credentials") {
  // The workers' channels to each other are made with their --tls-* flags (and nothing
  // process-wide): a source, a parallel step on both workers and a sink, all over mutual TLS.
  const weft::testing::TestCerts certs = weft::testing::MakeTestCerts();
  const std::vector<std::string> node_tls = {"--tls-ca-file",   certs.ca,    "--tls-cert",
                                             certs.server_cert, "--tls-key", certs.server_key};
  weft::testing::ScopedEnv client_tls{{{"WEFT_TLS_CA_FILE", certs.ca},
                                       {"WEFT_TLS_CERT", certs.client_cert},
                                       {"WEFT_TLS_KEY", certs.client_key},
                                       {"WEFT_AUTH_TOKEN", ""}}};
  TestCluster cluster(0, {}, node_tls);
  std::vector<std::string> worker_flags = node_tls;
  worker_flags.insert(worker_flags.end(), {"--nthreads", "2"});
  cluster.AddWorker(worker_flags);
  cluster.AddWorker(worker_flags);
  REQUIRE(cluster.WaitForWorkers(2));
  RunAndCompare(cluster, WriteRows("rows_tls.csv", 1000), 100, 0);
}

TEST_CASE("a pipeline's stages read with the workers' I/O flags") {
  // A parallel step that reads the files its rows name (the example plugin's records_in,
  // through the worker's bag.read_text): local files give their record counts in order; an
  // s3:// object at a silent --s3-endpoint fails the pipeline after 1 + --io-retries
  // attempts at that endpoint, which only the worker's flags name.
  weft::io::testing::SilentServer silent;
  auto endpoint = silent.Start();
  REQUIRE(endpoint.ok());
  TestCluster cluster(2, {"--preload", Runfile("worker/libexample_plugin.so"), "--s3-endpoint",
                          *endpoint, "--io-retries", "1", "--io-timeout", "1"});
  auto client = cluster.Connect();
  auto run = [&](const std::string& name, const std::vector<std::string>& rows,
                 PipelineStatus* status) {
    const std::string input = TempDir() + "/" + name + ".rows";
    std::ofstream(input) << absl::StrJoin(rows, "\n") << "\n";
    Receiver receiver(input + ".out");
    const int source_port = FreePort();
    weft::Pipeline pipeline(name);
    pipeline.source(weft::TcpSource{"127.0.0.1", source_port})
        .to_stateful(weft::BatchRows{1, /*header=*/false})
        .to_parallel("records_in")
        .to_sink(weft::TcpSink{"127.0.0.1", receiver.port});
    auto handle = client->run_pipeline(pipeline);
    REQUIRE(handle.ok());
    Send(input, source_port);  // may fail once the pipeline failed
    (void)handle->wait(absl::Seconds(120));
    *status = handle->status();
    if (status->state == PipelineState::kDone) REQUIRE(receiver.Wait() == 0);
    return status->state == PipelineState::kDone ? ReadFileBytes(receiver.output) : "";
  };
  std::vector<std::string> files;
  std::string expected;
  for (int n : {3, 1, 5}) {
    files.push_back(TempDir() + "/records_" + std::to_string(n) + ".json");
    std::ofstream out(files.back());
    for (int i = 0; i < n; ++i) out << "{\"i\": " << i << "}\n";
    expected += files.back() + "\t" + std::to_string(n) + "\n";
  }
  PipelineStatus status;
  CHECK(run("local", files, &status) == expected);
  CHECK(status.state == PipelineState::kDone);

  run("silent", {"s3://bucket/2015-01-01-0.json"}, &status);
  INFO(cluster.Logs());
  CHECK(status.state == PipelineState::kFailed);
  CHECK_THAT(status.error, Catch::Contains("parallel stage (records_in)") &&
                               Catch::Contains(*endpoint + " unavailable after 2 attempts to GET "
                                                           "s3://bucket/2015-01-01-0.json"));
}
