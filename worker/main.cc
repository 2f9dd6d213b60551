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
// Remote reads and writes (s3://, http(s)://) as the AWS_* environment says, overridden by
// --s3-endpoint, --s3-region, --io-retries, --io-timeout, --io-retry-time-limit
// (common/io/io_flags.h).
//
// Security as the scheduler's (--tls-ca-file, --tls-cert, --tls-key, --auth-token or their
// WEFT_* variables): the same credentials serve GetData and reach the scheduler and peers.
//
// Processes, as dask-worker: by default a nanny (worker/nanny.h) runs --nworkers N worker
// processes (this binary again, with --no-nanny) and restarts one that dies; --no-nanny
// runs one worker in this process. --lifetime SECONDS (± --lifetime-stagger) makes a worker
// close after that long and exit with kExitRestart, so that its nanny starts a fresh one.
// --nthreads 0: one executor thread per core (with the nanny, the cores are shared out
// among the --nworkers processes).
//
// Exit status (worker/exit_codes.h): 0 after SIGINT/SIGTERM, 1 on a start-up error or when
// the scheduler stays unreachable past --death-timeout (also when it refuses this worker's
// credentials), and at once when the scheduler refuses to admit it (with TLS: its
// certificate does not name the address its peers would reach it at), 75 when --lifetime
// ran out. The nanny exits 0 after SIGINT/SIGTERM or once every worker closed, 1 when it
// gave up on a worker that kept failing at start-up.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/channel_cache.h"
#include "common/data_client.h"
#include "common/io/io_flags.h"
#include "common/logging.h"
#include "common/scheduler_file.h"
#include "common/security.h"
#include "common/security_flags.h"
#include "common/signals.h"
#include "common/version.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "worker/data_server.h"
#include "worker/data_store.h"
#include "worker/exit_codes.h"
#include "worker/function_registry.h"
#include "worker/nanny.h"
#include "worker/process_memory.h"
#include "worker/scheduler_session.h"
#include "worker/stream/stage_host.h"
#include "worker/worker.h"
#include "worker/worker_config.h"
#include "worker/worker_control.h"

