// weft-scheduler: the daemon that tracks every task and where every result lives.
//
//   weft-scheduler [--host 0.0.0.0] [--port 8786] [--scheduler-file PATH]
//                  [--worker-timeout 60] [--allowed-failures 3] [--log-level info]
//                  [--idle-timeout SECONDS] [--preload LIB.so ...]
//                  [--dashboard-address HOST:PORT | --no-dashboard]
//                  [--tls-ca-file CA --tls-cert CERT --tls-key KEY] [--auth-token TOKEN]
//
// Security (common/security.h): with a certificate, workers and clients must speak TLS,
// and with a CA as well present a certificate it signed; with a token (better given as
// WEFT_AUTH_TOKEN) every call must carry it. Refused calls never reach the service. With
// TLS, a worker that registers is called back at its advertised address, as its peers will
// call it, and refused if its certificate does not name that address (worker_probe.h).
//
// The web dashboard (scheduler/dashboard/) listens on :8787 unless told otherwise (port 0:
// a free one; the default port, when taken, falls back to a free one with a warning) and
// is announced as "Dashboard at: http://HOST:PORT/" on stderr. It is secured as the gRPC
// side is: HTTPS with the same certificate, and with a token, the token asked for (the
// announced link then carries it, "...?token=TOKEN", as Jupyter's does).
//
// Once listening it prints "Scheduler at: HOST:PORT" on stderr and, with
// --scheduler-file, writes {"address": "HOST:PORT", "pid": N} there (atomically, by
// rename) for workers and clients to read. SIGINT / SIGTERM shut it down cleanly, and so
// does --idle-timeout (as dask-scheduler's): no client and no task for that long, exit 0.
//
// --preload LIB.so (repeatable): plugins the scheduler hands to every worker that joins,
// as if uploaded with Client::upload_file before any worker came (cluster_commands.h).
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "common/scheduler_file.h"
#include "common/security.h"
#include "common/security_flags.h"
#include "common/signals.h"
#include "common/version.h"
#include "grpcpp/grpcpp.h"
#include "scheduler/dashboard/auth.h"
#include "scheduler/dashboard/dashboard.h"
#include "scheduler/dashboard/http_server.h"
#include "scheduler/scheduler_service.h"
#include "scheduler/worker_probe.h"

