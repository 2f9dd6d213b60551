// weft-worker: runs tasks for a weft scheduler, keeps their results and serves them to
// peers and clients. Command line in the style of dask-worker:
//
//   weft-worker 10.0.0.5:8786 --nthreads 4 --memory-limit 8GiB --preload ./libmine.so
//   weft-worker --scheduler-file /shared/scheduler.json
//
// Memory, as dask's worker: results above --memory-target-fraction of --memory-limit are
// spilled to --local-directory (zstd); above --memory-pause-fraction of the limit (process
// RSS) no new task starts until memory drops again. --transfer-concurrency caps the
// GetData transfers coming in from peers at once.
//
// Security as the scheduler's (--tls-ca-file, --tls-cert, --tls-key, --auth-token or their
// WEFT_* variables): the same credentials serve GetData and reach the scheduler and peers.
//
// Exit status: 0 after SIGINT/SIGTERM, 1 on a start-up error or when the scheduler stays
// unreachable past --death-timeout (also when it refuses this worker's credentials).
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/scheduler_file.h"
#include "common/security.h"
#include "common/security_flags.h"
#include "common/signals.h"
#include "common/version.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "worker/data_client.h"
#include "worker/data_server.h"
#include "worker/data_store.h"
#include "worker/function_registry.h"
#include "worker/scheduler_session.h"
#include "worker/worker.h"
#include "worker/worker_config.h"

