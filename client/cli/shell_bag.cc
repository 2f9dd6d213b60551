// The bag functions and methods of `weft shell` (shell_builtins.h).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/shell_builtins.h"
#include "common/status_macros.h"

namespace weft::cli::shell {
namespace {

// persist(bag, compression) and bag.persist(compression): the bag kept on the workers.
absl::StatusOr<Object> Persisted(const Object& bag, const std::string& compression) {
  WEFT_ASSIGN_OR_RETURN(Bag::Compression how, Bag::ParseCompression(compression));
  Object o = Builtins::Derived(bag, bag.bag->persist(how));
  o.persisted = true;
  return o;
}

}  // namespace

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
       {{"bag", Type::kBag}, {"compression", Type::kString, Value("zstd")}},
       false,
       "start computing the bag's partitions and keep them on the workers (JSON lines as zstd "
       "blocks, or \"none\"); returns at once",
       [](Session&, const Object&, Args& a) -> absl::StatusOr<Object> {
         return Persisted(a[0], a[1].value.as_string());
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
       {{"compression", Type::kString, Value("zstd")}},
       false,
       "as persist(bag)",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Persisted(self, a[0].value.as_string());
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
         o.display = Object::Display::kJson;
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

}  // namespace weft::cli::shell
