// bench/transfer: moves one large bytes value (default 1 GiB) from worker A to worker B
// on loopback, the way a task's input travels.
//
// Worker A is another process: this binary started again with --serve, holding the value
// in a DataStore behind a DataService (the GetData server of weft-worker), secured as the
// WEFT_TLS_* / WEFT_AUTH_TOKEN variables say (both processes read them). In this process:
//   fetch  a bare FetchValues of the value (no store, no task);
//   task   worker B (a Worker with its own DataStore) is asked to compute len(x) where x
//          lives on A, so B fetches x with GetData, stores it and runs the task. There is
//          no scheduler, whose part in a transfer is only the ComputeTask.
//   gather a local cluster of real binaries (weft-scheduler, one weft-worker) makes the
//          value with make_bytes; this process gathers it with the client library.
// Same-host transfers (common/same_host.h) are used unless WEFT_SAME_HOST_TRANSFERS=0.
//
// Every fetched value is checked (size, and one byte of each 4 KiB page). Prints one line
// per round, then `fetch <seconds> <GB/s>`, `weft <seconds> <GB/s>` (the task path) and
// `gather <seconds> <GB/s>`, best of the rounds. Usage: transfer_bench [bytes] [rounds]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/channel_cache.h"
#include "common/data_client.h"
#include "common/poll.h"
#include "common/process.h"
#include "common/same_host.h"
#include "common/security.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "weft/client.h"
#include "worker/data_server.h"
#include "worker/data_store.h"
#include "worker/function_registry.h"
#include "worker/worker.h"

namespace weft {
namespace {

constexpr size_t kPage = 4096;

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

char PatternAt(size_t i) { return static_cast<char>((i / kPage) * 131 + 7); }

// The value: `bytes` bytes whose page-aligned bytes follow PatternAt.
Value MakeValue(int64_t bytes) {
  std::string data(static_cast<size_t>(bytes), 'x');
  for (size_t i = 0; i < data.size(); i += kPage) data[i] = PatternAt(i);
  return Value::Bytes(Buffer(std::move(data)));
}

bool LooksRight(const Value& value, int64_t bytes) {
  if (value.kind() != ValueKind::kBytes) return false;
  std::string_view data = value.as_bytes().view();
  if (static_cast<int64_t>(data.size()) != bytes) return false;
  for (size_t i = 0; i < data.size(); i += kPage) {
    if (data[i] != PatternAt(i)) return false;
  }
  return true;
}

absl::StatusOr<Security> EnvironmentSecurity() {
  return LoadSecurity(SecurityOptions().WithEnvironmentDefaults());
}

// A DataStore holding "x", served on a loopback port.
struct Holder {
  DataStore store;
  DataService service{store};
  std::unique_ptr<grpc::Server> server;
  std::string address;

  Holder(int64_t bytes, std::shared_ptr<grpc::ServerCredentials> credentials) {
    store.Put("x", MakeValue(bytes));
    int port = 0;
    grpc::ServerBuilder builder;
    builder.SetMaxReceiveMessageSize(-1);
    builder.SetMaxSendMessageSize(-1);
    builder.AddListeningPort("127.0.0.1:0", credentials, &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    if (port != 0) address = "127.0.0.1:" + std::to_string(port);
  }
  ~Holder() { server->Shutdown(); }
};

// --serve BYTES: worker A's process. Prints its address on stdout, then serves until it is
// stopped (SIGTERM from the parent, or the parent's death: SpawnOptions::death_signal).
int Serve(int64_t bytes) {
  auto security = EnvironmentSecurity();
  if (!security.ok()) return 1;
  auto credentials = MakeServerCredentials(*security);
  if (!credentials.ok()) return 1;
  Holder holder(bytes, *credentials);
  if (holder.address.empty()) return 1;
  std::printf("%s\n", holder.address.c_str());
  std::fflush(stdout);
  while (true) pause();
}

// Worker A in a child process: this binary with --serve (common/process.h), its output in
// a file of its own; stopped when this object goes.
class HolderProcess {
 public:
  ~HolderProcess() { StopProcess(pid_, absl::Seconds(10)); }

  pid_t pid() const { return pid_; }

  // The holder's address, or empty when it did not start (or print it within 5 minutes:
  // it makes and fills the value first).
  std::string Start(int64_t bytes) {
    SpawnOptions options;
    options.log_path = (std::filesystem::temp_directory_path() /
                        ("transfer_bench_holder_" + std::to_string(getpid()) + ".log"))
                           .string();
    options.truncate_log = true;
    auto pid = SpawnProcess({"/proc/self/exe", "--serve", std::to_string(bytes)}, options);
    if (!pid.ok()) return "";
    pid_ = *pid;
    std::string address;
    bool exited = false;
    PollUntil(
        [&] {
          std::ifstream log(options.log_path);
          std::string line;
          if (std::getline(log, line) && !log.eof()) address = line;  // a whole first line
          exited = address.empty() && TryReap(pid_).has_value();
          return !address.empty() || exited;
        },
        absl::Now() + absl::Minutes(5));
    if (exited) pid_ = 0;
    std::filesystem::remove(options.log_path);
    return address;
  }

