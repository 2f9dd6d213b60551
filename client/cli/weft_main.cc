// `weft`: the command line for people who write no C++.
//
//   weft info SCHEDULER_ADDRESS [--verbose]  <Client: scheduler=... workers=2 threads=4>,
//                                            the dashboard's URL; --verbose: a line per
//                                            worker (threads, memory, tasks, keys)
//   weft submit [--scheduler ADDR] [TASK FLAGS] FUNCTION [ARG...]
//                                            run one task, print its result
//   weft map [--scheduler ADDR] [TASK FLAGS] FUNCTION ARG...
//                                            one task per ARG, print the results
//   weft get [--scheduler ADDR] [TASK FLAGS] GRAPH.json KEY...
//                                            compute keys of dask's dict graph as JSON
//   weft bag PATTERN|--sequence JSON [--filter EXPR] [--pairs KEY_EXPR] ... [--count|...]
//                                            a Bag pipeline over JSON-lines files, its
//                                            operations in the order given
//   weft gharchive PATTERN                   the GitHub Archive session of DESIGN.md
//   weft shell [SCHEDULER_ADDRESS]           an interactive session: name, persist, query bags
//   weft upload|run|restart|retire [--scheduler ADDR] ...
//                                            ship plugins, run a function on every worker,
//                                            restart the workers (workers_command.h)
//   weft send FILE --to HOST:PORT            frame each line of FILE, then EOT
//   weft receive --listen HOST:PORT --framed [--output FILE]
//                                            write each framed record until EOT
//   weft classify-file FILE [--threshold X]  the example classifier, serially
//                                            (stream_tools.h)
//   weft stream [--scheduler ADDR] --source tcp://HOST:PORT --batch-rows N [--header]
//               --parallel FUNCTION [--arg NAME=VALUE ...] --sink tcp://HOST:PORT
//                                            a streaming pipeline (stream_command.h)
//
// Without --scheduler, submit, map and get start a local cluster (as weft::Client() does).
// TASK FLAGS are weft::SubmitOptions: --resources GPU=1, --workers NAME,
// --allow-other-workers, --retries N, --priority N (run_flags.h).
// bag, gharchive and shell take the I/O flags of their local cluster's workers:
// --s3-endpoint, --s3-region, --io-retries, --io-timeout, --io-retry-time-limit
// (common/io/io_flags.h); with a running cluster's address they are a usage error.
// Every subcommand takes --tls-ca-file, --tls-cert, --tls-key and --auth-token (or the
// WEFT_TLS_CA_FILE, WEFT_TLS_CERT, WEFT_TLS_KEY, WEFT_AUTH_TOKEN variables).
// Arguments are literals: integers, decimals, true/false/null, JSON lists, objects and
// quoted strings, anything else a string (run_flags.h: CommandLineValue).
// Usage errors (bad flags or values) exit with 2, failed tasks with 1.
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "CLI/CLI.hpp"
#include "client/cli/bag_command.h"
#include "client/cli/get_command.h"
#include "client/cli/gharchive.h"
#include "client/cli/output.h"
#include "client/cli/run_flags.h"
#include "client/cli/shell.h"
#include "client/cli/stream_command.h"
#include "client/cli/stream_tools.h"
#include "client/cli/workers_command.h"
#include "client/local_cluster.h"
#include "common/io/io_flags.h"
#include "common/security.h"
#include "common/security_flags.h"
#include "common/signals.h"
#include "common/version.h"
#include "weft/client.h"

namespace {

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

using weft::cli::ReportFailure;
using weft::cli::ReportUsageError;

struct RunFlags {
  weft::cli::ClusterFlags cluster;
  weft::cli::TaskFlags task;
  std::string function;
  std::vector<std::string> args;
};

void AddRunFlags(CLI::App* cmd, RunFlags* flags) {
  weft::cli::AddClusterFlags(cmd, &flags->cluster);
  weft::cli::AddTaskFlags(cmd, &flags->task);
  cmd->add_option("function", flags->function, "registered function name")->required();
  cmd->add_option("args", flags->args, "literal arguments");
}

int RunSubmit(const RunFlags& flags) {
  auto options = weft::cli::ToSubmitOptions(flags.task);
  if (!options.ok()) return ReportUsageError("submit", options.status());
  auto values = weft::cli::CommandLineValues(flags.args);
  if (!values.ok()) return ReportUsageError("submit", values.status());
  auto client = weft::cli::ConnectFor(flags.cluster);
  if (!client.ok()) return ReportFailure(client.status());
  auto future = (*client)->submit(flags.function,
                                  std::vector<weft::Arg>(values->begin(), values->end()), *options);
  auto result = future.get();
  if (!result.ok()) return ReportFailure(result.status());
  std::cout << result->DebugString(1 << 20) << "\n";
  return 0;
}

int RunMap(const RunFlags& flags) {
  auto options = weft::cli::ToSubmitOptions(flags.task);
  if (!options.ok()) return ReportUsageError("map", options.status());
  auto values = weft::cli::CommandLineValues(flags.args);
  if (!values.ok()) return ReportUsageError("map", values.status());
  auto client = weft::cli::ConnectFor(flags.cluster);
  if (!client.ok()) return ReportFailure(client.status());
  auto futures = (*client)->map(flags.function,
                                std::vector<weft::Arg>(values->begin(), values->end()), *options);
  auto results = (*client)->gather(futures);
  if (!results.ok()) return ReportFailure(results.status());
  for (const auto& r : *results) std::cout << r.DebugString(1 << 20) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"weft: run tasks on a weft cluster"};
  app.set_version_flag("--version", std::string("weft ") + weft::kVersion);
  app.require_subcommand(1);

