// weft's side of bench/run_operate.sh: on a connected client (as dask's side is), time
// upload_file of a plugin, run(getpid) and restart, ROUNDS times each. Prints one line per
// operation: its name, then each time in milliseconds.
//
//   operate_bench SCHEDULER_FILE PLUGIN.so ROUNDS
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/time/clock.h"
#include "weft/client.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: operate_bench SCHEDULER_FILE PLUGIN.so ROUNDS\n");
    return 2;
  }
  weft::ClientOptions options;
  options.scheduler_file = argv[1];
  const std::string plugin = argv[2];
  const int rounds = std::atoi(argv[3]);
  auto client = weft::Client::Connect(options);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }
  if (auto ready = (*client)->wait_for_workers(2); !ready.ok()) {
    std::fprintf(stderr, "%s\n", ready.ToString().c_str());
    return 1;
  }
  for (const std::string op : {"upload", "run", "restart"}) {
    std::printf("%s", op.c_str());
    for (int i = 0; i < rounds; ++i) {
      const absl::Time start = absl::Now();
      absl::Status status;
      if (op == "upload") {
        status = (*client)->upload_file(plugin);
      } else if (op == "run") {
        status = (*client)->run("getpid").status();
      } else {
        status = (*client)->restart();
      }
      if (!status.ok()) {
        std::fprintf(stderr, "%s: %s\n", op.c_str(), status.ToString().c_str());
        return 1;
      }
      std::printf(" %.1f", absl::ToDoubleMilliseconds(absl::Now() - start));
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  return 0;
}