namespace weft {
namespace {

struct Flags {
  std::string scheduler_address;
  std::string scheduler_file;
  int nthreads = 1;
  int nworkers = 1;
  bool no_nanny = false;
  double lifetime = 0;
  double lifetime_stagger = 0;
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
  io::IoFlags io;
};

void AddFlags(CLI::App& app, Flags& flags) {
  app.add_option("SCHEDULER_ADDRESS", flags.scheduler_address, "scheduler host:port");
  app.add_option("--scheduler-file", flags.scheduler_file,
                 "JSON file with the scheduler's address (waits for it to appear)");
  app.add_option("--nthreads", flags.nthreads,
                 "executor threads per worker (0: one per core, shared out among --nworkers)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--nworkers", flags.nworkers, "worker processes the nanny starts")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--no-nanny", flags.no_nanny,
               "run one worker in this process, with no nanny to restart it");
  app.add_option("--lifetime", flags.lifetime,
                 "seconds after which the worker closes and asks its nanny for a fresh one "
                 "(exit status 75; 0: never)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--lifetime-stagger", flags.lifetime_stagger,
                 "random spread of --lifetime, +- this many seconds, so that workers started "
                 "together do not all restart at once")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--name", flags.name,
                 "worker name (default: its address); with --nworkers N > 1, NAME-0..NAME-{N-1}");
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
  io::AddIoFlags(app, &flags.io);
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

int Cores() { return std::max(1, static_cast<int>(std::thread::hardware_concurrency())); }

// When this worker closes on its own: --lifetime ± a uniform --lifetime-stagger from now;
// never with --lifetime 0.
absl::Time LifetimeDeadline(const Flags& flags) {
  if (flags.lifetime <= 0) return absl::InfiniteFuture();
  std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> stagger(-flags.lifetime_stagger, flags.lifetime_stagger);
  return absl::Now() + absl::Seconds(std::max(0.0, flags.lifetime + stagger(random)));
}

// The nanny: --nworkers copies of this binary with --no-nanny (worker/nanny.h).
int RunAsNanny(const Flags& flags, int argc, char** argv) {
  sigset_t stop_signals = BlockStopSignals();
  InitLogging(flags.name.empty() ? "nanny" : "nanny " + flags.name, flags.log_level);
  std::error_code error;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", error).string();
  if (error) return Fail("cannot find this executable in /proc/self/exe: " + error.message());
  ChildFlags child_flags;
  child_flags.n = flags.nworkers;
  child_flags.name = flags.name;
  child_flags.local_directory = flags.local_directory;
  if (flags.nthreads == 0 && flags.nworkers > 1) {
    child_flags.nthreads_per_child = std::max(1, Cores() / flags.nworkers);
  }
  NannyOptions options;
  options.children =
      ChildCommandLines(self, std::vector<std::string>(argv + 1, argv + argc), child_flags);
  WEFT_LOG_INFO("nanny (pid {}) of {} worker process(es)", ::getpid(), flags.nworkers);
  return RunNanny(options, stop_signals);
}

int RunWorker(const Flags& flags) {
  sigset_t stop_signals = BlockStopSignals();
  InitLogging(flags.name.empty() ? "worker" : "worker " + flags.name, flags.log_level);
  const int nthreads = flags.nthreads > 0 ? flags.nthreads : Cores();
  // Fetched values reuse the memory freed values left (see SetLargeValueMemory).
  if (MallocIsJemalloc()) SetLargeValueMemory(LargeValueMemory::kMalloc);

  // One set of credentials for the GetData server, the scheduler session and peer fetches.
  auto security = LoadSecurity(flags.security.WithEnvironmentDefaults());
  if (!security.ok()) return Fail(std::string(security.status().message()));
  auto credentials = MakeServerCredentials(*security);
  if (!credentials.ok()) return Fail(std::string(credentials.status().message()));
  auto channels = std::make_shared<ChannelCache>(*security);
  // The I/O flags, for tasks, pipeline stages and `weft run` alike.
  const std::shared_ptr<const io::IoOptions> io =
      std::make_shared<const io::IoOptions>(flags.io.ToIoOptions());

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
  // Clients' take(n) and count() of persisted partitions are answered by the data
  // service itself, with the registry's bag.take and bag.count (GetDataRequest.view).
  DataService data_service(store, &registry);
  // Pipeline stages report through the worker's session; the Worker comes after the server.
  Worker* worker_for_stages = nullptr;
  stream::StageHost stages(stream::StageServices{registry, channels, io},
                           [&worker_for_stages](const proto::WorkerEvent& event) {
                             if (worker_for_stages != nullptr) worker_for_stages->Send(event);
                           });
  int port = 0;
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(-1);
  builder.SetMaxSendMessageSize(-1);
  const std::string listen = absl::StrCat(flags.host, ":", flags.worker_port);
  builder.AddListeningPort(listen, *credentials, &port);
  builder.RegisterService(&data_service);
  builder.RegisterService(&stages);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) return Fail(absl::StrCat("cannot listen on ", listen));

  auto address = AdvertisedAddress(flags.contact_address, flags.host, port, *scheduler);
  if (!address.ok()) return Fail(std::string(address.status().message()));
  std::fprintf(stderr, "Worker at: %s\n", address->c_str());
  WEFT_LOG_INFO(
      "{} threads, memory limit {} bytes (spill above {}), local directory {}, {} "
      "functions, {}, {}",
      nthreads, *memory_limit, store.target_bytes(), *local_directory, registry.Signatures().size(),
      security->Describe(), AllocatorDescription());

  // A close (a cluster command, a stuck pause) ends the session and exits with the status
  // that tells a nanny whether to start a fresh worker.
  std::atomic<SchedulerSession*> session_for_close{nullptr};
  std::atomic<int> exit_status{kExitClosed};
  auto close = [&](bool restart) {
    exit_status.store(restart ? kExitRestart : kExitClosed);
    if (SchedulerSession* session = session_for_close.load()) session->Stop();
  };

