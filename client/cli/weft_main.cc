// `weft`: the command line for people who write no C++.
//
//   weft info SCHEDULER_ADDRESS              <Client: scheduler=... workers=2 threads=4>
//   weft submit [--scheduler ADDR] FUNCTION [ARG...]
//                                            run one task, print its result
//   weft map [--scheduler ADDR] FUNCTION ARG...
//                                            one task per ARG, print the results
//   weft bag PATTERN|--sequence JSON [--filter EXPR] [--pairs KEY_EXPR] ... [--count|...]
//                                            a Bag pipeline over JSON-lines files, its
//                                            operations in the order given
//   weft gharchive PATTERN                   the GitHub Archive session of DESIGN.md
//   weft shell [SCHEDULER_ADDRESS]           an interactive session: name, persist, query bags
//
// Without --scheduler, submit and map start a local cluster (as weft::Client() does).
// Every subcommand takes --tls-ca-file, --tls-cert, --tls-key and --auth-token (or the
// WEFT_TLS_CA_FILE, WEFT_TLS_CERT, WEFT_TLS_KEY, WEFT_AUTH_TOKEN variables).
// Arguments are literals: integers, decimals, true/false/null, anything else a string.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "client/cli/bag_command.h"
#include "client/cli/gharchive.h"
#include "client/cli/shell.h"
#include "common/security.h"
#include "common/security_flags.h"
#include "common/version.h"
#include "weft/client.h"

namespace {

weft::Value ParseLiteral(const std::string& text) {
  int64_t i;
  double d;
  if (absl::SimpleAtoi(text, &i)) return weft::Value(i);
  if (absl::SimpleAtod(text, &d) && text.find_first_of("0123456789") != std::string::npos) {
    return weft::Value(d);
  }
  if (text == "true") return weft::Value(true);
  if (text == "false") return weft::Value(false);
  if (text == "null") return weft::Value();
  return weft::Value(text);
}

// Every command builds its own weft::ClientOptions, and ClientOptions take their security
// defaults from WEFT_TLS_* / WEFT_AUTH_TOKEN: the flags go there, before any thread starts.
void ExportSecurity(const weft::SecurityOptions& security) {
  auto set = [](const char* name, const std::string& value) {
    if (!value.empty()) ::setenv(name, value.c_str(), /*overwrite=*/1);
  };
  set("WEFT_TLS_CA_FILE", security.ca_file);
  set("WEFT_TLS_CERT", security.cert_file);
  set("WEFT_TLS_KEY", security.key_file);
  set("WEFT_AUTH_TOKEN", security.token);
}

int Fail(const absl::Status& status) {
  std::cerr << "weft: " << status.message() << "\n";
  return 1;
}

struct RunFlags {
  std::string scheduler;
  std::string function;
  std::vector<std::string> args;
  std::vector<std::string> preload;
  int n_workers = 2;
};

void AddRunFlags(CLI::App* cmd, RunFlags* flags) {
  cmd->add_option("--scheduler", flags->scheduler,
                  "scheduler address host:port (default: start a local cluster)");
  cmd->add_option("--preload", flags->preload, "plugin .so for the local cluster's workers");
  cmd->add_option("--n-workers", flags->n_workers, "workers of the local cluster")
      ->capture_default_str();
  cmd->add_option("function", flags->function, "registered function name")->required();
  cmd->add_option("args", flags->args, "literal arguments");
}

absl::StatusOr<std::unique_ptr<weft::Client>> ConnectFor(const RunFlags& flags) {
  weft::ClientOptions options;
  options.address = flags.scheduler;
  options.preload = flags.preload;
  options.n_workers = flags.n_workers;
  return weft::Client::Connect(options);
}

int RunSubmit(const RunFlags& flags) {
  auto client = ConnectFor(flags);
  if (!client.ok()) return Fail(client.status());
  std::vector<weft::Arg> args;
  for (const auto& a : flags.args) args.emplace_back(ParseLiteral(a));
  auto future = (*client)->submit(flags.function, std::move(args));
  auto result = future.get();
  if (!result.ok()) return Fail(result.status());
  std::cout << result->DebugString(1 << 20) << "\n";
  return 0;
}

int RunMap(const RunFlags& flags) {
  auto client = ConnectFor(flags);
  if (!client.ok()) return Fail(client.status());
  std::vector<weft::Arg> items;
  for (const auto& a : flags.args) items.emplace_back(ParseLiteral(a));
  auto futures = (*client)->map(flags.function, items);
  auto results = (*client)->gather(futures);
  if (!results.ok()) return Fail(results.status());
  for (const auto& r : *results) std::cout << r.DebugString(1 << 20) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"weft: run tasks on a weft cluster"};
  app.set_version_flag("--version", std::string("weft ") + weft::kVersion);
  app.require_subcommand(1);

