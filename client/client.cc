#include "weft/client.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/client_core.h"
#include "client/local_cluster.h"
#include "client/task_builder.h"
#include "common/codec.h"
#include "common/host_port.h"
#include "common/io/io.h"
#include "common/poll.h"
#include "common/scheduler_file.h"
#include "common/security.h"
#include "common/status_macros.h"

namespace weft {

struct Client::Impl {
  // Declared first so it is destroyed last: the session closes before the cluster stops.
  std::unique_ptr<internal::LocalCluster> cluster;
  std::shared_ptr<internal::ClientCore> core;
};

namespace {

// Polls the scheduler's worker count (every 20 ms, as dask polls) until it reaches `n`;
// `check` (optional) may end the wait early with its error.
absl::Status WaitForWorkers(internal::ClientCore& core, int n, absl::Duration timeout,
                            absl::string_view what,
                            const std::function<absl::Status()>& check = nullptr) {
  absl::Status error;  // a failed check or info request ends the wait with it
  int joined = 0;
  const bool done = PollUntil(
      [&] {
        error = check ? check() : absl::OkStatus();
        if (error.ok()) {
          absl::StatusOr<proto::InfoReply> info = core.Info(timeout);
          if (info.ok()) {
            joined = info->workers_size();
          } else {
            error = info.status();
          }
        }
        return !error.ok() || joined >= n;
      },
      absl::Now() + timeout, absl::Milliseconds(20));
  if (!error.ok()) return error;
  if (done) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat(
      "only ", joined, " of ", n, " ", what, " joined within ", absl::FormatDuration(timeout)));
}

// The reply's per-worker errors as one status naming each worker, or OK.
absl::Status WorkerErrors(const proto::CommandReply& reply, absl::string_view what) {
  if (!reply.error().empty()) return absl::FailedPreconditionError(reply.error());
  std::string errors;
  int failed = 0;
  for (const auto& result : reply.results()) {
    if (result.error().empty()) continue;
    absl::StrAppend(&errors, failed++ == 0 ? "" : "; ", result.name(), " (", result.address(),
                    "): ", result.error());
  }
  if (failed == 0) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat(what, " failed on ", failed, " of ", reply.results_size(),
                                         " workers: ", errors));
}

}  // namespace

