// The commands that act on the workers themselves rather than on tasks (as dask's
// Client.upload_file, Client.run and Client.restart):
//
//   weft upload [--scheduler ADDR] LIB.so...      ship plugins; every worker loads them
//                                                 without restarting, later ones too
//   weft run [--scheduler ADDR] [--workers W]... FUNCTION [ARG...]
//                                                 FUNCTION once on every worker; prints
//                                                 "ADDRESS: RESULT" per worker
//   weft restart [--scheduler ADDR]               cancel every task, fresh worker
//                                                 processes from their nannies
//   weft retire [--scheduler ADDR] WORKER...      move their results to the others, then
//                                                 close them for good
//
// They need a running cluster: --scheduler defaults to 127.0.0.1:8786 (as dask's CLI),
// or --scheduler-file. Exit codes as the other commands: 2 for usage errors, 1 when a
// worker refused (each one named on stderr).
//
// Threading: called from main only.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace weft::cli {

struct WorkersFlags {
  std::string scheduler = "127.0.0.1:8786";
  std::string scheduler_file;
  double timeout_seconds = 60;
  // upload: the libraries; run: FUNCTION then its arguments.
  std::vector<std::string> paths;
  std::string function;
  std::vector<std::string> args;
  std::vector<std::string> workers;  // run: --workers; retire: the positional WORKERs
};

// Each adds its command to `app` and returns it. `*flags` (one per command) must outlive
// parsing.
CLI::App* AddUploadCommand(CLI::App& app, WorkersFlags* flags);
CLI::App* AddRunCommand(CLI::App& app, WorkersFlags* flags);
CLI::App* AddRestartCommand(CLI::App& app, WorkersFlags* flags);
CLI::App* AddRetireCommand(CLI::App& app, WorkersFlags* flags);

int RunUpload(const WorkersFlags& flags);
int RunRun(const WorkersFlags& flags);
int RunRestart(const WorkersFlags& flags);
int RunRetire(const WorkersFlags& flags);

}  // namespace weft::cli
