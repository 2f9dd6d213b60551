// HttpServer: a small embedded HTTP/1.1 server (Boost.Beast, asynchronous) for the
// scheduler's dashboard, over plain TCP or, given a certificate and its key, over TLS
// (HTTPS). It parses requests, calls one handler per request and writes what the handler
// returns; keep-alive, idle timeouts and malformed requests (answered 400 and closed) are
// its own business. Boost and OpenSSL stay out of this header.
//
// Lifecycle: Start() binds and starts the threads; Stop() (or the destructor) closes the
// listener and every connection and joins the threads.
//
// Threading: the handler is called on the server's threads (`threads` of them), possibly
// concurrently; it must be thread-safe and must not block for long. port() and Stop() may be
// called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::scheduler::dashboard {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query: "/api/tasks/stream?after=10"
  // Header fields as received, names in lower case ("authorization", "cookie", ...).
  std::vector<std::pair<std::string, std::string>> headers;
  bool tls = false;    // it came over HTTPS
  int local_port = 0;  // the server's port it came to

  // The value of the first header `name` (lower case), "" if none.
  absl::string_view Header(absl::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Further header fields ("Set-Cookie", "WWW-Authenticate", ...), written as given.
  std::vector<std::pair<std::string, std::string>> headers = {};
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  int threads = 2;
  // PEM certificate (chain) and its private key: serve HTTPS with them. Both empty: plain
  // HTTP. Clients are not asked for a certificate.
  std::string cert_pem;
  std::string key_pem;
};

class HttpServer {
 public:
  // Listens on host:port (port 0: a free one; host "" or "0.0.0.0": every interface) and
  // serves `handler`. Unavailable if the address cannot be bound; InvalidArgument if the
  // certificate or key cannot be used.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& host, int port,
                                                           HttpHandler handler,
                                                           HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port it listens on.
  int port() const;
  // True when it serves HTTPS.
  bool tls() const;
  // Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::scheduler::dashboard
