// The evaluator of `weft shell`: a table of functions and methods, each with a signature
// that binds positional and keyword arguments and checks their types, so that every
// mistake gets a message naming the column, the argument and what was expected.
#include "client/cli/shell.h"

#include <algorithm>
#include <iterator>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/cli/output.h"
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

const char* Object::type_name() const {
  switch (kind) {
    case Kind::kBag:
      return "bag";
    case Kind::kItem:
      return "item";
    case Kind::kValue:
      return value.is_null() ? "null" : value.kind_name();
  }
  return "?";
}

namespace {

absl::Status ErrorAt(int column, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("column ", column, ": ", message));
}

enum class Type { kString, kInt, kBool, kList, kBag };

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
  }
  return "?";
}

bool Matches(Type t, const Object& o) {
  if (t == Type::kBag) return o.kind == Object::Kind::kBag;
  if (o.kind != Object::Kind::kValue) return false;
  switch (t) {
    case Type::kString:
      return o.value.is_string();
    case Type::kInt:
      return o.value.is_int();
    case Type::kBool:
      return o.value.is_bool();
    case Type::kList:
      return o.value.is_list();
    case Type::kBag:
      return false;
  }
  return false;
}

std::string WithArticle(const std::string& noun) {
  if (noun == "null") return noun;
  return absl::StrCat(std::string("aeiou").find(noun[0]) == std::string::npos ? "a " : "an ", noun);
}

struct Param {
  const char* name;
  Type type;
  std::optional<Value> fallback = std::nullopt;  // none: required
};

}  // namespace

// The functions and methods. A friend of Session, so the handlers can run work through it.
struct Builtins {
  using Args = std::vector<Object>;
  using Handler = std::function<absl::StatusOr<Object>(Session&, const Object& self, Args&)>;
  struct Entry {
    const char* name;
    std::vector<Param> params;
    bool variadic;  // the last parameter repeats
    const char* help;
    Handler run;
  };

  static const std::vector<Entry>& Functions();
  static const std::vector<Entry>& ItemMethods();
  static std::string Signature(const Entry& e, const char* owner);
  static absl::StatusOr<Args> Bind(const Entry& e, const Expr& call, Args given);

  // A bag derived from `self`, keeping its column naming.
  static Object Derived(const Object& self, Bag bag) {
    Object o = Object::Of(std::move(bag));
    o.path = self.path;
    o.headers = self.headers;
    return o;
  }
  // A bag of new items, its columns named anew.
  static Object Reshaped(Bag bag, std::vector<std::string> headers) {
    Object o = Object::Of(std::move(bag));
    o.headers = std::move(headers);
    return o;
  }
  // The key column's name: the key expression ("_": "key"), or what `self` called it.
  static std::string KeyHeader(const std::string& expression) {
    return expression == "_" ? "key" : expression;
  }
  static std::string KeyHeader(const Object& self) {
    return self.headers.empty() ? "key" : self.headers.front();
  }
  static int Int(const Object& o) { return static_cast<int>(o.value.as_int()); }
  static const std::string& Str(const Object& o) { return o.value.as_string(); }

  // Every bag method: the core ones, then the element-wise maps and the by-key ones (the
  // two groups of the help text).
  static const std::vector<Entry>& BagMethods();
  static const std::vector<Entry>& CoreBagMethods();
  static const std::vector<Entry>& KeyValueMethods();
};

