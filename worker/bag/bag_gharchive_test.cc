// The Bag functions on a real GitHub Archive hour, checked against answers computed
// independently by python3 (json + gzip). Also runs them by name through the workers'
// function registry, as the worker does. Skips when WEFT_GHARCHIVE_DIR is not set.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "weft/function.h"
#include "worker/bag/bag_ops.h"
#include "worker/bag/column.h"
#include "worker/function_registry.h"

namespace weft::bag {
namespace {

constexpr char kHour[] = "2015/2015-01-01-15.json.gz";

// Runs python3 and returns its stdout.
std::string RunPython(const std::string& script) {
  const std::string command = "/usr/bin/python3 -c '" + script + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  REQUIRE(pipe != nullptr);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  return out;
}

// The reference answers, one per line:
//   count <n>
//   type <name> <count>           (every type)
//   jupyter <repo.name>           (distinct, sorted)
//   top <login> <count>           (top 10 by count desc, then login asc)
std::string PythonAnswers(const std::string& file) {
  return RunPython(
      "import gzip, json, collections\n"
      "recs = [json.loads(l) for l in gzip.open(\"" +
      file +
      "\", \"rt\", encoding=\"utf-8\") if l.strip()]\n"
      "print(\"count\", len(recs))\n"
      "for t, c in collections.Counter(r[\"type\"] for r in recs).items(): print(\"type\", t, c)\n"
      "for n in sorted({r[\"repo\"][\"name\"] for r in recs if "
      "r[\"repo\"][\"name\"].startswith(\"jupyter/\")}): print(\"jupyter\", n)\n"
      "logins = collections.Counter(r[\"actor\"][\"login\"] for r in recs)\n"
      "for l, c in sorted(logins.items(), key=lambda kv: (-kv[1], kv[0]))[:10]: print(\"top\", l, "
      "c)\n");
}

int64_t ToInt(absl::string_view s) {
  int64_t v = -1;
  REQUIRE(absl::SimpleAtoi(s, &v));
  return v;
}

absl::StatusOr<Value> Call(const FunctionRegistry& registry, const std::string& name,
                           ValueList args) {
  return registry.Call(name, args, TaskContext("test-key", name));
}

TEST_CASE("a real GitHub Archive hour matches python's answers") {
  const char* dir = std::getenv("WEFT_GHARCHIVE_DIR");
  if (dir == nullptr || !std::filesystem::is_directory(dir)) {
    WARN("WEFT_GHARCHIVE_DIR is not set or not a folder: skipping the GitHub Archive test");
    return;
  }
  const std::string file = std::string(dir) + "/" + kHour;
  const std::string answers = PythonAnswers(file);
  REQUIRE_FALSE(answers.empty());

  FunctionRegistry registry;
  REQUIRE(registry.AddBuiltins().ok());
  REQUIRE(registry.Contains("bag.frequencies"));

  auto lines = Call(registry, "bag.read_text", {Value(file), Value("infer")});
  REQUIRE(lines.ok());
  auto records = Call(registry, "bag.parse_json", {*lines, Value(file), Value("raise")});
  INFO(records.status().ToString());
  REQUIRE(records.ok());

  // Expected values from python.
  int64_t expected_count = -1;
  ValueList expected_types, expected_jupyter, expected_top;
  for (absl::string_view line : absl::StrSplit(answers, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (f[0] == "count") expected_count = ToInt(f[1]);
    if (f[0] == "type") expected_types.push_back(Value(ValueList{f[1], ToInt(f[2])}));
    if (f[0] == "jupyter") expected_jupyter.push_back(Value(f[1]));
    if (f[0] == "top") expected_top.push_back(Value(ValueList{f[1], ToInt(f[2])}));
  }
  REQUIRE(expected_count > 0);
  REQUIRE(expected_top.size() == 10);

  auto count = Call(registry, "bag.count", {*records});
  REQUIRE(count.ok());
  CHECK(*count == Value(expected_count));

  // frequencies of type, as a tree reduction over three slices.
  ValueList partials;
  for (int i = 0; i < 3; ++i) {
    auto slice = Call(registry, "bag.split", {*records, Value(i), Value(3)});
    REQUIRE(slice.ok());
    auto f = Call(registry, "bag.frequencies", {*slice, Value("type")});
    REQUIRE(f.ok());
    partials.push_back(*f);
  }
  auto types = Call(registry, "bag.merge_frequencies", {Value(partials)});
  REQUIRE(types.ok());
  REQUIRE(types->as_list().size() == expected_types.size());
  for (const Value& pair : expected_types) {
    CHECK(std::find(types->as_list().begin(), types->as_list().end(), pair) !=
          types->as_list().end());
  }

  // A second frequencies on the same buffer comes from the column cache.
  const int64_t hits = ColumnCache::Global().stats().hits;
  auto again = Frequencies(*records, "type");
  REQUIRE(again.ok());
  auto again2 = Frequencies(*records, "type");
  CHECK(ColumnCache::Global().stats().hits >= hits + 1);
  CHECK(*again == *again2);
  CHECK(*again == *types);

  // distinct repo.name among jupyter/ repositories.
  auto jupyter =
      Call(registry, "bag.filter", {*records, Value("starts_with(repo.name, \"jupyter/\")")});
  REQUIRE(jupyter.ok());
  auto distinct = Call(registry, "bag.distinct", {*jupyter, Value("repo.name")});
  REQUIRE(distinct.ok());
  ValueList got = distinct->as_list();
  std::sort(got.begin(), got.end(),
            [](const Value& a, const Value& b) { return a.as_string() < b.as_string(); });
  CHECK(Value(got) == Value(expected_jupyter));

  // top-10 actor.login: frequencies then topk on the count.
  auto logins = Call(registry, "bag.frequencies", {*records, Value("actor.login")});
  REQUIRE(logins.ok());
  auto top = Call(registry, "bag.topk", {*logins, Value(10), Value("1")});
  REQUIRE(top.ok());
  CHECK(*top == Value(expected_top));
}

}  // namespace
}  // namespace weft::bag
