// The dashboard of a secured cluster, across real processes: a real weft-scheduler with a
// token (and one with TLS as well), real workers, and libcurl as the browser. Checks what a
// person opening the printed link gets, what a stranger gets, HTTPS against the test CA, a
// malformed request, and that the workers listed are the live ones with their CPU use.
//
// TestCluster's processes and clients take their credentials from the environment; each
// test case sets the variables it needs and restores them.
#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/poll.h"
#include "common/testing/test_certs.h"
#include "tests/test_cluster.h"
#include "weft/client.h"

namespace {

using weft::testing::ScopedEnv;

using weft::testing::TestCerts;
using weft::testing::TestCluster;
using weft::testing::WaitForInfo;

constexpr char kToken[] = "dash-Token_42";

// The link the scheduler printed: "Dashboard at: SCHEME://HOST:PORT/[?token=TOKEN]".
struct Link {
  std::string scheme, host, port, token;
  std::string base() const { return absl::StrCat(scheme, "://", host, ":", port); }
};

Link DashboardLink(const std::string& logs) {
  std::smatch m;
  REQUIRE(std::regex_search(
      logs, m, std::regex(R"(Dashboard at: (https?)://([0-9.]+):(\d+)/(\?token=(\S+))?)")));
  return Link{m[1], m[2], m[3], m[5]};
}

struct Got {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::string headers;  // as received, "Name: value\r\n" each
  std::string set_cookie;
};

struct Ask {
  std::string ca_file;               // trust this CA for https
  std::string cookie;                // sent as the Cookie header
  std::vector<std::string> headers;  // "Name: value"
};

Ask WithCookie(const std::string& cookie) {
  Ask ask;
  ask.cookie = cookie;
  return ask;
}

Ask WithHeader(const std::string& header) {
  Ask ask;
  ask.headers.push_back(header);
  return ask;
}

Ask Trusting(const std::string& ca_file, const std::string& cookie = "") {
  Ask ask;
  ask.ca_file = ca_file;
  ask.cookie = cookie;
  return ask;
}

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One GET with libcurl (redirects not followed, no cookie engine: the test is the browser).
Got Fetch(const std::string& url, const Ask& ask = {}) {
  Got got;
  CURL* curl = curl_easy_init();
  REQUIRE(curl != nullptr);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &got.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &got.headers);
  if (!ask.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ask.ca_file.c_str());
  if (!ask.cookie.empty()) curl_easy_setopt(curl, CURLOPT_COOKIE, ask.cookie.c_str());
  struct curl_slist* headers = nullptr;
  for (const std::string& h : ask.headers) headers = curl_slist_append(headers, h.c_str());
  if (headers != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  got.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &got.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  std::smatch m;
  if (std::regex_search(got.headers, m, std::regex(R"((?:^|\n)[Ss]et-[Cc]ookie: ([^\r\n]*))"))) {
    got.set_cookie = m[1];
  }
  return got;
}

// Bytes as they are to the dashboard, and what comes back until it closes the connection.
std::string RawExchange(const Link& link, const std::string& bytes) {
  namespace asio = boost::asio;
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  asio::ip::tcp::resolver resolver(ioc);
  asio::connect(socket, resolver.resolve(link.host, link.port));
  asio::write(socket, asio::buffer(bytes));
  std::string out;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(out), ec);  // until EOF
  return out;
}

// Asks `url` until `pred(got)` holds (the dashboard publishes snapshots every 200 ms);
// the last answer either way.
template <typename Pred>
Got FetchUntil(const std::string& url, const Ask& ask, Pred pred,
               absl::Duration timeout = absl::Seconds(30)) {
  Got got;
  weft::PollUntil(
      [&] {
        got = Fetch(url, ask);
        return pred(got);
      },
      absl::Now() + timeout, absl::Milliseconds(50));
  return got;
}

// The numbers after `"cpu_percent":` in a JSON text.
std::vector<double> CpuPercents(const std::string& json) {
  std::vector<double> out;
  std::regex number(R"("cpu_percent":(-?[0-9.eE+-]+))");
  for (auto it = std::sregex_iterator(json.begin(), json.end(), number);
       it != std::sregex_iterator(); ++it) {
    out.push_back(std::stod((*it)[1]));
  }
  return out;
}