const std::vector<Builtins::Entry>& Builtins::Functions() {
  static const auto* table = new std::vector<Entry>{
      {"read_text",
       {{"pattern", Type::kString}, {"compression", Type::kString, Value("infer")}},
       false,
       "one partition per file: a path or glob, http(s)://..., s3://bucket/prefix*",
       [](Session& s, const Object&, Args& a) -> absl::StatusOr<Object> {
         ReadTextOptions options;
         options.compression = a[1].value.as_string();
         // The listing runs on a worker, and an endpoint that stops answering makes it hang.
         WEFT_ASSIGN_OR_RETURN(Bag bag,
                               s.Run<Bag>([&client = s.client_, pattern = Str(a[0]), options] {
                                 return Bag::read_text(client, pattern, options);
                               }));
         return Object::Of(std::move(bag));
       }},
      {"from_sequence",
       {{"items", Type::kList}, {"npartitions", Type::kInt, Value(1)}},
       false,
       "a bag of the list's items",
       [](Session& s, const Object&, Args& a) -> absl::StatusOr<Object> {
         return Object::Of(Bag::from_sequence(s.client_, a[0].value.as_list(),
                                              static_cast<int>(a[1].value.as_int())));
       }},
      {"persist",
       {{"bag", Type::kBag}},
       false,
       "start computing the bag's partitions and keep them on the workers; returns at once",
       [](Session&, const Object&, Args& a) -> absl::StatusOr<Object> {
         Object o = Derived(a[0], a[0].bag->persist());
         o.persisted = true;
         return o;
       }},
      {"wait",
       {{"bag", Type::kBag}},
       false,
       "wait until a persisted bag is computed",
       [](Session& s, const Object&, Args& a) -> absl::StatusOr<Object> {
         WEFT_RETURN_IF_ERROR(s.Wait(a[0]));
         return Object::Of(Value());
       }},
      {"concat",
       {{"bags", Type::kBag}},
       true,
       "the partitions of every bag, in order",
       [](Session&, const Object&, Args& a) -> absl::StatusOr<Object> {
         std::vector<Bag> bags;
         for (const Object& o : a) bags.push_back(*o.bag);
         return Object::Of(Bag::concat(bags));
       }},
  };
  return *table;
}

const std::vector<Builtins::Entry>& Builtins::BagMethods() {
  static const auto* table = [] {
    auto* all = new std::vector<Entry>(CoreBagMethods());
    all->insert(all->end(), KeyValueMethods().begin(), KeyValueMethods().end());
    return all;
  }();
  return *table;
}

