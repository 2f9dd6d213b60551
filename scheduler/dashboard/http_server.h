// HttpServer: a small embedded HTTP/1.1 server (Boost.Beast, asynchronous) for the
// scheduler's dashboard. It parses requests, calls one handler per request and writes what
// the handler returns; keep-alive and idle timeouts are its own business. Boost stays out of
// this header.
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

#include "absl/status/statusor.h"

namespace weft::scheduler::dashboard {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query: "/api/tasks/stream?after=10"
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  // Listens on host:port (port 0: a free one; host "" or "0.0.0.0": every interface) and
  // serves `handler` with `threads` threads. Unavailable if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& host, int port,
                                                           HttpHandler handler, int threads = 2);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port it listens on.
  int port() const;
  // Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::scheduler::dashboard
