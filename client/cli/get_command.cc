#include "client/cli/get_command.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "client/cli/graph_json.h"
#include "client/cli/output.h"

namespace weft::cli {
namespace {

absl::StatusOr<std::string> ReadGraphText(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The graph of the file, culled to what `keys` need; checked before connecting.
absl::StatusOr<Graph> LoadGraph(const GetFlags& flags) {
  absl::StatusOr<std::string> text = ReadGraphText(flags.graph_path);
  if (!text.ok()) return text.status();
  absl::StatusOr<Graph> graph = ParseGraphJson(*text);
  if (graph.ok()) graph = CullGraph(*graph, flags.keys);
  if (!graph.ok()) {
    return absl::Status(graph.status().code(),
                        absl::StrCat(flags.graph_path, ": ", graph.status().message()));
  }
  return graph;
}

}  // namespace

CLI::App* AddGetCommand(CLI::App& app, GetFlags* flags) {
  CLI::App* get = app.add_subcommand(
      "get", "compute KEYs of a graph written as JSON (dask's dict graph) and print them");
  AddClusterFlags(get, &flags->cluster);
  AddTaskFlags(get, &flags->task);
  get->add_option("--format", flags->format, "text: one result per line; json: an array")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  get->add_option("graph", flags->graph_path,
                  "a JSON file (\"-\": stdin), e.g. {\"x\": 1, \"y\": 2, \"z\": [\"add\", "
                  "\"x\", \"y\"]}")
      ->required();
  get->add_option("keys", flags->keys, "the keys to compute and print")->required();
  get->footer(
      "A list whose first item is a string that is not a key is a task: [\"function\", "
      "args...]. In its arguments a string that is a key refers to that key's result, and a "
      "list is a list of arguments; anything else is a literal.");
  return get;
}

int RunGet(const GetFlags& flags) {
  absl::StatusOr<Graph> graph = LoadGraph(flags);
  if (!graph.ok()) return ReportUsageError("get", graph.status());
  absl::StatusOr<SubmitOptions> options = ToSubmitOptions(flags.task);
  if (!options.ok()) return ReportUsageError("get", options.status());

  auto client = ConnectFor(flags.cluster);
  if (!client.ok()) return ReportFailure(client.status());
  absl::StatusOr<std::vector<Value>> results = (*client)->get(*graph, flags.keys, *options);
  if (!results.ok()) return ReportFailure(results.status());
  if (flags.format == "json") {
    std::cout << Value(*results).ToJson() << "\n";
  } else {
    for (const Value& result : *results) std::cout << result.DebugString(1 << 20) << "\n";
  }
  return 0;
}

}  // namespace weft::cli