const std::vector<Builtins::Entry>& Builtins::CoreBagMethods() {
  static const auto* table = new std::vector<Entry>{
      {"parse_json",
       {{"skip_malformed", Type::kBool, Value(false)}},
       false,
       "each line as a JSON record",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Derived(self, self.bag->parse_json(a[0].value.as_bool()));
       }},
      {"pluck",
       {{"path", Type::kString}},
       false,
       "a field of each record (dotted path)",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         Object o = Object::Of(self.bag->pluck(a[0].value.as_string()));
         o.path = a[0].value.as_string();
         return o;
       }},
      {"filter",
       {{"expression", Type::kString}},
       false,
       "the records where it holds: 'type == \"PushEvent\"', 'starts_with(repo.name, \"a/\")'",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Derived(self, self.bag->filter(a[0].value.as_string()));
       }},
      {"map_partitions",
       {{"function", Type::kString}, {"args", Type::kList, Value(ValueList{})}},
       false,
       "a registered function on each partition",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         const ValueList& extra = a[1].value.as_list();
         return Object::Of(self.bag->map_partitions(
             a[0].value.as_string(), std::vector<Value>(extra.begin(), extra.end())));
       }},
      {"repartition",
       {{"npartitions", Type::kInt}},
       false,
       "change the number of partitions",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Derived(self, self.bag->repartition(static_cast<int>(a[0].value.as_int())));
       }},
      {"count",
       {},
       false,
       "the number of items",
       [](Session&, const Object& self, Args&) -> absl::StatusOr<Object> {
         return Object::Of(self.bag->count());
       }},
      {"frequencies",
       {{"split_out", Type::kInt, Value(1)}},
       false,
       "[item, count] pairs, most frequent first; split_out > 1: shuffled into that many "
       "partitions, each sorted by item",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Reshaped(self.bag->frequencies(Int(a[0])),
                         {self.path.empty() ? "value" : self.path, "count"});
       }},
      {"topk",
       {{"k", Type::kInt}, {"key", Type::kString, Value("")}},
       false,
       "the k largest items; key \"1\": by item[1] (frequencies' counts), or a record path",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Derived(
             self, self.bag->topk(static_cast<int>(a[0].value.as_int()), a[1].value.as_string()));
       }},
      {"distinct",
       {{"split_out", Type::kInt, Value(1)}},
       false,
       "the distinct items; split_out > 1: shuffled into that many partitions",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Reshaped(self.bag->distinct(Int(a[0])), {self.path.empty() ? "value" : self.path});
       }},
      {"foldby",
       {{"key", Type::kString},
        {"op", Type::kString, Value("count")},
        {"field", Type::kString, Value("")},
        {"split_out", Type::kInt, Value(1)}},
       false,
       "[key, accumulator] per value of key; op count, sum, min or max of field",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         const std::string& key = Str(a[0]);
         const std::string& op = Str(a[1]);
         const std::string& field = Str(a[2]);
         return Reshaped(self.bag->foldby(key, op, field, Int(a[3])),
                         {key, op == "count" ? op : absl::StrCat(op, "(", field, ")")});
       }},
      {"take",
       {{"n", Type::kInt, Value(1)}},
       false,
       "the first n items, computed now",
       [](Session& s, const Object& self, Args& a) -> absl::StatusOr<Object> {
         const int n = static_cast<int>(a[0].value.as_int());
         WEFT_ASSIGN_OR_RETURN(Value v,
                               s.Run<Value>([bag = *self.bag, n]() -> absl::StatusOr<Value> {
                                 WEFT_ASSIGN_OR_RETURN(ValueList items, bag.take(n));
                                 return Value(std::move(items));
                               }));
         return Object::Of(std::move(v));
       }},
      {"compute",
       {},
       false,
       "every item, computed now",
       [](Session& s, const Object& self, Args&) -> absl::StatusOr<Object> {
         WEFT_ASSIGN_OR_RETURN(ValueList items, s.ComputeBag(*self.bag));
         Object o = Object::Of(Value(std::move(items)));
         o.headers = self.headers;
         return o;
       }},
      {"persist",
       {},
       false,
       "as persist(bag)",
       [](Session&, const Object& self, Args&) -> absl::StatusOr<Object> {
         Object o = Derived(self, self.bag->persist());
         o.persisted = true;
         return o;
       }},
      {"npartitions",
       {},
       false,
       "the number of partitions",
       [](Session&, const Object& self, Args&) -> absl::StatusOr<Object> {
         return Object::Of(Value(int64_t{self.bag->npartitions()}));
       }},
      {"first",
       {},
       false,
       "the first item, computed now (an error when the bag is empty)",
       [](Session& s, const Object& self, Args&) -> absl::StatusOr<Object> {
         WEFT_ASSIGN_OR_RETURN(Value v, s.Run<Value>([bag = *self.bag] { return bag.first(); }));
         Object o = Object::Of(std::move(v));
         o.as_json = true;
         return o;
       }},
      {"num_partitions",
       {},
       false,
       "the number of partitions (as npartitions())",
       [](Session&, const Object& self, Args&) -> absl::StatusOr<Object> {
         return Object::Of(Value(int64_t{self.bag->num_partitions()}));
       }},
      {"to_textfiles",
       {{"pattern", Type::kString}},
       false,
       "write partition i as JSON lines to pattern with '*' replaced by i (.gz, .zst "
       "compress; s3:// too), now; the number of items written",
       [](Session& s, const Object& self, Args& a) -> absl::StatusOr<Object> {
         WEFT_ASSIGN_OR_RETURN(
             Value v,
             s.Run<Value>([bag = *self.bag, pattern = Str(a[0])]() -> absl::StatusOr<Value> {
               WEFT_ASSIGN_OR_RETURN(int64_t n, bag.to_textfiles(pattern));
               return Value(n);
             }));
         return Object::Of(std::move(v));
       }},
  };
  return *table;
}

