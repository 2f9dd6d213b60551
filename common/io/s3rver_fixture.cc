#include "common/io/s3rver_fixture.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/io/internal/s3.h"
#include "common/process.h"
#include "common/status_macros.h"

namespace weft::io::testing {
namespace {

constexpr char kS3rverPath[] = "/usr/bin/s3rver";

struct UploadSource {
  std::string_view bytes;
  size_t pos = 0;
};

size_t ReadUpload(char* buf, size_t size, size_t nmemb, void* user) {
  auto* source = static_cast<UploadSource*>(user);
  const size_t n = std::min(size * nmemb, source->bytes.size() - source->pos);
  std::memcpy(buf, source->bytes.data() + source->pos, n);
  source->pos += n;
  return n;
}

size_t AppendBody(char* data, size_t size, size_t nmemb, void* user) {
  static_cast<std::string*>(user)->append(data, size * nmemb);
  return size * nmemb;
}

}  // namespace

absl::StatusOr<std::string> MakeTempDir(std::string_view prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(base != nullptr ? base : "/tmp", "/",
                                   absl::string_view(prefix.data(), prefix.size()), "XXXXXX");
  if (::mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", templ, ": ", std::strerror(errno)));
  }
  return templ;
}

absl::StatusOr<int> PickFreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return absl::InternalError("cannot bind a loopback port");
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

absl::Status ChildProcess::Start(const std::vector<std::string>& argv, const std::string& log_path,
                                 const std::vector<std::string>& env) {
  SpawnOptions options;
  options.log_path = log_path;
  options.truncate_log = true;
  options.extra_env = env;
  options.death_signal = SIGTERM;  // never outlive a crashed test
  WEFT_ASSIGN_OR_RETURN(pid_, SpawnProcess(argv, options));
  return absl::OkStatus();
}

bool ChildProcess::Running() {
  if (pid_ <= 0) return false;
  if (TryReap(pid_).has_value()) {
    pid_ = -1;
    return false;
  }
  return true;
}

void ChildProcess::Kill() {
  if (!Running()) return;
  StopProcess(pid_, absl::Seconds(3));
  pid_ = -1;
}

absl::Status WaitForHttp(const std::string& url, absl::Duration timeout, ChildProcess* process) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (process != nullptr && !process->Running()) {
      return absl::UnavailableError(absl::StrCat("the server for ", url, " exited"));
    }
    CURL* curl = curl_easy_init();
    std::string body;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    const CURLcode rc = curl_easy_perform(curl);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat(url, " did not answer in time"));
}

bool S3rver::Installed() { return ::access(kS3rverPath, X_OK) == 0; }

absl::StatusOr<std::string> S3rver::Start() {
  Stop();
  curl_global_init(CURL_GLOBAL_ALL);
  WEFT_ASSIGN_OR_RETURN(dir_, MakeTempDir("s3rver"));
  absl::Status last = absl::UnavailableError("s3rver did not start");
  for (int attempt = 0; attempt < 3; ++attempt) {  // the free port may be taken meanwhile
    WEFT_ASSIGN_OR_RETURN(const int port, PickFreePort());
    WEFT_RETURN_IF_ERROR(process_.Start(
        {kS3rverPath, "--directory", dir_ + "/data", "--address", "127.0.0.1", "--port",
         std::to_string(port), "--silent"},
        dir_ + "/s3rver.log",
        // s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node's
        // OpenSSL 3 only offers through the legacy provider (else: HTTP 500 on page 2).
        {"NODE_OPTIONS=--openssl-legacy-provider"}));
    endpoint_ = absl::StrCat("http://127.0.0.1:", port);
    last = WaitForHttp(endpoint_ + "/", absl::Seconds(20), &process_);
    if (last.ok()) return endpoint_;
    process_.Kill();
  }
  return last;
}

void S3rver::Stop() {
  process_.Kill();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    dir_.clear();
  }
}

IoOptions S3rver::Options() const {
  IoOptions options;
  options.s3_endpoint = endpoint_;
  options.path_style = true;
  options.access_key_id = kAccessKey;
  options.secret_access_key = kSecretKey;
  options.initial_backoff = absl::Milliseconds(10);
  options.connect_timeout = absl::Seconds(2);
  return options;
}

absl::Status S3rver::CreateBucket(const std::string& bucket) {
  return Put("/" + internal::AwsUriEncode(bucket, /*keep_slash=*/true), "");
}

absl::Status S3rver::PutObject(const std::string& bucket, const std::string& key,
                               std::string_view bytes) {
  return Put("/" + internal::AwsUriEncode(bucket, /*keep_slash=*/true) + "/" +
                 internal::AwsUriEncode(key, /*keep_slash=*/true),
             bytes);
}

