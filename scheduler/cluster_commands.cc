#include "scheduler/cluster_commands.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/host_port.h"

namespace weft::scheduler {
namespace {

const char* KindName(const proto::ClusterCommand& command) {
  switch (command.kind_case()) {
    case proto::ClusterCommand::kUpload:
      return "upload";
    case proto::ClusterCommand::kRun:
      return "run";
    case proto::ClusterCommand::kRestart:
      return "restart";
    case proto::ClusterCommand::kRetire:
      return "retire";
    case proto::ClusterCommand::KIND_NOT_SET:
      break;
  }
  return "unknown command";
}

}  // namespace

void ClusterCommands::Preload(proto::Plugin plugin) { Keep(std::move(plugin)); }

void ClusterCommands::Keep(proto::Plugin plugin) {
  auto same = std::find_if(plugins_.begin(), plugins_.end(),
                           [&](const proto::Plugin& p) { return p.name() == plugin.name(); });
  if (same != plugins_.end()) plugins_.erase(same);
  plugins_.push_back(std::move(plugin));
}

void ClusterCommands::WorkerJoined(const std::string& worker_id, const proto::WorkerInfo& info,
                                   proto::WorkerWelcome* welcome) {
  if (workers_.emplace(worker_id, WorkerEntry{info}).second) worker_order_.push_back(worker_id);
  for (const proto::Plugin& plugin : plugins_) *welcome->add_plugins() = plugin;
}

void ClusterCommands::WorkerLeft(const std::string& worker_id) {
  if (!workers_.contains(worker_id)) return;
  std::vector<uint64_t> waiting;
  for (const auto& [id, pending] : pending_) {
    if (pending.results.contains(worker_id)) continue;
    if (std::find(pending.worker_ids.begin(), pending.worker_ids.end(), worker_id) !=
        pending.worker_ids.end()) {
      waiting.push_back(id);
    }
  }
  std::sort(waiting.begin(), waiting.end());
  for (uint64_t id : waiting) {
    proto::CommandReply::WorkerResult result;
    if (!pending_.at(id).answered_by_leaving) {
      result.set_error("the worker left before answering");
    }
    Answer(id, worker_id, std::move(result));
  }
  workers_.erase(worker_id);
  worker_order_.erase(std::find(worker_order_.begin(), worker_order_.end(), worker_id));
}

void ClusterCommands::ClientLeft(const std::string& client_id) {
  absl::erase_if(pending_, [&](const auto& entry) { return entry.second.client_id == client_id; });
}

std::vector<std::string> ClusterCommands::Select(
    const google::protobuf::RepeatedPtrField<std::string>& selectors,
    std::vector<std::string>* unmatched) const {
  if (selectors.empty()) return worker_order_;
  std::vector<std::string> out;
  absl::flat_hash_set<std::string> matched;
  for (const std::string& id : worker_order_) {
    const proto::WorkerInfo& info = workers_.at(id).info;
    for (const std::string& selector : selectors) {
      if (selector == info.name() || selector == info.address() ||
          selector == HostOf(info.address())) {
        matched.insert(selector);
        out.push_back(id);
        break;
      }
    }
  }
  for (const std::string& selector : selectors) {
    if (!matched.contains(selector)) unmatched->push_back(selector);
  }
  return out;
}

void ClusterCommands::Refuse(const std::string& client_id, uint64_t request_id, std::string error) {
  proto::ClientUpdate update;
  proto::CommandReply* reply = update.mutable_command_reply();
  reply->set_request_id(request_id);
  reply->set_error(std::move(error));
  out_.to_clients.push_back({client_id, std::move(update)});
}

ClusterCommands::Effect ClusterCommands::Command(const std::string& client_id,
                                                 proto::ClusterCommand command) {
  const uint64_t request_id = command.request_id();
  if (command.kind_case() == proto::ClusterCommand::KIND_NOT_SET) {
    Refuse(client_id, request_id, "empty cluster command (a newer client?)");
    return {};
  }
  std::vector<std::string> unmatched;
  std::vector<std::string> targets = Select(command.workers(), &unmatched);
  if (!unmatched.empty()) {
    Refuse(client_id, request_id,
           absl::StrCat(KindName(command), ": no connected worker is named ",
                        absl::StrJoin(unmatched, ", ")));
    return {};
  }
  if (command.has_retire()) {
    if (command.workers().empty()) {
      Refuse(client_id, request_id, "retire: name the workers to retire");
      return {};
    }
    if (targets.size() == worker_order_.size()) {
      Refuse(client_id, request_id,
             "retire: no worker would be left to take over their results; keep at least one");
      return {};
    }
  }
  const bool restart = command.has_restart();
  if (restart) {
    std::vector<std::string> orphans;
    for (const std::string& id : targets) {
      const proto::WorkerInfo& info = workers_.at(id).info;
      if (!info.nanny()) orphans.push_back(info.name());
    }
    if (!orphans.empty()) {
      Refuse(client_id, request_id,
             absl::StrCat("restart needs every worker to run under a nanny (weft-worker without "
                          "--no-nanny); these do not: ",
                          absl::StrJoin(orphans, ", ")));
      return {};
    }
  }
  Effect effect;
  if (restart) effect.kind = Effect::kCancelAll;
  if (command.has_retire()) {
    effect.kind = Effect::kRetire;
    effect.worker_ids = targets;
  }
  const uint64_t id = next_id_++;
  Pending& pending = pending_[id];
  pending.client_id = client_id;
  pending.client_request_id = request_id;
  pending.answered_by_leaving = restart || command.has_retire();
  pending.worker_ids = targets;

  proto::WorkerInstruction instruction;
  switch (command.kind_case()) {
    case proto::ClusterCommand::kUpload: {
      Keep(command.upload());  // for workers that join later
      proto::LoadPlugin* load = instruction.mutable_load_plugin();
      load->set_request_id(id);
      *load->mutable_plugin() = std::move(*command.mutable_upload());
      break;
    }
    case proto::ClusterCommand::kRun: {
      proto::RunFunction* run = instruction.mutable_run_function();
      *run = std::move(*command.mutable_run());
      run->set_request_id(id);
      break;
    }
    case proto::ClusterCommand::kRestart: {
      proto::CloseWorker* close = instruction.mutable_close();
      close->set_request_id(id);
      close->set_restart(true);
      close->set_reason(command.restart().reason().empty() ? "the client asked for a restart"
                                                           : command.restart().reason());
      break;
    }
    case proto::ClusterCommand::kRetire:  // SchedulerState closes them when their data is safe
    case proto::ClusterCommand::KIND_NOT_SET:
      break;
  }
  if (targets.empty()) {
    Answer(id, "", {});  // nothing to wait for: an empty reply at once
    return effect;
  }
  if (instruction.kind_case() != proto::WorkerInstruction::KIND_NOT_SET) {
    for (size_t i = 0; i + 1 < targets.size(); ++i) SendToWorker(targets[i], instruction);
    SendToWorker(targets.back(), std::move(instruction));
  }
  return effect;
}

void ClusterCommands::SendToWorker(const std::string& worker_id,
                                   proto::WorkerInstruction instruction) {
  out_.to_workers.push_back({worker_id, std::move(instruction)});
}

void ClusterCommands::Result(const std::string& worker_id, const proto::CommandResult& result) {
  auto it = pending_.find(result.request_id());
  if (it == pending_.end() || it->second.answered_by_leaving) return;
  proto::CommandReply::WorkerResult answer;
  answer.set_value(result.value());
  answer.set_error(result.error());
  Answer(result.request_id(), worker_id, std::move(answer));
}

void ClusterCommands::Answer(uint64_t id, const std::string& worker_id,
                             proto::CommandReply::WorkerResult result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending& pending = it->second;
  if (!worker_id.empty()) {
    if (std::find(pending.worker_ids.begin(), pending.worker_ids.end(), worker_id) ==
        pending.worker_ids.end()) {
      return;  // not addressed to it
    }
    auto w = workers_.find(worker_id);
    if (w != workers_.end()) {
      result.set_name(w->second.info.name());
      result.set_address(w->second.info.address());
    }
    pending.results.emplace(worker_id, std::move(result));
    if (pending.results.size() < pending.worker_ids.size()) return;
  }
  proto::ClientUpdate update;
  proto::CommandReply* reply = update.mutable_command_reply();
  reply->set_request_id(pending.client_request_id);
  for (const std::string& target : pending.worker_ids) {
    *reply->add_results() = std::move(pending.results.at(target));
  }
  out_.to_clients.push_back({pending.client_id, std::move(update)});
  pending_.erase(it);
}

Instructions ClusterCommands::TakeInstructions() {
  Instructions out;
  std::swap(out, out_);
  return out;
}

}  // namespace weft::scheduler
