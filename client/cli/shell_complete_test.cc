#include "client/cli/shell_complete.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "absl/strings/str_split.h"
#include "client/cli/shell.h"
#include "worker/bag/expr.h"

using weft::cli::shell::Complete;
using weft::cli::shell::Completion;
using weft::cli::shell::ExpressionFunctionNames;
using weft::cli::shell::MethodNames;
using Words = std::vector<std::string>;

namespace {

// A session that defines `records` (a bag), `n` (an item), `rows` (a list) and `x` (an
// array).
Completion At(const std::string& line) {
  const Words names = {"n", "records", "rows", "x"};
  return Complete(line, names, [](const std::string& name) -> std::string {
    if (name == "records") return "bag";
    if (name == "x") return "array";
    if (name == "n") return "item";
    if (name == "rows") return "list";
    return "";
  });
}

Words CandidatesAt(const std::string& line) { return At(line).candidates; }

}  // namespace

TEST_CASE("a defined name, and the functions and commands at the start of a line") {
  CHECK(CandidatesAt("rec") == Words{"records"});
  CHECK(At("rec").start == 0);
  CHECK_FALSE(At("rec").callable);
  CHECK(CandidatesAt("r") == Words{"random", "read_text", "records", "rows"});
  CHECK(CandidatesAt("read_t") == Words{"read_text"});
  CHECK(At("read_t").callable);
  CHECK(CandidatesAt("qu") == Words{"quit"});
  CHECK(CandidatesAt("  he") == Words{"help"});
}

TEST_CASE("inside an expression: names and functions, not commands") {
  CHECK(CandidatesAt("x = rec") == Words{"records"});
  CHECK(At("x = rec").start == 4);
  CHECK(CandidatesAt("concat(records, ro") == Words{"rows"});
  CHECK(CandidatesAt("x = from_seq") == Words{"from_sequence"});
  CHECK(CandidatesAt("x = qu").empty());
}

TEST_CASE("methods after a dot: the receiver's type's when it is a defined name") {
  Completion c = At("records.fil");
  CHECK(c.candidates == Words{"filter"});
  CHECK(c.start == 8);
  CHECK(c.callable);
  CHECK(CandidatesAt("records.reduce") == Words{"reduce_by_key"});
  CHECK(CandidatesAt("n.") == Words{"compute"});  // an item has one method
  CHECK(CandidatesAt("rows.").empty());           // a list has none
  // After a call the type is not known: every bag and item method.
  CHECK(CandidatesAt("records.pluck(\"type\").freq") == Words{"frequencies"});
  CHECK(CandidatesAt("x = records.filter('type == \"A\"').cou") ==
        Words{"count", "count_by_key", "count_nonzero"});
  // Every method the evaluator dispatches is offered: the list is the evaluator's.
  Words bag_methods = MethodNames("bag");
  std::sort(bag_methods.begin(), bag_methods.end());
  CHECK(CandidatesAt("records.") == bag_methods);
  CHECK(MethodNames("bag").size() > 20);
}

TEST_CASE("inside a string: the expression language's functions, not paths or literals") {
  CHECK(CandidatesAt("records.filter('starts_") == Words{"starts_with"});
  CHECK(At("records.filter('starts_").callable);
  CHECK(CandidatesAt("records.map(\"low") == Words{"lower"});
  CHECK(CandidatesAt("records.filter('repo.na").empty());                      // a path
  CHECK(CandidatesAt("records.filter('starts_with(repo.name, \"lo").empty());  // a literal
  CHECK(CandidatesAt("records.filter(\"x == \\\"lo").empty());                 // \" in "..."
  CHECK(CandidatesAt("records.filter('type == \"a\" and ex") == Words{"exists"});
  CHECK(CandidatesAt("x = 'a' # rec").empty());  // a comment
}

TEST_CASE("help completes functions and methods") {
  CHECK(CandidatesAt("help read") == Words{"read_text"});
  CHECK(CandidatesAt("help fla") == Words{"flatten"});
}

TEST_CASE("the expression functions offered are the workers' own") {
  // The workers' parser lists what it knows when it meets an unknown function.
  auto parsed = weft::bag::Expr::Parse("no_such_function(1)");
  REQUIRE_FALSE(parsed.ok());
  const std::string message(parsed.status().message());
  const size_t known = message.find("(known: ");
  REQUIRE(known != std::string::npos);
  const size_t end = message.find(')', known);
  REQUIRE(end != std::string::npos);
  const Words theirs = absl::StrSplit(message.substr(known + 8, end - known - 8), ", ");
  CHECK(theirs == ExpressionFunctionNames());
}

TEST_CASE("arrays: functions, namespaced functions, methods and attributes") {
  CHECK(CandidatesAt("y = ara") == Words{"arange"});
  CHECK(At("y = ara").callable);
  CHECK(CandidatesAt("y = random.uni") == Words{"uniform"});
  CHECK(CandidatesAt("random.") == Words{"normal", "uniform"});
  CHECK(CandidatesAt("y = rand") == Words{"random"});
  CHECK_FALSE(At("y = rand").callable);  // a '.' follows a namespace
  CHECK(CandidatesAt("y = conc") == Words{"concat", "concatenate"});
  CHECK(CandidatesAt("x.su") == Words{"sum"});
  CHECK(At("x.su").callable);
  CHECK(CandidatesAt("x.sh") == Words{"shape"});
  CHECK_FALSE(At("x.sh").callable);  // an attribute: no '('
  CHECK(CandidatesAt("x.count_") == Words{"count_nonzero"});
  CHECK(CandidatesAt("(x + 1).as") == Words{"astype"});  // any receiver's
  CHECK(CandidatesAt("help lins") == Words{"linspace"});
}
