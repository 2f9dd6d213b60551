#include "scheduler/dashboard/http_server.h"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"

namespace weft::scheduler::dashboard {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

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

// The answer to a request the parser refused, or nothing when there is no one to answer
// (the peer closed the connection, or it timed out).
std::optional<HttpResponse> ParseErrorResponse(beast::error_code ec) {
  if (ec.category() != beast::http::make_error_code(http::error::end_of_stream).category() ||
      ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return std::nullopt;
  }
  const char* text = "text/plain; charset=utf-8";
  if (ec == http::error::header_limit) return HttpResponse{431, text, "headers too large\n"};
  if (ec == http::error::body_limit) return HttpResponse{413, text, "request too large\n"};
  return HttpResponse{400, text, absl::StrCat("bad request: ", ec.message(), "\n")};
}

HttpRequest ToRequest(const http::request<http::string_body>& request, bool tls, int port) {
  HttpRequest in{std::string(request.method_string()), std::string(request.target())};
  for (const auto& field : request) {
    in.headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                            std::string(field.value()));
  }
  in.tls = tls;
  in.local_port = port;
  return in;
}

// One client connection: (over TLS: the handshake, then) read a request, answer it, repeat
// while keep-alive holds. Owned by the completion handlers in flight (shared_from_this);
// runs on its own strand.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <class... Args>
  Session(const HttpHandler& handler, int port, Args&&... stream_args)
      : stream_(std::forward<Args>(stream_args)...), handler_(handler), port_(port) {}

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        beast::get_lowest_layer(self->stream_).expires_after(kIdleTimeout);
        self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) {  // not TLS, or no common cipher: hang up
            self->CloseSocket();
          } else {
            self->Read();
          }
        });
      } else {
        self->Read();
      }
    });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxRequestBytes);
    parser_->header_limit(kMaxRequestBytes);
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {
      // A request that is not HTTP gets an answer saying so (issue 9: it used to be a
      // closed connection, which browsers and curl report as a network error).
      if (std::optional<HttpResponse> refusal = ParseErrorResponse(ec)) {
        Write(std::move(*refusal), /*version=*/11, /*keep_alive=*/false);
      } else {
        Close();
      }
      return;
    }
    const http::request<http::string_body>& request = parser_->get();
    HttpResponse out = Call(handler_, ToRequest(request, kTls, port_));
    Write(std::move(out), request.version(), request.keep_alive());
  }

  void Write(HttpResponse out, unsigned version, bool keep_alive) {
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(out.status), version);
    response->set(http::field::server, "weft-scheduler");
    response->set(http::field::content_type, out.content_type);
    response->set(http::field::cache_control, "no-store");
    response->set("X-Content-Type-Options", "nosniff");
    if (out.status == 405) response->set(http::field::allow, "GET");
    for (const auto& [name, value] : out.headers) response->insert(name, value);
    response->keep_alive(keep_alive);
    response->body() = std::move(out.body);
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = this->shared_from_this(), response](beast::error_code ec, size_t) {
                        if (ec || !response->keep_alive()) {
                          self->Close();
                        } else {
                          self->Read();
                        }
                      });
  }

  void Close() {
    if constexpr (kTls) {
      // close_notify, then the socket; a peer that does not answer is cut off by the timer.
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->CloseSocket(); });
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  void CloseSocket() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpHandler& handler_;  // the server's, which outlives every session
  const int port_;
};

// The TLS context for `options`, or InvalidArgument naming what is wrong.
absl::StatusOr<std::unique_ptr<ssl::context>> MakeTlsContext(const HttpServerOptions& options) {
  if (options.cert_pem.empty() != options.key_pem.empty()) {
    return absl::InvalidArgumentError("the dashboard needs both a certificate and its key");
  }
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  beast::error_code ec;
  context->use_certificate_chain(asio::buffer(options.cert_pem), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("the dashboard cannot use the certificate: ", ec.message()));
  }
  context->use_private_key(asio::buffer(options.key_pem), ssl::context::pem, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("the dashboard cannot use the private key: ", ec.message()));
  }
  return context;
}

}  // namespace

absl::string_view HttpRequest::Header(absl::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (field == name) return value;
  }
  return {};
}

struct HttpServer::Impl {
  explicit Impl(int threads) : ioc(threads), acceptor(asio::make_strand(ioc)) {}

  void Accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        if (tls_context != nullptr) {
          std::make_shared<Session<TlsStream>>(handler, port, std::move(s), *tls_context)->Run();
        } else {
          std::make_shared<Session<PlainStream>>(handler, port, std::move(s))->Run();
        }
      }
      Accept();
    });
  }

  HttpHandler handler;
  std::unique_ptr<ssl::context> tls_context;  // null: plain HTTP; outlives the sessions
  asio::io_context ioc;  // sessions die with its pending handlers, before tls_context
  tcp::acceptor acceptor;
  int port = 0;
  std::vector<std::thread> threads;
  absl::Mutex stop_mu;
  bool stopped ABSL_GUARDED_BY(stop_mu) = false;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& host, int port,
                                                              HttpHandler handler,
                                                              HttpServerOptions options) {
  const int threads = std::max(options.threads, 1);
  auto impl = std::make_unique<Impl>(threads);
  impl->handler = std::move(handler);
  if (!options.cert_pem.empty() || !options.key_pem.empty()) {
    absl::StatusOr<std::unique_ptr<ssl::context>> context = MakeTlsContext(options);
    if (!context.ok()) return context.status();
    impl->tls_context = *std::move(context);
  }
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

bool HttpServer::tls() const { return impl_->tls_context != nullptr; }

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
