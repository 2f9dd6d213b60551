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
// On a terminal: line editing and history (editline; saved to ~/.weft_history), TAB
// completion of names, functions and methods (shell_complete.h), Ctrl-R to search the
// history, and progress bars on stderr while a query runs. Ctrl-C cancels the running
// query and returns to the prompt (the names stay defined); at the prompt it drops the
// line; Ctrl-D leaves. Otherwise (a script on stdin): plain lines, no prompt, Ctrl-C ends
// the process, and the exit code is 1 when any statement failed.
//
// Threading: Session is used from one thread (the REPL's). With an interrupt check, a
// query that cannot be cancelled (take, first, to_textfiles, read_text's listing) runs on
// a thread of its own, left to finish in the background when interrupted.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/cli/shell_parser.h"
#include "weft/array.h"
#include "weft/bag.h"
#include "weft/client.h"

namespace weft::cli {

struct ShellFlags {
  std::string scheduler;  // empty: a local cluster
  int n_workers = 2;
  int threads_per_worker = 1;
  std::string history_file;              // empty: ~/.weft_history
  std::vector<std::string> worker_args;  // more flags for the local cluster's weft-workers
};

int RunShell(const ShellFlags& flags);

namespace shell {

// What a name or an expression stands for: a lazy Bag, a lazy Item (count()), a lazy
// Array, an array computed here (compute()), a tuple holding some of those ((a, b)), or a
// value already computed (take(), literals, arithmetic on numbers).
struct Object {
  enum class Kind { kValue, kBag, kItem, kArray, kLocalArray, kSequence };
  // How a value is printed: lists as a table, or as JSON (first()); or as Python prints
  // it (numbers and their arithmetic: 3.5, True; lists as tuples: x.shape is (15,)); or
  // a string as its text (x.graph(), x.dtype).
  enum class Display { kTable, kJson, kPython, kText };
  Kind kind = Kind::kValue;
  Value value;
  std::optional<Bag> bag;
  std::optional<Item> item;
  std::optional<Array> array;
  std::optional<LocalArray> local;
  std::vector<Object> items;         // kSequence
  std::vector<std::string> headers;  // column names when shown as a table
  std::string path;                  // the last pluck(), to name columns
  bool persisted = false;
  Display display = Display::kTable;

  static Object Of(Value v, Display display = Display::kTable) {
    Object o{Kind::kValue, std::move(v)};
    o.display = display;
    return o;
  }
  static Object Of(Bag b);
  static Object Of(Item i);
  static Object Of(Array a);
  static Object Of(LocalArray a);
  const char* type_name() const;  // "bag", "item", "array", "list", "int", ...
};

// The evaluator: names → objects, one statement at a time. No terminal I/O; progress bars
// go to `progress_out` when given (nullptr: none).
class Session {
 public:
  struct Reply {
    std::string output;  // the result (or error message); may be empty
    bool error = false;
    bool interrupted = false;               // the query was stopped by an interrupt (Ctrl-C)
    int error_column = 0;                   // > 0: where on the line the error is
    std::optional<absl::Duration> elapsed;  // set for queries
    bool quit = false;
  };

  // Polled while a query waits on the cluster: true when the user asked to stop it. Must
  // be cheap and thread-safe (a flag set by a signal handler, shell_interrupt.h).
  using InterruptCheck = std::function<bool()>;

  // Without `interrupted`, queries block until they are done. With it, a query whose
  // check turns true stops waiting within ~20 ms: its futures are cancelled (or, for a
  // bag, the persisted partitions released), so the cluster stops the work nobody else
  // holds, and the reply says `interrupted`. Names defined earlier are kept.
  explicit Session(Client& client, std::ostream* progress_out = nullptr,
                   InterruptCheck interrupted = nullptr);
  // Joins the queries an interrupt left running in the background. They end once their
  // work does, or at once when the Client was destroyed first (their waits then fail).
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Reply Execute(const std::string& line);
  // The reply as printed: the output, then the time — on the same line for a one-line
  // result ("34753      (1.2 ms)"), else on a line of its own; errors as "error: ...".
  static std::string Format(const Reply& reply);

  // The names defined so far, sorted.
  std::vector<std::string> names() const;
  // What `name` holds ("bag", "item", "int", ...; Object::type_name), or "" when it is
  // not defined.
  std::string TypeOf(const std::string& name) const;

 private:
  absl::StatusOr<Object> Evaluate(const Expr& expr);
  absl::StatusOr<Object> Call(const Expr& expr, const Object* self);
  // shell_ops.cc: a op b, op a, x.name, x[...], (a, b).
  absl::StatusOr<Object> Operator(const Expr& expr);
  absl::StatusOr<Object> Attribute(const Expr& expr);
  absl::StatusOr<Object> Subscript(const Expr& expr);
  absl::StatusOr<Object> Sequence(const Expr& expr);
  absl::StatusOr<std::string> Show(const Object& object);
  // An array printed: computed when it is small, else its summary (shell_array.cc).
  absl::StatusOr<std::string> ShowArray(const Array& array);
  // Every chunk of `array`, assembled here; given up on an interrupt.
  absl::StatusOr<LocalArray> ComputeArray(const Array& array);
  // Runs `compute` (which must own what it uses: on an interrupt it is left running on
  // its thread and outlives this call), drawing progress bars meanwhile when there is a
  // progress_out_.
  template <typename T>
  absl::StatusOr<T> Run(std::function<absl::StatusOr<T>()> compute);
  // Every item of `bag` / the value of `item`, cancelled on an interrupt.
  absl::StatusOr<ValueList> ComputeBag(const Bag& bag);
  absl::StatusOr<Value> ComputeItem(const Item& item);
  // Until every partition of a persisted bag is done, or an interrupt (kCancelled).
  absl::Status AwaitPartitions(const Bag& persisted);
  absl::Status Wait(const Object& bag);
  // Draws progress bars while `work` runs, when there is a progress_out_.
  absl::Status WithProgress(const std::function<absl::Status()>& work);
  // kCancelled for a query stopped by an interrupt; Execute marks the reply so.
  absl::Status Interrupted(const std::string& what);
  bool interrupt_requested() const { return interrupted_ != nullptr && interrupted_(); }
  std::string ListBags() const;

  Client& client_;
  std::ostream* progress_out_;
  const InterruptCheck interrupted_;
  std::map<std::string, Object> names_;
  bool stopped_by_interrupt_ = false;  // the current statement's query was interrupted
  // Queries an interrupt stopped waiting for (joined by the destructor).
  std::vector<std::thread> background_;

  friend struct Builtins;
};

// The help text: commands, functions and methods with their arguments; with a topic, that
// function's or method's (kNotFound for an unknown one).
absl::StatusOr<std::string> HelpText(const std::string& topic = "");

// The words of the language, from the tables the evaluator dispatches on (for
// completion): the functions (read_text, ...), the methods of an object of type `owner`
// ("bag", "item", "array"; none for others), and the commands (help, bags, quit, exit).
// AttributeNames: those of an object of type `owner` (an array's shape, dtype, ...).
std::vector<std::string> FunctionNames();
std::vector<std::string> MethodNames(const std::string& owner);
std::vector<std::string> CommandNames();
std::vector<std::string> AttributeNames(const std::string& owner);

}  // namespace shell
}  // namespace weft::cli
