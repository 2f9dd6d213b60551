// weft_example: a client program built outside the weft tree against an installed weft
// (`pkg-config weft`). It submits tasks, maps, gathers and prints the results.
//
//   weft_example HOST:PORT    use a running cluster; its workers must --preload
//                             libexample_funcs.so (built beside this program)
//   weft_example              start a local cluster (weft-scheduler and weft-worker from
//                             $WEFT_BIN_DIR or $PATH) that preloads it from this program's
//                             directory
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "weft/client.h"

namespace {

// The directory of this executable (libexample_funcs.so is built beside it).
std::string ProgramDirectory() {
  char path[4096];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return ".";
  std::string exe(path, static_cast<size_t>(n));
  return exe.substr(0, exe.rfind('/'));
}

template <typename T>
void PrintList(const char* label, const std::vector<T>& values) {
  std::printf("%s =", label);
  for (const T& v : values) std::printf(" %lld", static_cast<long long>(v));
  std::printf("\n");
}

int Run(weft::Client& client) {
  absl::StatusOr<weft::ClusterInfo> info = client.info();
  if (info.ok()) std::printf("%s\n", info->ToString().c_str());

  // One task; a future as the argument of the next.
  weft::Future<int64_t> x = client.submit<int64_t>("inc", {41});
  weft::Future<int64_t> y = client.submit<int64_t>("add", {x, 100});
  std::printf("inc(41) = %lld\n", static_cast<long long>(x.result()));
  std::printf("add(inc(41), 100) = %lld\n", static_cast<long long>(y.result()));

  // map and gather: one task per item, results fetched straight from the workers.
  std::vector<weft::Arg> items;
  for (int64_t i = 0; i < 10; ++i) items.emplace_back(i);
  std::vector<weft::Future<int64_t>> incs = client.map<int64_t>("inc", items);
  absl::StatusOr<std::vector<int64_t>> inc_values = client.gather(incs);
  if (!inc_values.ok()) {
    std::fprintf(stderr, "gather: %s\n", inc_values.status().ToString().c_str());
    return 1;
  }
  PrintList("map(inc, 0..9)", *inc_values);

  // The plugin's functions, and a reduction over futures.
  std::vector<weft::Future<int64_t>> cubes = client.map<int64_t>("cube", {1, 2, 3, 4});
  absl::StatusOr<std::vector<int64_t>> cube_values = client.gather(cubes);
  if (!cube_values.ok()) {
    std::fprintf(stderr, "gather: %s\n", cube_values.status().ToString().c_str());
    return 1;
  }
  PrintList("map(cube, 1..4)", *cube_values);
  std::vector<weft::Arg> cube_args(cubes.begin(), cubes.end());
  weft::Future<int64_t> total = client.submit<int64_t>("sum", {weft::Arg(cube_args)});
  std::printf("sum(cubes) = %lld\n", static_cast<long long>(total.result()));
  std::printf("shout(weft) = %s\n", client.submit<std::string>("shout", {"weft"}).result().c_str());

  // A task that fails: result() throws weft::TaskError; get() returns the error as a value.
  absl::StatusOr<int64_t> too_big = client.submit<int64_t>("factorial", {99}).get();
  if (too_big.ok()) {
    std::printf("factorial(99) = %lld?\n", static_cast<long long>(*too_big));
  } else {
    const std::string message(too_big.status().message());  // absl's own string_view here
    std::printf("factorial(99) failed: %s\n", message.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  weft::ClientOptions options;
  if (argc > 1) {
    options.address = argv[1];
  } else {
    options.n_workers = 2;
    options.preload = {ProgramDirectory() + "/libexample_funcs.so"};
  }
  absl::StatusOr<std::unique_ptr<weft::Client>> client = weft::Client::Connect(options);
  if (!client.ok()) {
    std::fprintf(stderr, "weft_example: %s\n", client.status().ToString().c_str());
    return 1;
  }
  try {
    return Run(**client);
  } catch (const weft::TaskError& e) {
    std::fprintf(stderr, "weft_example: task failed: %s\n", e.what());
    return 1;
  }
}
