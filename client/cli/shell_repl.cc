// The terminal side of `weft shell`: reading lines (editline on a terminal, plain lines
// otherwise), printing replies, keeping the history. The evaluation is Session's.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

// editline's readline() compatible API (libedit).
#include <editline/readline.h>

#include "absl/time/clock.h"
#include "client/cli/output.h"
#include "client/cli/shell.h"

namespace weft::cli {
namespace {

constexpr int kHistoryLines = 1000;

std::string HistoryPath(const ShellFlags& flags) {
  if (!flags.history_file.empty()) return flags.history_file;
  const char* home = std::getenv("HOME");
  return home == nullptr ? "" : std::string(home) + "/.weft_history";
}

// One line at a time from stdin: editline with history on a terminal, getline otherwise.
class LineReader {
 public:
  LineReader(bool interactive, std::string history)
      : interactive_(interactive), history_(std::move(history)) {
    if (!interactive_) return;
    rl_readline_name = "weft";
    using_history();
    stifle_history(kHistoryLines);
    if (!history_.empty()) read_history(history_.c_str());
  }

  // nullopt at the end of the input (Ctrl-D).
  std::optional<std::string> Read(const char* prompt) {
    if (!interactive_) {
      std::string line;
      if (!std::getline(std::cin, line)) return std::nullopt;
      return line;
    }
    char* raw = readline(prompt);
    if (raw == nullptr) return std::nullopt;
    std::string line(raw);
    std::free(raw);
    if (line.find_first_not_of(" \t") != std::string::npos) {
      add_history(line.c_str());
      // Saved after every line, so that a session killed by Ctrl-C keeps its history.
      if (!history_.empty()) write_history(history_.c_str());
    }
    return line;
  }

 private:
  const bool interactive_;
  const std::string history_;
};

}  // namespace

int RunShell(const ShellFlags& flags) {
  const bool interactive = ::isatty(0) == 1;
  ClientOptions options;
  options.address = flags.scheduler;
  options.n_workers = flags.n_workers;
  options.threads_per_worker = flags.threads_per_worker;
  if (interactive && flags.scheduler.empty()) std::cerr << "starting a local cluster...\n";
  auto client = Client::Connect(options);
  if (!client.ok()) {
    std::cerr << "weft: " << client.status().message() << "\n";
    return 1;
  }
  if (interactive) {
    auto info = (*client)->info();
    std::cout << "weft shell on " << (info.ok() ? info->ToString() : (*client)->scheduler_address())
              << "\ntype help for the language, quit or Ctrl-D to leave\n";
  }
  // Progress bars only where a person watches them redrawn.
  shell::Session session(**client, ::isatty(2) == 1 ? &std::cerr : nullptr);
  LineReader reader(interactive, HistoryPath(flags));
  constexpr char kPrompt[] = "weft> ";
  bool failed = false;
  while (std::optional<std::string> line = reader.Read(kPrompt)) {
    shell::Session::Reply reply = session.Execute(*line);
    if (reply.error && interactive && reply.error_column > 0) {
      std::cout << std::string(sizeof(kPrompt) - 1 + reply.error_column - 1, ' ') << "^\n";
    }
    std::cout << shell::Session::Format(reply) << std::flush;
    failed |= reply.error;
    if (reply.quit) break;
  }
  if (interactive) std::cout << "\n";
  return failed && !interactive ? 1 : 0;
}

}  // namespace weft::cli
