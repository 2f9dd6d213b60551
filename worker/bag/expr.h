// The value-expression language of Bag.map, to_pairs and groupby keys: an expression is
// parsed once per call by a recursive-descent parser into an immutable tree and evaluated
// on single items, or on every item of a partition (for JsonLines through the cached,
// dictionary-encoded columns of column.h, so that a path is parsed out of the JSON text
// only once per persisted partition).
//
// It is a superset of the filter language (filter_expr.h): every filter expression parses
// and means the same, its result a bool Value.
//
// Grammar (keywords are lowercase), loosest binding first:
//   expr     := and ( ("or" | "||") and )*
//   and      := not ( ("and" | "&&") not )*
//   not      := ("not" | "!") not | cmp
//   cmp      := sum [ ("==" | "!=" | "<" | "<=" | ">" | ">=") sum ]
//   sum      := product ( ("+" | "-") product )*
//   product  := unary ( ("*" | "/" | "%") unary )*
//   unary    := "-" unary | postfix
//   postfix  := primary ( "[" expr "]" | "." part ( "." part )* )*
//   primary  := literal | path | "(" expr ")" | "[" [ expr ( "," expr )* ] "]"
//             | name "(" [ expr ( "," expr )* ] ")"
//   path     := "_" | [ "_." ] ident ( "." part )*     ident [A-Za-z_][A-Za-z0-9_]*,
//                                                        part [A-Za-z0-9_]+
//   literal  := string | number | true | false | null
// Strings are double-quoted with JSON escapes. Numbers without '.', 'e' or 'E' are ints
// (int64; larger ones are doubles).
//
// Semantics:
//   Paths: `_` is the whole item; `_.a.b` and `a.b` are the same path. A missing field,
//     or a path through a non-container, is null; numeric parts index lists (a.0). A
//     field named like a keyword is reached as `_.and` or `_["and"]`.
//   x[k]: with an int k, item k of a list (negative counts from the end); with a string
//     k, one path part (the field k of a record; a decimal k also indexes a list). Out of
//     range, missing, or a container/key mismatch (string[0], list["a"]) is null, as for
//     paths; null x or k is null. Any other kind of k is an error. x.a.b after a postfix
//     or parenthesis is the path a.b inside x.
//   [e1, e2, ...] is a list.
//   Comparisons (as in filter): == and != compare any values (numbers by numeric value,
//     1 == 1.0; otherwise kind and value, value_order.h); <, <=, >, >= are true only
//     between two numbers or two strings (bytewise), false otherwise (also for null).
//     A comparison is never an error and gives a bool.
//   not / and / or: operands must be bool or null; null counts as false; anything else is
//     an error. and / or evaluate left to right and stop once the answer is known. The
//     result is a bool.
//   + - * /, %, unary -: if any operand is null the result is null. Two strings: + joins
//     them. Two numbers: int op int stays int unless it overflows int64 (then it is
//     computed in double); with a double operand the result is a double. / is true
//     division (always double). % is Python's: the result has the divisor's sign
//     (-7 % 3 == 2, 7 % -3 == -2; for doubles too). Division or modulo by zero (int or
//     double) is an error. Any other mix of kinds (bools included) is an error.
//   Functions (an unknown name or a wrong number of arguments is a parse error):
//     starts_with(s, p), ends_with(s, p)  true only when both are strings and s starts
//                                         (ends) with p; false otherwise.
//     contains(x, y)     substring on two strings, membership (numeric ==) on a list;
//                        false otherwise.
//     exists(x)          x is not null.
//       As in filter, a string literal as the first argument of these four is a path:
//       starts_with("repo.name", "jupyter/") reads the field repo.name.
//     lower(s), upper(s) ASCII case mapping.
//     substr(s, start[, length])  bytes [start, start + length) of s, 0-based; a negative
//                        start counts from the end; both ends are clamped to s as Python
//                        slicing does (substr("abc", 5) == ""). start and length must be
//                        ints; a negative length is an error.
//     split(s, sep)      list of strings, as Python's s.split(sep): "a,,b" → ["a","","b"],
//                        "" → [""]. An empty sep is an error.
//     concat(a, ...)     str(a) + str(...) + ...; at least one argument.
//     length(x)          bytes of a string, items of a list, fields of a record.
//     date(ts), hour(ts) "YYYY-MM-DD" and the hour (int 0-23) of an ISO-8601 timestamp
//                        "YYYY-MM-DD[T| ]HH:MM[:SS[.frac]][Z|±HH:MM|±HHMM]", read as
//                        written (the offset is checked, not applied). date() also takes
//                        a bare "YYYY-MM-DD". A string of any other shape, or with an
//                        impossible date or time, is an error.
//     int(x)             ints as they are; doubles truncated toward zero (NaN, ±inf and
//                        out-of-range are errors); bools 0/1; decimal strings parsed
//                        (other strings are errors).
//     float(x)           numbers and bools as doubles; strings parsed ("1e3", "nan").
//     str(x)             strings as they are; anything else as JSON text (1, 2.5, 2.0,
//                        true, [1,"a"], {"a":1}).
//   Every function except the four predicates returns null when an argument is null; an
//   argument of a kind the function does not take is an error.
//
// Errors: parse errors are kInvalidArgument naming the 1-based column, with the text and a
// caret under the column. Evaluation errors are kInvalidArgument:
//   "expression `a + 1`: cannot add string (\"x\") and int (1)";
// from EvaluatePartition with the 1-based item: "expression `a + 1`: line 3: ..." for
// JsonLines ("item 3" for lists), and malformed JSON as the column reader reports it.
//
// Threading: immutable after Parse; every method is const and thread-safe. Copies share
// the parsed tree.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "weft/value.h"
#include "worker/bag/json_access.h"

namespace weft::bag {

class Expr {
 public:
  // kInvalidArgument naming the 1-based column, with the text and a caret line.
  static absl::StatusOr<Expr> Parse(std::string_view text);

  // The value for one item.
  absl::StatusOr<Value> Evaluate(const Value& item) const;

  // The value of every item of a partition (JsonLines or a list; partition.h), in order.
  // For JsonLines the paths are read through ColumnOf (cached columns) unless the
  // expression uses the whole item `_`, in which case each line is parsed. With a single
  // path the expression is evaluated once per distinct value of it.
  absl::StatusOr<ValueList> EvaluatePartition(const Value& part) const;

  // The path, when the whole expression is one path (`actor.login`, `_.a.b`; `_` is the
  // empty path), so that a caller can read its cached column; else nullptr.
  const Path* AsPath() const;

  // The distinct paths the expression reads, in order of first use ("" is `_`).
  const std::vector<Path>& paths() const { return paths_; }
  const std::string& text() const { return text_; }

  struct Node;  // defined in expr.cc

 private:
  absl::StatusOr<ValueList> EvaluateColumns(const Value& part) const;
  absl::StatusOr<ValueList> EvaluateItems(const Value& part) const;
  // kInvalidArgument: "expression `<text>`: <where><status's message>".
  absl::Status Error(absl::string_view where, const absl::Status& status) const;
  absl::Status ItemError(const Value& part, size_t i, const absl::Status& status) const;

  std::string text_;
  std::vector<Path> paths_;
  bool uses_item_ = false;  // some path is "" (the whole item)
  std::shared_ptr<const Node> root_;
};

}  // namespace weft::bag
