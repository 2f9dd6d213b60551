#include "weft/client.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/client_core.h"
#include "client/local_cluster.h"
#include "client/task_builder.h"
#include "common/security.h"
#include "common/status_macros.h"

namespace weft {

struct Client::Impl {
  // Declared first so it is destroyed last: the session closes before the cluster stops.
  std::unique_ptr<internal::LocalCluster> cluster;
  std::shared_ptr<internal::ClientCore> core;
};

namespace {

// dask's Client() waits for its local workers; so do we, so that the first task does not
// sit in no-worker.
absl::Status WaitForWorkers(internal::ClientCore& core, int n, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    WEFT_ASSIGN_OR_RETURN(proto::InfoReply info, core.Info(timeout));
    if (info.workers_size() >= n) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::UnavailableError(absl::StrCat("only ", info.workers_size(), " of ", n,
                                                 " local workers joined within ",
                                                 absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
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
  if (address.empty()) {
    internal::LocalClusterOptions local;
    local.n_workers = options.n_workers;
    local.threads_per_worker = options.threads_per_worker;
    local.preload = options.preload;
    local.bin_dir = options.bin_dir;
    local.security = security_options;
    WEFT_ASSIGN_OR_RETURN(impl->cluster,
                          internal::LocalCluster::Start(local, options.connect_timeout));
    address = impl->cluster->scheduler_address();
  }
  impl->core = std::make_shared<internal::ClientCore>(address, options.name, std::move(security));
  WEFT_RETURN_IF_ERROR(impl->core->Start(options.connect_timeout));
  if (impl->cluster != nullptr) {
    WEFT_RETURN_IF_ERROR(WaitForWorkers(*impl->core, options.n_workers, options.connect_timeout));
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
  std::vector<proto::TaskSpec> tasks;
  tasks.reserve(graph.size());
  for (const auto& [key, task] : graph) {
    internal::ApplyOptions(options,
                           &tasks.emplace_back(internal::BuildTask(task.function, task.args, key)));
  }
  std::vector<Future<Value>> out;
  for (auto& handle : impl_->core->SubmitGraph(std::move(tasks), keys)) {
    out.emplace_back(std::move(handle));
  }
  return out;
}

absl::StatusOr<std::vector<Value>> Client::get(const Graph& graph,
                                               const std::vector<std::string>& keys,
                                               const SubmitOptions& options) {
  std::vector<Future<Value>> futures = persist(graph, keys, options);
  return gather(futures);
}

std::map<std::string, std::vector<std::string>> Client::WhoHas(
    const std::vector<std::string>& keys) {
  return impl_->core->WhoHas(keys);
}

void Client::CancelKeys(const std::vector<std::string>& keys) { impl_->core->Cancel(keys); }

absl::StatusOr<ClusterInfo> Client::info(absl::Duration timeout) {
  WEFT_ASSIGN_OR_RETURN(proto::InfoReply reply, impl_->core->Info(timeout));
  ClusterInfo info;
  info.scheduler_address = impl_->core->address();
  info.workers = reply.workers_size();
  for (const auto& w : reply.workers()) {
    WorkerInfo& d = info.worker_details.emplace_back();
    d.name = w.name();
    d.address = w.address();
    d.threads = w.nthreads();
    d.memory_limit = w.memory_limit();
    d.memory_bytes = w.memory_bytes();
    d.spilled_bytes = w.spilled_bytes();
    d.bytes_fetched = w.bytes_fetched();
    d.paused = w.paused();
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