namespace weft::scheduler {
namespace {

constexpr int kMaxMessageBytes = 256 << 20;

bool IsWildcard(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

// An address other machines can use when listening on every interface: the first
// non-loopback IPv4 address that is up, else loopback.
std::string AdvertisedHost(const std::string& host) {
  if (!IsWildcard(host)) return host;
  std::string found = "127.0.0.1";
  struct ifaddrs* addrs = nullptr;
  if (::getifaddrs(&addrs) != 0) return found;
  for (struct ifaddrs* a = addrs; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if ((a->ifa_flags & IFF_UP) == 0 || (a->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char text[INET_ADDRSTRLEN];
    auto* in = reinterpret_cast<struct sockaddr_in*>(a->ifa_addr);
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != nullptr) {
      found = text;
      break;
    }
  }
  ::freeifaddrs(addrs);
  return found;
}

// Starts the dashboard on "HOST:PORT", ":PORT" or "PORT" (no host: the scheduler's --host),
// serving the service's snapshots over HTTPS when `security` has a certificate and behind
// its token when it has one, and prints where. A taken port falls back to a free one when
// `fallback` (the default address was not chosen by the user).
absl::StatusOr<std::unique_ptr<dashboard::HttpServer>> StartDashboard(
    const std::string& address, const std::string& scheduler_host, bool fallback,
    const Security& security, SchedulerService* service) {
  // "HOST:PORT", ":PORT" or "PORT"; port 0: any free one.
  const size_t colon = address.rfind(':');
  std::string host(colon == std::string::npos ? "" : HostOf(address));
  const std::string port_text = colon == std::string::npos ? address : address.substr(colon + 1);
  if (host.empty()) host = scheduler_host;
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--dashboard-address: expected HOST:PORT, got ", address));
  }
  auto handler = dashboard::RequireToken(
      security.token, dashboard::MakeDashboardHandler([service] { return service->Snapshot(); },
                                                      [service](const std::string& worker, int n) {
                                                        return service->WorkerLog(worker, n,
                                                                                  absl::Seconds(5));
                                                      }));
  dashboard::HttpServerOptions options;
  // Browsers have no client certificate to show: the dashboard asks for none, even with
  // mutual TLS on the gRPC side; the token is what keeps strangers out.
  options.cert_pem = security.cert_pem;
  options.key_pem = security.key_pem;
  auto server = dashboard::HttpServer::Start(host, port, handler, options);
  if (!server.ok() && fallback && port != 0 && absl::IsUnavailable(server.status())) {
    WEFT_LOG_WARN("{}; serving the dashboard on a free port instead",
                  std::string(server.status().message()));
    server = dashboard::HttpServer::Start(host, 0, handler, options);
  }
  if (!server.ok()) return server.status();
  // The link printed carries the token (whoever reads the scheduler's log may have it);
  // the address `weft info` hands to clients does not.
  const std::string host_port = JoinHostPort(AdvertisedHost(host), (*server)->port());
  const std::string url = dashboard::DashboardLink((*server)->tls(), host_port, /*token=*/"");
  std::cerr << "Dashboard at: "
            << dashboard::DashboardLink((*server)->tls(), host_port, security.token) << std::endl;
  service->SetDashboardAddress(url);  // for `weft info`
  return server;
}

int Run(int argc, char** argv) {
  CLI::App app{"weft-scheduler: tracks the tasks of a weft cluster and where results live"};
  std::string host = "0.0.0.0";
  int port = 8786;
  std::string scheduler_file;
  double worker_timeout = 60;
  int allowed_failures = 3;
  std::string log_level = "info";
  double bandwidth_mb = 100;
  double worker_saturation = 1.1;
  bool no_work_stealing = false;
  std::string dashboard_address = ":8787";
  bool no_dashboard = false;
  double idle_timeout = 0;
  app.add_option("--host", host, "Interface to listen on")->capture_default_str();
  app.add_option("--port", port, "Port to listen on; 0 picks a free one")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--scheduler-file", scheduler_file,
                 "Write {\"address\": \"HOST:PORT\"} here once listening");
  app.add_option("--worker-timeout", worker_timeout,
                 "Seconds without a message before a worker is removed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--allowed-failures", allowed_failures,
                 "A task is erred once this many workers died while running it")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--bandwidth", bandwidth_mb,
                 "MB/s assumed between workers, to weigh moving inputs against waiting")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--worker-saturation", worker_saturation,
                 "Root tasks in flight per worker thread (at least 2 per thread are sent)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--no-work-stealing", no_work_stealing, "Never move queued tasks between workers");
  std::vector<std::string> default_durations;
  app.add_option("--default-task-duration", default_durations,
                 "PREFIX=SECONDS: the estimated duration of tasks whose keys start with "
                 "PREFIX until one is measured (repeatable; dask's default-task-durations)")
      ->allow_extra_args(false);
  app.add_option("--dashboard-address", dashboard_address,
                 "Where the web dashboard listens, HOST:PORT (no host: --host; port 0: a free one)")
      ->capture_default_str();
  app.add_flag("--no-dashboard", no_dashboard, "Serve no web dashboard");
  app.add_option("--idle-timeout", idle_timeout,
                 "Exit (status 0) after this many seconds with no client connected and no "
                 "task to run; 0: never")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  std::vector<std::string> preload;
  // One path per --preload, as weft-worker's.
  app.add_option("--preload", preload,
                 "plugin .so that every worker loads when it joins (repeatable)")
      ->allow_extra_args(false)
      ->check(CLI::ExistingFile);
  SecurityOptions security_options;
  AddSecurityFlags(app, security_options);
  app.add_option("--log-level", log_level, "debug, info, warning or error")->capture_default_str();
  app.set_version_flag("--version", absl::StrCat("weft-scheduler ", kVersion));
  CLI11_PARSE(app, argc, argv);

  InitLogging("scheduler", log_level);
  absl::StatusOr<Security> security = LoadSecurity(security_options.WithEnvironmentDefaults());
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      security.ok() ? MakeServerCredentials(*security) : security.status();
  if (!credentials.ok()) {
    WEFT_LOG_ERROR("{}", std::string(credentials.status().message()));
    return 1;
  }

  // Signals are taken by sigtimedwait below; every thread started from here inherits the mask.
  const sigset_t signals = BlockStopSignals();

