#include "worker/worker_control.h"

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/codec.h"
#include "common/io/io.h"
#include "common/key.h"
#include "common/logging.h"
#include "worker/task_runner.h"

namespace weft {

WorkerControl::WorkerControl(FunctionRegistry& registry, DataStore& store,
                             std::string plugin_directory, std::shared_ptr<const io::IoOptions> io,
                             SendFn send, CloseFn on_close)
    : registry_(registry),
      store_(store),
      plugin_directory_(std::move(plugin_directory)),
      io_(std::move(io)),
      send_(std::move(send)),
      on_close_(std::move(on_close)) {}

WorkerControl::~WorkerControl() {
  std::vector<RunThread> runs;
  {
    absl::MutexLock lock(&mu_);
    runs.swap(runs_);
  }
  for (RunThread& run : runs) run.thread.join();
}

bool WorkerControl::IsCommand(const proto::WorkerInstruction& instruction) {
  return instruction.has_load_plugin() || instruction.has_run_function() || instruction.has_close();
}

void WorkerControl::Handle(const proto::WorkerInstruction& instruction) {
  if (instruction.has_load_plugin()) {
    const proto::LoadPlugin& load = instruction.load_plugin();
    absl::Status status = LoadPlugin(load.plugin());
    Answer(load.request_id(), "", status.ok() ? "" : std::string(status.message()));
  } else if (instruction.has_run_function()) {
    absl::MutexLock lock(&mu_);
    for (auto it = runs_.begin(); it != runs_.end();) {
      if (!it->done->load()) {
        ++it;
        continue;
      }
      it->thread.join();
      it = runs_.erase(it);
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::thread thread([this, done, run = instruction.run_function()]() mutable {
      Run(std::move(run));
      done->store(true);
    });
    runs_.push_back({std::move(thread), std::move(done)});
  } else if (instruction.has_close()) {
    const proto::CloseWorker& close = instruction.close();
    WEFT_LOG_INFO("the scheduler closes this worker{}: {}", close.restart() ? " for a restart" : "",
                  close.reason());
    Answer(close.request_id(), "", "");
    on_close_(close.restart(), close.reason());
  }
}

void WorkerControl::LoadPlugins(const proto::WorkerWelcome& welcome) {
  for (const proto::Plugin& plugin : welcome.plugins()) {
    absl::Status status = LoadPlugin(plugin);
    if (!status.ok()) {
      WEFT_LOG_ERROR("plugin {} from the scheduler: {}", plugin.name(), status.ToString());
    }
  }
}

absl::Status WorkerControl::LoadPlugin(const proto::Plugin& plugin) {
  const std::string name = std::filesystem::path(plugin.name()).filename().string();
  if (name.empty() || name == "." || name == "..") {
    return absl::InvalidArgumentError(absl::StrCat("bad plugin name '", plugin.name(), "'"));
  }
  std::error_code error;
  std::filesystem::create_directories(plugin_directory_, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create ", plugin_directory_, ": ", error.message()));
  }
  const std::string path = (std::filesystem::path(plugin_directory_) /
                            absl::StrCat(StableHashHex(plugin.content()).substr(0, 16), "-", name))
                               .string();
  if (!std::filesystem::exists(path, error)) {
    absl::Status written = io::WriteFile(path, plugin.content(), io::IoOptions());
    if (!written.ok()) return written;
  }
  absl::Status loaded = registry_.LoadPlugin(path, FunctionRegistry::Conflict::kReplace);
  if (loaded.ok())
    WEFT_LOG_INFO("loaded plugin {} ({} bytes) as {}", name, plugin.content().size(), path);
  return loaded;
}

void WorkerControl::Run(proto::RunFunction run) {
  auto owner = std::make_shared<const proto::RunFunction>(std::move(run));
  ValueList args;
  std::vector<std::string> missing;
  for (const proto::Arg& arg : owner->args()) {
    absl::StatusOr<Value> value = ResolveArg(arg, owner, store_, &missing);
    if (!value.ok()) {
      Answer(owner->request_id(), "", std::string(value.status().message()));
      return;
    }
    args.push_back(*std::move(value));
  }
  if (!missing.empty()) {
    Answer(owner->request_id(), "",
           absl::StrCat(owner->function(), "(): this worker does not hold ", missing.front()));
    return;
  }
  absl::StatusOr<Value> result = registry_.Call(
      owner->function(), args, TaskContext("run", owner->function()).WithIoOptions(io_));
  if (!result.ok()) {
    Answer(owner->request_id(), "", std::string(result.status().message()));
    return;
  }
  Answer(owner->request_id(), EncodeValueToString(*result), "");
}

void WorkerControl::Answer(uint64_t request_id, std::string value, std::string error) {
  proto::WorkerEvent event;
  proto::CommandResult* result = event.mutable_command_result();
  result->set_request_id(request_id);
  result->set_value(std::move(value));
  result->set_error(std::move(error));
  send_(event);
}

}  // namespace weft
