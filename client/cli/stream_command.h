// `weft stream`: runs a streaming pipeline (weft/pipeline.h) from the command line.
//
//   weft stream [--scheduler ADDR] --source tcp://HOST:PORT --batch-rows N [--header]
//               --parallel FUNCTION [--arg NAME=VALUE ...] --sink tcp://HOST:PORT
//               [--preload LIB.so] [--max-frame BYTES]
//
// Without --scheduler, a local cluster (--n-workers, --preload) as the other commands.
// Each --arg becomes a field of the function's args record, its value a command-line
// literal (run_flags.h: CommandLineValue). Prints a progress line on stderr when the
// state changes and, while rows move, at most every 2 s; exits 0 when the pipeline is done,
// 1 with its error when it fails, 2 on a usage error, 130 after Ctrl-C (SIGINT) or 143
// after SIGTERM, which stop the pipeline first.
//
// Threading: RunStream runs on the main thread and starts a signal watcher of its own.
#pragma once

#include <string>
#include <vector>

#include "client/cli/run_flags.h"

namespace CLI {
class App;
}  // namespace CLI

namespace weft::cli {

struct StreamFlags {
  ClusterFlags cluster;
  std::string source;  // tcp://HOST:PORT
  int batch_rows = 100;
  bool header = false;
  std::string function;
  std::vector<std::string> args;  // NAME=VALUE
  std::string sink;               // tcp://HOST:PORT
  int64_t max_frame = 0;
  bool skip_bad_records = false;
  std::string stateful;        // --stateful FUNCTION instead of --batch-rows
  std::string stateful_state;  // --stateful-state VALUE (as --arg values are read)
};

CLI::App* AddStreamCommand(CLI::App& app, StreamFlags* flags);

// Call before any thread starts: it blocks SIGINT/SIGTERM for its own watcher.
int RunStream(const StreamFlags& flags);

}  // namespace weft::cli