TEST_CASE("with a token the dashboard asks for it; the printed link lets a browser in") {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  ScopedEnv env({{"WEFT_AUTH_TOKEN", kToken},
                 {"WEFT_TLS_CA_FILE", ""},
                 {"WEFT_TLS_CERT", ""},
                 {"WEFT_TLS_KEY", ""}});
  TestCluster cluster(2, {"--nthreads", "1"}, {"--dashboard-address", "127.0.0.1:0"});
  const Link link = DashboardLink(cluster.Logs());
  INFO(cluster.Logs());
  CHECK(link.scheme == "http");
  CHECK(link.token == kToken);

  // Strangers: no token, a wrong one, a wrong header.
  for (const char* target : {"/", "/api/workers", "/metrics", "/api/graph"}) {
    Got got = Fetch(link.base() + target);
    INFO(target);
    CHECK(got.code == CURLE_OK);
    CHECK(got.status == 401);
    CHECK(absl::StrContains(got.body, "token"));
    CHECK(got.set_cookie.empty());
  }
  CHECK(Fetch(link.base() + "/?token=wrong").status == 401);
  CHECK(Fetch(link.base() + "/api/workers", WithHeader("Authorization: Bearer wrong")).status ==
        401);
  CHECK(Fetch(link.base() + "/health").status == 200);

  // The printed link: 200, a cookie, and a page that goes on to the clean URL.
  Got first = Fetch(link.base() + "/?token=" + link.token);
  CHECK(first.status == 200);
  CHECK(absl::StrContains(first.body, "url=/\""));
  REQUIRE_FALSE(first.set_cookie.empty());
  CHECK(
      absl::StartsWith(first.set_cookie, absl::StrCat("weft-token-", link.port, "=", kToken, ";")));
  CHECK(absl::StrContains(first.set_cookie, "; HttpOnly"));
  CHECK(absl::StrContains(first.set_cookie, "; SameSite=Strict"));
  CHECK_FALSE(absl::StrContains(first.set_cookie, "Secure"));

  // The cookie alone, as the browser sends it from then on.
  const std::string cookie = first.set_cookie.substr(0, first.set_cookie.find(';'));
  Got page = Fetch(link.base() + "/", WithCookie(cookie));
  CHECK(page.status == 200);
  CHECK(absl::StrContains(page.body, "id=\"workers-count\""));
  CHECK(Fetch(link.base() + "/api/cluster", WithCookie(cookie)).status == 200);
  // A script with the header.
  CHECK(Fetch(link.base() + "/metrics", WithHeader(absl::StrCat("Authorization: Bearer ", kToken)))
            .status == 200);

  // A malformed request: a 400, not a dropped connection.
  std::string answer = RawExchange(link, "NOT HTTP AT ALL\r\n\r\n");
  CHECK(absl::StartsWith(answer, "HTTP/1.1 400 Bad Request\r\n"));

  // Workers: the live ones, with their CPU use. Kill one; it leaves the list.
  auto client = cluster.Connect();
  Got workers = FetchUntil(link.base() + "/api/workers", WithCookie(cookie), [](const Got& got) {
    std::vector<double> cpu = CpuPercents(got.body);
    return cpu.size() == 2 && cpu[0] > 0 && cpu[1] > 0;  // a heartbeat measured each
  });
  INFO(workers.body);
  CHECK(CpuPercents(workers.body).size() == 2);
  for (double cpu : CpuPercents(workers.body)) CHECK(cpu > 0);
  CHECK(absl::StrContains(workers.body, "\"occupancy_seconds\":"));
  cluster.SignalWorker(0, SIGKILL);
  REQUIRE(WaitForInfo(*client, [](const weft::ClusterInfo& info) { return info.workers == 1; }));
  workers = FetchUntil(link.base() + "/api/workers", WithCookie(cookie),
                       [](const Got& got) { return CpuPercents(got.body).size() == 1; });
  CHECK(CpuPercents(workers.body).size() == 1);
  CHECK_FALSE(absl::StrContains(workers.body, "\"name\":\"w0\""));
  CHECK(absl::StrContains(workers.body, "\"name\":\"w1\""));

  // The task graph of what runs: slowinc processing, inc waiting on it.
  auto slow = client->submit<int64_t>("slowinc", {1, 60.0});
  auto after = client->submit<int64_t>("inc", {slow});
  Got graph = FetchUntil(link.base() + "/api/graph", WithCookie(cookie), [](const Got& got) {
    return absl::StrContains(got.body, "\"tasks_by_state\":{\"processing\":1}") &&
           absl::StrContains(got.body, "\"tasks_by_state\":{\"waiting\":1}");
  });
  INFO(graph.body);
  CHECK(absl::StrContains(graph.body,
                          "{\"prefix\":\"inc\",\"layer\":1,\"total\":1,"
                          "\"tasks_by_state\":{\"waiting\":1}}"));
  CHECK(absl::StrContains(graph.body,
                          "{\"prefix\":\"slowinc\",\"layer\":0,\"total\":1,"
                          "\"tasks_by_state\":{\"processing\":1}}"));
  CHECK(absl::StrContains(graph.body, "\"edges\":[{\"from\":1,\"to\":0,\"dependencies\":1}]"));
  Got dot = Fetch(link.base() + "/graph.dot", WithCookie(cookie));
  CHECK(absl::StrContains(dot.body, "n1 -> n0"));
  client->cancel(std::vector<weft::Future<int64_t>>{slow, after});

  // A worker's log tail, asked of the worker when the page is opened; the same through
  // the client. Its registration line is in it.
  auto info = client->info();
  REQUIRE(info.ok());
  const std::string w1 = info->worker_details.at(0).address;
  Got log = Fetch(link.base() + "/worker-log?worker=" + w1, WithCookie(cookie));
  INFO(log.body);
  CHECK(log.status == 200);
  CHECK(absl::StrContains(log.body, "'s log"));
  CHECK(absl::StrContains(log.body, "registered to"));
  CHECK(Fetch(link.base() + "/worker-log?worker=" + w1).status == 401);  // the token still
  CHECK(Fetch(link.base() + "/worker-log?worker=nobody", WithCookie(cookie)).status == 404);
  auto logs = client->get_worker_logs(5);
  REQUIRE(logs.ok());
  REQUIRE(logs->count(w1) == 1);
  CHECK(logs->at(w1).size() <= 5);
  CHECK_FALSE(logs->at(w1).empty());
}

