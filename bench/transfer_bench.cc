// bench/transfer: moves one large bytes value (default 1 GiB) between two workers on
// loopback, the way a task's input travels: worker B is asked to compute len(x) where x
// lives on worker A, so B fetches x with GetData (chunks of 1 MiB), stores it, and runs
// the task. Both workers are in this process (each with its DataStore, GetData server
// and Worker); there is no scheduler, whose part in a transfer is only the ComputeTask.
// Also times a bare FetchValues of the same value (no store, no task).
//
// Prints one line per measurement, then `weft <seconds> <GB/s>` for the task path (best
// of the rounds). Usage: transfer_bench [bytes] [rounds]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/codec.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "worker/data_client.h"
#include "worker/data_server.h"
#include "worker/data_store.h"
#include "worker/function_registry.h"
#include "worker/worker.h"

namespace weft {
namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A data store served on a loopback port.
struct Node {
  DataStore store;
  DataService service{store};
  std::unique_ptr<grpc::Server> server;
  std::string address;

  Node() {
    int port = 0;
    grpc::ServerBuilder builder;
    builder.SetMaxReceiveMessageSize(-1);
    builder.SetMaxSendMessageSize(-1);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    address = "127.0.0.1:" + std::to_string(port);
  }
  ~Node() { server->Shutdown(); }
};

// Runs len(key) on `worker`, fetching `key` from `holder`; returns seconds, or -1.
double TimeTask(Worker& worker, const std::string& task_key, const std::string& key,
                const std::string& holder, int64_t expected) {
  absl::Mutex mu;
  proto::WorkerEvent result;
  bool done = false;
  worker.SetSender([&](const proto::WorkerEvent& event) {
    if (!event.has_task_finished() && !event.has_task_failed()) return;
    absl::MutexLock lock(&mu);
    result = event;
    done = true;
  });
  proto::WorkerInstruction instruction;
  proto::ComputeTask* compute = instruction.mutable_compute();
  compute->mutable_task()->set_key(task_key);
  compute->mutable_task()->set_function("len");
  compute->mutable_task()->add_args()->set_key(key);
  compute->mutable_task()->add_dependencies(key);
  proto::KeyLocation* location = compute->add_who_has();
  location->set_key(key);
  location->add_addresses(holder);
  auto start = std::chrono::steady_clock::now();
  worker.HandleInstruction(instruction);
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&done));
  }
  double seconds = Seconds(start);
  worker.SetSender(nullptr);
  if (!result.has_task_finished()) {
    std::fprintf(stderr, "transfer_bench: %s\n", result.task_failed().message().c_str());
    return -1;
  }
  (void)expected;
  return seconds;
}

int Main(int argc, char** argv) {
  const int64_t bytes = argc > 1 ? std::atoll(argv[1]) : int64_t{1} << 30;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  FunctionRegistry registry;
  if (!registry.AddBuiltins().ok()) return 1;

  Node a, b;
  {
    std::string data(static_cast<size_t>(bytes), 'x');
    for (size_t i = 0; i < data.size(); i += 4096) data[i] = static_cast<char>(i / 4096);
    a.store.Put("x", Value::Bytes(Buffer(std::move(data))));
  }
  WorkerOptions options;
  options.address = b.address;
  Worker worker(options, registry, b.store);
  const double gb = static_cast<double>(bytes) / 1e9;

  auto channel = MakeWeftChannel(a.address);
  double best_fetch = 1e9;
  for (int round = 0; round < rounds; ++round) {
    auto start = std::chrono::steady_clock::now();
    auto values = FetchValues(*channel, {"x"}, absl::InfiniteFuture());
    double seconds = Seconds(start);
    if (!values.ok() || values->size() != 1 ||
        static_cast<int64_t>((*values)[0].second.as_bytes().size()) != bytes) {
      std::fprintf(stderr, "transfer_bench: FetchValues failed\n");
      return 1;
    }
    std::printf("fetch  round %d: %.3f s  %.2f GB/s\n", round, seconds, gb / seconds);
    if (seconds < best_fetch) best_fetch = seconds;
  }

  double best_task = 1e9;
  for (int round = 0; round < rounds; ++round) {
    std::string task_key = "len-" + std::to_string(round);
    double seconds = TimeTask(worker, task_key, "x", a.address, bytes);
    if (seconds < 0) return 1;
    auto n = b.store.Get(task_key);
    if (!n.ok() || n->as_int() != bytes) {
      std::fprintf(stderr, "transfer_bench: wrong len\n");
      return 1;
    }
    proto::WorkerInstruction free;
    free.mutable_free_keys()->add_keys(task_key);
    worker.HandleInstruction(free);
    // The fetched copy of x is dropped by B once len() is done.
    for (int i = 0; i < 500 && b.store.Contains("x"); ++i) absl::SleepFor(absl::Milliseconds(10));
    std::printf("task   round %d: %.3f s  %.2f GB/s\n", round, seconds, gb / seconds);
    if (seconds < best_task) best_task = seconds;
  }
  std::printf("fetch %.4f %.3f\n", best_fetch, gb / best_fetch);
  std::printf("weft %.4f %.3f\n", best_task, gb / best_task);
  return 0;
}

}  // namespace
}  // namespace weft

int main(int argc, char** argv) { return weft::Main(argc, argv); }
