#include "logging.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace weft {
namespace {

constexpr char kLoggerName[] = "weft";

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

}  // namespace

void InitLogging(const std::string& role, const std::string& level) {
  // Colors only when stderr is a terminal (spdlog checks), so files and pipes stay clean.
  // Built directly rather than with spdlog::stderr_color_mt, which throws when a logger
  // of that name exists: InitLogging may run again (tests) and replaces the default.
  auto logger = std::make_shared<spdlog::logger>(
      kLoggerName, std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  // The role is literal text in the pattern: escape spdlog's '%'.
  const std::string escaped_role = absl::StrReplaceAll(role, {{"%", "%%"}});
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [" + escaped_role + "] %^%l%$ %v");
  logger->set_level(ParseLevel(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace weft