  WorkerOptions worker_options;
  worker_options.address = *address;
  worker_options.nthreads = nthreads;
  worker_options.fetch_threads = flags.transfer_concurrency;
  worker_options.memory_limit = *memory_limit;
  worker_options.pause_fraction = flags.memory_pause_fraction;
  worker_options.io = io;
  worker_options.channels = channels;
  if (RunByNanny()) {  // a stuck pause (worker.h): a fresh process is the way out
    worker_options.on_stuck = [&close](const std::string&) { close(/*restart=*/true); };
  }
  Worker worker(worker_options, registry, store);
  worker_for_stages = &worker;
  data_service.SetPutListener(
      [&worker](const std::string& key, int64_t nbytes, const std::string& type_name) {
        worker.HandleDataPut(key, nbytes, type_name);
      });

  SessionOptions session_options;
  session_options.scheduler_address = *scheduler;
  session_options.death_timeout = absl::Seconds(flags.death_timeout);
  session_options.heartbeat_interval = absl::Seconds(flags.heartbeat_interval);
  session_options.security = *security;
  proto::WorkerInfo& info = session_options.info;
  info.set_name(flags.name.empty() ? *address : flags.name);
  info.set_address(*address);
  info.set_nthreads(nthreads);
  info.set_memory_limit(*memory_limit);
  for (const auto& [resource, amount] : *resources) (*info.mutable_resources())[resource] = amount;
  info.set_pid(static_cast<int32_t>(::getpid()));
  info.set_nanny(RunByNanny());
  info.set_version(kVersion);
  // Cluster commands: plugins land next to spilled data.
  WorkerControl control(
      registry, store, (std::filesystem::path(*local_directory) / "plugins").string(), io,
      [&worker](const proto::WorkerEvent& event) { worker.Send(event); },
      [&close](bool restart, const std::string& reason) { close(restart); });
  SchedulerSession session(session_options, worker, &control, &stages);
  session_for_close.store(&session);

  const absl::Time close_at = LifetimeDeadline(flags);
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
      if (absl::Now() >= close_at) {
        WEFT_LOG_INFO("--lifetime is over: closing (exit status {} asks the nanny for a fresh one)",
                      kExitRestart);
        exit_status.store(kExitRestart);
        session.Stop();
        return;
      }
    }
  });

  absl::Status status = session.Run();
  done.store(true);
  signal_watcher.join();
  stages.Shutdown();
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  if (!RunWithTimeout([&worker] { worker.Shutdown(); }, absl::Seconds(5))) {
    WEFT_LOG_WARN("running tasks did not stop within 5 s; exiting anyway");
    spdlog::default_logger()->flush();
    std::_Exit(status.ok() ? exit_status.load() : kExitStartupError);
  }
  if (flags.local_directory.empty()) {  // ours: a temporary directory
    std::error_code ignored;
    std::filesystem::remove_all(*local_directory, ignored);
  }
  if (!status.ok()) return Fail(std::string(status.message()));
  WEFT_LOG_INFO("worker stopped");
  return exit_status.load();
}

int Main(int argc, char** argv) {
  CLI::App app{"weft-worker: runs tasks for a weft scheduler and serves their results"};
  Flags flags;
  AddFlags(app, flags);
  CLI11_PARSE(app, argc, argv);
  if (flags.no_nanny && flags.nworkers > 1) {
    return Fail("--nworkers needs the nanny: drop --no-nanny, or start one process per worker");
  }
  if (flags.nworkers > 1 && flags.worker_port != 0) {
    return Fail("--worker-port with --nworkers > 1: the workers cannot share one port; use 0");
  }
  return flags.no_nanny ? RunWorker(flags) : RunAsNanny(flags, argc, argv);
}

}  // namespace
}  // namespace weft

// The allocator is jemalloc, set up in worker/process_memory.cc: freed partitions are
// reused for a moment, then handed back to the system.
int main(int argc, char** argv) { return weft::Main(argc, argv); }
