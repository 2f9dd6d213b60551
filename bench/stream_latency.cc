// The load generator and timing sink of bench/run_stream.sh (b): sends RECORDS 64-byte
// records, each carrying its send time, through a streaming pipeline whose parallel step
// is a no-op, receives them back as the pipeline's sink, and prints the throughput and
// the latency from send to receive:
//
//   stream_latency SOURCE_HOST:PORT PORT_FILE RECORDS RATE
//
// It first listens on 127.0.0.1 (any free port) for the pipeline's sink and writes that
// port to PORT_FILE (the script then starts `weft stream --sink tcp://127.0.0.1:PORT`),
// connects to the pipeline's source (retrying until it listens), sends the records
// (RATE records/s, flushing each one; RATE 0: as fast as it can, 64 KiB writes), then
// EOT, and reads the sink's frames until EOT. Each record is "INDEX SEND_NS" padded with
// '.' to 64 bytes, SEND_NS the steady clock's nanoseconds (one process: the same clock
// at both ends). Prints one line:
//
//   records N seconds S records_per_s R p50_ms A p99_ms B max_ms C
//
// seconds: from the first send to the last receive. Exit 1 (with a message) when a
// record is missing, duplicated or out of order, or the connections fail.
//
// Threading: the main thread sends; one thread accepts and receives.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/framing.h"

namespace {

constexpr size_t kRecordBytes = 64;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Received {
  std::vector<int64_t> latency_ns;
  int64_t last_ns = 0;
  absl::Status status;
};

// Reads the sink's frames until EOT, checking that record i arrives i-th.
Received Receive(int listen_fd, int64_t records) {
  Received received;
  received.latency_ns.reserve(static_cast<size_t>(records));
  absl::StatusOr<int> fd = weft::AcceptTcp(listen_fd, absl::Seconds(60));
  if (!fd.ok()) {
    received.status = fd.status();
    return received;
  }
  weft::FrameReader reader(*fd);
  while (true) {
    absl::StatusOr<std::string_view> frame = reader.ReadView();
    if (!frame.ok()) {
      received.status = frame.status();
      break;
    }
    if (weft::IsEot(*frame)) break;
    const int64_t now = NowNs();
    long long index = -1;
    long long sent = 0;
    const std::string text(*frame);
    if (std::sscanf(text.c_str(), "%lld %lld", &index, &sent) != 2 ||
        index != static_cast<long long>(received.latency_ns.size())) {
      received.status = absl::DataLossError(
          absl::StrCat("record ", received.latency_ns.size(), " expected, got \"", text, "\""));
      break;
    }
    received.latency_ns.push_back(now - sent);
    received.last_ns = now;
  }
  ::close(*fd);
  if (received.status.ok() && static_cast<int64_t>(received.latency_ns.size()) != records) {
    received.status = absl::DataLossError(
        absl::StrCat(received.latency_ns.size(), " records received of ", records));
  }
  return received;
}

// Sends `records` records at `rate` per second (0: unpaced), then EOT.
absl::Status Send(const std::string& to, int64_t records, double rate, int64_t* first_ns) {
  absl::StatusOr<int> fd = weft::ConnectTcp(to, absl::Seconds(60));
  if (!fd.ok()) return fd.status();
  weft::FrameWriter writer(*fd);
  std::string record;
  absl::Status status;
  *first_ns = NowNs();
  for (int64_t i = 0; i < records && status.ok(); ++i) {
    if (rate > 0) {
      const int64_t due = *first_ns + static_cast<int64_t>(1e9 * static_cast<double>(i) / rate);
      std::this_thread::sleep_for(std::chrono::nanoseconds(due - NowNs()));
    }
    record = absl::StrCat(i, " ", NowNs(), " ");
    record.resize(kRecordBytes, '.');
    status = writer.Write(record);
    if (status.ok() && rate > 0) status = writer.Flush();
  }
  if (status.ok()) status = writer.WriteEot();
  if (status.ok()) status = writer.Flush();
  ::shutdown(*fd, SHUT_WR);
  ::close(*fd);
  return status;
}

double Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return static_cast<double>(sorted[i]) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s SOURCE_HOST:PORT PORT_FILE RECORDS RATE\n", argv[0]);
    return 2;
  }
  const std::string to = argv[1];
  const int64_t records = std::atoll(argv[3]);
  const double rate = std::atof(argv[4]);
  std::string bound;
  absl::StatusOr<int> listen_fd = weft::ListenTcp("127.0.0.1:0", &bound);
  if (!listen_fd.ok()) {
    std::fprintf(stderr, "stream_latency: %s\n", listen_fd.status().ToString().c_str());
    return 1;
  }
  {
    const std::string port_file = argv[2];
    std::ofstream(port_file + ".tmp") << bound.substr(bound.rfind(':') + 1) << "\n";
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  Received received;
  std::thread receiver([&] { received = Receive(*listen_fd, records); });
  int64_t first_ns = 0;
  const absl::Status sent = Send(to, records, rate, &first_ns);
  receiver.join();
  ::close(*listen_fd);
  for (const absl::Status& status : {sent, received.status}) {
    if (!status.ok()) {
      std::fprintf(stderr, "stream_latency: %s\n", status.ToString().c_str());
      return 1;
    }
  }
  std::vector<int64_t>& latency = received.latency_ns;
  std::sort(latency.begin(), latency.end());
  const double seconds = static_cast<double>(received.last_ns - first_ns) / 1e9;
  std::printf("records %" PRId64
              " seconds %.3f records_per_s %.0f p50_ms %.3f p99_ms %.3f "
              "max_ms %.3f\n",
              records, seconds, static_cast<double>(records) / seconds, Percentile(latency, 0.5),
              Percentile(latency, 0.99), Percentile(latency, 1.0));
  return 0;
}
