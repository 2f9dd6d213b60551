// CheckGraph: dependency cycles in a hand-built graph, found before it is sent.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "weft/client.h"

namespace weft {
namespace {

// The tasks of `graph` that `arg` refers to, lists of arguments included.
void AddDependencies(const Graph& graph, const Arg& arg, std::vector<Graph::const_iterator>* out) {
  if (arg.kind() == Arg::Kind::kKey) {
    auto it = graph.find(arg.key());
    if (it != graph.end()) out->push_back(it);
  }
  for (const Arg& item : arg.items()) AddDependencies(graph, item, out);
}

// "a -> b -> c -> a": the keys of a cycle, each needing the next, closed by the first.
// A long cycle is shortened in the middle.
std::string DescribeCycle(const std::vector<absl::string_view>& cycle) {
  constexpr size_t kShown = 8;
  if (cycle.size() <= kShown) return absl::StrCat(absl::StrJoin(cycle, " -> "), " -> ", cycle[0]);
  std::vector<absl::string_view> shown(cycle.begin(), cycle.begin() + kShown);
  return absl::StrCat(absl::StrJoin(shown, " -> "), " -> ... ", cycle.size() - kShown,
                      " more ... -> ", cycle[0]);
}

}  // namespace

absl::Status CheckGraph(const Graph& graph, const std::vector<std::string>& keys) {
  // Depth-first, iteratively (a long chain must not overflow the stack): a key met again
  // while it is still on the path closes a cycle. Keys are views of the graph's own.
  enum class Mark : uint8_t { kOnPath, kDone };
  absl::flat_hash_map<absl::string_view, Mark> marks;
  marks.reserve(graph.size());
  struct Frame {
    absl::string_view key;
    std::vector<Graph::const_iterator> deps;
    size_t next = 0;
  };
  std::vector<Frame> path;
  auto enter = [&](Graph::const_iterator task) {
    marks[task->first] = Mark::kOnPath;
    Frame& frame = path.emplace_back();
    frame.key = task->first;
    for (const Arg& arg : task->second.args) AddDependencies(graph, arg, &frame.deps);
  };
  auto walk_from = [&](const std::string& root) -> absl::Status {
    auto it = graph.find(root);
    if (it == graph.end() || marks.contains(root)) return absl::OkStatus();
    enter(it);
    while (!path.empty()) {
      Frame& top = path.back();
      if (top.next == top.deps.size()) {
        marks[top.key] = Mark::kDone;
        path.pop_back();
        continue;
      }
      const Graph::const_iterator dep = top.deps[top.next++];
      auto mark = marks.find(dep->first);
      if (mark == marks.end()) {
        enter(dep);
      } else if (mark->second == Mark::kOnPath) {
        auto from = path.begin();
        while (from->key != dep->first) ++from;
        std::vector<absl::string_view> cycle;
        for (auto frame = from; frame != path.end(); ++frame) cycle.push_back(frame->key);
        return absl::InvalidArgumentError(
            absl::StrCat("the graph has a cycle: ", DescribeCycle(cycle)));
      }
    }
    return absl::OkStatus();
  };
  for (const std::string& key : keys) {
    if (absl::Status status = walk_from(key); !status.ok()) return status;
  }
  for (const auto& [key, task] : graph) {
    if (absl::Status status = walk_from(key); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace weft
