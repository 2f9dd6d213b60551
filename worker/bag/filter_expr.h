// The predicate language of Bag.filter, parsed once per call by a small recursive-descent
// parser and evaluated either on dictionary-encoded columns (each leaf once per distinct
// value) or on single Values.
//
// Grammar (keywords are lowercase):
//   expr       := and_expr ( ("or" | "||") and_expr )*
//   and_expr   := unary ( ("and" | "&&") unary )*
//   unary      := ("not" | "!") unary | primary
//   primary    := "(" expr ")"
//               | ("starts_with" | "ends_with" | "contains") "(" field "," literal ")"
//               | "exists" "(" field ")"
//               | operand ("==" | "!=" | "<" | "<=" | ">" | ">=") operand
//   field      := path | string            e.g. repo.name or "repo.name"; "" = the item
//   operand    := path | literal           exactly one side of a comparison is a path
//   literal    := string | number | true | false | null
// Paths are dotted identifiers ([A-Za-z_][A-Za-z0-9_]* parts; numeric parts index lists).
// Strings are double-quoted with JSON escapes (a surrogate pair of \u escapes is one code
// point). Tokens are read by the lexer the value expressions use too (expr_lexer.h).
//
// Semantics: a missing field is null. == and != compare any values (numbers by numeric
// value, 1 == 1.0); <, <=, >, >= are true only between two numbers or two strings
// (bytewise). starts_with / ends_with are true only on strings; contains is substring on
// strings and membership on lists. exists(p) is "p is not null".
//
// Threading: immutable after Parse; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "weft/value.h"
#include "worker/bag/column.h"
#include "worker/bag/json_access.h"

namespace weft::bag {

class FilterExpr {
 public:
  // kInvalidArgument naming the 1-based column of the problem.
  static absl::StatusOr<FilterExpr> Parse(std::string_view text);

  // The distinct paths the expression reads, in order of first use.
  const std::vector<Path>& paths() const { return paths_; }

  // Selection mask over `n` items; columns[i] is the column of paths()[i].
  // REQUIRES: columns.size() == paths().size(), each column of n items.
  std::vector<uint8_t> Evaluate(const std::vector<const Column*>& columns, size_t n) const;

  // Whether one item passes.
  bool Matches(const Value& item) const;

  const std::string& text() const { return text_; }

  struct Node;  // defined in filter_expr.cc

 private:
  std::string text_;
  std::vector<Path> paths_;
  std::shared_ptr<const Node> root_;
};

}  // namespace weft::bag
