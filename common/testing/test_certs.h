// TestCerts: throw-away certificates for tests, made with the `openssl` command in a new
// temporary directory: a CA; a server certificate (SAN IP:127.0.0.1, DNS:localhost) and a
// client certificate signed by it; a certificate signed by that CA that names neither
// 127.0.0.1 nor localhost (SAN DNS:weft-elsewhere.invalid); and a second, untrusted CA
// with a certificate of its own (same SANs as the server's). EC P-256 keys, valid for two
// days.
//
// Threading: call from one thread; the files are not removed (they live in TEST_TMPDIR
// when Bazel sets it).
#pragma once

#include <string>

namespace weft::testing {

struct TestCerts {
  std::string dir;
  std::string ca;  // PEM paths
  std::string server_cert, server_key;
  std::string client_cert, client_key;
  std::string other_ca;  // not trusted by anyone
  std::string other_cert, other_key;
  std::string misnamed_cert, misnamed_key;  // trusted, but not for this host's names
};

// Throws std::runtime_error (with openssl's output) when a step fails.
TestCerts MakeTestCerts();

}  // namespace weft::testing
