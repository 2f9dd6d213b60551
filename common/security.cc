#include "common/security.h"

#include <grpc/grpc_security.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/client_interceptor.h"

namespace weft {
namespace {

constexpr char kAuthorizationHeader[] = "authorization";
constexpr char kBearerPrefix[] = "Bearer ";

std::string EnvOr(const std::string& value, const char* name) {
  if (!value.empty()) return value;
  const char* env = std::getenv(name);
  return env == nullptr ? "" : env;
}

// The file's contents; kInvalidArgument naming `flag` when it cannot be read or does not
// hold a PEM block whose label contains `label`.
absl::StatusOr<std::string> ReadPem(const char* flag, const std::string& path, const char* label) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": cannot read it: ", std::strerror(errno)));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  std::string pem = contents.str();
  size_t begin = pem.find("-----BEGIN ");
  if (begin == std::string::npos || pem.find(label, begin) == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": holds no PEM ", absl::AsciiStrToLower(label)));
  }
  return pem;
}

// The reason of OpenSSL's earliest queued error ("unknown" when there is none); empties
// the thread's error queue.
std::string TakeOpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : absl::StrCat("OpenSSL error ", code);
}

// OpenSSL asks this for the passphrase of an encrypted key: there is none, so it fails
// rather than prompting on the terminal.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*user*/) { return -1; }

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioFree> MemoryBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate of `pem`; kInvalidArgument naming `flag` and `path` when OpenSSL
// cannot parse it.
absl::StatusOr<std::unique_ptr<X509, X509Free>> ParseCertificate(const char* flag,
                                                                 const std::string& path,
                                                                 const std::string& pem) {
  std::unique_ptr<X509, X509Free> cert(
      PEM_read_bio_X509(MemoryBio(pem).get(), nullptr, &NoPassphrase, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " ", path, ": cannot parse its PEM certificate (", TakeOpenSslError(), ")"));
  }
  return cert;
}

// kInvalidArgument naming both files unless the key of `key_pem` is the private key of
// the (first) certificate of `cert_pem`. Checked here because gRPC, given a pair that does
// not belong together, logs raw lines of its own and fails every listener and channel
// with unhelpful words ("empty address list").
absl::Status CheckKeyPair(const SecurityOptions& options, const std::string& cert_pem,
                          const std::string& key_pem) {
  auto cert = ParseCertificate("--tls-cert", options.cert_file, cert_pem);
  if (!cert.ok()) return cert.status();
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(MemoryBio(key_pem).get(), nullptr, &NoPassphrase, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key ", options.key_file, ": cannot parse its PEM private key (",
                     TakeOpenSslError(), "; a key encrypted with a passphrase is not supported)"));
  }
  if (X509_check_private_key(cert->get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert ", options.cert_file, " and --tls-key ", options.key_file,
                     " do not belong together: that key is not the private key of that certificate "
                     "(give the key the certificate was issued for)"));
  }
  return absl::OkStatus();
}

