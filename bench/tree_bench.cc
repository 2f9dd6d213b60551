// bench/tree: a tree reduction of ~10,000 tasks (5,000 inc leaves, pairwise adds up to one
// root) as one hand-built graph, on a local cluster of 2 workers x 1 thread. Prints
// `weft <seconds> <tasks/s>`; bench/run_tree.sh runs it beside dask.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "weft/client.h"

int main(int argc, char** argv) {
  const int leaves = argc > 1 ? std::atoi(argv[1]) : 5000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  weft::ClientOptions options;
  options.n_workers = argc > 3 ? std::atoi(argv[3]) : 2;
  options.threads_per_worker = 1;
  auto client = weft::Client::Connect(options);
  if (!client.ok()) {
    std::fprintf(stderr, "bench: %s\n", std::string(client.status().message()).c_str());
    return 1;
  }
  double best = 1e9;
  int tasks = 0;
  for (int round = 0; round < rounds; ++round) {
    // Keys carry the round so that nothing is already on the cluster.
    std::string tag = "r" + std::to_string(round) + "-";
    weft::Graph graph;
    std::vector<std::string> level;
    for (int i = 0; i < leaves; ++i) {
      std::string key = tag + "inc-" + std::to_string(i);
      graph[key] = weft::GraphTask::Call("inc", {int64_t{i}});
      level.push_back(key);
    }
    for (int depth = 0; level.size() > 1; ++depth) {
      std::vector<std::string> next;
      for (size_t i = 0; i < level.size(); i += 2) {
        if (i + 1 == level.size()) {
          next.push_back(level[i]);
          continue;
        }
        std::string key = tag + "add-" + std::to_string(depth) + "-" + std::to_string(i / 2);
        graph[key] = weft::GraphTask::Call(
            "add", {weft::Arg::Key(level[i]), weft::Arg::Key(level[i + 1])});
        next.push_back(key);
      }
      level = std::move(next);
    }
    tasks = static_cast<int>(graph.size());
    auto start = std::chrono::steady_clock::now();
    auto result = (*client)->get(graph, {level[0]});
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int64_t expected = int64_t{leaves} * (leaves + 1) / 2;
    if (!result.ok() || !(*result)[0].is_int() || (*result)[0].as_int() != expected) {
      std::fprintf(stderr, "bench: wrong result\n");
      return 1;
    }
    if (s < best) best = s;
  }
  std::printf("weft %.4f %.0f %d\n", best, tasks / best, tasks);
  return 0;
}