 private:
  pid_t pid_ = 0;
};

// Runs len(key) on `worker`, fetching `key` from `holder`; returns seconds, or -1.
double TimeTask(Worker& worker, const std::string& task_key, const std::string& key,
                const std::string& holder) {
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
  return seconds;
}

// Best seconds of `rounds` bare fetches, or -1.
double FetchRounds(const std::string& address, const Security& security, int64_t bytes,
                   int rounds) {
  const double gb = static_cast<double>(bytes) / 1e9;
  auto channel = MakeWeftChannel(address, security);
  double best = -1;
  for (int round = 0; round < rounds; ++round) {
    auto start = std::chrono::steady_clock::now();
    auto values = FetchValues(*channel, {"x"}, absl::InfiniteFuture());
    double seconds = Seconds(start);
    if (!values.ok() || values->size() != 1 || !LooksRight((*values)[0].second, bytes)) {
      std::fprintf(stderr, "transfer_bench: FetchValues failed: %s\n",
                   values.ok() ? "wrong value" : values.status().ToString().c_str());
      return -1;
    }
    std::printf("fetch  round %d: %.3f s  %.2f GB/s\n", round, seconds, gb / seconds);
    if (best < 0 || seconds < best) best = seconds;
  }
  return best;
}

// Best seconds of `rounds` len(x) tasks on a worker of this process, or -1.
double TaskRounds(const std::string& address, const Security& security, int64_t bytes, int rounds) {
  const double gb = static_cast<double>(bytes) / 1e9;
  FunctionRegistry registry;
  if (!registry.AddBuiltins().ok()) return -1;
  DataStore store;
  WorkerOptions options;
  options.address = "127.0.0.1:1";  // B serves nothing here
  options.channels = std::make_shared<ChannelCache>(security);
  Worker worker(options, registry, store);
  double best = -1;
  for (int round = 0; round < rounds; ++round) {
    std::string task_key = "len-" + std::to_string(round);
    double seconds = TimeTask(worker, task_key, "x", address);
    if (seconds < 0) return -1;
    auto n = store.Get(task_key);
    if (!n.ok() || n->as_int() != bytes) {
      std::fprintf(stderr, "transfer_bench: wrong len\n");
      return -1;
    }
    proto::WorkerInstruction free;
    free.mutable_free_keys()->add_keys(task_key);
    worker.HandleInstruction(free);
    // The fetched copy of x is dropped by B once len() is done.
    for (int i = 0; i < 500 && store.Contains("x"); ++i) absl::SleepFor(absl::Milliseconds(10));
    std::printf("task   round %d: %.3f s  %.2f GB/s\n", round, seconds, gb / seconds);
    if (best < 0 || seconds < best) best = seconds;
  }
  worker.Shutdown();
  return best;
}

// Best seconds of `rounds` gathers of a value made by make_bytes on a real weft-worker
// (a local cluster: weft-scheduler and one weft-worker process), or -1.
double GatherRounds(int64_t bytes, int rounds) {
  const double gb = static_cast<double>(bytes) / 1e9;
  ClientOptions options;
  options.n_workers = 1;
  auto client = Client::Connect(options);
  if (!client.ok()) {
    std::fprintf(stderr, "transfer_bench: %s\n", client.status().ToString().c_str());
    return -1;
  }
  double best = -1;
  for (int round = 0; round < rounds; ++round) {
    Future<Value> made = (*client)->submit("make_bytes", {bytes}, "bytes-" + std::to_string(round));
    if (!made.wait().ok()) return -1;
    auto start = std::chrono::steady_clock::now();
    auto values = (*client)->gather(std::vector<Future<Value>>{made});
    double seconds = Seconds(start);
    if (!values.ok() || (*values)[0].kind() != ValueKind::kBytes ||
        static_cast<int64_t>((*values)[0].as_bytes().size()) != bytes) {
      std::fprintf(stderr, "transfer_bench: gather failed: %s\n",
                   values.ok() ? "wrong value" : values.status().ToString().c_str());
      return -1;
    }
    std::printf("gather round %d: %.3f s  %.2f GB/s\n", round, seconds, gb / seconds);
    if (best < 0 || seconds < best) best = seconds;
  }
  return best;
}

int Main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--serve") == 0) return Serve(std::atoll(argv[2]));
  const int64_t bytes = argc > 1 ? std::atoll(argv[1]) : int64_t{1} << 30;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  auto security = EnvironmentSecurity();
  if (!security.ok()) {
    std::fprintf(stderr, "transfer_bench: %s\n", security.status().ToString().c_str());
    return 1;
  }
  HolderProcess holder;
  const std::string address = holder.Start(bytes);
  if (address.empty()) {
    std::fprintf(stderr, "transfer_bench: worker A did not start\n");
    return 1;
  }
  std::printf("worker A at %s (pid %d), %s, %s\n", address.c_str(), holder.pid(),
              security->Describe().c_str(),
              SameHostTransfersEnabled() ? "same-host transfers on" : "GetData stream only");

  const double gb = static_cast<double>(bytes) / 1e9;
  double fetch = FetchRounds(address, *security, bytes, rounds);
  if (fetch < 0) return 1;
  double task = TaskRounds(address, *security, bytes, rounds);
  if (task < 0) return 1;
  double gather = GatherRounds(bytes, rounds);
  if (gather < 0) return 1;
  std::printf("fetch %.4f %.3f\n", fetch, gb / fetch);
  std::printf("weft %.4f %.3f\n", task, gb / task);
  std::printf("gather %.4f %.3f\n", gather, gb / gather);
  return 0;
}

}  // namespace
}  // namespace weft

int main(int argc, char** argv) { return weft::Main(argc, argv); }