absl::Status CheckToken(const std::string& token) {
  for (char c : token) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(
          "--auth-token / WEFT_AUTH_TOKEN: use printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

// Compares in time independent of where the strings differ.
bool SameSecret(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

absl::string_view SliceView(const grpc_slice& slice) {
  return absl::string_view(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(slice)),
                           GRPC_SLICE_LENGTH(slice));
}

// The server side of the token: gRPC core calls it with every call's metadata before the
// call reaches a handler. It is a core processor rather than a grpc::AuthMetadataProcessor
// because the C++ API refuses processors on insecure server credentials, and the token
// must work without TLS as well. Called from gRPC's threads; the state is immutable.
void ProcessToken(void* state, grpc_auth_context* /*context*/, const grpc_metadata* md,
                  size_t num_md, grpc_process_auth_metadata_done_cb done, void* user_data) {
  const std::string& expected = *static_cast<const std::string*>(state);
  for (size_t i = 0; i < num_md; ++i) {
    if (SliceView(md[i].key) != kAuthorizationHeader) continue;
    if (SameSecret(SliceView(md[i].value), expected)) {
      done(user_data, &md[i], 1, nullptr, 0, GRPC_STATUS_OK, nullptr);
    } else {
      done(user_data, nullptr, 0, nullptr, 0, GRPC_STATUS_UNAUTHENTICATED,
           "invalid token (check --auth-token / WEFT_AUTH_TOKEN)");
    }
    return;
  }
  done(user_data, nullptr, 0, nullptr, 0, GRPC_STATUS_UNAUTHENTICATED,
       "missing token: this server requires --auth-token / WEFT_AUTH_TOKEN");
}

void DestroyToken(void* state) { delete static_cast<std::string*>(state); }

// Server credentials made with gRPC core's API: insecure or SSL, with the token
// processor when there is a token. Owns its grpc_server_credentials.
class CoreServerCredentials final : public grpc::ServerCredentials {
 public:
  explicit CoreServerCredentials(const Security& security) {
    // The base class's constructor has initialised gRPC by now.
    if (security.cert_pem.empty()) {
      creds_ = grpc_insecure_server_credentials_create();
    } else {
      grpc_ssl_pem_key_cert_pair pair{security.key_pem.c_str(), security.cert_pem.c_str()};
      creds_ = grpc_ssl_server_credentials_create_ex(
          security.ca_pem.empty() ? nullptr : security.ca_pem.c_str(), &pair, 1,
          security.ca_pem.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                  : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY,
          nullptr);
    }
    if (!security.token.empty()) {
      std::string header = absl::StrCat(kBearerPrefix, security.token);
      grpc_server_credentials_set_auth_metadata_processor(
          creds_, {&ProcessToken, &DestroyToken, new std::string(std::move(header))});
    }
  }
  ~CoreServerCredentials() override { grpc_server_credentials_release(creds_); }

  // The token processor is the only one these credentials take.
  void SetAuthMetadataProcessor(
      const std::shared_ptr<grpc::AuthMetadataProcessor>& /*processor*/) override {}

 private:
  int AddPortToServer(const std::string& addr, grpc_server* server) override {
    return grpc_server_add_http2_port(server, addr.c_str(), creds_);
  }

  grpc_server_credentials* creds_ = nullptr;
};

// The client side of the token: adds the header to every call of a channel. An
// interceptor rather than call credentials because gRPC sends call credentials over TLS
// only, and the token must work without it.
class TokenInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit TokenInterceptor(std::string header) : header_(std::move(header)) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kAuthorizationHeader, header_);
    }
    methods->Proceed();
  }

 private:
  const std::string header_;
};

class TokenInterceptorFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit TokenInterceptorFactory(std::string token)
      : header_(absl::StrCat(kBearerPrefix, token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* /*info*/) override {
    return new TokenInterceptor(header_);
  }

 private:
  const std::string header_;
};

}  // namespace

SecurityOptions SecurityOptions::WithEnvironmentDefaults() const {
  SecurityOptions out;
  out.ca_file = EnvOr(ca_file, "WEFT_TLS_CA_FILE");
  out.cert_file = EnvOr(cert_file, "WEFT_TLS_CERT");
  out.key_file = EnvOr(key_file, "WEFT_TLS_KEY");
  out.token = EnvOr(token, "WEFT_AUTH_TOKEN");
  return out;
}

std::string Security::Describe() const {
  std::string out = mutual() ? "mutual TLS" : tls() ? "TLS" : "insecure";
  if (!token.empty()) absl::StrAppend(&out, " + token");
  return out;
}

