// Test fixtures that run real servers on loopback, for tests of weft::io and of the code
// above it (the Bag tests):
//   S3rver          — the npm `s3rver` S3-compatible server (/usr/bin/s3rver)
//   HttpFileServer  — `python3 -m http.server` serving a directory
//
//   weft::io::testing::S3rver s3;
//   auto endpoint = s3.Start();                 // "http://127.0.0.1:PORT"
//   s3.CreateBucket("data");
//   s3.PutObject("data", "2015/a.json.gz", bytes);
//   weft::io::IoOptions options = s3.Options();  // endpoint, path style, credentials
//   ... weft::io::ExpandGlob("s3://data/2015/*.json.gz", options) ...
//   s3.Stop();                                  // also done by the destructor
//
// Note: s3rver 3.7.1 only checks that a SigV4 request's access key id exists
// (S3RVER); it does not verify V4 signatures, so a wrong secret is accepted there.
//
// Threading: one thread uses a fixture at a time. Each fixture owns one child process
// and one temporary directory, both removed by Stop() / the destructor.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/io/io.h"

namespace weft::io::testing {

// A fresh directory under $TEST_TMPDIR (or /tmp); the caller removes it.
absl::StatusOr<std::string> MakeTempDir(std::string_view prefix);

// A loopback TCP port that was free a moment ago (bind to port 0, then close).
absl::StatusOr<int> PickFreePort();

// One child process (common/process.h), stopped when this goes; stdout and stderr go to
// log_path.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { Kill(); }

  // env: extra "NAME=value" entries added to the child's environment.
  absl::Status Start(const std::vector<std::string>& argv, const std::string& log_path,
                     const std::vector<std::string>& env = {});
  bool Running();
  // SIGTERM, then SIGKILL after 3 s; reaps the child. No-op if not running.
  void Kill();

 private:
  pid_t pid_ = -1;
};

// Polls url until it answers any HTTP status, or the timeout passes (kDeadlineExceeded),
// or process (if given) exits (kUnavailable).
absl::Status WaitForHttp(const std::string& url, absl::Duration timeout,
                         ChildProcess* process = nullptr);

class S3rver {
 public:
  static constexpr char kAccessKey[] = "S3RVER";
  static constexpr char kSecretKey[] = "S3RVER";

  S3rver() = default;
  ~S3rver() { Stop(); }

  // True if the s3rver executable is installed.
  static bool Installed();

  // Starts s3rver on a free loopback port with a temporary data directory and waits
  // until it answers. Returns the endpoint, e.g. "http://127.0.0.1:41234".
  absl::StatusOr<std::string> Start();
  void Stop();

  const std::string& endpoint() const { return endpoint_; }
  // Options that reach this server: endpoint, path style, S3RVER credentials, and a
  // short backoff (10 ms) so that failure tests stay fast.
  IoOptions Options() const;

  // Signed PUTs (SigV4 through libcurl, like the reads).
  absl::Status CreateBucket(const std::string& bucket);
  absl::Status PutObject(const std::string& bucket, const std::string& key, std::string_view bytes);

 private:
  absl::Status Put(const std::string& path, std::string_view bytes);

  ChildProcess process_;
  std::string dir_;
  std::string endpoint_;
};

// An independent AWS SigV4 checker (per the AWS spec, in Python) on a free loopback port,
// for what s3rver cannot show (it does not check V4 signatures). Every request but
// `GET /` must be signed with the expected secret and region (else 403
// SignatureDoesNotMatch). PUTs must carry the body's real SHA-256 in x-amz-content-sha256
// (else 400, as S3 does) and are stored; keys containing "flaky" answer 503 to their first
// two PUTs. GETs return a stored body, or for listings two pages whose continuation token
// needs URI encoding ("pre/1.json", then "pre/2.json"), or else "signed-ok\n".
class SigV4Verifier {
 public:
  // Stops it and removes its files.
  ~SigV4Verifier();
  // Starts it; returns options that reach it: path style, access key AKIDEXAMPLE, the
  // given secret and region, a 10 ms backoff.
  absl::StatusOr<IoOptions> Start(const std::string& secret, const std::string& region);

 private:
  ChildProcess process_;
  std::string dir_;
};

// `python3 -m http.server` on a free loopback port, serving `directory`.
class HttpFileServer {
 public:
  ~HttpFileServer() { Stop(); }
  // Returns the base url, e.g. "http://127.0.0.1:41235".
  absl::StatusOr<std::string> Start(const std::string& directory);
  void Stop() { process_.Kill(); }

 private:
  ChildProcess process_;
};

// A server that accepts connections and never answers: a loopback socket that listens
// and is never read. The kernel completes the handshakes and takes the requests; no reply
// ever comes, as from a server that stopped answering. Closed when this goes.
class SilentServer {
 public:
  SilentServer() = default;
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  ~SilentServer();
  // Returns the base url, e.g. "http://127.0.0.1:41235".
  absl::StatusOr<std::string> Start();
  // Waits until a client has connected (and is now waiting for an answer); false after
  // `timeout`.
  bool WaitForClient(absl::Duration timeout) const;

 private:
  int fd_ = -1;
};

}  // namespace weft::io::testing
