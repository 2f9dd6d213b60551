// `weft gharchive PATTERN`: the GitHub Archive session of DESIGN.md on a cluster —
// read, parse and persist the shards, then take(1), frequencies of event types, count,
// a filtered and repartitioned subset, distinct, topk — printing results and timings.
#pragma once

#include <string>
#include <vector>

namespace weft::cli {

struct GharchiveFlags {
  std::string pattern;
  std::string scheduler;  // empty: a local cluster
  int n_workers = 2;
  int threads_per_worker = 1;
  std::string repo_prefix = "jupyter/";
  std::string persist_compression = "zstd";  // "zstd" or "none": Bag::ParseCompression
  bool json = false;
  std::vector<std::string> worker_args;  // more flags for the local cluster's weft-workers
};

int RunGharchive(const GharchiveFlags& flags);

}  // namespace weft::cli