absl::StatusOr<Security> LoadSecurity(const SecurityOptions& options) {
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: give both, or neither");
  }
  Security security;
  if (!options.ca_file.empty()) {
    auto pem = ReadPem("--tls-ca-file", options.ca_file, "CERTIFICATE");
    if (!pem.ok()) return pem.status();
    if (auto ca = ParseCertificate("--tls-ca-file", options.ca_file, *pem); !ca.ok()) {
      return ca.status();
    }
    security.ca_pem = *std::move(pem);
  }
  if (!options.cert_file.empty()) {
    auto cert = ReadPem("--tls-cert", options.cert_file, "CERTIFICATE");
    if (!cert.ok()) return cert.status();
    auto key = ReadPem("--tls-key", options.key_file, "PRIVATE KEY");
    if (!key.ok()) return key.status();
    if (absl::Status pair = CheckKeyPair(options, *cert, *key); !pair.ok()) return pair;
    security.cert_pem = *std::move(cert);
    security.key_pem = *std::move(key);
  }
  if (absl::Status status = CheckToken(options.token); !status.ok()) return status;
  security.token = options.token;
  return security;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const Security& security) {
  if (!security.tls() && security.token.empty()) return grpc::InsecureServerCredentials();
  if (security.cert_pem.empty() && !security.ca_pem.empty()) {
    return absl::InvalidArgumentError(
        "--tls-ca-file without --tls-cert and --tls-key: a server needs a certificate");
  }
  return std::shared_ptr<grpc::ServerCredentials>(
      std::make_shared<CoreServerCredentials>(security));
}

std::shared_ptr<grpc::Channel> MakeSecureChannel(const std::string& address,
                                                 const Security& security,
                                                 const grpc::ChannelArguments& args) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (security.tls()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = security.ca_pem;  // empty: the system's roots
    ssl.pem_cert_chain = security.cert_pem;
    ssl.pem_private_key = security.key_pem;
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  if (security.token.empty()) return grpc::CreateCustomChannel(address, credentials, args);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<TokenInterceptorFactory>(security.token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(address, credentials, args,
                                                                 std::move(interceptors));
}

namespace {

bool MentionsTls(absl::string_view message) {
  std::string lower = absl::AsciiStrToLower(message);
  // Not "handshake" alone: plain TCP connections report "tcp handshaker shutdown".
  for (const char* sign : {"ssl", "tls", "certificate"}) {
    if (absl::StrContains(lower, sign)) return true;
  }
  return false;
}

// The connection went away before the channel was up (as gRPC words it).
bool ClosedWhileConnecting(absl::string_view message) {
  return absl::StrContains(message, "failed to connect") &&
         (absl::StrContains(message, "Socket closed") ||
          absl::StrContains(message, "Connection reset"));
}

}  // namespace

bool IsCredentialsError(const absl::Status& status, const Security& mine) {
  if (status.code() == absl::StatusCode::kUnauthenticated) return true;
  if (status.code() != absl::StatusCode::kUnavailable) return false;
  return MentionsTls(status.message()) || (mine.tls() && ClosedWhileConnecting(status.message()));
}

std::string UnnamedPeerHost(const absl::Status& status) {
  // As the call fails with the subchannel's last error, e.g. "UNAVAILABLE: failed to
  // connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:PORT: Peer name
  // 127.0.0.1 is not in peer certificate".
  constexpr absl::string_view kPrefix = "Peer name ";
  constexpr absl::string_view kSuffix = " is not in peer certificate";
  if (!absl::IsUnavailable(status)) return "";
  const absl::string_view message = status.message();
  const size_t suffix = message.find(kSuffix);
  if (suffix == absl::string_view::npos) return "";
  const size_t prefix = message.rfind(kPrefix, suffix);
  if (prefix == absl::string_view::npos) return "";
  return std::string(message.substr(prefix + kPrefix.size(), suffix - prefix - kPrefix.size()));
}

absl::Status ExplainRefusal(const absl::Status& status, absl::string_view peer,
                            absl::string_view self, const Security& mine) {
  if (!IsCredentialsError(status, mine)) return status;
  std::string why;
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    why = absl::StrCat("UNAUTHENTICATED: ", status.message());
  } else if (MentionsTls(status.message())) {
    why = absl::StrCat("TLS handshake failed (", status.message(), ")");
  } else {
    why = absl::StrCat("TLS handshake failed: the connection was closed during it, so ", peer,
                       " does not accept this ", self, "'s certificate",
                       mine.cert_pem.empty() ? " (it presents none: give --tls-cert and --tls-key)"
                                             : " (is it signed by the server's --tls-ca-file?)",
                       " (", status.message(), ")");
  }
  return absl::UnauthenticatedError(absl::StrCat(peer, " refused this ", self, ": ", why));
}

}  // namespace weft
