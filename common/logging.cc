#include "logging.h"

#include <atomic>
#include <memory>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "grpc/support/log.h"
#include "spdlog/sinks/ringbuffer_sink.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace weft {
namespace {

constexpr char kLoggerName[] = "weft";

// The in-memory tail, replaced by each InitLogging; shared with RecentLogLines.
std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt>& RecentSink() {
  static auto* sink = new std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt>();
  return *sink;
}

spdlog::level::level_enum ParseLevel(const std::string& text) {
  const std::string level = absl::AsciiStrToLower(text);
  if (level == "trace") return spdlog::level::trace;
  if (level == "debug") return spdlog::level::debug;
  if (level == "warning" || level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  if (level == "critical") return spdlog::level::critical;
  if (level == "off") return spdlog::level::off;
  return spdlog::level::info;
}

// gpr_log's sink (see the header): a line of this process's log, "grpc: MESSAGE [FILE:LINE]".
void LogGrpcLine(gpr_log_func_args* args) {
  const std::string_view file = args->file != nullptr ? args->file : "";
  const std::string_view base = file.substr(file.rfind('/') + 1);  // npos + 1: all of it
  const std::string_view message = args->message != nullptr ? args->message : "";
  const spdlog::level::level_enum level =
      message.rfind("assertion failed", 0) == 0 ? spdlog::level::err : spdlog::level::debug;
  spdlog::log(level, "grpc: {} [{}:{}]", message, base, args->line);
}

}  // namespace

void InitLogging(const std::string& role, const std::string& level) {
  // Colors only when stderr is a terminal (spdlog checks), so files and pipes stay clean.
  // Built directly rather than with spdlog::stderr_color_mt, which throws when a logger
  // of that name exists: InitLogging may run again (tests) and replaces the default.
  auto recent = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(kRecentLogLines);
  spdlog::sinks_init_list sinks = {std::make_shared<spdlog::sinks::stderr_color_sink_mt>(), recent};
  auto logger = std::make_shared<spdlog::logger>(kLoggerName, sinks);
  // The role is literal text in the pattern: escape spdlog's '%'.
  const std::string escaped_role = absl::StrReplaceAll(role, {{"%", "%%"}});
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [" + escaped_role + "] %^%l%$ %v");
  logger->set_level(ParseLevel(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  std::atomic_store(&RecentSink(), recent);
  gpr_set_log_function(&LogGrpcLine);
}

std::vector<std::string> RecentLogLines(size_t n) {
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink = std::atomic_load(&RecentSink());
  if (sink == nullptr) return {};
  std::vector<std::string> lines = sink->last_formatted(n);
  for (std::string& line : lines) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  }
  return lines;
}

}  // namespace weft
