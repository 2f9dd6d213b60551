// HttpServer on loopback, talked to with a plain Beast client: requests reach the handler,
// keep-alive works, a throwing handler is a 500, and Stop() returns with connections open.
#include "scheduler/dashboard/http_server.h"

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

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
