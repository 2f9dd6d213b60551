#include "client/cli/stream_command.h"

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/host_port.h"
#include "common/signals.h"
#include "weft/client.h"
#include "weft/pipeline.h"

namespace weft::cli {
namespace {

// "tcp://HOST:PORT" (the scheme may be left out) → host and port.
absl::StatusOr<std::pair<std::string, int>> TcpAddress(const char* flag, const std::string& text) {
  absl::string_view rest = text;
  if (absl::StrContains(rest, "://") && !absl::ConsumePrefix(&rest, "tcp://")) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", text, ": only tcp://HOST:PORT is supported"));
  }
  auto split = SplitHostPort(rest);
  if (!split.ok())
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", split.status().message()));
  return split;
}

absl::StatusOr<Pipeline> BuildPipeline(const StreamFlags& flags) {
  auto source = TcpAddress("--source", flags.source);
  if (!source.ok()) return source.status();
  auto sink = TcpAddress("--sink", flags.sink);
  if (!sink.ok()) return sink.status();
  Record args;
  for (const std::string& arg : flags.args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat("--arg ", arg, ": expected NAME=VALUE"));
    }
    auto value = CommandLineValue(arg.substr(eq + 1));
    if (!value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--arg ", arg, ": ", value.status().message()));
    }
    args.emplace_back(arg.substr(0, eq), *std::move(value));
  }
  Pipeline pipeline(flags.function.substr(flags.function.rfind('.') + 1));
  pipeline.source(TcpSource{source->first, source->second})
      .to_stateful(BatchRows{flags.batch_rows, flags.header});
  if (!flags.stateful.empty()) {
    Value state;
    if (!flags.stateful_state.empty()) {
      auto value = CommandLineValue(flags.stateful_state);
      if (!value.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--stateful-state: ", value.status().message()));
      }
      state = *std::move(value);
    }
    pipeline.to_stateful(StatefulFunction{flags.stateful, std::move(state)});
  }
  pipeline.to_parallel(flags.function, std::move(args))
      .to_sink(TcpSink{sink->first, sink->second})
      .max_frame(flags.max_frame)
      .skip_bad_records(flags.skip_bad_records);
  absl::Status valid = pipeline.Validate();
  if (!valid.ok()) return valid;
  return pipeline;
}

std::string Progress(const PipelineHandle& handle, const PipelineStatus& status) {
  return absl::StrCat("pipeline ", handle.id(), ": ", PipelineStateName(status.state), "; ",
                      status.batches_in, " batches in, ", status.batches_out, " written (",
                      status.rows_out, " rows)",
                      status.records_skipped > 0
                          ? absl::StrCat("; ", status.records_skipped,
                                         " bad records skipped, the first: ", status.first_skipped)
                          : "");
}

}  // namespace

CLI::App* AddStreamCommand(CLI::App& app, StreamFlags* flags) {
  CLI::App* cmd = app.add_subcommand(
      "stream", "run a streaming pipeline: framed TCP source, batches, parallel step, sink");
  AddClusterFlags(cmd, &flags->cluster);
  cmd->add_option("--source", flags->source, "tcp://HOST:PORT the source listens on")->required();
  auto* batch_rows = cmd->add_option("--batch-rows", flags->batch_rows, "data rows per batch")
                         ->capture_default_str()
                         ->check(CLI::PositiveNumber);
  auto* header = cmd->add_flag("--header", flags->header,
                               "the first record is a CSV header, prepended to every batch");
  cmd->add_option("--parallel", flags->function,
                  "the function run on each batch, on every worker thread")
      ->required();
  cmd->add_option("--arg", flags->args, "NAME=VALUE for the function's args record (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--sink", flags->sink, "tcp://HOST:PORT the sink connects to")->required();
  cmd->add_option("--max-frame", flags->max_frame,
                  "the longest record accepted, in bytes (0: 64 MiB)")
      ->check(CLI::NonNegativeNumber);
  auto* stateful = cmd->add_option(
      "--stateful", flags->stateful,
      "a function(row, state) -> [state, [batch, ...]] as the stateful step, instead of "
      "--batch-rows (called with a null row at the end of input)");
  cmd->add_option("--stateful-state", flags->stateful_state,
                  "the stateful function's initial state (JSON, a number, or a string)")
      ->needs(stateful);
  stateful->excludes(batch_rows)->excludes(header);
  cmd->add_flag("--skip-bad-records", flags->skip_bad_records,
                "skip and count records the function fails on (each failing batch is run "
                "again row by row) and frames longer than --max-frame, instead of failing");
  return cmd;
}

int RunStream(const StreamFlags& flags) {
  const sigset_t stop_signals = BlockStopSignals();
  auto pipeline = BuildPipeline(flags);
  if (!pipeline.ok()) return ReportUsageError("stream", pipeline.status());
  auto client = ConnectFor(flags.cluster);
  if (!client.ok()) return ReportFailure(client.status());
  auto handle = (*client)->run_pipeline(*pipeline);
  if (!handle.ok()) return ReportFailure(handle.status());

  // Ctrl-C (SIGINT) or SIGTERM: stop the pipeline; the loop below sees it end.
  std::atomic<int> interrupted{0};
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    const timespec tick{0, 200 * 1000 * 1000};
    while (!finished.load()) {
      const int signal = sigtimedwait(&stop_signals, nullptr, &tick);
      if (signal <= 0) continue;
      interrupted.store(signal);
      std::fprintf(stderr, "weft stream: stopping pipeline %s\n", handle->id().c_str());
      handle->stop();
      return;
    }
  });
  PipelineStatus status = handle->status();
  std::fprintf(stderr, "%s\n", Progress(*handle, status).c_str());
  absl::Time last_line = absl::Now();
  while (!status.finished()) {
    PipelineStatus next = handle->next_status(status, absl::Seconds(2));
    const bool state_changed = next.state != status.state;
    const bool moved = next.batches_in != status.batches_in || next.rows_out != status.rows_out ||
                       next.records_skipped != status.records_skipped;
    status = next;
    if (state_changed || (moved && absl::Now() - last_line >= absl::Seconds(2))) {
      std::fprintf(stderr, "%s\n", Progress(*handle, status).c_str());
      last_line = absl::Now();
    }
    if (interrupted.load() != 0) {
      handle->wait(absl::Seconds(10)).IgnoreError();  // until the scheduler says stopped
      break;
    }
  }
  finished.store(true);
  watcher.join();
  if (interrupted.load() != 0) return 128 + interrupted.load();
  if (status.state == PipelineState::kDone) return 0;
  absl::Status outcome = handle->wait(absl::ZeroDuration());
  return ReportFailure(outcome.ok() ? absl::UnknownError("the pipeline ended unexpectedly")
                                    : outcome);
}

}  // namespace weft::cli
