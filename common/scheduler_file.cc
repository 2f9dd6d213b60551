#include "common/scheduler_file.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "simdjson.h"

namespace weft {

absl::Status WriteSchedulerFile(const std::string& path, const std::string& address) {
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << absl::StrFormat("{\"address\": \"%s\", \"pid\": %d}\n", address, ::getpid());
    out.flush();
    if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::PermissionDeniedError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSchedulerFile(const std::string& path, absl::Time deadline,
                                              const std::function<bool()>& gave_up) {
  std::string last_problem = "it does not exist";
  simdjson::dom::parser parser;
  while (true) {
    std::ifstream in(path);
    if (in) {
      std::stringstream contents;
      contents << in.rdbuf();
      simdjson::dom::element doc;
      std::string_view address;
      if (parser.parse(contents.str()).get(doc) == simdjson::SUCCESS &&
          doc["address"].get(address) == simdjson::SUCCESS && !address.empty()) {
        return std::string(address);
      }
      last_problem = "it holds no {\"address\": \"HOST:PORT\"}";
    }
    if (gave_up && gave_up()) {
      return absl::UnavailableError(
          absl::StrCat("scheduler file ", path, " will not be written: ", last_problem));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("scheduler file ", path, " is not usable: ", last_problem));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

}  // namespace weft
