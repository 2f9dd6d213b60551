// The terminal side of `weft shell`: reading lines (editline on a terminal, plain lines
// otherwise), completing words, printing replies, keeping the history, and Ctrl-C. The
// evaluation is Session's.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

// editline's readline() compatible API (libedit).
#include <editline/readline.h>

#include "absl/time/clock.h"
#include "client/cli/output.h"
#include "client/cli/shell.h"
#include "client/cli/shell_complete.h"
#include "client/cli/shell_interrupt.h"

namespace weft::cli {
namespace {

constexpr int kHistoryLines = 1000;

std::string HistoryPath(const ShellFlags& flags) {
  if (!flags.history_file.empty()) return flags.history_file;
  const char* home = std::getenv("HOME");
  return home == nullptr ? "" : std::string(home) + "/.weft_history";
}

// ---------------------------------------------------------------------------
// Completion: readline's callbacks are plain functions, so they reach the session through
// this pointer (the REPL's thread only; set while a LineReader with completion lives).

const shell::Session* completing_session = nullptr;
std::vector<std::string> pending_candidates;  // what CandidateAt hands out

char* CandidateAt(const char* /*text*/, int state) {
  if (state < 0 || static_cast<size_t>(state) >= pending_candidates.size()) return nullptr;
  return strdup(pending_candidates[state].c_str());  // readline frees it
}

// rl_attempted_completion_function: `text` is the word before the cursor, as cut by the
// break characters below (which end an identifier, as shell_complete.h's words do).
char** CompleteWord(const char* text, int /*start*/, int end) {
  rl_attempted_completion_over = 1;  // ours or nothing: no file names
  if (completing_session == nullptr) return nullptr;
  const std::string line(rl_line_buffer, static_cast<size_t>(end));
  const shell::Session& session = *completing_session;
  shell::Completion c = shell::Complete(
      line, session.names(), [&session](const std::string& n) { return session.TypeOf(n); });
  if (c.candidates.empty() || line.substr(c.start) != text) return nullptr;
  pending_candidates = std::move(c.candidates);
  rl_completion_append_character = c.callable ? '(' : '\0';
  return rl_completion_matches(text, CandidateAt);
}

// What is typed while a query runs (and in the moment before editline takes the terminal
// at a prompt: it prints the prompt first) is kept as the keys themselves, for the next
// prompt's editor: no echo, no line buffering. In the terminal's own line mode a Ctrl-D
// typed ahead becomes an end-of-file mark that the switch to the editor's mode drops, and
// every key typed ahead is echoed twice. Signals (Ctrl-C) stay on. The terminal's modes
// are restored when this object goes.
class TypeaheadMode {
 public:
  TypeaheadMode() : saved_(::tcgetattr(0, &original_) == 0) {}
  ~TypeaheadMode() {
    if (saved_) ::tcsetattr(0, TCSANOW, &original_);
  }
  void Enter() {
    if (!saved_) return;
    struct termios quiet = original_;
    quiet.c_lflag &= ~(ICANON | ECHO);
    quiet.c_cc[VMIN] = 1;
    quiet.c_cc[VTIME] = 0;
    ::tcsetattr(0, TCSANOW, &quiet);  // TCSANOW: not after output drains
  }

 private:
  struct termios original_;
  const bool saved_;
};

constexpr char kWordBreaks[] = " \t\n\"'`@$><=;|&{([,.)]}:+-*/%!#";

// One line at a time from stdin: editline with history on a terminal, getline otherwise.
class LineReader {
 public:
  LineReader(bool interactive, std::string history, const shell::Session& session)
      : interactive_(interactive), history_(std::move(history)) {
    if (!interactive_) return;
    rl_readline_name = "weft";
    // Before using_history(), which initialises the editor with it: keys are read so
    // that a Ctrl-C ends the read at once (shell_interrupt.h).
    rl_getc_function = shell::InterruptibleGetc;
    using_history();
    stifle_history(kHistoryLines);
    if (!history_.empty()) read_history(history_.c_str());
    completing_session = &session;
    rl_attempted_completion_function = CompleteWord;
    rl_basic_word_break_characters = kWordBreaks;
    rl_completer_word_break_characters = const_cast<char*>(kWordBreaks);
    // libedit's readline binds it already; said here so that it is part of the contract.
    rl_parse_and_bind("bind ^R em-inc-search-prev");
  }
  ~LineReader() {
    if (interactive_) completing_session = nullptr;
  }

  // nullopt at the end of the input (Ctrl-D), and on an interrupt at the prompt (Ctrl-C:
  // TakeInterrupt() tells which).
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
    // Ctrl-C ends the read with what was typed so far: that line is dropped.
    if (shell::InterruptPending()) return std::nullopt;
    if (line.find_first_not_of(" \t") != std::string::npos) {
      add_history(line.c_str());
      // Saved after every line, so that a session that is killed keeps its history.
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
  options.worker_args = flags.worker_args;
  if (interactive && flags.scheduler.empty()) std::cerr << "starting a local cluster...\n";
  absl::StatusOr<std::unique_ptr<Client>> connected = Client::Connect(options);
  if (!connected.ok()) {
    std::cerr << "weft: " << connected.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<Client> client = *std::move(connected);
  if (interactive) {
    auto info = client->info();
    std::cout << "weft shell on " << (info.ok() ? info->ToString() : client->scheduler_address())
              << "\ntype help for the language, TAB to complete, quit or Ctrl-D to leave\n";
    // From here Ctrl-C is the shell's: it stops a query, or drops the line being typed.
    shell::InstallInterruptHandler();
  }
  // Progress bars only where a person watches them redrawn.
  auto session = std::make_unique<shell::Session>(
      *client, ::isatty(2) == 1 ? &std::cerr : nullptr,
      interactive ? shell::Session::InterruptCheck(shell::InterruptPending) : nullptr);
  bool failed = false;
  {
    LineReader reader(interactive, HistoryPath(flags), *session);
    std::optional<TypeaheadMode> typeahead;
    if (interactive) typeahead.emplace();
    constexpr char kPrompt[] = "weft> ";
    while (true) {
      shell::TakeInterrupt();  // one that came after the last query finished is spent
      if (typeahead) typeahead->Enter();
      std::optional<std::string> line = reader.Read(kPrompt);
      if (typeahead) typeahead->Enter();  // readline() gave the terminal its line mode back
      if (!line) {
        if (!shell::TakeInterrupt()) break;  // the end of the input
        std::cout << "^C\n" << std::flush;   // the half-typed line is dropped
        continue;
      }
      shell::Session::Reply reply = session->Execute(*line);
      if (reply.error && interactive && reply.error_column > 0) {
        std::cout << std::string(sizeof(kPrompt) - 1 + reply.error_column - 1, ' ') << "^\n";
      }
      if (reply.interrupted) std::cout << "^C\n";
      std::cout << shell::Session::Format(reply) << std::flush;
      failed |= reply.error;
      if (reply.quit) break;
    }
  }
  if (interactive) std::cout << "\n";
  // The client goes first: queries an interrupt left waiting then return at once, and
  // the session's destructor joins them.
  client.reset();
  session.reset();
  return failed && !interactive ? 1 : 0;
}

}  // namespace weft::cli
