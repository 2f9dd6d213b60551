// Logging for every weft process: spdlog underneath, one global logger writing to
// stderr with the process's role in each line ("[scheduler]", "[worker w1]").
//
// Threading: the logger is thread-safe; InitLogging is called once from main.
#pragma once

#include <string>

#include "spdlog/spdlog.h"

namespace weft {

// level: "debug", "info", "warning", "error"; unknown strings mean "info".
void InitLogging(const std::string& role, const std::string& level = "info");

}  // namespace weft

#define WEFT_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define WEFT_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define WEFT_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define WEFT_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
