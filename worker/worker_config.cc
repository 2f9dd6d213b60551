#include "worker/worker_config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace weft {
namespace {

int64_t TotalMemory() {
  return static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE);
}

}  // namespace

absl::StatusOr<int64_t> ParseMemoryLimit(const std::string& text) {
  std::string s = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (s == "auto") return TotalMemory();
  size_t unit_start = s.size();
  while (unit_start > 0 && std::isalpha(static_cast<unsigned char>(s[unit_start - 1]))) {
    --unit_start;
  }
  std::string number(absl::StripAsciiWhitespace(s.substr(0, unit_start)));
  std::string unit = s.substr(unit_start);
  static const std::map<std::string, double> kUnits = {{"", 1},
                                                       {"b", 1},
                                                       {"k", 1e3},
                                                       {"kb", 1e3},
                                                       {"m", 1e6},
                                                       {"mb", 1e6},
                                                       {"g", 1e9},
                                                       {"gb", 1e9},
                                                       {"t", 1e12},
                                                       {"tb", 1e12},
                                                       {"kib", 1024.0},
                                                       {"mib", 1048576.0},
                                                       {"gib", 1073741824.0},
                                                       {"tib", 1099511627776.0}};
  double value;
  auto it = kUnits.find(unit);
  if (it == kUnits.end() || !absl::SimpleAtod(number, &value) || !std::isfinite(value) ||
      value < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid memory limit '", text,
                     "': use bytes (\"4GiB\", \"2GB\", \"10e9\"), \"auto\" or 0"));
  }
  if (unit.empty() && value > 0 && value <= 1) return static_cast<int64_t>(value * TotalMemory());
  return static_cast<int64_t>(value * it->second);
}

absl::StatusOr<std::string> LocalAddressToward(const std::string& scheduler_host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(scheduler_host.c_str(), "9", &hints, &found);
  if (rc != 0 || found == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve scheduler host ", scheduler_host, ": ", gai_strerror(rc)));
  }
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  absl::Status status;
  sockaddr_in local{};
  socklen_t length = sizeof(local);
  if (fd < 0 || ::connect(fd, found->ai_addr, found->ai_addrlen) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    status = absl::UnavailableError(
        absl::StrCat("no route to scheduler host ", scheduler_host, ": ", strerror(errno)));
  }
  if (fd >= 0) ::close(fd);
  ::freeaddrinfo(found);
  if (!status.ok()) return status;
  char text[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &local.sin_addr, text, sizeof(text));
  return std::string(text);
}

absl::StatusOr<std::string> AdvertisedAddress(const std::string& contact_address,
                                              const std::string& host, int port,
                                              const std::string& scheduler_address) {
  // Checked here, before the worker starts, even when it is not needed for the answer.
  auto scheduler = SplitHostPort(scheduler_address);
  if (!scheduler.ok()) return scheduler.status();
  if (!contact_address.empty()) {
    if (contact_address.find(':') != std::string::npos) return contact_address;
    return absl::StrCat(contact_address, ":", port);
  }
  if (!host.empty() && host != "0.0.0.0" && host != "::" && host != "[::]") {
    return absl::StrCat(host, ":", port);
  }
  auto local = LocalAddressToward(scheduler->first);
  if (!local.ok()) return local.status();
  return absl::StrCat(*local, ":", port);
}

}  // namespace weft