  std::string info_address;
  bool info_verbose = false;
  CLI::App* info = app.add_subcommand("info", "print the cluster's workers and threads");
  info->add_option("scheduler_address", info_address, "host:port")->required();
  info->add_flag("-v,--verbose", info_verbose,
                 "one line per worker: name, address, threads, memory, tasks, keys");

  RunFlags submit_flags, map_flags;
  CLI::App* submit = app.add_subcommand("submit", "run one task and print its result");
  AddRunFlags(submit, &submit_flags);
  CLI::App* map = app.add_subcommand("map", "run FUNCTION on each ARG, print the results");
  AddRunFlags(map, &map_flags);

  weft::cli::GetFlags get_flags;
  CLI::App* get = weft::cli::AddGetCommand(app, &get_flags);

  weft::cli::BagFlags bag_flags;
  CLI::App* bag = weft::cli::AddBagCommand(app, &bag_flags);

  weft::cli::WorkersFlags upload_flags, run_flags, restart_flags, retire_flags;
  CLI::App* upload = weft::cli::AddUploadCommand(app, &upload_flags);
  CLI::App* run = weft::cli::AddRunCommand(app, &run_flags);
  CLI::App* restart = weft::cli::AddRestartCommand(app, &restart_flags);
  CLI::App* retire = weft::cli::AddRetireCommand(app, &retire_flags);

  weft::cli::StreamFlags stream_flags;
  CLI::App* stream = weft::cli::AddStreamCommand(app, &stream_flags);
  weft::cli::SendFlags send_flags;
  CLI::App* send = weft::cli::AddSendCommand(app, &send_flags);
  weft::cli::ReceiveFlags receive_flags;
  CLI::App* receive = weft::cli::AddReceiveCommand(app, &receive_flags);
  weft::cli::ClassifyFileFlags classify_flags;
  CLI::App* classify_file = weft::cli::AddClassifyFileCommand(app, &classify_flags);

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
  gh->add_option("--persist-compression", gh_flags.persist_compression,
                 "how persisted records are kept: zstd blocks, or none (raw JSON text)")
      ->check(CLI::IsMember({"zstd", "none"}))
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
  // --auth-token (as dask's CLI). Not on the plain-TCP stream tools, which would ignore them.
  weft::SecurityOptions security;
  const auto talks_grpc = [&](CLI::App* sub) {
    return sub != send && sub != receive && sub != classify_file;
  };
  for (CLI::App* sub : app.get_subcommands(talks_grpc)) {
    weft::AddSecurityFlags(*sub, security);
  }
  // How a local cluster's workers read data, on the commands that read it (the workers
  // read: run_flags.h LocalWorkerIoArgs).
  weft::io::IoFlags io_flags;
  for (CLI::App* sub : {bag, gh, shell}) weft::io::AddIoFlags(*sub, &io_flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here with 0; every usage error exits with 2 (as
    // argparse and click do), not CLI11's own code per error kind.
    return app.exit(e) == 0 ? 0 : 2;
  }
  ExportSecurity(security);
  for (auto [sub, scheduler, worker_args] :
       {std::tuple{bag, &bag_flags.scheduler, &bag_flags.worker_args},
        std::tuple{gh, &gh_flags.scheduler, &gh_flags.worker_args},
        std::tuple{shell, &shell_flags.scheduler, &shell_flags.worker_args}}) {
    if (!*sub) continue;
    auto args = weft::cli::LocalWorkerIoArgs(io_flags, *scheduler);
    if (!args.ok()) return ReportUsageError(sub->get_name(), args.status());
    *worker_args = *std::move(args);
  }
  if (*shell) return weft::cli::RunShell(shell_flags);     // Ctrl-C is the shell's own
  if (*stream) return weft::cli::RunStream(stream_flags);  // Ctrl-C stops the pipeline
  // SIGINT/SIGTERM end the command as before (status 128 + signal), after stopping the
  // local cluster it may have started, whose daemons and directory would outlive it.
  // Blocked here, before any thread starts, so that only the watcher takes them.
  const sigset_t stop_signals = weft::BlockStopSignals();
  std::thread([stop_signals] {
    int signal = 0;
    if (sigwait(&stop_signals, &signal) != 0) return;
    weft::internal::StopAllLocalClusters();
    std::_Exit(128 + signal);
  }).detach();
  if (*send) return weft::cli::RunSend(send_flags);
  if (*receive) return weft::cli::RunReceive(receive_flags);
  if (*classify_file) return weft::cli::RunClassifyFile(classify_flags);
  if (*bag) return weft::cli::RunBag(bag_flags);
  if (*gh) return weft::cli::RunGharchive(gh_flags);

  if (*info) {
    weft::ClientOptions options;
    options.address = info_address;
    options.connect_timeout = absl::Seconds(5);
    auto client = weft::Client::Connect(options);
    if (!client.ok()) return ReportFailure(client.status());
    auto cluster = (*client)->info();
    if (!cluster.ok()) return ReportFailure(cluster.status());
    std::cout << weft::cli::FormatClusterInfo(*cluster, info_verbose);
    return 0;
  }
  if (*submit) return RunSubmit(submit_flags);
  if (*map) return RunMap(map_flags);
  if (*get) return weft::cli::RunGet(get_flags);
  if (*upload) return weft::cli::RunUpload(upload_flags);
  if (*run) return weft::cli::RunRun(run_flags);
  if (*restart) return weft::cli::RunRestart(restart_flags);
  if (*retire) return weft::cli::RunRetire(retire_flags);
  return 0;
}
