#include "common/security.h"

#include <stdlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/testing/test_certs.h"
#include "grpcpp/grpcpp.h"
#include "proto/weft.grpc.pb.h"

namespace weft {
namespace {

std::string TempFile(const std::string& name, const std::string& text) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
  std::ofstream(path) << text;
  return path;
}

// A Worker service whose GetData counts the calls that reach it and sends nothing.
class CountingService final : public proto::Worker::Service {
 public:
  grpc::Status GetData(grpc::ServerContext*, const proto::GetDataRequest*,
                       grpc::ServerWriter<proto::DataChunk>*) override {
    ++calls;
    return grpc::Status::OK;
  }
  std::atomic<int> calls{0};
};

struct TestServer {
  explicit TestServer(const Security& security) {
    auto credentials = MakeServerCredentials(security);
    REQUIRE(credentials.ok());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *credentials, &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
    REQUIRE(port > 0);
  }
  ~TestServer() { server->Shutdown(); }
  std::string address() const { return absl::StrCat("127.0.0.1:", port); }

  CountingService service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

// One GetData call through a channel made with `security`.
absl::Status Call(const TestServer& server, const Security& security) {
  auto channel = MakeSecureChannel(server.address(), security, grpc::ChannelArguments());
  auto stub = proto::Worker::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  proto::GetDataRequest request;
  auto reader = stub->GetData(&context, request);
  proto::DataChunk chunk;
  while (reader->Read(&chunk)) {
  }
  grpc::Status status = reader->Finish();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

Security Load(const SecurityOptions& options) {
  auto security = LoadSecurity(options);
  INFO(security.status().ToString());
  REQUIRE(security.ok());
  return *security;
}

TEST_CASE("empty options fall back to the environment, given ones do not") {
  ::setenv("WEFT_TLS_CA_FILE", "/env/ca.pem", 1);
  ::setenv("WEFT_AUTH_TOKEN", "env-token", 1);
  ::unsetenv("WEFT_TLS_CERT");
  ::unsetenv("WEFT_TLS_KEY");
  SecurityOptions given;
  given.token = "flag-token";
  SecurityOptions merged = given.WithEnvironmentDefaults();
  CHECK(merged.ca_file == "/env/ca.pem");
  CHECK(merged.token == "flag-token");
  CHECK(merged.cert_file.empty());
  ::unsetenv("WEFT_TLS_CA_FILE");
  ::unsetenv("WEFT_AUTH_TOKEN");
  CHECK(SecurityOptions().WithEnvironmentDefaults().token.empty());
}

TEST_CASE("LoadSecurity names the flag and the file it cannot use") {
  CHECK(LoadSecurity(SecurityOptions()).ok());
  CHECK(LoadSecurity(SecurityOptions()).value().Describe() == "insecure");

  SecurityOptions missing;
  missing.ca_file = "/nonexistent/ca.pem";
  auto status = LoadSecurity(missing).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(status.message()) ==
        "--tls-ca-file /nonexistent/ca.pem: cannot read it: No such file or directory");

  SecurityOptions not_pem;
  not_pem.cert_file = TempFile("not_pem.pem", "hello\n");
  not_pem.key_file = not_pem.cert_file;
  status = LoadSecurity(not_pem).status();
  CHECK(std::string(status.message()) ==
        absl::StrCat("--tls-cert ", not_pem.cert_file, ": holds no PEM certificate"));

  SecurityOptions cert_as_key;
  cert_as_key.cert_file = TempFile("cert.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n");
  cert_as_key.key_file = cert_as_key.cert_file;
  status = LoadSecurity(cert_as_key).status();
  CHECK(std::string(status.message()) ==
        absl::StrCat("--tls-key ", cert_as_key.cert_file, ": holds no PEM private key"));

  SecurityOptions lone_cert;
  lone_cert.cert_file = cert_as_key.cert_file;
  CHECK(absl::StrContains(LoadSecurity(lone_cert).status().message(), "go together"));

  SecurityOptions spaced_token;
  spaced_token.token = "two words";
  CHECK(LoadSecurity(spaced_token).status().code() == absl::StatusCode::kInvalidArgument);

  Security ca_only;
  ca_only.ca_pem = "-----BEGIN CERTIFICATE-----";
  CHECK(MakeServerCredentials(ca_only).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("LoadSecurity refuses a certificate and a key that do not belong together") {
  testing::TestCerts certs = testing::MakeTestCerts();
  SecurityOptions mismatched{certs.ca, certs.server_cert, certs.client_key, ""};
  absl::Status status = LoadSecurity(mismatched).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(status.message()) ==
        absl::StrCat("--tls-cert ", certs.server_cert, " and --tls-key ", certs.client_key,
                     " do not belong together: that key is not the private key of that "
                     "certificate (give the key the certificate was issued for)"));

  SecurityOptions garbled_key{"", certs.server_cert,
                              TempFile("garbled.key",
                                       "-----BEGIN PRIVATE KEY-----\nnot base64\n"
                                       "-----END PRIVATE KEY-----\n"),
                              ""};
  status = LoadSecurity(garbled_key).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(status.message(), absl::StrCat("--tls-key ", garbled_key.key_file,
                                                        ": cannot parse its PEM private key (")));

  SecurityOptions garbled_ca{TempFile("garbled_ca.pem",
                                      "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                      "-----END CERTIFICATE-----\n"),
                             "", "", ""};
  CHECK(absl::StartsWith(
      LoadSecurity(garbled_ca).status().message(),
      absl::StrCat("--tls-ca-file ", garbled_ca.ca_file, ": cannot parse its PEM certificate (")));

  CHECK(LoadSecurity({certs.ca, certs.server_cert, certs.server_key, ""}).ok());
}

TEST_CASE("ExplainRefusal says who refused whom, and leaves other errors alone") {
  absl::Status token = ExplainRefusal(absl::UnauthenticatedError("invalid token"),
                                      "the scheduler at 1.2.3.4:8786", "client", Security());
  CHECK(token.code() == absl::StatusCode::kUnauthenticated);
  CHECK(std::string(token.message()) ==
        "the scheduler at 1.2.3.4:8786 refused this client: UNAUTHENTICATED: invalid token");
  absl::Status tls = ExplainRefusal(
      absl::UnavailableError("failed to connect to all addresses; last error: UNKNOWN: "
                             "ipv4:127.0.0.1:1: Ssl handshake failed: SSL_ERROR_SSL"),
      "the worker at w", "worker", Security());
  CHECK(absl::StartsWith(tls.message(),
                         "the worker at w refused this worker: TLS handshake failed ("));
  absl::Status down =
      absl::UnavailableError("failed to connect to all addresses; Connection refused");
  CHECK(ExplainRefusal(down, "x", "y", Security()) == down);
  absl::Status cancelled = absl::UnavailableError(
      "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: tcp "
      "handshaker shutdown");
  CHECK(ExplainRefusal(cancelled, "x", "y", Security()) == cancelled);
  absl::Status closed = absl::UnavailableError(
      "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:1.2.3.4:5: Socket closed");
  CHECK(ExplainRefusal(closed, "x", "y", Security()) == closed);  // no TLS: just down
  Security with_tls;
  with_tls.ca_pem = "-----BEGIN CERTIFICATE-----";
  CHECK(ExplainRefusal(closed, "x", "y", with_tls).code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("a token server runs only calls that carry its token") {
  Security server_side;
  server_side.token = "s3cret";
  TestServer server(server_side);

  CHECK(Call(server, server_side).ok());
  CHECK(server.service.calls == 1);

  Security wrong;
  wrong.token = "guess";
  absl::Status refused = Call(server, wrong);
  CHECK(refused.code() == absl::StatusCode::kUnauthenticated);
  CHECK(absl::StrContains(refused.message(), "invalid token"));

  absl::Status missing = Call(server, Security());
  CHECK(missing.code() == absl::StatusCode::kUnauthenticated);
  CHECK(absl::StrContains(missing.message(), "missing token"));
  CHECK(server.service.calls == 1);  // the handler never saw the refused calls
}

TEST_CASE("mutual TLS: servers require a client certificate signed by the CA") {
  testing::TestCerts certs = testing::MakeTestCerts();
  SecurityOptions server_options{certs.ca, certs.server_cert, certs.server_key, ""};
  Security server_side = Load(server_options);
  CHECK(server_side.Describe() == "mutual TLS");
  TestServer server(server_side);

  Security client = Load({certs.ca, certs.client_cert, certs.client_key, ""});
  CHECK(Call(server, client).ok());
  CHECK(server.service.calls == 1);

  absl::Status no_cert = Call(server, Load({certs.ca, "", "", ""}));
  INFO(no_cert.ToString());
  CHECK(IsCredentialsError(no_cert, Load({certs.ca, "", "", ""})));
  CHECK(absl::StrContains(
      ExplainRefusal(no_cert, "the scheduler at x", "client", Load({certs.ca, "", "", ""}))
          .message(),
      "the scheduler at x refused this client: TLS handshake failed: the connection was "
      "closed during it, so the scheduler at x does not accept this client's certificate "
      "(it presents none: give --tls-cert and --tls-key)"));

  absl::Status untrusted = Call(server, Load({certs.ca, certs.other_cert, certs.other_key, ""}));
  INFO(untrusted.ToString());
  CHECK(IsCredentialsError(untrusted, client));

  // The server's certificate is not signed by the CA this client trusts.
  absl::Status distrusting =
      Call(server, Load({certs.other_ca, certs.other_cert, certs.other_key, ""}));
  INFO(distrusting.ToString());
  CHECK(IsCredentialsError(distrusting, Security()));

  absl::Status plain = Call(server, Security());
  INFO(plain.ToString());
  CHECK(!plain.ok());
  CHECK(!IsCredentialsError(plain, Security()));  // plain TCP cannot tell
  CHECK(server.service.calls == 1);
}

TEST_CASE("UnnamedPeerHost finds the host a server's certificate does not name") {
  testing::TestCerts certs = testing::MakeTestCerts();
  // Trusted, but for DNS:weft-elsewhere.invalid only, and dialled at 127.0.0.1.
  TestServer server(Load({certs.ca, certs.misnamed_cert, certs.misnamed_key, ""}));
  absl::Status refused = Call(server, Load({certs.ca, certs.client_cert, certs.client_key, ""}));
  INFO(refused.ToString());
  CHECK(UnnamedPeerHost(refused) == "127.0.0.1");
  CHECK(server.service.calls == 0);

  CHECK(UnnamedPeerHost(absl::UnavailableError("Connection refused")).empty());
  CHECK(UnnamedPeerHost(absl::InternalError("Peer name x is not in peer certificate")).empty());
}

TEST_CASE("TLS and token together") {
  testing::TestCerts certs = testing::MakeTestCerts();
  Security server_side = Load({certs.ca, certs.server_cert, certs.server_key, "tok"});
  CHECK(server_side.Describe() == "mutual TLS + token");
  TestServer server(server_side);
  CHECK(Call(server, Load({certs.ca, certs.client_cert, certs.client_key, "tok"})).ok());
  absl::Status wrong = Call(server, Load({certs.ca, certs.client_cert, certs.client_key, "bad"}));
  CHECK(wrong.code() == absl::StatusCode::kUnauthenticated);
  CHECK(server.service.calls == 1);
}

}  // namespace
}  // namespace weft