namespace weft {
namespace {

struct Flags {
  std::string scheduler_address;
  std::string scheduler_file;
  int nthreads = 1;
  std::string name;
  std::string memory_limit = "auto";
  double memory_target_fraction = 0.6;
  double memory_pause_fraction = 0.8;
  int transfer_concurrency = 4;
  std::string local_directory;
  std::vector<std::string> preload;
  std::string resources;
  std::string host = "0.0.0.0";
  int worker_port = 0;
  std::string contact_address;
  double death_timeout = 60;
  double heartbeat_interval = 0;
  std::string log_level = "info";
  SecurityOptions security;
};

void AddFlags(CLI::App& app, Flags& flags) {
  app.add_option("SCHEDULER_ADDRESS", flags.scheduler_address, "scheduler host:port");
  app.add_option("--scheduler-file", flags.scheduler_file,
                 "JSON file with the scheduler's address (waits for it to appear)");
  app.add_option("--nthreads", flags.nthreads, "executor threads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--name", flags.name, "worker name (default: its address)");
  app.add_option("--memory-limit", flags.memory_limit,
                 "bytes (\"4GiB\", \"2GB\"), \"auto\" = total RAM, 0 = no limit")
      ->capture_default_str();
  app.add_option("--memory-target-fraction", flags.memory_target_fraction,
                 "spill results to disk above this fraction of --memory-limit (0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--memory-pause-fraction", flags.memory_pause_fraction,
                 "stop starting tasks above this fraction of --memory-limit (RSS; 0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--transfer-concurrency", flags.transfer_concurrency,
                 "GetData transfers from peers at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--local-directory", flags.local_directory,
                 "scratch directory for spilled data (default: a new temporary directory)");
  // One path per --preload, so that a positional after it is not taken as a plugin.
  app.add_option("--preload", flags.preload, "plugin shared library to load (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--resources", flags.resources,
                 "abstract resources that tasks ask for (held while they run), e.g. "
                 "\"GPU=2 MEM=10e9\"");
  app.add_option("--host", flags.host, "interface to listen on")->capture_default_str();
  app.add_option("--worker-port", flags.worker_port, "port to listen on (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--contact-address", flags.contact_address,
                 "address to advertise to the scheduler and peers (host or host:port)");
  app.add_option("--death-timeout", flags.death_timeout,
                 "seconds without a scheduler before exiting")
      ->capture_default_str();
  app.add_option("--heartbeat-interval", flags.heartbeat_interval,
                 "seconds between heartbeats (0: as the scheduler asks)")
      ->capture_default_str();
  AddSecurityFlags(app, flags.security);
  app.add_option("--log-level", flags.log_level, "debug, info, warning, error")
      ->capture_default_str();
  app.set_version_flag("--version", std::string("weft-worker ") + kVersion);
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "weft-worker: error: %s\n", message.c_str());
  return 1;
}

absl::StatusOr<std::string> SchedulerAddress(const Flags& flags) {
  if (!flags.scheduler_address.empty()) return flags.scheduler_address;
  if (flags.scheduler_file.empty()) {
    return absl::InvalidArgumentError("give SCHEDULER_ADDRESS (host:port) or --scheduler-file");
  }
  return ReadSchedulerFile(flags.scheduler_file, absl::Now() + absl::Seconds(flags.death_timeout));
}

absl::StatusOr<std::string> LocalDirectory(const std::string& requested) {
  std::error_code error;
  if (!requested.empty()) {
    std::filesystem::create_directories(requested, error);
    if (error)
      return absl::InvalidArgumentError(
          absl::StrCat("--local-directory ", requested, ": ", error.message()));
    return requested;
  }
  std::string dir = (std::filesystem::temp_directory_path(error) / "weft-worker-XXXXXX").string();
  if (error || ::mkdtemp(dir.data()) == nullptr) {
    return absl::InternalError("cannot create a temporary local directory");
  }
  return dir;
}

// Runs `fn` but gives up waiting after `timeout` (a task that ignores cancellation must
// not keep a stopping worker alive).
bool RunWithTimeout(std::function<void()> fn, absl::Duration timeout) {
  auto done = std::make_shared<absl::Notification>();
  std::thread([fn = std::move(fn), done] {
    fn();
    done->Notify();
  }).detach();
  return done->WaitForNotificationWithTimeout(timeout);
}

int Main(int argc, char** argv) {
  CLI::App app{"weft-worker: runs tasks for a weft scheduler and serves their results"};
  Flags flags;
  AddFlags(app, flags);
  CLI11_PARSE(app, argc, argv);

  sigset_t stop_signals = BlockStopSignals();
  InitLogging(flags.name.empty() ? "worker" : "worker " + flags.name, flags.log_level);

  // One set of credentials for the GetData server, the scheduler session and peer fetches.
  auto security = LoadSecurity(flags.security.WithEnvironmentDefaults());
  if (!security.ok()) return Fail(std::string(security.status().message()));
  auto credentials = MakeServerCredentials(*security);
  if (!credentials.ok()) return Fail(std::string(credentials.status().message()));
  SetWeftChannelSecurity(*security);

  auto scheduler = SchedulerAddress(flags);
  if (!scheduler.ok()) return Fail(std::string(scheduler.status().message()));
  auto memory_limit = ParseMemoryLimit(flags.memory_limit);
  if (!memory_limit.ok()) return Fail(std::string(memory_limit.status().message()));
  auto resources = ParseResources(flags.resources);
  if (!resources.ok()) return Fail(std::string(resources.status().message()));
  auto local_directory = LocalDirectory(flags.local_directory);
  if (!local_directory.ok()) return Fail(std::string(local_directory.status().message()));

  FunctionRegistry registry;
  if (auto status = registry.AddBuiltins(); !status.ok())
    return Fail(std::string(status.message()));
  for (const std::string& path : flags.preload) {
    if (auto status = registry.LoadPlugin(path); !status.ok()) {
      return Fail(std::string(status.message()));
    }
    WEFT_LOG_INFO("loaded plugin {}", path);
  }

  DataStoreOptions store_options;
  store_options.memory_limit = *memory_limit;
  store_options.target_fraction = flags.memory_target_fraction;
  store_options.local_directory = *local_directory;
  auto opened = DataStore::Open(store_options);
  if (!opened.ok()) return Fail(std::string(opened.status().message()));
  DataStore& store = **opened;
  DataService data_service(store);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(-1);
  builder.SetMaxSendMessageSize(-1);
  const std::string listen = absl::StrCat(flags.host, ":", flags.worker_port);
  builder.AddListeningPort(listen, *credentials, &port);
  builder.RegisterService(&data_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) return Fail(absl::StrCat("cannot listen on ", listen));

  auto address = AdvertisedAddress(flags.contact_address, flags.host, port, *scheduler);
  if (!address.ok()) return Fail(std::string(address.status().message()));
  std::fprintf(stderr, "Worker at: %s\n", address->c_str());
  WEFT_LOG_INFO(
      "{} threads, memory limit {} bytes (spill above {}), local directory {}, {} "
      "functions, {}",
      flags.nthreads, *memory_limit, store.target_bytes(), *local_directory,
      registry.Signatures().size(), security->Describe());

  WorkerOptions worker_options;
  worker_options.address = *address;
  worker_options.nthreads = flags.nthreads;
  worker_options.fetch_threads = flags.transfer_concurrency;
  worker_options.memory_limit = *memory_limit;
  worker_options.pause_fraction = flags.memory_pause_fraction;
  Worker worker(worker_options, registry, store);

  SessionOptions session_options;
  session_options.scheduler_address = *scheduler;
  session_options.death_timeout = absl::Seconds(flags.death_timeout);
  session_options.heartbeat_interval = absl::Seconds(flags.heartbeat_interval);
  proto::WorkerInfo& info = session_options.info;
  info.set_name(flags.name.empty() ? *address : flags.name);
  info.set_address(*address);
  info.set_nthreads(flags.nthreads);
  info.set_memory_limit(*memory_limit);
  for (const auto& [resource, amount] : *resources) (*info.mutable_resources())[resource] = amount;
  info.set_pid(static_cast<int32_t>(::getpid()));
  info.set_version(kVersion);
  SchedulerSession session(session_options, worker);

  std::atomic<bool> done{false};
  std::thread signal_watcher([&] {
    const timespec tick{0, 200 * 1000 * 1000};
    while (!done.load()) {
      int signal = sigtimedwait(&stop_signals, nullptr, &tick);
      if (signal > 0) {
        WEFT_LOG_INFO("received {}, closing the session", strsignal(signal));
        session.Stop();
        return;
      }
    }
  });

  absl::Status status = session.Run();
  done.store(true);
  signal_watcher.join();
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  if (!RunWithTimeout([&worker] { worker.Shutdown(); }, absl::Seconds(5))) {
    WEFT_LOG_WARN("running tasks did not stop within 5 s; exiting anyway");
    spdlog::default_logger()->flush();
    std::_Exit(status.ok() ? 0 : 1);
  }
  if (flags.local_directory.empty()) {  // ours: a temporary directory
    std::error_code ignored;
    std::filesystem::remove_all(*local_directory, ignored);
  }
  if (!status.ok()) return Fail(std::string(status.message()));
  WEFT_LOG_INFO("worker stopped");
  return 0;
}

}  // namespace
}  // namespace weft

int main(int argc, char** argv) {
  // Partitions are tens of MB each. By default glibc maps every such block fresh and
  // unmaps it on free, so each file read faults in new zeroed pages; keeping freed blocks
  // in the heap for reuse makes streaming reads 15-20% faster. (The pause logic still
  // calls malloc_trim to hand memory back when the worker nears its limit.)
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  return weft::Main(argc, argv);
}
