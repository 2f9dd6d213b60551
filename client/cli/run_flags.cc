#include "client/cli/run_flags.h"

#include <cmath>
#include <functional>
#include <iostream>
#include <limits>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/cli/shell_parser.h"
#include "common/resources.h"
#include "common/status_macros.h"

namespace weft::cli {
namespace {

// A CLI11 check that the text is an integer of at least `min` (CLI11's own range checks
// print the limits of double).
std::function<std::string(const std::string&)> IntegerAtLeast(int64_t min) {
  return [min](const std::string& text) -> std::string {
    int64_t n;
    if (absl::SimpleAtoi(text, &n) && n >= min) return "";
    return min == std::numeric_limits<int64_t>::min()
               ? absl::StrCat("'", text, "' is not an integer")
               : absl::StrCat("'", text, "' is not an integer >= ", min);
  };
}

}  // namespace

void AddClusterFlags(CLI::App* cmd, ClusterFlags* flags) {
  cmd->add_option("--scheduler", flags->scheduler,
                  "scheduler address host:port (default: start a local cluster)");
  // One path per --preload, so that the positional arguments after it are not plugins.
  cmd->add_option("--preload", flags->preload,
                  "plugin .so for the local cluster's workers (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--n-workers", flags->n_workers, "workers of the local cluster")
      ->capture_default_str();
}

void AddTaskFlags(CLI::App* cmd, TaskFlags* flags) {
  cmd->add_option("--resources", flags->resources,
                  "resources each task holds while it runs, e.g. GPU=1 or \"GPU=1 MEM=2e9\" "
                  "(repeatable; matched against weft-worker --resources)")
      ->allow_extra_args(false)
      ->type_name("NAME=AMOUNT")
      ->check([](const std::string& text) {
        absl::StatusOr<std::map<std::string, double>> parsed = ParseTaskResources(text);
        return parsed.ok() ? std::string() : std::string(parsed.status().message());
      });
  CLI::Option* workers =
      cmd->add_option("--workers", flags->workers,
                      "a worker that may run the tasks: its --name, host:port or host "
                      "(repeatable)")
          ->allow_extra_args(false)
          ->type_name("NAME")
          ->check([](const std::string& name) {
            return name.empty() ? std::string("a worker name must not be empty") : "";
          });
  cmd->add_flag("--allow-other-workers", flags->allow_other_workers,
                "with --workers: only a preference, any worker may run the tasks")
      ->needs(workers);
  cmd->add_option("--retries", flags->retries,
                  "times a failed task is re-run before its error is reported")
      ->check(IntegerAtLeast(0))
      ->capture_default_str();
  cmd->add_option("--priority", flags->priority,
                  "higher runs first among ready tasks (as dask's priority)")
      ->check(IntegerAtLeast(std::numeric_limits<int64_t>::min()))
      ->capture_default_str();
}

absl::StatusOr<std::vector<std::string>> LocalWorkerIoArgs(const io::IoFlags& io,
                                                           const std::string& scheduler) {
  std::vector<std::string> args = io.ToArgs();
  if (!args.empty() && !scheduler.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        args.front(), " sets how the workers of a local cluster read data; the workers of ",
        scheduler, " read as their own flags say: give it to each weft-worker instead"));
  }
  return args;
}

absl::StatusOr<std::unique_ptr<Client>> ConnectFor(const ClusterFlags& flags) {
  ClientOptions options;
  options.address = flags.scheduler;
  options.preload = flags.preload;
  options.n_workers = flags.n_workers;
  return Client::Connect(options);
}

absl::StatusOr<Value> CommandLineValue(const std::string& text) {
  if (!text.empty() && (text.front() == '[' || text.front() == '{' || text.front() == '"')) {
    absl::StatusOr<Value> parsed = shell::ParseLiteral(text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "argument '", text, "' looks like JSON but is not: ", parsed.status().message()));
    }
    return parsed;
  }
  int64_t i;
  double d;
  if (absl::SimpleAtoi(text, &i)) return Value(i);
  if (absl::SimpleAtod(text, &d) && text.find_first_of("0123456789") != std::string::npos) {
    return Value(d);
  }
  if (text == "true") return Value(true);
  if (text == "false") return Value(false);
  if (text == "null") return Value();
  return Value(text);
}

absl::StatusOr<std::vector<Value>> CommandLineValues(const std::vector<std::string>& texts) {
  std::vector<Value> values;
  values.reserve(texts.size());
  for (const std::string& text : texts) {
    WEFT_ASSIGN_OR_RETURN(values.emplace_back(), CommandLineValue(text));
  }
  return values;
}

absl::StatusOr<std::map<std::string, double>> ParseTaskResources(const std::string& text) {
  WEFT_ASSIGN_OR_RETURN(auto resources, ParseResources(text));
  if (resources.empty()) {
    return absl::InvalidArgumentError("no resource given: use NAME=AMOUNT, e.g. GPU=1");
  }
  return resources;
}

absl::StatusOr<SubmitOptions> ToSubmitOptions(const TaskFlags& flags) {
  SubmitOptions options;
  for (const std::string& text : flags.resources) {
    WEFT_ASSIGN_OR_RETURN(auto resources, ParseTaskResources(text));
    for (const auto& [name, amount] : resources) options.resources[name] = amount;
  }
  options.workers = flags.workers;
  options.allow_other_workers = flags.allow_other_workers;
  options.retries = flags.retries;
  options.priority = flags.priority;
  return options;
}

int ReportFailure(const absl::Status& status) {
  std::cerr << "weft: " << status.message() << "\n";
  return 1;
}

int ReportUsageError(const std::string& command, const absl::Status& status) {
  std::cerr << "weft " << command << ": " << status.message() << "\n";
  return 2;
}

}  // namespace weft::cli
