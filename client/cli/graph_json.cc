#include "client/cli/graph_json.h"

#include <algorithm>
#include <cstddef>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "client/cli/shell_parser.h"
#include "common/status_macros.h"

namespace weft::cli {
namespace {

using KeySet = absl::flat_hash_set<std::string>;

// The shell's parser reads one line and reports "column N: ..." with N counting bytes from
// 1 over the whole text; a graph file has lines, so N becomes "line L, column C".
absl::Status WithLineAndColumn(const std::string& text, const absl::Status& status) {
  absl::string_view message = status.message();
  int offset = 0;
  size_t colon = absl::string_view::npos;
  if (!absl::ConsumePrefix(&message, "column ") ||
      (colon = message.find(':')) == absl::string_view::npos ||
      !absl::SimpleAtoi(message.substr(0, colon), &offset)) {
    return status;
  }
  message.remove_prefix(colon);  // leaves ": ..."
  int line = 1, column = 1;
  for (int i = 0; i + 1 < offset && i < static_cast<int>(text.size()); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  // The parser's "the end of the line" is, for a file, its end.
  return absl::InvalidArgumentError(
      absl::StrCat("line ", line, ", column ", column,
                   absl::StrReplaceAll(message, {{"the end of the line", "the end of the file"}})));
}

// A value in argument position: references to keys resolved, lists of arguments kept.
Arg ToArg(const Value& value, const KeySet& keys) {
  if (value.is_string() && keys.contains(value.as_string())) return Arg::Key(value.as_string());
  if (value.is_list()) {
    std::vector<Arg> items;
    items.reserve(value.as_list().size());
    for (const Value& item : value.as_list()) items.push_back(ToArg(item, keys));
    return Arg(std::move(items));
  }
  return Arg(value);
}

// The task of one member of the graph object (see the header for the rules).
GraphTask ToTask(const Value& value, const KeySet& keys) {
  if (value.is_list() && !value.as_list().empty() && value.as_list()[0].is_string() &&
      !keys.contains(value.as_list()[0].as_string())) {
    const ValueList& items = value.as_list();
    std::vector<Arg> args;
    args.reserve(items.size() - 1);
    for (size_t i = 1; i < items.size(); ++i) args.push_back(ToArg(items[i], keys));
    return GraphTask::Call(items[0].as_string(), std::move(args));
  }
  if (value.is_list() || (value.is_string() && keys.contains(value.as_string()))) {
    return GraphTask::Call("identity", {ToArg(value, keys)});  // references to resolve
  }
  return GraphTask::Literal(value);
}

void AddDependencies(const Arg& arg, std::vector<std::string>* out) {
  if (arg.kind() == Arg::Kind::kKey) out->push_back(arg.key());
  for (const Arg& item : arg.items()) AddDependencies(item, out);
}

// The keys `task` refers to, in argument order.
std::vector<std::string> Dependencies(const GraphTask& task) {
  std::vector<std::string> out;
  for (const Arg& arg : task.args) AddDependencies(arg, &out);
  return out;
}

std::string KeyList(const Graph& graph) {
  std::vector<std::string> shown;
  for (const auto& [key, task] : graph) {
    if (shown.size() == 10) {
      shown.push_back("...");
      break;
    }
    shown.push_back(key);
  }
  return absl::StrJoin(shown, ", ");
}

}  // namespace

absl::StatusOr<Graph> ParseGraphJson(const std::string& text) {
  absl::StatusOr<Value> parsed = shell::ParseLiteral(text);
  if (!parsed.ok()) return WithLineAndColumn(text, parsed.status());
  if (!parsed->is_record()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a graph is a JSON object of key: task, as {\"x\": 1, \"z\": [\"inc\", "
                     "\"x\"]}; this is a ",
                     parsed->kind_name()));
  }
  KeySet keys;
  for (const auto& [key, value] : parsed->as_record()) {
    if (key.empty()) return absl::InvalidArgumentError("a key of the graph is empty");
    if (!keys.insert(key).second) {
      return absl::InvalidArgumentError(absl::StrCat("key \"", key, "\" is given twice"));
    }
  }
  Graph graph;
  for (const auto& [key, value] : parsed->as_record()) graph.emplace(key, ToTask(value, keys));
  return graph;
}

absl::StatusOr<Graph> CullGraph(const Graph& graph, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    if (graph.count(key) == 0) {
      return absl::NotFoundError(
          absl::StrCat("key \"", key, "\" is not in the graph (its keys: ", KeyList(graph), ")"));
    }
  }
  // Everything the wanted keys reach, with a stack rather than recursion (a long chain
  // must not overflow it); then the cycles among them, the client library's check.
  Graph culled;
  std::vector<std::string> stack(keys.begin(), keys.end());
  while (!stack.empty()) {
    std::string key = std::move(stack.back());
    stack.pop_back();
    auto task = graph.find(key);
    if (culled.count(key) > 0) continue;
    culled.emplace(key, task->second);
    for (std::string& dep : Dependencies(task->second)) {
      if (graph.count(dep) > 0 && culled.count(dep) == 0) stack.push_back(std::move(dep));
    }
  }
  WEFT_RETURN_IF_ERROR(CheckGraph(culled, keys));
  return culled;
}

}  // namespace weft::cli
