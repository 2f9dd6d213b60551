// `weft shell [SCHEDULER_ADDRESS]`: an interactive session on a cluster (no address: a
// local one), as IPython with dask — name bags, persist them, query them.
//
//   weft> records = read_text("s3://bucket/2015-*.json.gz").parse_json()
//   weft> records = persist(records)
//   weft> records.count()
//   34753                                                   (1.2 ms)
//   weft> records.pluck("type").frequencies().topk(5, "1")
//
// The language is in shell_parser.h. Assignments store a lazy value and print nothing
// (persist() starts the work and returns at once); a bare expression is computed and its
// result printed — tables for lists, JSON for the rest — with the time it took. Errors
// (parse errors and unknown names or methods with their column, failed tasks) are printed
// and the session goes on.
//
// On a terminal: line editing and history (editline; saved to ~/.weft_history), and
// progress bars on stderr while a query runs. Otherwise (a script on stdin): plain lines,
// no prompt, and the exit code is 1 when any statement failed.
//
// Threading: Session is used from one thread (the REPL's).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/cli/shell_parser.h"
#include "weft/bag.h"
#include "weft/client.h"

namespace weft::cli {

struct ShellFlags {
  std::string scheduler;  // empty: a local cluster
  int n_workers = 2;
  int threads_per_worker = 1;
  std::string history_file;  // empty: ~/.weft_history
};

int RunShell(const ShellFlags& flags);

namespace shell {

// What a name or an expression stands for: a lazy Bag, a lazy Item (count()), or a value
// already computed (take(), literals).
struct Object {
  enum class Kind { kValue, kBag, kItem };
  Kind kind = Kind::kValue;
  Value value;
  std::optional<Bag> bag;
  std::optional<Item> item;
  std::vector<std::string> headers;  // column names when shown as a table
  std::string path;                  // the last pluck(), to name columns
  bool persisted = false;
  bool as_json = false;  // a list shown as JSON, not as a table (first())

  static Object Of(Value v) { return Object{Kind::kValue, std::move(v)}; }
  static Object Of(Bag b);
  static Object Of(Item i);
  const char* type_name() const;  // "bag", "item", "list", "int", ...
};

// The evaluator: names → objects, one statement at a time. No terminal I/O; progress bars
// go to `progress_out` when given (nullptr: none).
class Session {
 public:
  struct Reply {
    std::string output;  // the result (or error message); may be empty
    bool error = false;
    int error_column = 0;                   // > 0: where on the line the error is
    std::optional<absl::Duration> elapsed;  // set for queries
    bool quit = false;
  };

  explicit Session(Client& client, std::ostream* progress_out = nullptr);

  Reply Execute(const std::string& line);
  // The reply as printed: the output, then the time — on the same line for a one-line
  // result ("34753      (1.2 ms)"), else on a line of its own; errors as "error: ...".
  static std::string Format(const Reply& reply);

  // The names defined so far, sorted.
  std::vector<std::string> names() const;

 private:
  absl::StatusOr<Object> Evaluate(const Expr& expr);
  absl::StatusOr<Object> Call(const Expr& expr, const Object* self);
  absl::StatusOr<std::string> Show(const Object& object);
  // Runs `compute`, drawing progress bars meanwhile when there is a progress_out_.
  absl::StatusOr<Value> Run(const std::function<absl::StatusOr<Value>()>& compute);
  absl::Status Wait(const Object& bag);
  std::string ListBags() const;

  Client& client_;
  std::ostream* progress_out_;
  std::map<std::string, Object> names_;

  friend struct Builtins;
};

// The help text: commands, functions and methods with their arguments; with a topic, that
// function's or method's (kNotFound for an unknown one).
absl::StatusOr<std::string> HelpText(const std::string& topic = "");

}  // namespace shell
}  // namespace weft::cli
