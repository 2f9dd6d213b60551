// The evaluator of `weft shell`: a table of functions and methods, each with a signature
// that binds positional and keyword arguments and checks their types, so that every
// mistake gets a message naming the column, the argument and what was expected.
#include "client/cli/shell.h"

#include <algorithm>
#include <iterator>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/cli/output.h"
#include "client/cli/shell_builtins.h"
#include "client/cli/shell_scalar.h"
#include "common/status_macros.h"

namespace weft::cli::shell {

// ---------------------------------------------------------------------------
// Objects

Object Object::Of(Bag b) {
  Object o{Kind::kBag};
  o.bag = std::move(b);
  return o;
}

Object Object::Of(Item i) {
  Object o{Kind::kItem};
  o.item = std::move(i);
  return o;
}

Object Object::Of(Array a) {
  Object o{Kind::kArray};
  o.array = std::move(a);
  return o;
}

Object Object::Of(LocalArray a) {
  Object o{Kind::kLocalArray};
  o.local = std::move(a);
  return o;
}

const char* Object::type_name() const {
  switch (kind) {
    case Kind::kBag:
      return "bag";
    case Kind::kItem:
      return "item";
    case Kind::kArray:
      return "array";
    case Kind::kLocalArray:
      return "computed array";
    case Kind::kSequence:
      return "tuple";
    case Kind::kValue:
      return value.is_null() ? "null" : value.kind_name();
  }
  return "?";
}

const char* TypeName(Type t) {
  switch (t) {
    case Type::kString:
      return "string";
    case Type::kInt:
      return "int";
    case Type::kBool:
      return "bool";
    case Type::kList:
      return "list";
    case Type::kBag:
      return "bag";
    case Type::kNumber:
      return "number";
    case Type::kScalar:
      return "scalar";
    case Type::kArray:
      return "array";
    case Type::kShape:
      return "shape";
    case Type::kOptionalInt:
      return "int or None";
    case Type::kArrays:
      return "list of arrays";
  }
  return "?";
}

namespace {

bool IsIntList(const Value& v) {
  if (!v.is_list()) return false;
  for (const Value& item : v.as_list()) {
    if (!item.is_int()) return false;
  }
  return true;
}

}  // namespace

bool Matches(Type t, const Object& o) {
  if (t == Type::kBag) return o.kind == Object::Kind::kBag;
  if (t == Type::kArray && o.kind == Object::Kind::kArray) return true;
  if (t == Type::kArrays) {
    if (o.kind == Object::Kind::kValue) return o.value.is_list() && o.value.as_list().empty();
    if (o.kind != Object::Kind::kSequence) return false;
    return std::all_of(o.items.begin(), o.items.end(),
                       [](const Object& item) { return Matches(Type::kArray, item); });
  }
  if (o.kind != Object::Kind::kValue) return false;
  const Value& v = o.value;
  switch (t) {
    case Type::kString:
      return v.is_string();
    case Type::kInt:
      return v.is_int();
    case Type::kBool:
      return v.is_bool();
    case Type::kList:
      return v.is_list();
    case Type::kNumber:
      return v.is_int() || v.is_double();
    case Type::kScalar:
    case Type::kArray:
      return v.is_int() || v.is_double() || v.is_bool();
    case Type::kShape:
      return v.is_int() || IsIntList(v);
    case Type::kOptionalInt:
      return v.is_int() || v.is_null();
    case Type::kBag:
    case Type::kArrays:
      return false;
  }
  return false;
}

std::string WithArticle(const std::string& noun) {
  if (noun == "null") return noun;
  return absl::StrCat(std::string("aeiou").find(noun[0]) == std::string::npos ? "a " : "an ", noun);
}

std::string Builtins::Signature(const Entry& e, const char* owner) {
  std::vector<std::string> params;
  for (const Param& p : e.params) {
    std::string text = absl::StrCat(p.name, ": ", TypeName(p.type), e.variadic ? "..." : "");
    if (p.fallback) {
      absl::StrAppend(&text, " = ", p.fallback->is_null() ? "None" : p.fallback->ToJson());
    }
    params.push_back(std::move(text));
  }
  return absl::StrCat(owner, e.name, "(", absl::StrJoin(params, ", "), ")");
}

absl::StatusOr<Builtins::Args> Builtins::Bind(const Entry& e, const Expr& call, Args given) {
  const size_t n = e.params.size();
  std::vector<std::optional<Object>> slots(n);
  Args extra;  // the repeats of a variadic last parameter
  for (size_t i = 0; i < call.args.size(); ++i) {
    const Argument& arg = call.args[i];
    size_t slot = i;
    if (!arg.keyword.empty()) {
      auto it = std::find_if(e.params.begin(), e.params.end(),
                             [&](const Param& p) { return arg.keyword == p.name; });
      if (it == e.params.end()) {
        return ErrorAt(arg.column, absl::StrCat(e.name, "() has no argument '", arg.keyword, "'"));
      }
      slot = static_cast<size_t>(it - e.params.begin());
      if (slots[slot]) {
        return ErrorAt(arg.column, absl::StrCat("argument '", arg.keyword, "' given twice"));
      }
    } else if (i >= n && !(e.variadic && n > 0)) {
      return ErrorAt(arg.column,
                     absl::StrCat(e.name, "() takes ", n == 0 ? "no" : absl::StrCat("at most ", n),
                                  " argument", n == 1 ? "" : "s"));
    }
    const Param& p = e.params[std::min(slot, n - 1)];
    if (!Matches(p.type, given[i])) {
      return ErrorAt(arg.column, absl::StrCat("argument '", p.name, "' of ", e.name, "() must be ",
                                              WithArticle(TypeName(p.type)), ", not ",
                                              WithArticle(given[i].type_name())));
    }
    if (slot >= n) {
      extra.push_back(std::move(given[i]));
    } else {
      slots[slot] = std::move(given[i]);
    }
  }
  Args out;
  for (size_t i = 0; i < n; ++i) {
    if (!slots[i] && !e.params[i].fallback) {
      return ErrorAt(call.column,
                     absl::StrCat(e.name, "() needs argument '", e.params[i].name, "'"));
    }
    out.push_back(slots[i] ? *std::move(slots[i]) : Object::Of(*e.params[i].fallback));
  }
  for (auto& o : extra) out.push_back(std::move(o));
  return out;
}

// ---------------------------------------------------------------------------
// Session

namespace {

std::vector<std::string> EntryNames(const std::vector<Builtins::Entry>& table) {
  std::vector<std::string> out;
  for (const auto& e : table) out.push_back(e.name);
  return out;
}

// The statements that are one word (shell_parser.h), and the literals that are words.
constexpr const char* kCommands[] = {"help", "bags", "quit", "exit"};
constexpr const char* kWordLiterals[] = {"true", "false", "True", "False", "null", "None"};

bool IsReserved(const std::string& name) {
  for (const char* w : kCommands) {
    if (name == w) return true;
  }
  for (const char* w : kWordLiterals) {
    if (name == w) return true;
  }
  for (const char* w : kNamespaces) {
    if (name == w) return true;
  }
  auto names = FunctionNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Records (take(), compute() of parsed records) as one JSON object per line, whole; other
// lists as a table.
std::string Table(const Value& value, const std::vector<std::string>& headers) {
  const ValueList& items = value.as_list();
  if (!items.empty() && items.front().is_record()) {
    std::vector<std::string> lines;
    for (const Value& item : items) lines.push_back(item.ToJson());
    return absl::StrJoin(lines, "\n");
  }
  std::ostringstream out;
  PrintTable(out, value, headers);
  return out.str();
}

}  // namespace

Session::Session(Client& client, std::ostream* progress_out, InterruptCheck interrupted)
    : client_(client), progress_out_(progress_out), interrupted_(std::move(interrupted)) {}

Session::~Session() {
  for (std::thread& t : background_) t.join();
}

std::vector<std::string> Session::names() const {
  std::vector<std::string> out;
  for (const auto& [name, object] : names_) out.push_back(name);
  return out;
}

std::string Session::TypeOf(const std::string& name) const {
  auto it = names_.find(name);
  return it == names_.end() ? "" : it->second.type_name();
}

absl::StatusOr<Object> Session::Evaluate(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return Object::Of(e.literal);
    case Expr::Kind::kName: {
      auto it = names_.find(e.name);
      if (it != names_.end()) return it->second;
      std::string known = names_.empty() ? "nothing is defined yet"
                                         : absl::StrCat("defined: ", absl::StrJoin(names(), ", "));
      return ErrorAt(e.column, absl::StrCat("unknown name '", e.name, "' (", known, ")"));
    }
    case Expr::Kind::kCall:
      return Call(e, nullptr);
    case Expr::Kind::kMethod: {
      WEFT_ASSIGN_OR_RETURN(Object self, Evaluate(*e.receiver));
      return Call(e, &self);
    }
    case Expr::Kind::kAttribute:
      return Attribute(e);
    case Expr::Kind::kSubscript:
      return Subscript(e);
    case Expr::Kind::kBinary:
    case Expr::Kind::kUnary:
      return Operator(e);
    case Expr::Kind::kList:
      return Sequence(e);
  }
  return absl::InternalError("unknown expression");
}

namespace {

// The bag functions, then the array ones.
const std::vector<Builtins::Entry>& AllFunctions() {
  static const auto* table = [] {
    auto* all = new std::vector<Builtins::Entry>(Builtins::Functions());
    all->insert(all->end(), Builtins::ArrayFunctions().begin(), Builtins::ArrayFunctions().end());
    return all;
  }();
  return *table;
}

const std::vector<Builtins::Entry>& MethodsOf(const Object& self) {
  static const std::vector<Builtins::Entry> kNone;
  switch (self.kind) {
    case Object::Kind::kBag:
      return Builtins::BagMethods();
    case Object::Kind::kItem:
      return Builtins::ItemMethods();
    case Object::Kind::kArray:
      return Builtins::ArrayMethods();
    default:
      return kNone;
  }
}

}  // namespace

absl::StatusOr<Object> Session::Call(const Expr& e, const Object* self) {
  const auto& table = self == nullptr ? AllFunctions() : MethodsOf(*self);
  auto entry = std::find_if(table.begin(), table.end(),
                            [&](const Builtins::Entry& x) { return e.name == x.name; });
  if (entry == table.end()) {
    if (self == nullptr) {
      return ErrorAt(e.column, absl::StrCat("unknown function '", e.name, "' (functions: ",
                                            absl::StrJoin(EntryNames(table), ", "), ")"));
    }
    std::string have = table.empty()
                           ? "it has no methods"
                           : absl::StrCat("methods: ", absl::StrJoin(EntryNames(table), ", "));
    return ErrorAt(e.column, absl::StrCat(WithArticle(self->type_name()), " has no method '",
                                          e.name, "' (", have, ")"));
  }
  Builtins::Args given;
  for (const Argument& a : e.args) {
    WEFT_ASSIGN_OR_RETURN(Object v, Evaluate(*a.value));
    given.push_back(std::move(v));
  }
  WEFT_ASSIGN_OR_RETURN(Builtins::Args args, Builtins::Bind(*entry, e, std::move(given)));
  static const Object kNoSelf;
  absl::StatusOr<Object> result = entry->run(*this, self == nullptr ? kNoSelf : *self, args);
  // An array's build-time errors (shapes, chunks, dtypes), and a bad argument a handler
  // found, are the call's.
  if (result.ok() && result->kind == Object::Kind::kArray) {
    return Builtins::Checked(*result->array, e.column);
  }
  if (absl::IsInvalidArgument(result.status()) &&
      !absl::StartsWith(result.status().message(), "column ")) {
    return ErrorAt(e.column, std::string(result.status().message()));
  }
  return result;
}

absl::StatusOr<std::string> Session::Show(const Object& object) {
  switch (object.kind) {
    case Object::Kind::kValue:
      if (object.value.is_null()) return std::string();
      if (object.display == Object::Display::kText && object.value.is_string()) {
        return object.value.as_string();
      }
      if (object.display == Object::Display::kPython) return PythonRepr(object.value);
      if (object.value.is_list() && object.display == Object::Display::kTable) {
        return Table(object.value, object.headers);
      }
      return object.value.ToJson();
    case Object::Kind::kItem: {
      WEFT_ASSIGN_OR_RETURN(Value v, ComputeItem(*object.item));
      return v.is_list() ? Table(v, {}) : v.ToJson();
    }
    case Object::Kind::kBag: {
      WEFT_ASSIGN_OR_RETURN(ValueList items, ComputeBag(*object.bag));
      return Table(Value(std::move(items)), object.headers);
    }
    case Object::Kind::kArray:
      return ShowArray(*object.array);
    case Object::Kind::kLocalArray:
      return FormatLocalArray(*object.local);
    case Object::Kind::kSequence: {
      std::vector<std::string> parts;
      for (const Object& item : object.items) {
        parts.push_back(item.kind == Object::Kind::kArray ? item.array->ToString()
                        : item.kind == Object::Kind::kValue
                            ? PythonRepr(item.value)
                            : absl::StrCat("<", item.type_name(), ">"));
      }
      return absl::StrCat("(", absl::StrJoin(parts, ", "), parts.size() == 1 ? ",)" : ")");
    }
  }
  return std::string();
}

std::string Session::ListBags() const {
  if (names_.empty()) return "nothing is defined yet; try: records = read_text(\"data/*.json.gz\")";
  std::vector<std::string> lines;
  for (const auto& [name, o] : names_) {
    std::string line = absl::StrCat("  ", name, "  ", o.type_name());
    if (o.kind == Object::Kind::kBag) {
      absl::StrAppend(&line, ", ", o.bag->npartitions(), " partitions");
      if (o.persisted) {
        absl::StrAppend(&line, ", persisted (", o.bag->npartitions_done(), " done)");
      }
    }
    lines.push_back(std::move(line));
  }
  return absl::StrJoin(lines, "\n");
}

Session::Reply Session::Execute(const std::string& line) {
  Reply reply;
  stopped_by_interrupt_ = false;
  auto fail = [&](const absl::Status& status) {
    reply.output = std::string(status.message());
    if (stopped_by_interrupt_) {
      reply.interrupted = true;
      return reply;
    }
    reply.error = true;
    int column = 0;
    if (reply.output.rfind("column ", 0) == 0 &&
        absl::SimpleAtoi(reply.output.substr(7, reply.output.find(':') - 7), &column)) {
      reply.error_column = column;
    }
    return reply;
  };
  absl::StatusOr<Statement> st = Parse(line);
  if (!st.ok()) return fail(st.status());
  switch (st->kind) {
    case Statement::Kind::kEmpty:
      return reply;
    case Statement::Kind::kQuit:
      reply.quit = true;
      return reply;
    case Statement::Kind::kHelp: {
      absl::StatusOr<std::string> text = HelpText(st->topic);
      if (!text.ok()) return fail(text.status());
      reply.output = *text;
      return reply;
    }
    case Statement::Kind::kBags:
      reply.output = ListBags();
      return reply;
    case Statement::Kind::kAssign: {
      if (IsReserved(st->target)) {
        return fail(absl::InvalidArgumentError(
            absl::StrCat("column 1: '", st->target, "' is a reserved word")));
      }
      absl::StatusOr<Object> value = Evaluate(*st->expr);
      if (!value.ok()) return fail(value.status());
      names_[st->target] = *std::move(value);
      return reply;
    }
    case Statement::Kind::kExpr: {
      const absl::Time start = absl::Now();
      absl::StatusOr<Object> value = Evaluate(*st->expr);
      if (!value.ok()) return fail(value.status());
      absl::StatusOr<std::string> text = Show(*value);
      if (!text.ok()) return fail(text.status());
      reply.output = *std::move(text);
      reply.elapsed = absl::Now() - start;
      return reply;
    }
  }
  return reply;
}

std::string Session::Format(const Reply& reply) {
  if (reply.error) return absl::StrCat("error: ", reply.output, "\n");
  if (reply.interrupted) return absl::StrCat(reply.output, "\n");
  std::string out = reply.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  if (!reply.elapsed) return out.empty() ? "" : out + "\n";
  const std::string time = absl::StrCat("(", FormatSeconds(*reply.elapsed), ")");
  constexpr size_t kTimeColumn = 56;
  if (out.empty()) return time + "\n";
  if (out.find('\n') == std::string::npos) {
    return absl::StrCat(
        out, std::string(out.size() < kTimeColumn ? kTimeColumn - out.size() : 2, ' '), time, "\n");
  }
  return absl::StrCat(out, "\n", time, "\n");
}

// ---------------------------------------------------------------------------
// The words of the language

std::vector<std::string> FunctionNames() { return EntryNames(AllFunctions()); }

std::vector<std::string> MethodNames(const std::string& owner) {
  if (owner == "bag") return EntryNames(Builtins::BagMethods());
  if (owner == "item") return EntryNames(Builtins::ItemMethods());
  if (owner == "array") return EntryNames(Builtins::ArrayMethods());
  return {};
}

std::vector<std::string> AttributeNames(const std::string& owner) {
  if (owner == "array") return Builtins::ArrayAttributeNames();
  return {};
}

std::vector<std::string> CommandNames() { return {std::begin(kCommands), std::end(kCommands)}; }

// ---------------------------------------------------------------------------
// Help

absl::StatusOr<std::string> HelpText(const std::string& topic) {
  struct Group {
    const char* title;
    const char* owner;
    const std::vector<Builtins::Entry>* table;
  };
  const Group groups[] = {
      {"Functions", "", &Builtins::Functions()},
      {"Bag methods", "bag.", &Builtins::CoreBagMethods()},
      {"Key/value bag methods (npartitions 0: as many as the input)", "bag.",
       &Builtins::KeyValueMethods()},
      {"Item methods (count())", "item.", &Builtins::ItemMethods()},
      {"Array functions (chunks: a number or a tuple, -1 a whole axis; "
       "None: about 8M elements a chunk)",
       "", &Builtins::ArrayFunctions()},
      {"Array methods (axis None: over every axis)", "array.", &Builtins::ArrayMethods()}};
  std::vector<std::string> lines;
  for (const Group& g : groups) {
    if (topic.empty()) lines.push_back(absl::StrCat(g.title, ":"));
    for (const auto& e : *g.table) {
      if (!topic.empty() && topic != e.name) continue;
      std::string sig = Builtins::Signature(e, g.owner);
      if (sig.size() < 48) sig.resize(48, ' ');
      lines.push_back(absl::StrCat("  ", sig, "  ", e.help));
    }
  }
  if (!topic.empty()) {
    if (lines.empty()) return absl::NotFoundError(absl::StrCat("no help for '", topic, "'"));
    return absl::StrJoin(lines, "\n");
  }
  lines.insert(
      lines.begin(),
      {"Statements: NAME = EXPRESSION (stored, lazy) or EXPRESSION (computed and printed).",
       "Expressions chain methods: read_text(\"data/*.json.gz\").parse_json().count()",
       "Key/value: from_sequence([\"a b\", \"b\"]).map('split(_, \" \")').flatten()"
       ".to_pairs(\"_\", \"1\").reduce_by_key(\"sum\")",
       "Value expressions (map, to_pairs, groupby, sort_by): `_` the item, paths (actor.login), "
       "_[0], + - * / %,",
       "  [a, b], lower upper substr split concat length date hour int float str; filter's "
       "comparisons and and/or/not.",
       "Arrays (as dask.array): x = arange(15, chunks=5); (x + 100).sum(); x[::2]; "
       "x.T @ x; operators + - * / // % ** @ < <= > >= == != & | ^ ~ with Python's precedence;",
       "  attributes x.shape x.dtype x.chunks x.ndim x.size x.nbytes x.T. An array of at most "
       "1000 elements is printed computed.",
       "Commands: help [NAME], bags (the names defined), quit (or Ctrl-D).",
       "Keys: TAB completes names, functions and methods; Ctrl-R searches the history; "
       "Ctrl-C stops the running query.",
       ""});
  return absl::StrJoin(lines, "\n");
}

}  // namespace weft::cli::shell