// Element-wise maps, then the shuffles (npartitions 0: as many output partitions as the
// input has).
const std::vector<Builtins::Entry>& Builtins::KeyValueMethods() {
  static const auto* table = new std::vector<Entry>{
      {"map",
       {{"expression", Type::kString}},
       false,
       "a value expression on each item: 'split(_, \" \")', '[user, n * 2]'",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Reshaped(self.bag->map(Str(a[0])), {});
       }},
      {"map_function",
       {{"function", Type::kString}, {"args", Type::kList, Value(ValueList{})}},
       false,
       "a registered function on each item: function(item, args...)",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         const ValueList& extra = a[1].value.as_list();
         return Reshaped(self.bag->map_function(Str(a[0]), {extra.begin(), extra.end()}), {});
       }},
      {"flatten",
       {},
       false,
       "items that are lists, spliced: [[1, 2], [3]] -> 1, 2, 3",
       [](Session&, const Object& self, Args&) -> absl::StatusOr<Object> {
         return Reshaped(self.bag->flatten(), {});
       }},
      {"to_pairs",
       {{"key", Type::kString}, {"value", Type::kString, Value("1")}},
       false,
       "[key, value] for each item, both value expressions: to_pairs(\"user\", \"1\")",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Reshaped(self.bag->to_pairs(Str(a[0]), Str(a[1])),
                         {KeyHeader(Str(a[0])), Str(a[1])});
       }},
      {"map_values",
       {{"expression", Type::kString}},
       false,
       "[key, expression] for each pair, `_` the value: map_values(\"_ * 2\")",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Reshaped(self.bag->map_values(Str(a[0])), {KeyHeader(self), Str(a[0])});
       }},
      {"reduce_by_key",
       {{"op", Type::kString}, {"npartitions", Type::kInt, Value(0)}},
       false,
       "[key, the key's values reduced] for pairs; op sum, count, min, max, mean, or a "
       "registered function of two values",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Reshaped(self.bag->reduce_by_key(Str(a[0]), Int(a[1])),
                         {KeyHeader(self), Str(a[0])});
       }},
      {"count_by_key",
       {{"npartitions", Type::kInt, Value(0)}},
       false,
       "[key, number of pairs with that key]",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Reshaped(self.bag->count_by_key(Int(a[0])), {KeyHeader(self), "count"});
       }},
      {"group_by_key",
       {{"npartitions", Type::kInt, Value(0)}},
       false,
       "[key, [value, ...]] for pairs",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Reshaped(self.bag->group_by_key(Int(a[0])), {KeyHeader(self), "values"});
       }},
      {"groupby",
       {{"key", Type::kString}, {"npartitions", Type::kInt, Value(0)}},
       false,
       "[key, [item, ...]] grouping items by a key expression",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Reshaped(self.bag->groupby(Str(a[0]), Int(a[1])), {KeyHeader(Str(a[0])), "items"});
       }},
      {"sort_by_key",
       {{"ascending", Type::kBool, Value(true)}, {"npartitions", Type::kInt, Value(0)}},
       false,
       "pairs sorted by key across partitions (strings bytewise, numbers by value)",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Derived(self, self.bag->sort_by_key(a[0].value.as_bool(), Int(a[1])));
       }},
      {"sort_by",
       {{"key", Type::kString},
        {"ascending", Type::kBool, Value(true)},
        {"npartitions", Type::kInt, Value(0)}},
       false,
       "items sorted by a key expression across partitions: sort_by(\"_[1]\", false)",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Derived(self, self.bag->sort_by(Str(a[0]), a[1].value.as_bool(), Int(a[2])));
       }},
      {"join",
       {{"other", Type::kBag}, {"npartitions", Type::kInt, Value(0)}},
       false,
       "[key, [value, other's value]] for each two pairs with equal keys (inner join)",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Reshaped(self.bag->join(*a[0].bag, Int(a[1])), {KeyHeader(self), "values"});
       }},
      {"repartition_by_key",
       {{"npartitions", Type::kInt}},
       false,
       "pairs moved so that each key lives in exactly one of npartitions partitions",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Derived(self, self.bag->repartition_by_key(Int(a[0])));
       }},
  };
  return *table;
}

