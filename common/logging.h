// Logging for every weft process: spdlog underneath, one global logger writing to
// stderr with the process's role in each line ("[scheduler]", "[worker w1]"). The last
// kRecentLogLines lines are also kept in memory, for RecentLogLines (a worker's log tail
// on the dashboard and in Client::get_worker_logs).
//
// gRPC's own log lines (gpr_log: "E1128 12:00:00.000 ... ssl_transport_security.cc:1934]
// No match found for server name: 127.0.0.1.") go to the same logger once InitLogging has
// run, at debug level: weft says what they mean in its own words where it matters (a
// worker refused at registration, a peer that cannot be reached, credentials refused),
// and a raw line beside that message only confuses. Its "assertion failed" lines, which
// precede an abort, stay errors. gRPC passes on only what GRPC_VERBOSITY lets through
// (errors by default).
//
// Threading: the logger is thread-safe; InitLogging is called once from main.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "spdlog/spdlog.h"

namespace weft {

// level: "debug", "info", "warning", "error"; unknown strings mean "info".
void InitLogging(const std::string& role, const std::string& level = "info");

inline constexpr size_t kRecentLogLines = 1000;

// The last `n` lines logged since InitLogging (at most kRecentLogLines), oldest first,
// formatted as on stderr; empty before InitLogging. Thread-safe.
std::vector<std::string> RecentLogLines(size_t n);

}  // namespace weft

#define WEFT_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define WEFT_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define WEFT_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define WEFT_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
