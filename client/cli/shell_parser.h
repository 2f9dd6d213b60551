// The language of `weft shell`: one statement per line, the Python-like subset a dask user
// types into IPython.
//
//   records = read_text("s3://bucket/2015-*.json.gz").parse_json()   assignment
//   records = persist(records)                                         function call
//   records.pluck("type").frequencies().topk(5, "1")                   method chain
//   from_sequence([1, 2, 3], npartitions=2).count()                    list, keyword argument
//   from_sequence([{"user": "a", "n": 1}]).to_pairs("user", "n")       record literal
//   help   bags   quit   exit                                          commands
//   # a comment (to the end of the line)
//
// Grammar:
//   statement := COMMAND | NAME '=' expr | expr | (empty)
//   expr      := primary ('.' NAME '(' args ')')*
//   primary   := NAME | NAME '(' args ')' | literal | '(' expr ')'
//   args      := [arg (',' arg)*]          arg := [NAME '='] expr
//   literal   := STRING | NUMBER | true | false | null | None
//              | '[' [literal (',' literal)*] ']'
//              | '{' [STRING ':' literal (',' STRING ':' literal)*] '}'
// Strings take "double" or 'single' quotes with backslash escapes (\" \' \\ \/ \b \f \n \r
// \t, and \uXXXX with UTF-16 surrogate pairs, written as UTF-8); numbers are integers or
// decimals, optionally negative. So every JSON text is a literal: objects become records
// (field order kept), arrays lists.
//
// Parse errors are kInvalidArgument with the message "column N: ...", N counting from 1.
//
// Threading: pure functions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "weft/value.h"

namespace weft::cli::shell {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Argument {
  std::string keyword;  // empty for a positional argument
  ExprPtr value;
  int column = 0;
};

struct Expr {
  enum class Kind {
    kLiteral,  // literal (a list literal holds only literals, folded)
    kName,     // name
    kCall,     // name(args...)
    kMethod,   // receiver.name(args...)
  };
  Kind kind = Kind::kLiteral;
  int column = 0;  // where the literal, name, or method name starts (1-based)
  Value literal;
  std::string name;
  ExprPtr receiver;  // kMethod
  std::vector<Argument> args;

  // The expression as the user would write it, normalised ("x.count()").
  std::string ToString() const;
};

struct Statement {
  enum class Kind { kEmpty, kExpr, kAssign, kHelp, kBags, kQuit };
  Kind kind = Kind::kEmpty;
  std::string target;  // kAssign
  ExprPtr expr;        // kExpr, kAssign
  std::string topic;   // kHelp: `help NAME` (empty: everything)
};

absl::StatusOr<Statement> Parse(const std::string& line);

// `text` as one literal and nothing else (a JSON text, or the shell's own literal syntax):
// what `weft bag --sequence` reads. Errors as Parse's.
absl::StatusOr<Value> ParseLiteral(const std::string& text);

}  // namespace weft::cli::shell
