// HttpServer on loopback, talked to with a plain Beast client: requests reach the handler
// with their headers, keep-alive works, a throwing handler is a 500, a malformed request a
// 400, Stop() returns with connections open; and over TLS with the test certificates.
#include "scheduler/dashboard/http_server.h"

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/testing/test_certs.h"

namespace weft::scheduler::dashboard {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// One client connection to 127.0.0.1:port.
class Client {
 public:
  explicit Client(int port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  http::response<http::string_body> Send(http::verb method, const std::string& target,
                                         bool keep_alive = true) {
    http::request<http::empty_body> request(method, target, 11);
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(keep_alive);
    http::write(socket_, request);
    http::response<http::string_body> response;
    http::read(socket_, buffer_, response);
    return response;
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Bytes written as they are to 127.0.0.1:port, and everything read back until the server
// closes the connection.
std::string RawExchange(int port, const std::string& bytes) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(socket, asio::buffer(bytes));
  std::string out;
  beast::error_code ec;
  char chunk[4096];
  while (true) {
    size_t n = socket.read_some(asio::buffer(chunk), ec);
    out.append(chunk, n);
    if (ec) break;
  }
  return out;
}

HttpResponse Echo(const HttpRequest& request) {
  if (request.target == "/throw") throw std::runtime_error("boom");
  if (request.target == "/missing") return HttpResponse{404, "text/plain", "not found\n"};
  return HttpResponse{200, "application/json", request.method + " " + request.target};
}

TEST_CASE("the server answers requests with what the handler returns") {
  auto server = HttpServer::Start("127.0.0.1", 0, Echo);
  REQUIRE(server.ok());
  REQUIRE((*server)->port() > 0);
  Client client((*server)->port());

  auto response = client.Send(http::verb::get, "/api/x?after=3");
  CHECK(response.result_int() == 200);
  CHECK(response.body() == "GET /api/x?after=3");
  CHECK(response[http::field::content_type] == "application/json");
  CHECK(response[http::field::cache_control] == "no-store");

  // Same connection (keep-alive): more requests, other statuses and methods.
  auto missing = client.Send(http::verb::get, "/missing");
  CHECK(missing.result_int() == 404);
  CHECK(missing.body() == "not found\n");
  CHECK(client.Send(http::verb::post, "/p").body() == "POST /p");
  auto failed = client.Send(http::verb::get, "/throw", /*keep_alive=*/false);
  CHECK(failed.result_int() == 500);
}

TEST_CASE("several clients at once, and Stop() with idle connections open") {
  std::atomic<int> calls{0};
  auto server = HttpServer::Start("127.0.0.1", 0, [&calls](const HttpRequest& request) {
    ++calls;
    return HttpResponse{200, "text/plain", request.target};
  });
  REQUIRE(server.ok());
  Client a((*server)->port());
  Client b((*server)->port());
  CHECK(a.Send(http::verb::get, "/a").body() == "/a");
  CHECK(b.Send(http::verb::get, "/b").body() == "/b");
  CHECK(a.Send(http::verb::get, "/a2").body() == "/a2");
  CHECK(calls == 3);
  (*server)->Stop();  // a and b are still connected: must not hang
  (*server)->Stop();  // idempotent
}

TEST_CASE("an address in use is Unavailable") {
  auto first = HttpServer::Start("127.0.0.1", 0, Echo);
  REQUIRE(first.ok());
  auto second = HttpServer::Start("127.0.0.1", (*first)->port(), Echo);
  REQUIRE_FALSE(second.ok());
  CHECK(absl::IsUnavailable(second.status()));
}

}  // namespace
}  // namespace weft::scheduler::dashboard

namespace weft::scheduler::dashboard {
namespace {

TEST_CASE("the handler sees the headers, and adds its own to the response") {
  auto server = HttpServer::Start("127.0.0.1", 0, [](const HttpRequest& request) {
    HttpResponse response{
        200, "text/plain",
        absl::StrCat(request.Header("authorization"), "|", request.Header("x-mixed-case"), "|",
                     request.local_port, "|", request.tls ? "tls" : "plain")};
    response.headers.emplace_back("Set-Cookie", "a=1; HttpOnly");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
  });
  REQUIRE(server.ok());
  CHECK_FALSE((*server)->tls());
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), (*server)->port()));
  http::request<http::empty_body> request(http::verb::get, "/", 11);
  request.set(http::field::authorization, "Bearer xyz");
  request.set("X-Mixed-Case", "yes");
  http::write(socket, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  CHECK(response.body() == absl::StrCat("Bearer xyz|yes|", (*server)->port(), "|plain"));
  CHECK(response[http::field::set_cookie] == "a=1; HttpOnly");
  CHECK(response[http::field::www_authenticate] == "Bearer");
}

TEST_CASE("a malformed request is answered 400 and the connection closed") {
  auto server = HttpServer::Start("127.0.0.1", 0, Echo);
  REQUIRE(server.ok());
  const int port = (*server)->port();
  for (const char* bytes : {"this is not http\r\n\r\n", "GET / HTTP/1.1\r\nno colon here\r\n\r\n",
                            "GET / HTTP/9\r\n\r\n", "\x16\x03\x01\x02\x05hello\r\n\r\n"}) {
    INFO(bytes);
    std::string answer = RawExchange(port, bytes);
    CHECK(absl::StartsWith(answer, "HTTP/1.1 400 Bad Request\r\n"));
    CHECK(absl::StrContains(answer, "Connection: close\r\n"));
    CHECK(absl::StrContains(answer, "bad request: "));
  }
  // The server still serves well-formed requests.
  Client client(port);
  CHECK(client.Send(http::verb::get, "/ok").body() == "GET /ok");
}

TEST_CASE("with a certificate it serves HTTPS, and plain HTTP gets nothing") {
  const testing::TestCerts certs = testing::MakeTestCerts();
  HttpServerOptions options;
  options.cert_pem = ReadFile(certs.server_cert);
  options.key_pem = ReadFile(certs.server_key);
  auto server = HttpServer::Start("127.0.0.1", 0, Echo, options);
  REQUIRE(server.ok());
  CHECK((*server)->tls());
  const int port = (*server)->port();

  auto get = [port](const std::string& ca_file, const std::string& target) {
    asio::io_context ioc;
    asio::ssl::context context(asio::ssl::context::tls_client);
    context.load_verify_file(ca_file);
    context.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, context);
    stream.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
    beast::get_lowest_layer(stream).connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream.handshake(asio::ssl::stream_base::client);
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "127.0.0.1");
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    return response;
  };
  auto response = get(certs.ca, "/secure?x=1");
  CHECK(response.result_int() == 200);
  CHECK(response.body() == "GET /secure?x=1");
  // A client that trusts another CA refuses the server.
  CHECK_THROWS(get(certs.other_ca, "/"));
  // Plain HTTP to the TLS port: no HTTP answer, the connection is closed.
  std::string answer = RawExchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK_FALSE(absl::StrContains(answer, "HTTP/1.1"));
}

TEST_CASE("a certificate without its key, or one that is not PEM, is refused") {
  HttpServerOptions options;
  options.cert_pem = "not a certificate";
  auto missing_key = HttpServer::Start("127.0.0.1", 0, Echo, options);
  REQUIRE_FALSE(missing_key.ok());
  CHECK(absl::IsInvalidArgument(missing_key.status()));
  options.key_pem = "not a key";
  auto garbage = HttpServer::Start("127.0.0.1", 0, Echo, options);
  REQUIRE_FALSE(garbage.ok());
  CHECK(absl::IsInvalidArgument(garbage.status()));
}

}  // namespace
}  // namespace weft::scheduler::dashboard
