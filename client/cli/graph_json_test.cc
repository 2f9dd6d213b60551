// ParseGraphJson and CullGraph: which JSON values become tasks, references and literals;
// the errors for malformed text, missing keys and cycles.
#include "client/cli/graph_json.h"

#include <catch2/catch.hpp>

using weft::Arg;
using weft::Graph;
using weft::GraphTask;
using weft::Record;
using weft::Value;
using weft::ValueList;
using weft::cli::CullGraph;
using weft::cli::ParseGraphJson;

namespace {

Graph Parsed(const std::string& text) {
  auto graph = ParseGraphJson(text);
  INFO(graph.status().ToString());
  REQUIRE(graph.ok());
  return *std::move(graph);
}

std::string ParseError(const std::string& text) {
  auto graph = ParseGraphJson(text);
  REQUIRE_FALSE(graph.ok());
  return std::string(graph.status().message());
}

std::string CullError(const Graph& graph, const std::vector<std::string>& keys) {
  auto culled = CullGraph(graph, keys);
  REQUIRE_FALSE(culled.ok());
  return std::string(culled.status().message());
}

// An argument written back as text: keys as <key>, lists as [...], literals as JSON-ish.
std::string Show(const Arg& arg) {
  switch (arg.kind()) {
    case Arg::Kind::kKey:
      return "<" + arg.key() + ">";
    case Arg::Kind::kList: {
      std::string out = "[";
      for (const Arg& item : arg.items()) out += (out.size() > 1 ? " " : "") + Show(item);
      return out + "]";
    }
    case Arg::Kind::kLiteral:
      return arg.literal().DebugString();
  }
  return "";
}

std::string Show(const GraphTask& task) {
  std::string out = task.function + "(";
  for (size_t i = 0; i < task.args.size(); ++i) out += (i ? " " : "") + Show(task.args[i]);
  return out + ")";
}

}  // namespace

TEST_CASE("dask's add graph: literals and a task referring to them") {
  Graph g = Parsed(R"({"x": 1, "y": 2, "z": ["add", "x", "y"]})");
  REQUIRE(g.size() == 3);
  CHECK(Show(g.at("x")) == "identity(1)");
  CHECK(Show(g.at("y")) == "identity(2)");
  CHECK(Show(g.at("z")) == "add(<x> <y>)");
}

TEST_CASE("references, lists of arguments, aliases and literals") {
  Graph g = Parsed(R"({
    "a": 1,
    "b": ["inc", "a"],
    "c": ["sum", ["a", "b", 10]],
    "d": "b",
    "e": "not a key",
    "f": ["a", "b"],
    "g": [],
    "h": {"a": "a", "n": [1, 2]},
    "i": ["add", 1.5, "a"],
    "j": [1, "a"],
    "k": [true, null, "word"]
  })");
  CHECK(Show(g.at("b")) == "inc(<a>)");
  CHECK(Show(g.at("c")) == "sum([<a> <b> 10])");
  CHECK(Show(g.at("d")) == "identity(<b>)");  // an alias
  CHECK(Show(g.at("e")) == "identity(\"not a key\")");
  CHECK(Show(g.at("f")) == "identity([<a> <b>])");  // a list of keys, not a task
  CHECK(Show(g.at("g")) == "identity([])");
  // Objects are records, their strings never references.
  REQUIRE(g.at("h").args.size() == 1);
  CHECK(g.at("h").args[0].literal() ==
        Value(Record{{"a", Value("a")}, {"n", Value(ValueList{Value(1), Value(2)})}}));
  CHECK(Show(g.at("i")) == "add(1.5 <a>)");
  CHECK(Show(g.at("j")) == "identity([1 <a>])");
  CHECK(Show(g.at("k")) == "identity([true null \"word\"])");
}

TEST_CASE("a nested list that looks like a task is a list of arguments") {
  Graph g = Parsed(R"({"x": 1, "y": ["sum", ["inc", "x"]]})");
  CHECK(Show(g.at("y")) == "sum([\"inc\" <x>])");
}

TEST_CASE("malformed JSON is an error with its line and column") {
  CHECK(ParseError("{\"x\": 1,\n \"y\": 2\n \"z\": 3}") ==
        "line 3, column 2: expected ',', found a string");
  CHECK(ParseError("{\"x\": [1, 2}") == "line 1, column 12: expected ',', found '}'");
  CHECK(ParseError("{\"x\": 1,\n  \"y\": [1,\n") ==
        "line 3, column 1: expected a value, found the end of the file");
  CHECK(ParseError("{\"x\": \"abc}") == "line 1, column 7: unterminated string");
}

TEST_CASE("a graph is an object with distinct, non-empty keys") {
  CHECK_THAT(ParseError("[1, 2]"), Catch::Contains("a graph is a JSON object"));
  CHECK_THAT(ParseError("[1, 2]"), Catch::Contains("this is a list"));
  CHECK(ParseError(R"({"x": 1, "x": 2})") == "key \"x\" is given twice");
  CHECK(ParseError(R"({"": 1})") == "a key of the graph is empty");
}

TEST_CASE("CullGraph keeps what the keys need") {
  Graph g = Parsed(R"({"a": 1, "b": ["inc", "a"], "c": ["inc", "b"], "other": ["inc", 5]})");
  auto culled = CullGraph(g, {"c"});
  REQUIRE(culled.ok());
  CHECK(culled->size() == 3);
  CHECK(culled->count("other") == 0);
  auto both = CullGraph(g, {"b", "other"});
  REQUIRE(both.ok());
  CHECK(both->size() == 3);
  CHECK(both->count("c") == 0);
}

TEST_CASE("CullGraph names a missing key and the graph's keys") {
  Graph g = Parsed(R"({"x": 1, "y": 2})");
  CHECK(CullError(g, {"x", "nope"}) == "key \"nope\" is not in the graph (its keys: x, y)");
}

TEST_CASE("CullGraph names the keys of a cycle") {
  CHECK(CullError(Parsed(R"({"a": ["inc", "b"], "b": ["inc", "a"]})"), {"a"}) ==
        "the graph has a cycle: a -> b -> a");
  CHECK(CullError(Parsed(R"({"a": "a"})"), {"a"}) == "the graph has a cycle: a -> a");
  CHECK(CullError(Parsed(R"({"x": 1, "a": ["add", "x", "c"], "b": ["inc", "a"],
                            "c": ["sum", ["x", "b"]], "d": ["inc", "c"]})"),
                  {"d"}) == "the graph has a cycle: c -> b -> a -> c");
  // A diamond shares a dependency without a cycle.
  auto diamond = CullGraph(
      Parsed(R"({"x": 1, "l": ["inc", "x"], "r": ["dec", "x"], "z": ["add", "l", "r"]})"), {"z"});
  CHECK(diamond.ok());
}

TEST_CASE("a long chain is culled without deep recursion") {
  std::string text = "{\"k0\": 0";
  for (int i = 1; i < 20000; ++i) {
    text += ", \"k" + std::to_string(i) + "\": [\"inc\", \"k" + std::to_string(i - 1) + "\"]";
  }
  text += "}";
  auto culled = CullGraph(Parsed(text), {"k19999"});
  REQUIRE(culled.ok());
  CHECK(culled->size() == 20000);
}
