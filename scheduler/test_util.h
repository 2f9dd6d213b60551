// A harness for SchedulerState tests: feeds events with a fake clock and turns the
// instructions that come out into short strings that read like a log, e.g.
//   "w1: compute z (x@a y@b)"   "w1: free x y"   "w1: steal z"   "c1: memory z @a"
//   "c1: erred z (x in boom: failed)"   "c1: lost x"   "c1: cancelled x"
// Every event is followed by SchedulerState::Validate(), so a broken invariant fails the
// test at the event that broke it.
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "scheduler/scheduler_state.h"

namespace weft::scheduler::testing {

using Lines = std::vector<std::string>;

// A task's story as "from->to" lines, or "from->to (stimulus)" with_stimulus.
inline Lines StoryOf(const SchedulerState& state, const std::string& key,
                     bool with_stimulus = false) {
  Lines moves;
  for (const StoryEntry& e : state.Story(key)) {
    std::string move = std::string(TaskStatusName(e.from)) + "->" + TaskStatusName(e.to);
    if (with_stimulus) absl::StrAppend(&move, " (", e.stimulus, ")");
    moves.push_back(std::move(move));
  }
  return moves;
}

inline std::string Describe(const WorkerMessage& m) {
  const proto::WorkerInstruction& in = m.instruction;
  std::string line = m.worker_id + ": ";
  if (in.has_welcome()) return line + "welcome";
  if (in.has_free_keys()) {
    std::vector<std::string> freed(in.free_keys().keys().begin(), in.free_keys().keys().end());
    for (const proto::KeySlice& item : in.free_keys().items()) {
      freed.push_back(absl::StrCat("item ", item.key(), "[", item.index(), "]"));
    }
    return line + "free " + absl::StrJoin(freed, " ");
  }
  if (in.has_steal()) return line + "steal " + in.steal().key();
  if (in.has_close()) return line + (in.close().restart() ? "restart" : "close");
  if (in.has_put_accepted()) return line + "accept " + absl::StrJoin(in.put_accepted().keys(), " ");
  if (in.has_acquire_replicas()) {
    std::vector<std::string> locations;
    for (const proto::KeyLocation& kl : in.acquire_replicas().keys()) {
      locations.push_back(kl.key() + "@" + absl::StrJoin(kl.addresses(), ","));
    }
    return line + "acquire " + absl::StrJoin(locations, " ");
  }
  const proto::ComputeTask& c = in.compute();
  absl::StrAppend(&line, "compute ", c.task().key());
  if (c.who_has_size() > 0) {
    std::vector<std::string> locations;
    for (const proto::KeyLocation& kl : c.who_has()) {
      locations.push_back(kl.key() + "@" + absl::StrJoin(kl.addresses(), ","));
    }
    absl::StrAppend(&line, " (", absl::StrJoin(locations, " "), ")");
  }
  return line;
}

inline std::string Describe(const ClientMessage& m) {
  const proto::ClientUpdate& up = m.update;
  std::string line = m.client_id + ": ";
  if (up.has_welcome()) return line + "welcome";
  if (up.has_info()) return line + "info";
  if (up.has_work_notice()) {
    return line + (up.work_notice().stalled() ? "stalled: " : "unstalled: ") +
           up.work_notice().message();
  }
  const proto::KeyStatus& ks = up.key_status();
  switch (ks.state()) {
    case proto::KeyStatus::MEMORY:
      return absl::StrCat(line, "memory ", ks.key(), " @",
                          absl::StrJoin(ks.location().addresses(), ","));
    case proto::KeyStatus::ERRED:
      return absl::StrCat(line, "erred ", ks.key(), " (", ks.erred_key(), " in ", ks.function(),
                          ": ", ks.error(), ")");
    case proto::KeyStatus::LOST:
      return line + "lost " + ks.key();
    case proto::KeyStatus::CANCELLED:
      return line + "cancelled " + ks.key();
    default:
      return line + "?? " + ks.key();
  }
}

class Harness {
 public:
  explicit Harness(SchedulerOptions options = {}) : state(options) {}

  // Registers a worker whose address is `name`; drops its welcome.
  std::string AddWorker(const std::string& name, int nthreads = 1,
                        std::vector<proto::KeyLocation> held = {}) {
    return AddWorkerWithResources(name, {}, nthreads, std::move(held));
  }

  // The same, started with `--resources` (name → amount).
  std::string AddWorkerWithResources(const std::string& name,
                                     const std::map<std::string, double>& resources,
                                     int nthreads = 1, std::vector<proto::KeyLocation> held = {}) {
    proto::RegisterWorker reg;
    reg.mutable_info()->set_name(name);
    reg.mutable_info()->set_address(name);
    reg.mutable_info()->set_nthreads(nthreads);
    for (const auto& [resource, amount] : resources) {
      (*reg.mutable_info()->mutable_resources())[resource] = amount;
    }
    for (auto& kl : held) *reg.add_held_keys() = kl;
    std::string id = state.AddWorker(reg, now);
    Check();
    return id;
  }

  std::string AddClient(const std::string& name = "client") {
    std::string id = state.AddClient(name);
    Check();
    return id;
  }

  static proto::TaskSpec Task(const std::string& key, std::vector<std::string> deps = {},
                              const std::string& function = "f") {
    proto::TaskSpec spec;
    spec.set_key(key);
    spec.set_function(function);
    for (const std::string& dep : deps) {
      spec.add_dependencies(dep);
      spec.add_args()->set_key(dep);
    }
    return spec;
  }

