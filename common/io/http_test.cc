// weft::io over http:// against loopback servers started by the test: python's
// http.server (GET, gzip, 404, a server that ignores Range) and a small scripted server
// that fails on purpose (503s, connections cut mid-body) to exercise retry and resume.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/io/compress_for_test.h"
#include "common/io/io.h"
#include "common/io/s3rver_fixture.h"

namespace weft::io {
namespace {

using testing::GzipCompress;
using testing::MakeJsonLines;

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

bool Contains(const absl::Status& status, std::string_view text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

IoOptions FastOptions() {
  IoOptions options;
  options.initial_backoff = absl::Milliseconds(10);
  options.connect_timeout = absl::Seconds(2);
  return options;
}

TEST_CASE("http GET, gzip, ranges and 404 against python http.server") {
  auto dir = testing::MakeTempDir("http_test");
  REQUIRE(dir.ok());
  const std::string text = MakeJsonLines(2 << 20, 3);
  WriteFile(*dir + "/data.json", text);
  WriteFile(*dir + "/data.json.gz", GzipCompress(text));
  testing::HttpFileServer server;
  auto base = server.Start(*dir);
  REQUIRE(base.ok());

  auto files = ExpandGlob(*base + "/data.json.gz", FastOptions());
  REQUIRE(files.ok());
  REQUIRE(files->size() == 1);
  CHECK((*files)[0] == FileInfo{*base + "/data.json.gz", -1});

  auto plain = ReadAll(*base + "/data.json", Compression::kInfer, FastOptions());
  REQUIRE(plain.ok());
  CHECK(*plain == text);
  auto gz = ReadAll(*base + "/data.json.gz", Compression::kInfer, FastOptions());
  REQUIRE(gz.ok());
  CHECK(*gz == text);

  // http.server ignores Range and answers 200 with the whole file: the stream skips.
  auto stream = OpenRead(*base + "/data.json", FastOptions(), 100000, 777);
  REQUIRE(stream.ok());
  auto part = ReadStream(**stream);
  REQUIRE(part.ok());
  CHECK(*part == text.substr(100000, 777));

  const std::string missing = *base + "/missing.json.gz";
  auto not_found = OpenRead(missing, FastOptions());
  REQUIRE(absl::IsNotFound(not_found.status()));
  CHECK(Contains(not_found.status(), missing));
  server.Stop();
  std::filesystem::remove_all(*dir);
}

// Serves one payload. /flaky503[?anything] answers 503 twice before succeeding; /cut sends a third
// of the body and drops the connection twice; Range: bytes=N-[M] is honoured (206).
constexpr char kFlakyServer[] = R"PY(
import http.server, re, socket, sys
port, payload = int(sys.argv[1]), open(sys.argv[2], 'rb').read()
counts = {}
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *args):
        pass
    def do_GET(self):
        n = counts[self.path] = counts.get(self.path, 0) + 1
        if self.path.startswith('/flaky503') and n <= 2:
            self.send_response(503)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        m = re.match(r'bytes=(\d+)-(\d*)', self.headers.get('Range', ''))
        start = int(m.group(1)) if m else 0
        end = int(m.group(2)) + 1 if m and m.group(2) else len(payload)
        body = payload[start:end]
        self.send_response(206 if m else 200)
        self.send_header('Content-Length', str(len(body)))
        if m:
            self.send_header('Content-Range', 'bytes %d-%d/%d' % (start, end - 1, len(payload)))
        self.end_headers()
        if self.path == '/cut' and n <= 2:
            self.wfile.write(body[:len(body) // 3])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(body)
http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
)PY";

TEST_CASE("http retries 5xx and resumes a cut transfer with a ranged GET") {
  auto dir = testing::MakeTempDir("http_flaky");
  REQUIRE(dir.ok());
  const std::string payload = MakeJsonLines(3 << 20, 9);
  WriteFile(*dir + "/server.py", kFlakyServer);
  WriteFile(*dir + "/payload", payload);
  auto port = testing::PickFreePort();
  REQUIRE(port.ok());
  testing::ChildProcess server;
  REQUIRE(server
              .Start({"python3", *dir + "/server.py", std::to_string(*port), *dir + "/payload"},
                     *dir + "/server.log")
              .ok());
  const std::string base = absl::StrCat("http://127.0.0.1:", *port);
  REQUIRE(testing::WaitForHttp(base + "/", absl::Seconds(20), &server).ok());

  auto flaky = ReadAll(base + "/flaky503", Compression::kNone, FastOptions());
  REQUIRE(flaky.ok());
  CHECK(*flaky == payload);

  auto cut = ReadAll(base + "/cut", Compression::kNone, FastOptions());
  REQUIRE(cut.ok());
  CHECK(cut->size() == payload.size());
  CHECK(*cut == payload);

  IoOptions no_retries = FastOptions();
  no_retries.max_retries = 0;
  auto gives_up = ReadAll(base + "/flaky503?fresh", Compression::kNone, no_retries);
  REQUIRE(absl::IsUnavailable(gives_up.status()));
  CHECK(Contains(gives_up.status(), base));
  CHECK(Contains(gives_up.status(), "HTTP 503"));
  server.Kill();
  std::filesystem::remove_all(*dir);
}

TEST_CASE("http server down is kUnavailable naming the endpoint") {
  auto port = testing::PickFreePort();
  REQUIRE(port.ok());
  const std::string base = absl::StrCat("http://127.0.0.1:", *port);
  IoOptions options = FastOptions();
  options.max_retries = 2;
  auto read = OpenRead(base + "/x.json", options);
  REQUIRE(absl::IsUnavailable(read.status()));
  CHECK(Contains(read.status(), base));
  CHECK(Contains(read.status(), "after 3 attempts"));
}

// A hook that turns true `after` from now: the transfer is well under way (connected,
// request sent, waiting) by then.
std::function<bool()> CancelAfter(absl::Duration after) {
  const absl::Time at = absl::Now() + after;
  return [at] { return absl::Now() >= at; };
}

// The hung endpoint of issue 9: it took 5 attempts of 30 s (the low-speed time-out) to
// give an error. With the defaults, each attempt now waits response_timeout (10 s) and the
// retries stop after retry_time_limit (30 s). The bound checked is generous, and the one
// the issue asks for.
TEST_CASE("an S3 endpoint that accepts and never answers is an error naming the url") {
  testing::SilentServer server;
  auto base = server.Start();
  REQUIRE(base.ok());
  IoOptions options;  // the defaults, as a user gets them
  options.s3_endpoint = *base;
  options.path_style = true;
  auto read = ReadAll("s3://bucket/stuck.json", Compression::kNone, options);
  INFO(read.status().ToString());
  REQUIRE(absl::IsUnavailable(read.status()));
  CHECK(Contains(read.status(), "s3://bucket/stuck.json"));
  CHECK(Contains(read.status(), *base));
  CHECK(Contains(read.status(), "no response within 10s of sending the request"));
  // Three attempts of 10 s fill the 30 s retry time limit: the error comes after ~30 s,
  // not after max_retries + 1 = 5 attempts (the ~150 s of issue 9's report).
  CHECK(Contains(read.status(), "after 3 attempts"));

  // A PUT waits for its answer the same way (here with shorter limits).
  IoOptions quick = options;
  quick.response_timeout = absl::Seconds(1);
  quick.retry_time_limit = absl::Seconds(2);
  absl::Status written = io::WriteFile("s3://bucket/out/0.json", "{}\n", quick);
  INFO(written.ToString());
  REQUIRE(absl::IsUnavailable(written));
  CHECK(Contains(written, "s3://bucket/out/0.json"));
  CHECK(Contains(written, "no response within 1s of sending the request"));
}

// Without the hook this waits response_timeout per attempt, until retry_time_limit.
TEST_CASE("a read from a server that never answers ends kCancelled once cancelled") {
  testing::SilentServer server;
  auto base = server.Start();
  REQUIRE(base.ok());
  const std::string url = *base + "/stuck.json.gz";
  IoOptions options = FastOptions();
  // Only the cancellation can end it: an attempt would wait an hour for an answer.
  options.response_timeout = absl::Hours(1);
  options.low_speed_time = absl::Hours(1);
  options.retry_time_limit = absl::Hours(1);
  options.cancelled = CancelAfter(absl::Milliseconds(300));
  auto read = ReadAll(url, Compression::kInfer, options);
  REQUIRE(absl::IsCancelled(read.status()));
  CHECK(read.status().message() == "reading " + url + " was cancelled");

  // A hook that is false lets the read run (and time out) as before.
  IoOptions patient = FastOptions();
  patient.max_retries = 0;
  patient.low_speed_time = absl::Seconds(1);
  patient.cancelled = [] { return false; };
  auto timed_out = ReadAll(url, Compression::kNone, patient);
  CHECK(absl::IsUnavailable(timed_out.status()));
}

TEST_CASE("cancelling stops the retries of a server that is down") {
  auto port = testing::PickFreePort();
  REQUIRE(port.ok());
  const std::string url = absl::StrCat("http://127.0.0.1:", *port, "/x.json");
  IoOptions options = FastOptions();
  options.initial_backoff = absl::Hours(1);  // each retry would wait an hour
  options.retry_time_limit = absl::Hours(10);
  options.cancelled = CancelAfter(absl::Milliseconds(200));
  auto read = OpenRead(url, options);
  REQUIRE(absl::IsCancelled(read.status()));
  CHECK(Contains(read.status(), url));
}

TEST_CASE("an S3 PUT to an endpoint that never answers ends kCancelled once cancelled") {
  testing::SilentServer server;
  auto base = server.Start();
  REQUIRE(base.ok());
  IoOptions options = FastOptions();
  options.s3_endpoint = *base;
  options.path_style = true;
  options.response_timeout = absl::Hours(1);  // only the cancellation can end it
  options.low_speed_time = absl::Hours(1);
  options.retry_time_limit = absl::Hours(1);
  options.cancelled = CancelAfter(absl::Milliseconds(300));
  absl::Status written = io::WriteFile("s3://bucket/out/0.json", "{}\n", options);
  REQUIRE(absl::IsCancelled(written));
  CHECK(Contains(written, "s3://bucket/out/0.json"));
}

}  // namespace
}  // namespace weft::io
