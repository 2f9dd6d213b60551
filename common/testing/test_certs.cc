#include "common/testing/test_certs.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace weft::testing {
namespace {

void Run(const std::string& dir, const std::string& command) {
  std::string log = dir + "/openssl.log";
  std::string full = absl::StrCat("cd '", dir, "' && ", command, " >>'", log, "' 2>&1");
  if (std::system(full.c_str()) != 0) {
    std::ifstream in(log);
    std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    throw std::runtime_error(absl::StrCat("`", command, "` failed:\n", output));
  }
}

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

constexpr char kNewKey[] = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

// A self-signed CA: ca_name.pem, ca_name.key.
void MakeCa(const std::string& dir, const std::string& name) {
  Write(
      dir + "/" + name + ".cnf",
      absl::StrCat(
          "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = weft test ", name, "\n",
          "[v3_ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n",
          "subjectKeyIdentifier = hash\n"));
  Run(dir, absl::StrCat("openssl req -x509 -config ", name, ".cnf -extensions v3_ca ", kNewKey,
                        " -keyout ", name, ".key -out ", name, ".pem -days 2"));
}

// name.pem / name.key signed by ca, naming `alt_names` (an openssl subjectAltName value).
void MakeLeaf(const std::string& dir, const std::string& name, const std::string& ca,
              const std::string& alt_names = "IP:127.0.0.1, DNS:localhost") {
  Write(dir + "/" + name + ".cnf",
        absl::StrCat("[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = ", name, "\n"));
  Write(dir + "/" + name + ".ext",
        absl::StrCat("basicConstraints = CA:FALSE\nsubjectAltName = ", alt_names, "\n"));
  Run(dir, absl::StrCat("openssl req -new -config ", name, ".cnf ", kNewKey, " -keyout ", name,
                        ".key -out ", name, ".csr"));
  Run(dir,
      absl::StrCat("openssl x509 -req -in ", name, ".csr -CA ", ca, ".pem -CAkey ", ca,
                   ".key -CAcreateserial -days 2 -extfile ", name, ".ext -out ", name, ".pem"));
}

}  // namespace

TestCerts MakeTestCerts() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string tmpl = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/weft-certs-XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  const std::string& dir = tmpl;
  MakeCa(dir, "ca");
  MakeLeaf(dir, "server", "ca");
  MakeLeaf(dir, "client", "ca");
  MakeCa(dir, "other_ca");
  MakeLeaf(dir, "other", "other_ca");
  MakeLeaf(dir, "misnamed", "ca", "DNS:weft-elsewhere.invalid");
  auto path = [&dir](const std::string& file) { return dir + "/" + file; };
  return TestCerts{dir,
                   path("ca.pem"),
                   path("server.pem"),
                   path("server.key"),
                   path("client.pem"),
                   path("client.key"),
                   path("other_ca.pem"),
                   path("other.pem"),
                   path("other.key"),
                   path("misnamed.pem"),
                   path("misnamed.key")};
}

}  // namespace weft::testing
