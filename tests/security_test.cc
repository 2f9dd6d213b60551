// TLS and token authentication across real processes: a scheduler and two workers that
// demand credentials, clients and workers with good and bad ones. Certificates are made
// with the openssl command (common/testing/test_certs.h).
//
// TestCluster's own clients (the one that waits for workers, Connect()) take their
// credentials from the environment, as every ClientOptions does; each test case sets the
// variables it needs and restores them.
#include "common/security.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/data_client.h"
#include "common/testing/test_certs.h"
#include "tests/test_cluster.h"
#include "weft/client.h"

namespace weft {
namespace {

using weft::testing::ScopedEnv;

using testing::CommandResult;
using testing::RunCommand;
using testing::Runfile;
using testing::TestCerts;
using testing::TestCluster;

// Waits until `pid` exits, without reaping it (its TestCluster does); its exit code, or
// -1 if it was still running after `timeout`.
int WaitForExit(pid_t pid, absl::Duration timeout) {
  int code = -1;
  PollUntil(
      [&] {
        siginfo_t info{};
        if (::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != pid) {
          return false;
        }
        code = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
        return true;
      },
      absl::Now() + timeout, absl::Milliseconds(50));
  return code;
}

// Mutual TLS for a test: the scheduler and workers take `node_flags` (the test CA, the
// server certificate, which names 127.0.0.1), and this process's clients present the client
// certificate through the environment, without a token, while it lives.
struct MutualTls {
  TestCerts certs = testing::MakeTestCerts();
  std::vector<std::string> node_flags = {"--tls-ca-file",   certs.ca,    "--tls-cert",
                                         certs.server_cert, "--tls-key", certs.server_key};
  ScopedEnv env{{{"WEFT_TLS_CA_FILE", certs.ca},
                 {"WEFT_TLS_CERT", certs.client_cert},
                 {"WEFT_TLS_KEY", certs.client_key},
                 {"WEFT_AUTH_TOKEN", ""}}};
};

std::vector<Arg> Args(const std::vector<Future<Value>>& futures) {
  return std::vector<Arg>(futures.begin(), futures.end());
}

// Work that crosses every endpoint: results spread over both workers, tasks that need
// their peers' results (GetData between workers), and gathers from both workers.
void RunWorkThatNeedsPeers(Client& client) {
  std::vector<Arg> sizes;
  for (int i = 0; i < 8; ++i) sizes.emplace_back(int64_t{1000000 + i});
  std::vector<Future<Value>> blobs = client.map<Value>("make_bytes", sizes);
  auto gathered = client.gather(blobs);  // client -> both workers
  REQUIRE(gathered.ok());
  for (int i = 0; i < 8; ++i) CHECK((*gathered)[i].as_bytes().size() == size_t(1000000 + i));
  std::set<std::string> holders;
  for (const auto& [key, addresses] : client.who_has(blobs)) {
    holders.insert(addresses.begin(), addresses.end());
  }
  REQUIRE(holders.size() == 2);  // so the next task needs a peer's results

  // One task over all eight blobs: ~4 MB come from the other worker.
  CHECK(client.submit<int64_t>("len", {Arg(Args(blobs))}).result() == 8);

  std::vector<Arg> numbers;
  for (int i = 1; i <= 20; ++i) numbers.emplace_back(int64_t{i});
  std::vector<Future<int64_t>> incs = client.map<int64_t>("inc", numbers);
  CHECK(client.submit<int64_t>("sum", {Arg(std::vector<Arg>(incs.begin(), incs.end()))}).result() ==
        20 * 21 / 2 + 20);

  // Proof of the peer transfer, as the workers' heartbeats (every second) report it.
  int64_t fetched = 0;
  testing::WaitForInfo(
      client,
      [&](const ClusterInfo& info) {
        fetched = 0;
        for (const WorkerInfo& w : info.worker_details) fetched += w.bytes_fetched;
        return fetched >= 1000000;
      },
      absl::Seconds(10));
  CHECK(fetched >= 1000000);
}

int WorkerCount(TestCluster& cluster) {
  auto info = cluster.Connect()->info();
  REQUIRE(info.ok());
  return info->workers;
}

TEST_CASE("mutual TLS on the scheduler, the workers and every client channel") {
  MutualTls tls;
  const TestCerts& certs = tls.certs;
  const std::vector<std::string>& node_tls = tls.node_flags;
  TestCluster cluster(/*n_workers=*/0, {}, node_tls);
  cluster.AddWorker(node_tls);
  cluster.AddWorker(node_tls);
  REQUIRE(cluster.WaitForWorkers(2));

  ClientOptions good;
  good.address = cluster.address();
  good.tls_ca_file = certs.ca;
  good.tls_cert = certs.client_cert;
  good.tls_key = certs.client_key;
  auto client = Client::Connect(good);
  INFO(cluster.Logs());
  REQUIRE(client.ok());
  RunWorkThatNeedsPeers(**client);

  // A certificate from a CA the cluster does not trust.
  ClientOptions untrusted = good;
  untrusted.tls_cert = certs.other_cert;
  untrusted.tls_key = certs.other_key;
  auto refused = Client::Connect(untrusted);
  REQUIRE(!refused.ok());
  CHECK(refused.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(absl::StrContains(refused.status().message(),
                          absl::StrCat("the scheduler at ", cluster.address(),
                                       " refused this client: TLS handshake failed")));

  // A client that trusts another CA refuses the cluster's certificate.
  ClientOptions distrusting = untrusted;
  distrusting.tls_ca_file = certs.other_ca;
  auto distrusted = Client::Connect(distrusting);
  REQUIRE(!distrusted.ok());
  CHECK(absl::StrContains(distrusted.status().message(), "certificate verify failed"));

  // No certificate at all, from the command line.
  CommandResult no_cert =
      RunCommand({"env", "-u", "WEFT_TLS_CERT", "-u", "WEFT_TLS_KEY", Runfile("client/weft"),
                  "info", cluster.address(), "--tls-ca-file", certs.ca});
  CHECK(no_cert.exit_code == 1);
  CHECK_THAT(no_cert.output,
             Catch::Contains("refused this client: TLS handshake failed") &&
                 Catch::Contains("it presents none: give --tls-cert and --tls-key"));
  CommandResult cli_ok =
      RunCommand({Runfile("client/weft"), "info", cluster.address(), "--tls-cert",
                  certs.client_cert, "--tls-key", certs.client_key});
  CHECK(cli_ok.exit_code == 0);
  CHECK_THAT(cli_ok.output, Catch::Contains("workers=2"));

  // A worker's GetData refuses a peer with an untrusted certificate.
  std::vector<Future<int64_t>> held = {(*client)->submit<int64_t>("inc", {int64_t{1000}})};
  REQUIRE(held[0].result() == 1001);
  auto holders = (*client)->who_has(held);
  REQUIRE(holders.size() == 1);
  auto stranger = LoadSecurity({certs.ca, certs.other_cert, certs.other_key, ""});
  REQUIRE(stranger.ok());
  auto channel = MakeWeftChannel(holders.begin()->second.at(0), *stranger);
  auto fetched = FetchValues(*channel, {holders.begin()->first}, absl::Now() + absl::Seconds(20));
  REQUIRE(!fetched.ok());
  INFO(fetched.status().ToString());
  CHECK(IsCredentialsError(fetched.status(), *stranger));

  // A worker with an untrusted certificate never joins and exits after --death-timeout.
  int bad = cluster.AddWorker({"--tls-ca-file", certs.ca, "--tls-cert", certs.other_cert,
                               "--tls-key", certs.other_key, "--death-timeout", "3"});
  CHECK(WaitForExit(cluster.worker_pid(bad), absl::Seconds(30)) == 1);
  CHECK_THAT(cluster.Logs(), Catch::Contains(absl::StrCat(
                                 "weft-worker: error: the scheduler at ", cluster.address(),
                                 " refused this worker: TLS handshake failed")));
  CHECK(WorkerCount(cluster) == 2);

  // The refused parties changed nothing; the cluster keeps working.
  CHECK((*client)->submit<int64_t>("inc", {int64_t{41}}).result() == 42);
}

TEST_CASE("a TLS worker whose certificate does not name its address is refused at registration") {
  MutualTls tls;
  const TestCerts& certs = tls.certs;
  TestCluster cluster(/*n_workers=*/0, {}, tls.node_flags);
  cluster.AddWorker(tls.node_flags);  // w0
  if (!cluster.WaitForWorkers(1)) FAIL("the worker did not join: " << cluster.Logs());
  // Signed by the trusted CA, so its credentials pass, but it names another host: its
  // peers, which reach it at 127.0.0.1, would refuse its certificate. It exits at once,
  // not after the (default, 60 s) --death-timeout.
  int misnamed = cluster.AddWorker({"--tls-ca-file", certs.ca, "--tls-cert", certs.misnamed_cert,
                                    "--tls-key", certs.misnamed_key});
  const int exit_code = WaitForExit(cluster.worker_pid(misnamed), absl::Seconds(30));
  INFO(cluster.Logs());
  CHECK(exit_code == 1);
  CHECK_THAT(
      cluster.Logs(),
      Catch::Contains(absl::StrCat("weft-worker: error: the scheduler at ", cluster.address(),
                                   " refused this worker: the scheduler could not reach "
                                   "this worker at 127.0.0.1:")) &&
          Catch::Contains("over TLS: Peer name 127.0.0.1 is not in peer certificate") &&
          Catch::Contains("a --contact-address that its certificate names"));
  CHECK(WorkerCount(cluster) == 1);
  // Only weft's message: nothing from gRPC's own logging ("E1128 12:00:00.000 ...
  // ssl_transport_security.cc:...] ...") in any process's output.
  CHECK_THAT(cluster.Logs(), !Catch::Contains(".cc:"));

  // The cluster still runs work, with results that cross to the client over TLS.
  auto client = cluster.Connect();
  CHECK(client->submit<int64_t>("inc", {int64_t{41}}).result() == 42);
}

TEST_CASE("a TLS certificate and a key that do not belong together: one clear error") {
  TestCerts certs = testing::MakeTestCerts();
  ScopedEnv env({{"WEFT_AUTH_TOKEN", ""},
                 {"WEFT_TLS_CA_FILE", ""},
                 {"WEFT_TLS_CERT", ""},
                 {"WEFT_TLS_KEY", ""}});
  const std::vector<std::string> mismatched = {"--tls-ca-file",   certs.ca,    "--tls-cert",
                                               certs.server_cert, "--tls-key", certs.client_key};
  const std::string expected = absl::StrCat("--tls-cert ", certs.server_cert, " and --tls-key ",
                                            certs.client_key, " do not belong together");
  auto run = [&](std::vector<std::string> argv) {
    argv.insert(argv.end(), mismatched.begin(), mismatched.end());
    CommandResult result = RunCommand(argv);
    INFO(absl::StrJoin(argv, " ") << "\n" << result.output);
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output, Catch::Contains(expected));
    // Nothing from gRPC's own logging ("E1128 12:00:00.000 ... ssl_transport_security.cc"),
    // nor its "empty address list".
    CHECK_THAT(result.output, !Catch::Contains("empty address list") && !Catch::Contains(".cc:") &&
                                  !Catch::Contains("SSL_CTX"));
  };
  run({Runfile("scheduler/weft-scheduler"), "--port", "0", "--no-dashboard"});
  run({Runfile("worker/weft-worker"), "127.0.0.1:1", "--no-nanny", "--death-timeout", "1"});
  run({Runfile("client/weft"), "info", "127.0.0.1:1"});
}

TEST_CASE("a shared token on every call, from the environment or --auth-token") {
  // The scheduler and workers inherit WEFT_AUTH_TOKEN; the bad worker overrides it.
  ScopedEnv env({{"WEFT_AUTH_TOKEN", "s3cret-token"},
                 {"WEFT_TLS_CA_FILE", ""},
                 {"WEFT_TLS_CERT", ""},
                 {"WEFT_TLS_KEY", ""}});
  TestCluster cluster(2);
  auto client = cluster.Connect();
  RunWorkThatNeedsPeers(*client);

  ClientOptions wrong;
  wrong.address = cluster.address();
  wrong.auth_token = "guess";
  auto refused = Client::Connect(wrong);
  REQUIRE(!refused.ok());
  CHECK(refused.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(absl::StrContains(refused.status().message(),
                          absl::StrCat("the scheduler at ", cluster.address(),
                                       " refused this client: UNAUTHENTICATED: invalid token")));

  CommandResult missing = RunCommand(
      {"env", "-u", "WEFT_AUTH_TOKEN", Runfile("client/weft"), "info", cluster.address()});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output,
             Catch::Contains("refused this client: UNAUTHENTICATED: missing token"));
  CommandResult flag = RunCommand({"env", "-u", "WEFT_AUTH_TOKEN", Runfile("client/weft"), "info",
                                   cluster.address(), "--auth-token", "s3cret-token"});
  CHECK(flag.exit_code == 0);

  // GetData checks the token too.
  std::vector<Future<int64_t>> held = {client->submit<int64_t>("inc", {int64_t{2000}})};
  REQUIRE(held[0].result() == 2001);
  auto holders = client->who_has(held);
  REQUIRE(holders.size() == 1);
  Security guess;
  guess.token = "guess";
  auto channel = MakeWeftChannel(holders.begin()->second.at(0), guess);
  auto fetched = FetchValues(*channel, {holders.begin()->first}, absl::Now() + absl::Seconds(20));
  CHECK(fetched.status().code() == absl::StatusCode::kUnauthenticated);

  int bad = cluster.AddWorker({"--auth-token", "guess", "--death-timeout", "3"});
  CHECK(WaitForExit(cluster.worker_pid(bad), absl::Seconds(30)) == 1);
  CHECK_THAT(cluster.Logs(),
             Catch::Contains("refused this worker: UNAUTHENTICATED: invalid token"));
  CHECK(WorkerCount(cluster) == 2);
  CHECK(client->submit<int64_t>("inc", {int64_t{1}}).result() == 2);
}

TEST_CASE("a local cluster is started with the client's credentials") {
  TestCerts certs = testing::MakeTestCerts();
  ScopedEnv env({{"WEFT_AUTH_TOKEN", ""},
                 {"WEFT_TLS_CA_FILE", ""},
                 {"WEFT_TLS_CERT", ""},
                 {"WEFT_TLS_KEY", ""},
                 {"WEFT_BIN_DIR", ""}});  // found beside this test in bazel-bin
  ClientOptions options;                  // no address: a local cluster
  options.tls_ca_file = certs.ca;
  options.tls_cert = certs.server_cert;  // names 127.0.0.1, where the local cluster listens
  options.tls_key = certs.server_key;
  options.auth_token = "local-token";
  auto client = Client::Connect(options);
  REQUIRE(client.ok());
  RunWorkThatNeedsPeers(**client);

  // Its scheduler demands both: a client with the certificate but not the token is refused.
  ClientOptions no_token = options;
  no_token.address = (*client)->scheduler_address();
  no_token.auth_token = "";
  auto refused = Client::Connect(no_token);
  REQUIRE(!refused.ok());
  CHECK_THAT(std::string(refused.status().message()), Catch::Contains("missing token"));
}

}  // namespace
}  // namespace weft
