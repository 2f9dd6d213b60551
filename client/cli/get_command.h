// `weft get [--scheduler ADDR] GRAPH.json KEY...`: computes the keys of a hand-built graph,
// dask's dict graph written as JSON (graph_json.h), and prints their results.
//
//   $ echo '{"x": 1, "y": 2, "z": ["add", "x", "y"]}' > g.json
//   $ weft get g.json z
//   3
//
// GRAPH.json may be "-" for stdin. Only the tasks the keys need are sent (dask's cull),
// in one message, with the task flags of run_flags.h applied to each. Results print one
// per line in the order of the keys, or with `--format json` as one JSON array.
//
// Exit codes: 0; 1 when a task fails (its error, naming the function, on stderr); 2 for a
// usage error found before connecting: a file that cannot be read, malformed JSON (with
// its line and column), a key not in the graph, a dependency cycle (naming its keys).
#pragma once

#include <string>
#include <vector>

#include "client/cli/run_flags.h"

namespace CLI {
class App;
}  // namespace CLI

namespace weft::cli {

struct GetFlags {
  ClusterFlags cluster;
  TaskFlags task;
  std::string graph_path;
  std::vector<std::string> keys;
  std::string format = "text";  // "text": one result per line; "json": an array
};

// Adds the `get` subcommand to `app`, recording into `*flags` (which must outlive parsing).
CLI::App* AddGetCommand(CLI::App& app, GetFlags* flags);

// Runs it; returns the exit code.
int RunGet(const GetFlags& flags);

}  // namespace weft::cli
