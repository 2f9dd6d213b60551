// weft::Client's checks that need no cluster: graphs with cycles, addresses out of range.
#include "weft/client.h"

#include <catch2/catch.hpp>
#include <string>

namespace weft {
namespace {

GraphTask Inc(const std::string& key) { return GraphTask::Call("inc", {Arg::Key(key)}); }

std::string CycleError(const Graph& graph, const std::vector<std::string>& keys = {}) {
  absl::Status status = CheckGraph(graph, keys);
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  return std::string(status.message());
}

TEST_CASE("CheckGraph names the keys of a cycle, each needing the next") {
  CHECK(CycleError({{"a", Inc("b")}, {"b", Inc("a")}}) == "the graph has a cycle: a -> b -> a");
  CHECK(CycleError({{"x", Inc("y")}, {"y", Inc("z")}, {"z", Inc("x")}}) ==
        "the graph has a cycle: x -> y -> z -> x");
  CHECK(CycleError({{"me", Inc("me")}}) == "the graph has a cycle: me -> me");
  // References inside lists of arguments count; the search starts from the keys given.
  Graph nested = {{"a", GraphTask::Call("sum", {Arg(std::vector<Arg>{Arg::Key("b"), 1})})},
                  {"b", Inc("c")},
                  {"c", Inc("a")},
                  {"d", Inc("c")}};
  CHECK(CycleError(nested, {"d"}) == "the graph has a cycle: c -> a -> b -> c");
  CHECK(CycleError(nested) == "the graph has a cycle: a -> b -> c -> a");
}

TEST_CASE("CheckGraph passes graphs without a cycle") {
  // A diamond shares an input; a key outside the graph is a key on the cluster.
  Graph diamond = {{"x", GraphTask::Literal(Value(int64_t{1}))},
                   {"l", Inc("x")},
                   {"r", Inc("x")},
                   {"z", GraphTask::Call("add", {Arg::Key("l"), Arg::Key("r")})},
                   {"w", Inc("elsewhere")}};
  CHECK(CheckGraph(diamond, {"z"}).ok());
  CHECK(CheckGraph({}).ok());
}

TEST_CASE("CheckGraph walks long chains and cycles without recursion") {
  Graph chain;
  const int n = 100'000;
  for (int i = 1; i < n; ++i) chain["k" + std::to_string(i)] = Inc("k" + std::to_string(i - 1));
  chain["k0"] = GraphTask::Literal(Value(int64_t{0}));
  CHECK(CheckGraph(chain, {"k" + std::to_string(n - 1)}).ok());
  chain["k0"] = Inc("k" + std::to_string(n - 1));  // closes the ring
  CHECK(CycleError(chain, {"k0"}) ==
        "the graph has a cycle: k0 -> k99999 -> k99998 -> k99997 -> k99996 -> k99995 -> "
        "k99994 -> k99993 -> ... 99992 more ... -> k0");
}

TEST_CASE("Connect refuses a scheduler address whose port is out of range") {
  // gRPC would take 99999 modulo 65536 and connect to port 34463.
  auto client = Client::Connect("127.0.0.1:99999");
  REQUIRE_FALSE(client.ok());
  CHECK(client.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(client.status().message() ==
        "invalid address '127.0.0.1:99999': the port must be a number from 1 to 65535, got "
        "'99999'");
  CHECK(absl::IsInvalidArgument(Client::Connect("127.0.0.1").status()));
}

}  // namespace
}  // namespace weft
