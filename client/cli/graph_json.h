// Hand-built task graphs written as JSON, for `weft get`: dask's dict graph with tuples
// written as lists.
//
//   {"x": 1, "y": 2, "z": ["add", "x", "y"], "w": ["sum", ["x", "y", "z"]]}
//
// Each member of the top-level object is one key of the graph. Its value is
//   - a task, when it is a list whose first item is a string that is not a key of the
//     graph: the string names a registered function (checked by the workers: an unknown
//     name errs the task), the other items are its arguments;
//   - an alias, when it is a string that is a key of the graph ({"y": "x"});
//   - otherwise a literal (numbers, strings, true/false/null, objects as records), or a
//     list of arguments (a list whose first item is not a function name).
// In arguments (and lists of them), a string equal to a key of the graph refers to that
// key's result, a list is a list of arguments (references inside resolved; not a nested
// task: name it with a key of its own), and anything else is a literal. Strings inside
// objects are never references.
//
// The JSON is read by the shell's literal parser (shell_parser.h), so its extensions
// ('single quotes', None) are accepted too.
//
// Threading: pure functions.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "weft/client.h"

namespace weft::cli {

// The graph written in `text`. kInvalidArgument for text that is not a JSON object
// ("line L, column C: ..." for a syntax error), an empty key, or a key given twice.
absl::StatusOr<Graph> ParseGraphJson(const std::string& text);

// The tasks of `graph` that computing `keys` runs (dask's cull): the keys and everything
// they depend on. kNotFound naming a key that is not in the graph; kInvalidArgument naming
// the keys of a dependency cycle ("a -> b -> a"), which the scheduler would otherwise
// leave waiting forever.
absl::StatusOr<Graph> CullGraph(const Graph& graph, const std::vector<std::string>& keys);

}  // namespace weft::cli
