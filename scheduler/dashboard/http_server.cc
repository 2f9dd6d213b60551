#include "scheduler/dashboard/http_server.h"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"

namespace weft::scheduler::dashboard {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// A connection silent for this long is closed (a browser keeps idle ones open).
constexpr std::chrono::seconds kIdleTimeout(30);
// Larger requests are refused: the dashboard only ever gets short GETs.
constexpr size_t kMaxRequestBytes = 64 * 1024;

HttpResponse Call(const HttpHandler& handler, const HttpRequest& request) {
  try {
    return handler(request);
  } catch (const std::exception& e) {
    WEFT_LOG_ERROR("dashboard: {} {}: {}", request.method, request.target, e.what());
    return HttpResponse{500, "text/plain; charset=utf-8", "internal error\n"};
  }
}

// One client connection: read a request, answer it, repeat while keep-alive holds. Owned
// by the completion handlers in flight (shared_from_this); runs on its own strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpHandler& handler)
      : stream_(std::move(socket)), handler_(handler) {}

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxRequestBytes);
    parser_->header_limit(kMaxRequestBytes);
    stream_.expires_after(kIdleTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {  // closed by the peer, timed out, or not HTTP: nothing to answer
      Close();
      return;
    }
    const http::request<http::string_body>& request = parser_->get();
    HttpRequest in{std::string(request.method_string()), std::string(request.target())};
    HttpResponse out = Call(handler_, in);
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(out.status), request.version());
    response->set(http::field::server, "weft-scheduler");
    response->set(http::field::content_type, out.content_type);
    response->set(http::field::cache_control, "no-store");
    if (out.status == 405) response->set(http::field::allow, "GET");
    response->keep_alive(request.keep_alive());
    response->body() = std::move(out.body);
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code ec, size_t) {
                        if (ec || !response->keep_alive()) {
                          self->Close();
                        } else {
                          self->Read();
                        }
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpHandler& handler_;  // the server's, which outlives every session
};

}  // namespace

struct HttpServer::Impl {
  explicit Impl(int threads) : ioc(threads), acceptor(asio::make_strand(ioc)) {}

  void Accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(s), handler)->Run();
      Accept();
    });
  }

  HttpHandler handler;
  asio::io_context ioc;  // first in, last out: sessions die with its pending handlers
  tcp::acceptor acceptor;
  int port = 0;
  std::vector<std::thread> threads;
  absl::Mutex stop_mu;
  bool stopped ABSL_GUARDED_BY(stop_mu) = false;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& host, int port,
                                                              HttpHandler handler, int threads) {
  threads = std::max(threads, 1);
  auto impl = std::make_unique<Impl>(threads);
  impl->handler = std::move(handler);
  const std::string bind_host = host.empty() ? "0.0.0.0" : host;
  beast::error_code ec;
  tcp::resolver resolver(impl->ioc);
  auto endpoints = resolver.resolve(bind_host, std::to_string(port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve dashboard host ", bind_host, ": ", ec.message()));
  }
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", bind_host, ":", port,
                                               " for the dashboard: ", ec.message()));
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->Accept();
  for (int i = 0; i < threads; ++i) {
    Impl* raw = impl.get();
    impl->threads.emplace_back([raw] { raw->ioc.run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  {
    absl::MutexLock lock(&impl_->stop_mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  // Stopping the io_context abandons every pending operation; the listener closes when Impl
  // goes, and the sessions (and their sockets) are destroyed with the io_context's queued
  // handlers.
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
}

}  // namespace weft::scheduler::dashboard
