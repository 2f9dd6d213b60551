// TAB completion in `weft shell`: what the word before the cursor can become.
//
// The context is read from the text before the cursor:
//   NAME.wo|         methods: those of NAME's type when NAME is defined (a bag's, an
//                    item's, an array's methods and attributes), a namespace's functions
//                    (random.uni|), else every method and attribute (after `)`, say)
//   "...wo|          inside a string: the functions of the filter and value-expression
//                    languages (starts_with, lower, ...), which filter(), map(), to_pairs()
//                    ... take as strings; nothing after a `.` (a field path) or inside a
//                    string of that language
//   help wo|         functions and methods
//   wo|              defined names and functions; at the start of the line the commands too
// Every list comes from where the evaluator dispatches (shell.h: FunctionNames,
// MethodNames, CommandNames), and the languages' functions from a copy that a test checks
// against worker/bag's table, so that completion offers what the shell accepts.
//
// Threading: pure functions.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::cli::shell {

struct Completion {
  size_t start = 0;  // where the word being completed begins (a byte offset in the line)
  std::vector<std::string> candidates;  // sorted, unique, each starting with the word
  bool callable = false;                // functions or methods: a '(' may follow
};

// What a defined name holds ("bag", "item", ...), "" when it is not defined.
using TypeOfName = std::function<std::string(const std::string& name)>;

// The completions of the word that ends `line` (the text before the cursor), given the
// names the session defines.
Completion Complete(std::string_view line, const std::vector<std::string>& names,
                    const TypeOfName& type_of);

// The functions of the filter and value-expression languages (worker/bag/expr.h).
const std::vector<std::string>& ExpressionFunctionNames();

}  // namespace weft::cli::shell