TEST_CASE("with TLS the dashboard speaks HTTPS with the cluster's certificate") {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const TestCerts certs = weft::testing::MakeTestCerts();
  const std::vector<std::string> node_tls = {"--tls-ca-file",   certs.ca,    "--tls-cert",
                                             certs.server_cert, "--tls-key", certs.server_key};
  ScopedEnv env({{"WEFT_TLS_CA_FILE", certs.ca},
                 {"WEFT_TLS_CERT", certs.client_cert},
                 {"WEFT_TLS_KEY", certs.client_key},
                 {"WEFT_AUTH_TOKEN", kToken}});
  std::vector<std::string> scheduler_args = node_tls;
  scheduler_args.insert(scheduler_args.end(), {"--dashboard-address", "127.0.0.1:0"});
  TestCluster cluster(/*n_workers=*/0, {}, scheduler_args);
  cluster.AddWorker(node_tls);
  REQUIRE(cluster.WaitForWorkers(1));
  const Link link = DashboardLink(cluster.Logs());
  INFO(cluster.Logs());
  REQUIRE(link.scheme == "https");
  CHECK(link.token == kToken);

  // A browser without a client certificate, trusting the cluster's CA.
  const Ask trusted = Trusting(certs.ca);
  Got refused = Fetch(link.base() + "/api/workers", trusted);
  CHECK(refused.code == CURLE_OK);
  CHECK(refused.status == 401);
  // (Snapshots lag by up to 200 ms: the worker that just joined may not be in the first.)
  Got first = FetchUntil(link.base() + "/api/workers?token=" + link.token, trusted,
                         [](const Got& got) { return CpuPercents(got.body).size() == 1; });
  CHECK(first.status == 200);
  CHECK(CpuPercents(first.body).size() == 1);
  CHECK(absl::StrContains(first.set_cookie, "; SameSite=Strict; Secure"));
  const std::string cookie = first.set_cookie.substr(0, first.set_cookie.find(';'));
  CHECK(Fetch(link.base() + "/", Trusting(certs.ca, cookie)).status == 200);

  // Not trusting that CA: the certificate is refused.
  Got untrusted = Fetch(link.base() + "/health", Trusting(certs.other_ca));
  CHECK(untrusted.code != CURLE_OK);
  // Plain HTTP to the HTTPS port: no HTTP answer.
  Got plain = Fetch(absl::StrCat("http://", link.host, ":", link.port, "/health"));
  CHECK(plain.code != CURLE_OK);
  CHECK(plain.status == 0);
}

}  // namespace