const std::vector<Builtins::Entry>& Builtins::ItemMethods() {
  static const auto* table = new std::vector<Entry>{
      {"compute",
       {},
       false,
       "the value, computed now",
       [](Session& s, const Object& self, Args&) -> absl::StatusOr<Object> {
         WEFT_ASSIGN_OR_RETURN(Value v, s.ComputeItem(*self.item));
         return Object::Of(std::move(v));
       }},
  };
  return *table;
}

std::string Builtins::Signature(const Entry& e, const char* owner) {
  std::vector<std::string> params;
  for (const Param& p : e.params) {
    std::string text = absl::StrCat(p.name, ": ", TypeName(p.type), e.variadic ? "..." : "");
    if (p.fallback) absl::StrAppend(&text, " = ", ToJson(*p.fallback));
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
constexpr const char* kWordLiterals[] = {"true", "false", "null", "None"};

bool IsReserved(const std::string& name) {
  for (const char* w : kCommands) {
    if (name == w) return true;
  }
  for (const char* w : kWordLiterals) {
    if (name == w) return true;
  }
  auto names = EntryNames(Builtins::Functions());
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Records (take(), compute() of parsed records) as one JSON object per line, whole; other
// lists as a table.
std::string Table(const Value& value, const std::vector<std::string>& headers) {
  const ValueList& items = value.as_list();
  if (!items.empty() && items.front().is_record()) {
    std::vector<std::string> lines;
    for (const Value& item : items) lines.push_back(ToJson(item));
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
  }
  return absl::InternalError("unknown expression");
}

absl::StatusOr<Object> Session::Call(const Expr& e, const Object* self) {
  static const std::vector<Builtins::Entry> kNone;
  const auto& table = self == nullptr                     ? Builtins::Functions()
                      : self->kind == Object::Kind::kBag  ? Builtins::BagMethods()
                      : self->kind == Object::Kind::kItem ? Builtins::ItemMethods()
                                                          : kNone;
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
    return ErrorAt(e.column, absl::StrCat("a ", self->type_name(), " has no method '", e.name,
                                          "' (", have, ")"));
  }
  Builtins::Args given;
  for (const Argument& a : e.args) {
    WEFT_ASSIGN_OR_RETURN(Object v, Evaluate(*a.value));
    given.push_back(std::move(v));
  }
  WEFT_ASSIGN_OR_RETURN(Builtins::Args args, Builtins::Bind(*entry, e, std::move(given)));
  static const Object kNoSelf;
  return entry->run(*this, self == nullptr ? kNoSelf : *self, args);
}

absl::StatusOr<std::string> Session::Show(const Object& object) {
  switch (object.kind) {
    case Object::Kind::kValue:
      if (object.value.is_null()) return std::string();
      if (object.value.is_list() && !object.as_json) return Table(object.value, object.headers);
      return ToJson(object.value);
    case Object::Kind::kItem: {
      WEFT_ASSIGN_OR_RETURN(Value v, ComputeItem(*object.item));
      return v.is_list() ? Table(v, {}) : ToJson(v);
    }
    case Object::Kind::kBag: {
      WEFT_ASSIGN_OR_RETURN(ValueList items, ComputeBag(*object.bag));
      return Table(Value(std::move(items)), object.headers);
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

std::vector<std::string> FunctionNames() { return EntryNames(Builtins::Functions()); }

std::vector<std::string> MethodNames(const std::string& owner) {
  if (owner == "bag") return EntryNames(Builtins::BagMethods());
  if (owner == "item") return EntryNames(Builtins::ItemMethods());
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
  const Group groups[] = {{"Functions", "", &Builtins::Functions()},
                          {"Bag methods", "bag.", &Builtins::CoreBagMethods()},
                          {"Key/value bag methods (npartitions 0: as many as the input)", "bag.",
                           &Builtins::KeyValueMethods()},
                          {"Item methods (count())", "item.", &Builtins::ItemMethods()}};
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
       "Commands: help [NAME], bags (the names defined), quit (or Ctrl-D).",
       "Keys: TAB completes names, functions and methods; Ctrl-R searches the history; "
       "Ctrl-C stops the running query.",
       ""});
  return absl::StrJoin(lines, "\n");
}

}  // namespace weft::cli::shell
