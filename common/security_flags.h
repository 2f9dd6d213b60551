// The security flags of weft's command lines, the same on weft-scheduler, weft-worker and
// the `weft` CLI (as dask's): --tls-ca-file, --tls-cert, --tls-key, --auth-token. Each
// falls back to its environment variable (see common/security.h).
//
// Header-only so that common/security does not depend on CLI11.
#pragma once

#include <CLI/CLI.hpp>

#include "common/security.h"

namespace weft {

inline void AddSecurityFlags(CLI::App& app, SecurityOptions& options) {
  app.add_option("--tls-ca-file", options.ca_file,
                 "PEM CA certificates; with --tls-cert/--tls-key: mutual TLS "
                 "[env WEFT_TLS_CA_FILE]");
  app.add_option("--tls-cert", options.cert_file,
                 "PEM certificate this process presents [env WEFT_TLS_CERT]");
  app.add_option("--tls-key", options.key_file,
                 "PEM private key of --tls-cert [env WEFT_TLS_KEY]");
  app.add_option("--auth-token", options.token,
                 "shared secret every call must carry; prefer the environment, which "
                 "`ps` does not show [env WEFT_AUTH_TOKEN]");
}

}  // namespace weft
