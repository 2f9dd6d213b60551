// Security for every weft gRPC endpoint: TLS with mutual authentication, and/or a shared
// token, as dask's `--tls-ca-file/--tls-cert/--tls-key` and its shared-secret options.
//
//   TLS    With cert and key, servers present that certificate. With a CA as well, every
//          server requires and verifies a client certificate signed by that CA
//          (GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY) and every channel
//          verifies the server's certificate against it and presents its own certificate:
//          authentication is mutual. Peers are reached by the address they advertise, so
//          certificates must name it (SAN IP:10.0.0.5, DNS:host). A client that gives only
//          a CA verifies servers but presents no certificate (mutual servers refuse it).
//   Token  Every call carries `authorization: Bearer TOKEN`; every server checks it before
//          any handler runs and answers UNAUTHENTICATED otherwise, so a refused call changes
//          nothing on the server. Over plain TCP the token is visible on the wire: use it
//          with TLS on untrusted networks.
//
// Each empty option falls back to its environment variable (WEFT_TLS_CA_FILE,
// WEFT_TLS_CERT, WEFT_TLS_KEY, WEFT_AUTH_TOKEN), so one exported set of variables secures
// the scheduler, the workers and every client alike. Nothing set: insecure, as before.
//
// Threading: free functions and immutable values; credentials and channels made from
// them are thread-safe (gRPC's).
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace weft {

// What the command lines and ClientOptions take: file paths and the token.
struct SecurityOptions {
  std::string ca_file;    // --tls-ca-file: PEM CA certificates to trust
  std::string cert_file;  // --tls-cert: PEM certificate (chain) of this process
  std::string key_file;   // --tls-key: PEM private key of that certificate
  std::string token;      // --auth-token: shared secret

  // Empty fields from WEFT_TLS_CA_FILE, WEFT_TLS_CERT, WEFT_TLS_KEY, WEFT_AUTH_TOKEN.
  SecurityOptions WithEnvironmentDefaults() const;
};

// The credentials themselves, read from the files once: what channels and servers are
// made from. Default: insecure, no token.
struct Security {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  std::string token;

  bool tls() const { return !ca_pem.empty() || !cert_pem.empty(); }
  bool mutual() const { return !ca_pem.empty() && !cert_pem.empty(); }
  // "insecure", "TLS", "mutual TLS", each "+ token" when there is one (for logs).
  std::string Describe() const;
};

// Reads the files of `options` (as given: apply WithEnvironmentDefaults first if wanted).
// kInvalidArgument, naming the flag and the path: a file that cannot be read or holds no
// PEM certificate / private key that OpenSSL can parse (an encrypted key included), a
// certificate without its key or the reverse, a key that is not the certificate's (naming
// both files), a token with characters that cannot travel in a header (only printable
// ASCII, no spaces).
absl::StatusOr<Security> LoadSecurity(const SecurityOptions& options);

// Credentials for a server that listens for weft calls: TLS when `security` has a
// certificate (client certificates required and verified when it has a CA too), and a
// token check on every call when it has a token. kInvalidArgument when it has a CA but no
// certificate (a server must present one to speak TLS).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const Security& security);

// A channel to `address` (host:port) that speaks TLS when `security` does (presenting its
// certificate when it has one) and adds its token to every call.
std::shared_ptr<grpc::Channel> MakeSecureChannel(const std::string& address,
                                                 const Security& security,
                                                 const grpc::ChannelArguments& args);

// True when a failed call's status says the peer refused our credentials, or we refused
// its certificate: kUnauthenticated (the token), a failed TLS handshake, or, on a TLS
// channel (`mine.tls()`), a connection closed before it was up: with TLS 1.3 a server
// that rejects the client's certificate just closes the connection after the handshake.
bool IsCredentialsError(const absl::Status& status, const Security& mine);

// The host of a failed call's "Peer name HOST is not in peer certificate": gRPC's words
// (1.51) when the TLS certificate of the server does not name the host the channel dialled,
// so that no retry can succeed until that server has another certificate or is dialled by
// another name. Empty when `status` says nothing of the kind.
std::string UnnamedPeerHost(const absl::Status& status);

// For a credentials error: kUnauthenticated "`peer` refused this `self`: TLS handshake
// failed (...)" or "...: UNAUTHENTICATED: invalid token (...)", with a hint at the flag to
// fix, e.g. ExplainRefusal(status, "the scheduler at 10.0.0.5:8786", "client", security).
// Any other status is returned unchanged.
absl::Status ExplainRefusal(const absl::Status& status, absl::string_view peer,
                            absl::string_view self, const Security& mine);

}  // namespace weft