std::string ClusterInfo::ToString() const {
  return absl::StrFormat("<Client: scheduler=%s workers=%d threads=%d>", scheduler_address, workers,
                         threads);
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(std::string address) {
  ClientOptions options;
  options.address = std::move(address);
  return Connect(std::move(options));
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(ClientOptions options) {
  auto impl = std::make_unique<Impl>();
  std::string address = options.address;
  const SecurityOptions security_options =
      SecurityOptions{options.tls_ca_file, options.tls_cert, options.tls_key, options.auth_token}
          .WithEnvironmentDefaults();
  WEFT_ASSIGN_OR_RETURN(Security security, LoadSecurity(security_options));
  if (address.empty() && !options.scheduler_file.empty()) {
    WEFT_ASSIGN_OR_RETURN(
        address, ReadSchedulerFile(options.scheduler_file, absl::Now() + options.connect_timeout));
  }
  if (!address.empty()) WEFT_RETURN_IF_ERROR(SplitHostPort(address).status());
  if (address.empty()) {
    internal::LocalClusterOptions local;
    local.n_workers = options.n_workers;
    local.threads_per_worker = options.threads_per_worker;
    local.preload = options.preload;
    local.extra_worker_args = options.worker_args;
    local.bin_dir = options.bin_dir;
    local.security = security_options;
    WEFT_ASSIGN_OR_RETURN(impl->cluster,
                          internal::LocalCluster::Start(local, options.connect_timeout));
    address = impl->cluster->scheduler_address();
  }
  impl->core = std::make_shared<internal::ClientCore>(address, options.name, std::move(security));
  impl->core->SetNoticeHandler(options.on_notice ? options.on_notice : [](const std::string& m) {
    std::fprintf(stderr, "weft: %s\n", m.c_str());
  });
  WEFT_RETURN_IF_ERROR(impl->core->Start(options.connect_timeout));
  if (impl->cluster != nullptr) {
    WEFT_RETURN_IF_ERROR(WaitForWorkers(*impl->core, options.n_workers, options.connect_timeout,
                                        "local workers",
                                        [&impl] { return impl->cluster->CheckWorkers(); }));
  }
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() {
  if (impl_ && impl_->core) impl_->core->Shutdown();
}

const std::string& Client::scheduler_address() const { return impl_->core->address(); }

std::shared_ptr<internal::ClientCore> Client::core() const { return impl_->core; }

std::shared_ptr<internal::KeyHandle> Client::SubmitTask(const std::string& function,
                                                        std::vector<Arg> args,
                                                        const SubmitOptions& options,
                                                        std::string key) {
  proto::TaskSpec task = internal::BuildTask(function, args, std::move(key));
  internal::ApplyOptions(options, &task);
  return impl_->core->Submit(std::move(task));
}

std::vector<std::shared_ptr<internal::KeyHandle>> Client::MapTasks(const std::string& function,
                                                                   const std::vector<Arg>& items,
                                                                   const SubmitOptions& options) {
  std::vector<proto::TaskSpec> tasks;
  tasks.reserve(items.size());
  for (const Arg& item : items) {
    internal::ApplyOptions(options, &tasks.emplace_back(internal::BuildTask(function, {item}, "")));
  }
  return impl_->core->SubmitMany(std::move(tasks));
}

absl::StatusOr<std::vector<Value>> Client::GatherKeys(const std::vector<std::string>& keys) {
  return impl_->core->Gather(keys);
}

std::vector<Future<Value>> Client::persist(const Graph& graph, const std::vector<std::string>& keys,
                                           const SubmitOptions& options) {
  std::vector<Future<Value>> out;
  if (absl::Status acyclic = CheckGraph(graph, keys); !acyclic.ok()) {
    for (auto& handle : impl_->core->Refuse(keys, acyclic)) out.emplace_back(std::move(handle));
    return out;
  }
  std::vector<proto::TaskSpec> tasks;
  tasks.reserve(graph.size());
  for (const auto& [key, task] : graph) {
    internal::ApplyOptions(options,
                           &tasks.emplace_back(internal::BuildTask(task.function, task.args, key)));
  }
  for (auto& handle : impl_->core->SubmitGraph(std::move(tasks), keys)) {
    out.emplace_back(std::move(handle));
  }
  return out;
}

absl::StatusOr<std::vector<Value>> Client::get(const Graph& graph,
                                               const std::vector<std::string>& keys,
                                               const SubmitOptions& options) {
  WEFT_RETURN_IF_ERROR(CheckGraph(graph, keys));  // refused as an error, not erred futures
  std::vector<Future<Value>> futures = persist(graph, keys, options);
  return gather(futures);
}

absl::StatusOr<std::vector<Future<Value>>> Client::scatter(const ValueList& values,
                                                           const ScatterOptions& options) {
  WEFT_ASSIGN_OR_RETURN(auto handles,
                        impl_->core->Scatter(values, options.workers, options.broadcast));
  std::vector<Future<Value>> out;
  out.reserve(handles.size());
  for (auto& handle : handles) out.emplace_back(std::move(handle));
  return out;
}

std::map<std::string, std::vector<std::string>> Client::WhoHas(
    const std::vector<std::string>& keys) {
  return impl_->core->WhoHas(keys);
}

void Client::CancelKeys(const std::vector<std::string>& keys) { impl_->core->Cancel(keys); }

absl::Status Client::wait_for_workers(int n, absl::Duration timeout) {
  return WaitForWorkers(*impl_->core, n, timeout, "workers");
}

absl::Status Client::upload_file(const std::string& path, absl::Duration timeout) {
  proto::ClusterCommand command;
  proto::Plugin* plugin = command.mutable_upload();
  WEFT_ASSIGN_OR_RETURN(*plugin->mutable_content(),
                        io::ReadAll(path, io::Compression::kNone, io::IoOptions()));
  plugin->set_name(path.substr(path.rfind('/') + 1));  // npos + 1: the whole path
  WEFT_ASSIGN_OR_RETURN(proto::CommandReply reply,
                        impl_->core->Command(std::move(command), timeout));
  return WorkerErrors(reply, absl::StrCat("loading ", path));
}

absl::StatusOr<std::map<std::string, Value>> Client::run(const std::string& function,
                                                         std::vector<Value> args,
                                                         std::vector<std::string> workers,
                                                         absl::Duration timeout) {
  proto::ClusterCommand command;
  for (std::string& w : workers) command.add_workers(std::move(w));
  proto::RunFunction* run = command.mutable_run();
  run->set_function(function);
  for (const Value& arg : args) run->add_args()->set_literal(EncodeValueToString(arg));
  WEFT_ASSIGN_OR_RETURN(proto::CommandReply reply,
                        impl_->core->Command(std::move(command), timeout));
  WEFT_RETURN_IF_ERROR(WorkerErrors(reply, absl::StrCat("run(", function, ")")));
  std::map<std::string, Value> out;
  for (const auto& result : reply.results()) {
    WEFT_ASSIGN_OR_RETURN(out[result.address()], DecodeValue(result.value()));
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::vector<std::string>>> Client::get_worker_logs(
    int n, std::vector<std::string> workers) {
  WEFT_ASSIGN_OR_RETURN(auto results, run("worker_log", {Value(int64_t{n})}, std::move(workers)));
  std::map<std::string, std::vector<std::string>> out;
  for (auto& [address, value] : results) {
    std::vector<std::string>& lines = out[address];
    if (!value.is_list()) continue;
    for (const Value& line : value.as_list()) {
      if (line.is_string()) lines.push_back(line.as_string());
    }
  }
  return out;
}

absl::Status Client::retire_workers(std::vector<std::string> workers, absl::Duration timeout) {
  proto::ClusterCommand command;
  for (std::string& w : workers) command.add_workers(std::move(w));
  command.mutable_retire();
  WEFT_ASSIGN_OR_RETURN(proto::CommandReply reply,
                        impl_->core->Command(std::move(command), timeout));
  return WorkerErrors(reply, "retire_workers");
}

absl::Status Client::restart(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  WEFT_ASSIGN_OR_RETURN(proto::InfoReply before, impl_->core->Info(timeout));
  proto::ClusterCommand command;
  command.mutable_restart()->set_reason("restarted by client.restart()");
  WEFT_ASSIGN_OR_RETURN(proto::CommandReply reply,
                        impl_->core->Command(std::move(command), timeout));
  WEFT_RETURN_IF_ERROR(WorkerErrors(reply, "restart"));
  return WaitForWorkers(*impl_->core, before.workers_size(),
                        std::max(deadline - absl::Now(), absl::ZeroDuration()),
                        "restarted workers");
}

absl::StatusOr<ClusterInfo> Client::info(absl::Duration timeout, TaskScope prefixes) {
  WEFT_ASSIGN_OR_RETURN(proto::InfoReply reply,
                        impl_->core->Info(timeout, prefixes == TaskScope::kThisClient));
  ClusterInfo info;
  info.scheduler_address = impl_->core->address();
  info.dashboard_address = reply.dashboard_address();
  info.workers = reply.workers_size();
  for (const auto& w : reply.workers()) {
    WorkerInfo& d = info.worker_details.emplace_back();
    d.name = w.name();
    d.address = w.address();
    d.pid = w.pid();
    d.threads = w.nthreads();
    d.memory_limit = w.memory_limit();
    d.memory_bytes = w.memory_bytes();
    d.spilled_bytes = w.spilled_bytes();
    d.peak_held_bytes = w.peak_held_bytes();
    d.bytes_fetched = w.bytes_fetched();
    d.process_bytes = w.process_bytes();
    d.paused = w.paused();
    d.stuck = w.stuck();
    d.illegal_transitions = w.illegal_transitions();
    d.processing = w.processing();
    d.keys_in_memory = w.keys_in_memory();
    d.resources.insert(w.resources().begin(), w.resources().end());
    d.resources_used.insert(w.resources_used().begin(), w.resources_used().end());
    info.threads += w.nthreads();
    info.memory_limit += w.memory_limit();
    info.memory_bytes += w.memory_bytes();
  }
  info.tasks_total = reply.tasks_total();
  for (const auto& [state, n] : reply.tasks_by_state()) info.tasks_by_state[state] = n;
  for (const auto& p : reply.prefixes()) {
    PrefixInfo& d = info.prefixes.emplace_back();
    d.prefix = p.prefix();
    for (const auto& [state, n] : p.tasks_by_state()) d.tasks_by_state[state] = n;
    d.average_duration_seconds = p.average_duration_seconds();
  }
  return info;
}

}  // namespace weft