absl::Status S3rver::Put(const std::string& path, std::string_view bytes) {
  if (endpoint_.empty()) return absl::FailedPreconditionError("s3rver not started");
  const std::string url = endpoint_ + path;
  const std::string user_pwd = absl::StrCat(kAccessKey, ":", kSecretKey);
  UploadSource source{bytes};
  std::string body;
  CURL* curl = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, &ReadUpload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &source);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(bytes.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
  curl_easy_setopt(curl, CURLOPT_USERPWD, user_pwd.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat("PUT ", url, ": ", curl_easy_strerror(rc)));
  }
  if (code != 200) {
    return absl::InternalError(absl::StrCat("PUT ", url, ": HTTP ", code, " ", body));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HttpFileServer::Start(const std::string& directory) {
  curl_global_init(CURL_GLOBAL_ALL);
  absl::Status last = absl::UnavailableError("http.server did not start");
  for (int attempt = 0; attempt < 3; ++attempt) {
    WEFT_ASSIGN_OR_RETURN(const int port, PickFreePort());
    WEFT_RETURN_IF_ERROR(process_.Start({"python3", "-m", "http.server", "--bind", "127.0.0.1",
                                         "--directory", directory, std::to_string(port)},
                                        "/dev/null"));
    const std::string url = absl::StrCat("http://127.0.0.1:", port);
    last = WaitForHttp(url + "/", absl::Seconds(20), &process_);
    if (last.ok()) return url;
    process_.Kill();
  }
  return last;
}

namespace {

constexpr char kSigV4Verifier[] = R"PY(
import hashlib, hmac, http.server, sys, urllib.parse
port, secret, region = int(sys.argv[1]), sys.argv[2], sys.argv[3]
TOKEN = 'a+b/c=='
objects, failures = {}, {}
def enc(s, keep_slash):
    return urllib.parse.quote(s, safe='-_.~' + ('/' if keep_slash else ''))
def mac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256)
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *args):
        pass
    def reply(self, code, body):
        body = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def verified(self):
        auth = self.headers.get('Authorization', '')
        if not auth.startswith('AWS4-HMAC-SHA256 '):
            return False
        fields = dict(f.strip().split('=', 1) for f in auth[len('AWS4-HMAC-SHA256 '):].split(','))
        _, date, reg, service, _ = fields['Credential'].split('/')
        signed = fields['SignedHeaders'].split(';')
        for required in ['host', 'x-amz-date', 'x-amz-content-sha256']:
            if required not in signed:
                return False
        if 'x-amz-security-token' in self.headers and 'x-amz-security-token' not in signed:
            return False
        path, _, query = self.path.partition('?')
        params = [p.split('=', 1) if '=' in p else [p, ''] for p in query.split('&') if p]
        params = sorted((enc(urllib.parse.unquote(k), False), enc(urllib.parse.unquote(v), False))
                        for k, v in params)
        canonical = '\n'.join([
            self.command, enc(urllib.parse.unquote(path), True),
            '&'.join(k + '=' + v for k, v in params),
            ''.join(h + ':' + ' '.join(self.headers[h].split()) + '\n' for h in signed),
            ';'.join(signed), self.headers['x-amz-content-sha256']])
        scope = '/'.join([date, region, 's3', 'aws4_request'])
        to_sign = '\n'.join(['AWS4-HMAC-SHA256', self.headers['x-amz-date'], scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = mac(mac(mac(mac(('AWS4' + secret).encode(), date).digest(), region).digest(),
                      's3').digest(), 'aws4_request').digest()
        return reg == region and service == 's3' and mac(key, to_sign).hexdigest() == fields['Signature']
    def do_PUT(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        if 'flaky' in self.path and failures.get(self.path, 0) < 2:
            failures[self.path] = failures.get(self.path, 0) + 1
            return self.reply(503, '<Error><Code>SlowDown</Code><Message>later</Message></Error>')
        if not self.verified():
            return self.reply(403, '<Error><Code>SignatureDoesNotMatch</Code><Message>bad</Message></Error>')
        if hashlib.sha256(body).hexdigest() != self.headers['x-amz-content-sha256']:
            return self.reply(400, '<Error><Code>XAmzContentSHA256Mismatch</Code><Message>hash</Message></Error>')
        objects[self.path] = body
        self.reply(200, '')
    def do_GET(self):
        if self.path == '/':
            return self.reply(200, 'up')
        if not self.verified():
            return self.reply(403, '<Error><Code>SignatureDoesNotMatch</Code><Message>bad</Message></Error>')
        if self.path in objects:
            return self.reply(200, objects[self.path])
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if 'list-type' not in query:
            return self.reply(200, 'signed-ok\n')
        second = query.get('continuation-token') == [TOKEN]
        key = 'pre/2.json' if second else 'pre/1.json'
        more = '' if second else '<NextContinuationToken>a+b/c==</NextContinuationToken>'
        return self.reply(200, '<ListBucketResult><IsTruncated>%s</IsTruncated>%s<Contents><Key>%s</Key><Size>5</Size></Contents></ListBucketResult>'
                          % ('false' if second else 'true', more, key))
http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
)PY";

}  // namespace

SigV4Verifier::~SigV4Verifier() {
  process_.Kill();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

absl::StatusOr<IoOptions> SigV4Verifier::Start(const std::string& secret,
                                               const std::string& region) {
  WEFT_ASSIGN_OR_RETURN(dir_, MakeTempDir("sigv4"));
  const std::string& dir = dir_;
  std::ofstream(dir + "/verifier.py") << kSigV4Verifier;
  WEFT_ASSIGN_OR_RETURN(int port, PickFreePort());
  WEFT_RETURN_IF_ERROR(
      process_.Start({"python3", dir + "/verifier.py", std::to_string(port), secret, region},
                     dir + "/verifier.log"));
  IoOptions options;
  options.s3_endpoint = absl::StrCat("http://127.0.0.1:", port);
  WEFT_RETURN_IF_ERROR(WaitForHttp(options.s3_endpoint + "/", absl::Seconds(20), &process_));
  options.path_style = true;
  options.region = region;
  options.access_key_id = "AKIDEXAMPLE";
  options.secret_access_key = secret;
  options.initial_backoff = absl::Milliseconds(10);
  return options;
}

SilentServer::~SilentServer() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<std::string> SilentServer::Start() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd_, 64) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::InternalError(absl::StrCat("silent server: ", std::strerror(errno)));
  }
  return absl::StrCat("http://127.0.0.1:", ntohs(addr.sin_port));
}

bool SilentServer::WaitForClient(absl::Duration timeout) const {
  pollfd pending{fd_, POLLIN, 0};  // readable: a connection waits in the backlog
  return ::poll(&pending, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) == 1;
}

}  // namespace weft::io::testing