  // A task that reads item `index` of each of `deps` apart (KeySlice args), as a
  // shuffle's unpack reads its bucket of each split.
  static proto::TaskSpec ItemTask(const std::string& key, std::vector<std::string> deps,
                                  int64_t index) {
    proto::TaskSpec spec;
    spec.set_key(key);
    spec.set_function("unpack");
    for (const std::string& dep : deps) {
      spec.add_dependencies(dep);
      proto::KeySlice* slice = spec.add_args()->mutable_slice();
      slice->set_key(dep);
      slice->set_index(index);
    }
    return spec;
  }

  void Submit(const std::string& client, std::vector<proto::TaskSpec> tasks,
              std::vector<std::string> wanted) {
    proto::UpdateGraph msg;
    for (auto& t : tasks) *msg.add_tasks() = t;
    for (auto& k : wanted) msg.add_wanted_keys(k);
    REQUIRE(state.UpdateGraph(client, msg).ok());
    Check();
  }

  absl::Status Finish(const std::string& worker, const std::string& key, int64_t nbytes = 8,
                      double duration_seconds = 0) {
    proto::TaskFinished msg;
    msg.set_key(key);
    msg.set_nbytes(nbytes);
    msg.set_duration_seconds(duration_seconds);
    absl::Status status = state.TaskFinished(worker, msg);
    Check();
    return status;
  }

  absl::Status Fail(const std::string& worker, const std::string& key, const std::string& message,
                    std::vector<std::string> missing = {}) {
    proto::TaskFailed msg;
    msg.set_key(key);
    msg.set_function("boom");
    msg.set_message(message);
    for (auto& m : missing) msg.add_missing_dependencies(m);
    absl::Status status = state.TaskFailed(worker, msg);
    Check();
    return status;
  }

  // The client put `key` (nbytes) on the workers at `addresses` (Client::scatter).
  absl::Status Scatter(const std::string& client, const std::string& key,
                       std::vector<std::string> addresses, int64_t nbytes = 8) {
    proto::ScatterData msg;
    proto::KeyLocation* location = msg.add_keys();
    location->set_key(key);
    location->set_nbytes(nbytes);
    for (auto& a : addresses) location->add_addresses(a);
    absl::Status status = state.ScatterData(client, msg);
    Check();
    return status;
  }

  void Release(const std::string& client, std::vector<std::string> keys) {
    proto::ReleaseKeys msg;
    for (auto& k : keys) msg.add_keys(k);
    REQUIRE(state.ReleaseKeys(client, msg).ok());
    Check();
  }

  void Cancel(const std::string& client, std::vector<std::string> keys) {
    proto::CancelKeys msg;
    for (auto& k : keys) msg.add_keys(k);
    REQUIRE(state.CancelKeys(client, msg).ok());
    Check();
  }

  void RemoveWorker(const std::string& worker, const std::string& reason = "stream closed") {
    REQUIRE(state.RemoveWorker(worker, reason).ok());
    Check();
  }

  absl::Status StealReply(const std::string& worker, const std::string& key, bool stolen) {
    proto::StealResponse msg;
    msg.set_key(key);
    msg.set_stolen(stolen);
    absl::Status status = state.StealResponse(worker, msg);
    Check();
    return status;
  }

  void Replicated(const std::string& worker, const std::string& key, int64_t nbytes = 8,
                  const std::string& error = "") {
    proto::ReplicaAdded msg;
    msg.set_key(key);
    msg.set_nbytes(nbytes);
    msg.set_error(error);
    REQUIRE(state.ReplicaAdded(worker, msg).ok());
    Check();
  }

  void Pause(const std::string& worker, bool paused) {
    proto::WorkerStatusChange msg;
    msg.set_paused(paused);
    REQUIRE(state.WorkerStatusChange(worker, msg).ok());
    Check();
  }

  // Advances the clock by `step` and runs the periodic tick (timeouts, stealing).
  void Tick(absl::Duration step = absl::Seconds(1)) {
    now += step;
    for (const std::string& id : live_workers()) state.Touch(id, now);
    state.Tick(now);
    Check();
  }

  std::vector<std::string> live_workers() const {
    std::vector<std::string> ids;
    for (int i = 1; i < 100; ++i) {
      std::string id = absl::StrCat("w", i);
      if (state.GetWorker(id) != nullptr) ids.push_back(id);
    }
    return ids;
  }

  // The priority the scheduler gave `key`.
  int64_t Priority(const std::string& key) const { return state.GetTask(key)->priority; }

  // Everything said since the last call, in order, welcomes left out.
  Lines Take() {
    Instructions out = state.TakeInstructions();
    Lines lines;
    for (const auto& m : out.to_workers) {
      if (!m.instruction.has_welcome()) lines.push_back(Describe(m));
    }
    for (const auto& m : out.to_clients) {
      if (!m.update.has_welcome()) lines.push_back(Describe(m));
    }
    return lines;
  }

  // The same, sorted: for events whose order among recipients is not the point.
  Lines TakeSorted() {
    Lines lines = Take();
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  std::string Status(const std::string& key) const { return TaskStatusName(state.GetStatus(key)); }

  void Check() const {
    absl::Status valid = state.Validate();
    INFO(valid.ToString());
    REQUIRE(valid.ok());
  }

  SchedulerState state;
  absl::Time now = absl::FromUnixSeconds(1'000'000);
};

}  // namespace weft::scheduler::testing
