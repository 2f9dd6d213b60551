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
// Grammar (Python's expression operators, with Python's precedence, loosest first):
//   statement  := COMMAND | NAME '=' expr | expr | (empty)
//   expr       := or [('<' | '<=' | '>' | '>=' | '==' | '!=') or]   (no chains: a < b < c
//                                                                   is an error)
//   or         := xor ('|' xor)*
//   xor        := and ('^' and)*
//   and        := sum ('&' sum)*
//   sum        := term (('+' | '-') term)*
//   term       := unary (('*' | '/' | '//' | '%' | '@') unary)*
//   unary      := ('-' | '+' | '~') unary | power
//   power      := postfix ['**' unary]                (right-associative: -2**2 is -4)
//   postfix    := primary ('.' NAME '(' args ')' | '.' NAME | '[' subscripts ']')*
//   primary    := NAME | NAME '(' args ')' | NAMESPACE '.' NAME '(' args ')' | literal
//               | '(' expr ')' | '(' ')' | '(' expr ',' [expr (',' expr)*] [','] ')'
//   subscripts := subscript (',' subscript)*   subscript := expr | [expr] ':' [expr] [':' [expr]]
//   args       := [arg (',' arg)*]          arg := [NAME '='] expr
//   literal    := STRING | NUMBER | true | false | True | False | null | None
//               | '[' [literal (',' literal)*] ']'
//               | '{' [STRING ':' literal (',' STRING ':' literal)*] '}'
// NAMESPACE is `random` (random.uniform(...), random.normal(...)): the call is one function
// whose name has a dot. A tuple is a list: `(3, 4)` and `(3,)` of literals are list
// literals; a tuple of other expressions is a kList expression. A list literal holds
// literals only, except as an argument of concatenate() (kConcatenateLists), whose list
// holds expressions (arrays): `concatenate([a, b], axis=0)`. `-` before a number literal
// folds into it (-3 is a literal, as in lists and JSON).
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

// One item of a subscript `x[...]`: an index expression, or a slice whose parts are
// each optional (null when left out: `x[::2]`).
struct Subscript {
  bool is_slice = false;
  ExprPtr index;  // !is_slice
  ExprPtr start, stop, step;
  int column = 0;
};

struct Expr {
  enum class Kind {
    kLiteral,    // literal (a list literal holds only literals, folded)
    kName,       // name
    kCall,       // name(args...), namespace.name(args...)
    kMethod,     // receiver.name(args...)
    kAttribute,  // receiver.name
    kSubscript,  // receiver[subscripts...]
    kBinary,     // operands[0] op operands[1]
    kUnary,      // op operands[0]
    kList,       // (a, b) or concatenate's [a, b]: operands are the items
  };
  Kind kind = Kind::kLiteral;
  // Where the literal, name, method or attribute name, operator or '[' starts (1-based).
  int column = 0;
  Value literal;
  std::string name;
  ExprPtr receiver;  // kMethod, kAttribute, kSubscript
  std::vector<Argument> args;
  std::string op;                     // kBinary, kUnary: "+", "**", "<=", ...
  std::vector<ExprPtr> operands;      // kBinary (2), kUnary (1), kList (the items)
  std::vector<Subscript> subscripts;  // kSubscript
  bool tuple = false;                 // kList: written (a, b), not [a, b]

  // The expression as the user would write it, normalised ("x.count()", "(a + 1) * b").
  std::string ToString() const;
};

// The calls whose list arguments hold expressions, not only literals (see the grammar).
inline constexpr const char* kConcatenateLists = "concatenate";
// The namespaces of dotted function names.
inline constexpr const char* kNamespaces[] = {"random"};

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
