// The local reductions the client's Bag builds for a persisted bag (client/bag.cc):
// bag.reduce_local over the partitions one worker holds, and bag.merge_ordered, which puts
// the partials of several back in the partitions' order before merging them.
#include <catch2/catch.hpp>
#include <string>

#include "common/compressed_lines.h"
#include "weft/function.h"
#include "weft/value.h"
#include "worker/registry_testing.h"

namespace weft {
namespace {

constexpr auto* Call = &testing::CallLinked;

Value Lines(const std::string& text) { return Value(JsonLines::FromText(Buffer(text))); }

TEST_CASE("reduce_local merges the partials of the partitions it is given") {
  // Compressed partitions reach bag.count as they are, and bag.take opened or not.
  const Value a(
      CompressLines(JsonLines::FromText(Buffer(std::string("{\"t\":\"x\"}\n{\"t\":\"y\"}\n")))));
  const Value b = Lines("{\"t\":\"x\"}\n");
  auto count = Call("bag.reduce_local", {Value(ValueList{a, b}), Value("bag.count"),
                                         Value(ValueList{}), Value("sum"), Value(ValueList{})});
  INFO(count.status().ToString());
  REQUIRE(count.ok());
  CHECK(*count == Value(3));
  auto freq = Call("bag.reduce_local",
                   {Value(ValueList{a, b}), Value("bag.frequencies"), Value(ValueList{Value("t")}),
                    Value("bag.merge_frequencies"), Value(ValueList{})});
  REQUIRE(freq.ok());
  CHECK(freq->DebugString() == R"([["x",2],["y",1]])");
  // No merge: the partials themselves, in the order of the partitions.
  auto partials = Call("bag.reduce_local", {Value(ValueList{a, b}), Value("bag.count"),
                                            Value(ValueList{}), Value(""), Value(ValueList{})});
  REQUIRE(partials.ok());
  CHECK(*partials == Value(ValueList{Value(2), Value(1)}));
  // A partition that fails names its place among those given.
  auto bad = Call("bag.reduce_local", {Value(ValueList{b, Value(7)}), Value("bag.count"),
                                       Value(ValueList{}), Value("sum"), Value(ValueList{})});
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()),
             Catch::Contains("partition 2 of the 2 reduced here: bag.count()"));
}

TEST_CASE("merge_ordered merges the partials in partition order") {
  // Partitions 0 and 2 on one worker, 1 on the other: distinct keeps first appearances.
  const Value here(
      ValueList{Value(ValueList{Value("a"), Value("b")}), Value(ValueList{Value("c")})});
  const Value there(ValueList{Value(ValueList{Value("c"), Value("a"), Value("d")})});
  auto merged =
      Call("bag.merge_ordered",
           {Value(ValueList{here, there}),
            Value(ValueList{Value(ValueList{Value(0), Value(2)}), Value(ValueList{Value(1)})}),
            Value("bag.merge_distinct"), Value(ValueList{})});
  REQUIRE(merged.ok());
  CHECK(merged->DebugString() == R"(["a","b","c","d"])");
  // Positions that do not cover 0..n-1 once each are refused.
  for (const Value& positions :
       {Value(ValueList{Value(ValueList{Value(0), Value(0)}), Value(ValueList{Value(1)})}),
        Value(ValueList{Value(ValueList{Value(0), Value(3)}), Value(ValueList{Value(1)})}),
        Value(ValueList{Value(ValueList{Value(0)}), Value(ValueList{Value(1)})})}) {
    auto refused = Call("bag.merge_ordered", {Value(ValueList{here, there}), positions,
                                              Value("bag.merge_distinct"), Value(ValueList{})});
    CHECK(absl::IsInvalidArgument(refused.status()));
  }
}

}  // namespace
}  // namespace weft
