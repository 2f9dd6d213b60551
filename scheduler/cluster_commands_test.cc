// ClusterCommands: uploads kept for late joiners, fan-out and gathering of answers,
// restarts refused without nannies and answered by the workers leaving.
#include "scheduler/cluster_commands.h"

#include <catch2/catch.hpp>

namespace weft::scheduler {
namespace {

proto::WorkerInfo Info(const std::string& name, int port, bool nanny = true) {
  proto::WorkerInfo info;
  info.set_name(name);
  info.set_address("10.0.0." + std::to_string(port % 10) + ":" + std::to_string(port));
  info.set_nanny(nanny);
  return info;
}

proto::ClusterCommand Upload(uint64_t request_id, const std::string& name,
                             const std::string& content) {
  proto::ClusterCommand command;
  command.set_request_id(request_id);
  command.mutable_upload()->set_name(name);
  command.mutable_upload()->set_content(content);
  return command;
}

proto::CommandResult Result(uint64_t id, const std::string& value, const std::string& error = "") {
  proto::CommandResult result;
  result.set_request_id(id);
  result.set_value(value);
  result.set_error(error);
  return result;
}

// The request id the scheduler gave the instruction sent to `worker_id`.
uint64_t SentId(const Instructions& out, const std::string& worker_id) {
  for (const WorkerMessage& m : out.to_workers) {
    if (m.worker_id != worker_id) continue;
    const proto::WorkerInstruction& i = m.instruction;
    if (i.has_load_plugin()) return i.load_plugin().request_id();
    if (i.has_run_function()) return i.run_function().request_id();
    if (i.has_close()) return i.close().request_id();
  }
  FAIL("nothing sent to " << worker_id);
  return 0;
}

TEST_CASE("an upload goes to every worker, is answered per worker, and reaches late joiners") {
  ClusterCommands commands;
  proto::WorkerWelcome welcome;
  commands.WorkerJoined("w1", Info("a", 4001), &welcome);
  commands.WorkerJoined("w2", Info("b", 4002), &welcome);
  CHECK(welcome.plugins().empty());

  CHECK(commands.Command("c1", Upload(7, "libmine.so", "v1")).kind ==
        ClusterCommands::Effect::kNone);
  Instructions out = commands.TakeInstructions();
  REQUIRE(out.to_workers.size() == 2);
  CHECK(out.to_workers[0].instruction.load_plugin().plugin().content() == "v1");
  CHECK(out.to_clients.empty());

  const uint64_t id = SentId(out, "w1");
  commands.Result("w2", Result(id, "", "cannot load plugin: bad ELF"));
  CHECK(commands.TakeInstructions().to_clients.empty());  // w1 has not answered
  commands.Result("w1", Result(id, ""));
  out = commands.TakeInstructions();
  REQUIRE(out.to_clients.size() == 1);
  const proto::CommandReply& reply = out.to_clients[0].update.command_reply();
  CHECK(reply.request_id() == 7);
  REQUIRE(reply.results_size() == 2);
  CHECK(reply.results(0).name() == "a");
  CHECK(reply.results(0).error().empty());
  CHECK(reply.results(1).name() == "b");
  CHECK(reply.results(1).error() == "cannot load plugin: bad ELF");

  // A new version replaces the old one; a late joiner gets only the newest.
  commands.Command("c1", Upload(8, "libmine.so", "v2"));
  commands.Command("c1", Upload(9, "libother.so", "x"));
  commands.TakeInstructions();
  proto::WorkerWelcome late;
  commands.WorkerJoined("w3", Info("c", 4003), &late);
  REQUIRE(late.plugins_size() == 2);
  CHECK(late.plugins(0).content() == "v2");
  CHECK(late.plugins(1).name() == "libother.so");
}

TEST_CASE("run addresses workers by name, address or host, and a departed one answers an error") {
  ClusterCommands commands;
  proto::WorkerWelcome welcome;
  commands.WorkerJoined("w1", Info("a", 4001), &welcome);
  commands.WorkerJoined("w2", Info("b", 4002), &welcome);
  commands.WorkerJoined("w3", Info("c", 4003), &welcome);

  proto::ClusterCommand run;
  run.set_request_id(3);
  run.mutable_run()->set_function("getpid");
  run.add_workers("a");
  run.add_workers("10.0.0.3");  // c's host
  commands.Command("c1", run);
  Instructions out = commands.TakeInstructions();
  REQUIRE(out.to_workers.size() == 2);
  CHECK(out.to_workers[0].worker_id == "w1");
  CHECK(out.to_workers[1].worker_id == "w3");
  const uint64_t id = SentId(out, "w1");
  commands.Result("w1", Result(id, "41"));
  commands.Result("w2", Result(id, "not asked"));  // ignored
  commands.WorkerLeft("w3");
  out = commands.TakeInstructions();
  REQUIRE(out.to_clients.size() == 1);
  const proto::CommandReply& reply = out.to_clients[0].update.command_reply();
  REQUIRE(reply.results_size() == 2);
  CHECK(reply.results(0).value() == "41");
  CHECK(reply.results(1).name() == "c");
  CHECK(reply.results(1).error() == "the worker left before answering");
  CHECK(commands.num_pending() == 0);

  run.clear_workers();
  run.add_workers("nobody");
  commands.Command("c1", run);
  out = commands.TakeInstructions();
  CHECK(out.to_workers.empty());
  REQUIRE(out.to_clients.size() == 1);
  CHECK(out.to_clients[0].update.command_reply().error() ==
        "run: no connected worker is named nobody");
}

TEST_CASE("restart is refused without nannies, else answered when every worker has left") {
  ClusterCommands commands;
  proto::WorkerWelcome welcome;
  commands.WorkerJoined("w1", Info("a", 4001), &welcome);
  commands.WorkerJoined("w2", Info("b", 4002, /*nanny=*/false), &welcome);
  proto::ClusterCommand restart;
  restart.set_request_id(5);
  restart.mutable_restart();
  CHECK(commands.Command("c1", restart).kind == ClusterCommands::Effect::kNone);
  Instructions out = commands.TakeInstructions();
  CHECK(out.to_workers.empty());
  REQUIRE(out.to_clients.size() == 1);
  CHECK(out.to_clients[0].update.command_reply().error().find("these do not: b") !=
        std::string::npos);

  commands.WorkerLeft("w2");
  CHECK(commands.Command("c1", restart).kind == ClusterCommands::Effect::kCancelAll);
  out = commands.TakeInstructions();
  REQUIRE(out.to_workers.size() == 1);
  CHECK(out.to_workers[0].instruction.close().restart());
  commands.Result("w1", Result(SentId(out, "w1"), ""));  // says yes, still connected
  CHECK(commands.TakeInstructions().to_clients.empty());
  commands.WorkerLeft("w1");
  out = commands.TakeInstructions();
  REQUIRE(out.to_clients.size() == 1);
  CHECK(out.to_clients[0].update.command_reply().results(0).error().empty());
}

TEST_CASE("a client that leaves drops its commands") {
  ClusterCommands commands;
  proto::WorkerWelcome welcome;
  commands.WorkerJoined("w1", Info("a", 4001), &welcome);
  proto::ClusterCommand run;
  run.mutable_run()->set_function("getpid");
  commands.Command("c1", run);
  const uint64_t id = SentId(commands.TakeInstructions(), "w1");
  commands.ClientLeft("c1");
  CHECK(commands.num_pending() == 0);
  commands.Result("w1", Result(id, "1"));
  CHECK(commands.TakeInstructions().to_clients.empty());
}

}  // namespace
}  // namespace weft::scheduler