  ServiceOptions options;
  options.scheduler.worker_timeout = absl::Seconds(worker_timeout);
  options.scheduler.allowed_failures = allowed_failures;
  options.scheduler.bandwidth = bandwidth_mb * 1e6;
  options.scheduler.worker_saturation = worker_saturation;
  options.scheduler.work_stealing = !no_work_stealing;
  for (const std::string& entry : default_durations) {
    const size_t eq = entry.find('=');
    double seconds = -1;
    if (eq == 0 || eq == std::string::npos ||
        !absl::SimpleAtod(absl::string_view(entry).substr(eq + 1), &seconds) || !(seconds >= 0)) {
      WEFT_LOG_ERROR("--default-task-duration {}: expected PREFIX=SECONDS, seconds >= 0", entry);
      return 1;
    }
    options.scheduler.default_task_durations[entry.substr(0, eq)] = seconds;
  }
  options.scheduler.heartbeat_interval =
      std::min(absl::Seconds(1), absl::Seconds(worker_timeout) / 4);
  if (!no_dashboard) options.snapshot_interval = absl::Milliseconds(200);
  options.idle_timeout = absl::Seconds(idle_timeout);
  if (security->tls()) {
    // Peers will refuse a worker whose certificate does not name its address: so does
    // the scheduler, at once, rather than let every transfer from it fail.
    options.admit_worker = [security = *security](const proto::WorkerInfo& info) {
      return CheckWorkerReachable(info.address(), security);
    };
  }
  for (const std::string& path : preload) {
    proto::Plugin& plugin = options.plugins.emplace_back();
    plugin.set_name(std::filesystem::path(path).filename().string());
    std::ifstream in(path, std::ios::binary);
    plugin.mutable_content()->assign(std::istreambuf_iterator<char>(in), {});
    if (!in.good() && !in.eof()) {
      WEFT_LOG_ERROR("--preload {}: cannot read it", path);
      return 1;
    }
    WEFT_LOG_INFO("--preload {}: {} bytes, for every worker that joins", path,
                  plugin.content().size());
  }
  SchedulerService service(options);
  service.Start();

  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(JoinHostPort(host, port), *credentials, &bound_port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  // Ping idle peers so a dead host is noticed even when its stream is silent.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    WEFT_LOG_ERROR("could not listen on {}", JoinHostPort(host, port));
    return 1;
  }

  std::unique_ptr<dashboard::HttpServer> dashboard_server;
  if (!no_dashboard) {
    auto started =
        StartDashboard(dashboard_address, host,
                       /*fallback=*/app.count("--dashboard-address") == 0, *security, &service);
    if (!started.ok()) {
      WEFT_LOG_ERROR("{}", std::string(started.status().message()));
      server->Shutdown();
      return 1;
    }
    dashboard_server = *std::move(started);
  }

  std::string address = JoinHostPort(AdvertisedHost(host), bound_port);
  if (!scheduler_file.empty()) {
    if (absl::Status written = WriteSchedulerFile(scheduler_file, address); !written.ok()) {
      WEFT_LOG_ERROR("could not write the scheduler file: {}", std::string(written.message()));
      server->Shutdown();
      return 1;
    }
  }
  WEFT_LOG_INFO("weft-scheduler {} listening on {} ({})", kVersion, JoinHostPort(host, bound_port),
                security->Describe());
  std::cerr << "Scheduler at: " << address << std::endl;

  // Until SIGINT/SIGTERM, or until the service has been idle past --idle-timeout.
  const timespec tick{0, 100 * 1000 * 1000};
  while (true) {
    const int signal_number = sigtimedwait(&signals, nullptr, &tick);
    if (signal_number > 0) {
      WEFT_LOG_INFO("{}: shutting down", strsignal(signal_number));
      break;
    }
    if (service.IdleTimedOut()) {
      WEFT_LOG_INFO("idle past --idle-timeout: shutting down");
      break;
    }
  }
  // Open streams are cancelled after a short grace period; nothing in flight needs more.
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Milliseconds(500)));
  if (dashboard_server != nullptr) dashboard_server->Stop();
  service.Stop();
  server->Wait();
  return 0;
}

}  // namespace
}  // namespace weft::scheduler

int main(int argc, char** argv) { return weft::scheduler::Run(argc, argv); }
