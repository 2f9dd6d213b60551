#include "client/cli/workers_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "client/cli/run_flags.h"
#include "weft/client.h"

namespace weft::cli {
namespace {

void AddSchedulerFlags(CLI::App* cmd, WorkersFlags* flags) {
  cmd->add_option("--scheduler", flags->scheduler, "scheduler address host:port")
      ->capture_default_str();
  cmd->add_option("--scheduler-file", flags->scheduler_file,
                  "read the scheduler's address from this file instead");
  cmd->add_option("--timeout", flags->timeout_seconds, "seconds to wait for the workers")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

absl::StatusOr<std::unique_ptr<Client>> Connect(const WorkersFlags& flags) {
  ClientOptions options;
  if (flags.scheduler_file.empty()) {
    options.address = flags.scheduler;
  } else {
    options.scheduler_file = flags.scheduler_file;
  }
  options.connect_timeout = absl::Seconds(10);
  return Client::Connect(options);
}

}  // namespace

CLI::App* AddUploadCommand(CLI::App& app, WorkersFlags* flags) {
  CLI::App* cmd = app.add_subcommand(
      "upload", "send plugin libraries to every worker, which load them without restarting");
  AddSchedulerFlags(cmd, flags);
  cmd->add_option("libraries", flags->paths, "plugin .so files (local paths or URLs)")->required();
  return cmd;
}

CLI::App* AddRunCommand(CLI::App& app, WorkersFlags* flags) {
  CLI::App* cmd = app.add_subcommand("run", "run a function once on every worker");
  AddSchedulerFlags(cmd, flags);
  cmd->add_option("--workers", flags->workers, "only on this worker: name, host:port or host")
      ->allow_extra_args(false);
  cmd->add_option("function", flags->function, "registered function name")->required();
  cmd->add_option("args", flags->args, "literal arguments");
  return cmd;
}

CLI::App* AddRestartCommand(CLI::App& app, WorkersFlags* flags) {
  CLI::App* cmd = app.add_subcommand(
      "restart", "cancel every task and have each worker's nanny start it afresh");
  AddSchedulerFlags(cmd, flags);
  return cmd;
}

CLI::App* AddRetireCommand(CLI::App& app, WorkersFlags* flags) {
  CLI::App* cmd = app.add_subcommand(
      "retire", "move the workers' results to the others, then close them for good");
  AddSchedulerFlags(cmd, flags);
  cmd->add_option("workers", flags->workers, "worker names, host:port or hosts")->required();
  return cmd;
}

int RunRetire(const WorkersFlags& flags) {
  auto client = Connect(flags);
  if (!client.ok()) return ReportFailure(client.status());
  absl::Status status =
      (*client)->retire_workers(flags.workers, absl::Seconds(flags.timeout_seconds));
  if (!status.ok()) return ReportFailure(status);
  auto info = (*client)->info();
  if (!info.ok()) return ReportFailure(info.status());
  std::cout << "retired " << flags.workers.size() << "; " << info->workers << " workers left\n";
  return 0;
}

int RunUpload(const WorkersFlags& flags) {
  auto client = Connect(flags);
  if (!client.ok()) return ReportFailure(client.status());
  auto info = (*client)->info();
  if (!info.ok()) return ReportFailure(info.status());
  int failed = 0;
  for (const std::string& path : flags.paths) {
    absl::Status status = (*client)->upload_file(path, absl::Seconds(flags.timeout_seconds));
    if (!status.ok()) {
      ReportFailure(status);
      ++failed;
      continue;
    }
    std::cout << "uploaded " << path << " to " << info->workers << " worker"
              << (info->workers == 1 ? "" : "s") << "\n";
  }
  return failed == 0 ? 0 : 1;
}

int RunRun(const WorkersFlags& flags) {
  auto args = CommandLineValues(flags.args);
  if (!args.ok()) return ReportUsageError("run", args.status());
  auto client = Connect(flags);
  if (!client.ok()) return ReportFailure(client.status());
  auto results = (*client)->run(flags.function, *std::move(args), flags.workers,
                                absl::Seconds(flags.timeout_seconds));
  if (!results.ok()) return ReportFailure(results.status());
  for (const auto& [address, value] : *results) {
    std::cout << address << ": " << value.DebugString(1 << 20) << "\n";
  }
  return 0;
}

int RunRestart(const WorkersFlags& flags) {
  auto client = Connect(flags);
  if (!client.ok()) return ReportFailure(client.status());
  absl::Status status = (*client)->restart(absl::Seconds(flags.timeout_seconds));
  if (!status.ok()) return ReportFailure(status);
  auto info = (*client)->info();
  if (!info.ok()) return ReportFailure(info.status());
  std::cout << "restarted: " << info->workers << " workers\n";
  return 0;
}

}  // namespace weft::cli