  std::string info_address;
  CLI::App* info = app.add_subcommand("info", "print the cluster's workers and threads");
  info->add_option("scheduler_address", info_address, "host:port")->required();

  RunFlags submit_flags, map_flags;
  CLI::App* submit = app.add_subcommand("submit", "run one task and print its result");
  AddRunFlags(submit, &submit_flags);
  CLI::App* map = app.add_subcommand("map", "run FUNCTION on each ARG, print the results");
  AddRunFlags(map, &map_flags);

  weft::cli::BagFlags bag_flags;
  CLI::App* bag = weft::cli::AddBagCommand(app, &bag_flags);

  weft::cli::GharchiveFlags gh_flags;
  CLI::App* gh = app.add_subcommand("gharchive", "the GitHub Archive session on a cluster");
  gh->add_option("pattern", gh_flags.pattern,
                 "the hourly shards, e.g. s3://bucket/2015-01-*.json.gz")
      ->required();
  gh->add_option("--scheduler", gh_flags.scheduler, "host:port (default: a local cluster)");
  gh->add_option("--n-workers", gh_flags.n_workers, "workers of the local cluster")
      ->capture_default_str();
  gh->add_option("--nthreads", gh_flags.threads_per_worker, "threads per local worker")
      ->capture_default_str();
  gh->add_option("--repo-prefix", gh_flags.repo_prefix, "the subset: repositories starting so")
      ->capture_default_str();

  weft::cli::ShellFlags shell_flags;
  CLI::App* shell = app.add_subcommand("shell", "an interactive session on a cluster");
  shell->add_option("scheduler_address", shell_flags.scheduler,
                    "host:port (default: a local cluster)");
  shell->add_option("--n-workers", shell_flags.n_workers, "workers of the local cluster")
      ->capture_default_str();
  shell->add_option("--nthreads", shell_flags.threads_per_worker, "threads per local worker")
      ->capture_default_str();
  shell->add_option("--history-file", shell_flags.history_file,
                    "where the line history is kept (default: ~/.weft_history)");

  // The same security flags on every subcommand: --tls-ca-file, --tls-cert, --tls-key,
  // --auth-token (as dask's CLI).
  weft::SecurityOptions security;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    weft::AddSecurityFlags(*sub, security);
  }
  CLI11_PARSE(app, argc, argv);
  ExportSecurity(security);
  if (*shell) return weft::cli::RunShell(shell_flags);
  if (*bag) return weft::cli::RunBag(bag_flags);
  if (*gh) return weft::cli::RunGharchive(gh_flags);

  if (*info) {
    weft::ClientOptions options;
    options.address = info_address;
    options.connect_timeout = absl::Seconds(5);
    auto client = weft::Client::Connect(options);
    if (!client.ok()) return Fail(client.status());
    auto cluster = (*client)->info();
    if (!cluster.ok()) return Fail(cluster.status());
    std::cout << cluster->ToString() << "\n";
    return 0;
  }
  if (*submit) return RunSubmit(submit_flags);
  if (*map) return RunMap(map_flags);
  return 0;
}
