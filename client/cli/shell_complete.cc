#include "client/cli/shell_complete.h"

#include <algorithm>
#include <cctype>

#include "client/cli/shell.h"

namespace weft::cli::shell {
namespace {

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Where the shell-level string literal open at the end of `line` starts (its quote), and
// whether the end is also inside a string of the expression language written in it
// ('starts_with(repo.name, "ju' or "starts_with(repo.name, \"ju"). npos: not in a string.
struct StringState {
  size_t open_quote = std::string_view::npos;
  bool in_inner_string = false;
  bool in_comment = false;  // after a '#' outside strings
};

StringState ScanStrings(std::string_view line) {
  StringState state;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote == 0) {
      if (c == '#') return {std::string_view::npos, false, /*in_comment=*/true};
      if (c == '"' || c == '\'') {
        quote = c;
        state = {i, false};
      }
      continue;
    }
    if (c == '\\' && i + 1 < line.size()) {
      // In a "..." string the inner language's quotes are written \".
      if (quote == '"' && line[i + 1] == '"') state.in_inner_string = !state.in_inner_string;
      ++i;
      continue;
    }
    if (c == quote) {
      quote = 0;
      state = {};
    } else if (quote == '\'' && c == '"') {
      state.in_inner_string = !state.in_inner_string;
    }
  }
  if (quote == 0) state = {};
  return state;
}

std::vector<std::string> Starting(std::string_view prefix,
                                  std::initializer_list<const std::vector<std::string>*> lists) {
  std::vector<std::string> out;
  for (const auto* list : lists) {
    for (const std::string& word : *list) {
      if (word.compare(0, prefix.size(), prefix) == 0) out.push_back(word);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The methods after `receiver_end` (the text before the '.'): a defined name's type's,
// else every method.
std::vector<std::string> MethodsFor(std::string_view before_dot, const TypeOfName& type_of) {
  size_t begin = before_dot.size();
  while (begin > 0 && IsWordChar(before_dot[begin - 1])) --begin;
  const std::string receiver(before_dot.substr(begin));
  const bool is_name = !receiver.empty() && !std::isdigit(static_cast<unsigned char>(receiver[0]));
  if (is_name && (begin == 0 || before_dot[begin - 1] != '.')) {
    // random.uniform: the namespace's functions.
    std::vector<std::string> in_namespace;
    for (const std::string& f : FunctionNames()) {
      if (f.rfind(receiver + ".", 0) == 0) in_namespace.push_back(f.substr(receiver.size() + 1));
    }
    if (!in_namespace.empty()) return in_namespace;
    const std::string type = type_of(receiver);
    if (!type.empty()) {
      std::vector<std::string> words = MethodNames(type);
      for (const std::string& a : AttributeNames(type)) words.push_back(a);
      return words;
    }
  }
  std::vector<std::string> all;
  for (const char* owner : {"bag", "item", "array"}) {
    for (const std::string& m : MethodNames(owner)) all.push_back(m);
    for (const std::string& a : AttributeNames(owner)) all.push_back(a);
  }
  return all;
}

}  // namespace

const std::vector<std::string>& ExpressionFunctionNames() {
  // As worker/bag/expr_functions.cc's kFunctions, in its order (shell_complete_test.cc
  // compares the two): the client does not link the workers' code.
  static const auto* names = new std::vector<std::string>{
      "starts_with", "ends_with", "contains", "exists", "lower", "upper", "substr", "split",
      "concat",      "length",    "date",     "hour",   "int",   "float", "str"};
  return *names;
}

Completion Complete(std::string_view line, const std::vector<std::string>& names,
                    const TypeOfName& type_of) {
  Completion out;
  size_t start = line.size();
  while (start > 0 && IsWordChar(line[start - 1])) --start;
  out.start = start;
  const std::string_view word = line.substr(start);
  const char before = start > 0 ? line[start - 1] : '\0';

  const StringState string = ScanStrings(line);
  if (string.in_comment) return out;
  if (string.open_quote != std::string_view::npos) {
    if (string.in_inner_string || before == '.') return out;  // a literal, or a field path
    out.candidates = Starting(word, {&ExpressionFunctionNames()});
    out.callable = true;
    return out;
  }
  if (before == '.') {
    const std::vector<std::string> methods = MethodsFor(line.substr(0, start - 1), type_of);
    out.candidates = Starting(word, {&methods});
    // A '(' follows methods, not attributes (x.shape).
    const std::vector<std::string> attributes = AttributeNames("array");
    out.callable = std::none_of(out.candidates.begin(), out.candidates.end(), [&](const auto& c) {
      return std::find(attributes.begin(), attributes.end(), c) != attributes.end();
    });
    return out;
  }
  // A word has no '.': random.uniform is offered as its namespace, random.
  std::vector<std::string> functions;
  for (const std::string& f : FunctionNames()) functions.push_back(f.substr(0, f.find('.')));
  const std::string_view head = line.substr(0, start);
  const size_t first = head.find_first_not_of(" \t");
  if (first != std::string_view::npos && head.substr(first).rfind("help ", 0) == 0) {
    const std::vector<std::string> methods = MethodsFor("", type_of);
    out.candidates = Starting(word, {&functions, &methods});
    return out;
  }
  const std::vector<std::string> commands =
      first == std::string_view::npos ? CommandNames() : std::vector<std::string>();
  out.candidates = Starting(word, {&names, &functions, &commands});
  // Only functions: a call follows. (Names, namespaces, and the commands stand alone.)
  const std::vector<std::string> callables = FunctionNames();
  out.callable = !out.candidates.empty() &&
                 std::all_of(out.candidates.begin(), out.candidates.end(), [&](const auto& c) {
                   return std::find(callables.begin(), callables.end(), c) != callables.end();
                 });
  return out;
}

}  // namespace weft::cli::shell
