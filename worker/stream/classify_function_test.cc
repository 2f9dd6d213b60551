#include <catch2/catch.hpp>
#include <string>

#include "weft/function.h"
#include "weft/value.h"
#include "worker/function_registry.h"

namespace weft {
namespace {

absl::StatusOr<Value> Call(const ValueList& args) {
  static FunctionRegistry* registry = [] {
    auto* r = new FunctionRegistry();
    REQUIRE(r->AddBuiltins().ok());
    return r;
  }();
  return registry->Call("example.classify_csv", args, TaskContext("k", "example.classify_csv"));
}

TEST_CASE("example.classify_csv labels a batch with the default arguments") {
  // Sums after the index column: 1 + 2 = 3 (high), -4 + 1 = -3 (low).
  auto out = Call({Value("id,a,b\n0,1,2\n1,-4,1\n"), Value(Record{})});
  REQUIRE(out.ok());
  CHECK(*out == Value("0,1,2,high\n1,-4,1,low\n"));
}

TEST_CASE("example.classify_csv takes threshold, burn_us and header from its args record") {
  auto out = Call({Value("0,1,2\n1,5,1\n"), Value(Record{{"threshold", Value(3.5)},
                                                         {"burn_us", Value(int64_t{10})},
                                                         {"header", Value(false)}})});
  REQUIRE(out.ok());
  CHECK(*out == Value("0,1,2,low\n1,5,1,high\n"));
  auto int_threshold = Call({Value("id,a\n0,3\n1,4\n"), Value(Record{{"threshold", Value(3)}})});
  REQUIRE(int_threshold.ok());
  CHECK(*int_threshold == Value("0,3,low\n1,4,high\n"));
}

TEST_CASE("example.classify_csv returns bytes for a bytes batch") {
  auto out = Call({Value::Bytes(Buffer(std::string("id,a\n7,1\n"))), Value(Record{})});
  REQUIRE(out.ok());
  REQUIRE(out->is_bytes());
  CHECK(out->as_bytes().view() == "7,1,high\n");
}

TEST_CASE("example.classify_csv errors name the function, the row and the argument") {
  auto bad_row = Call({Value("id,a,b\n0,1\n"), Value(Record{})});
  CHECK(bad_row.status().message() ==
        "example.classify_csv(): row 2 has 2 fields, the header has 3");
  auto unknown = Call({Value("id,a\n"), Value(Record{{"treshold", Value(1)}})});
  CHECK(unknown.status().message() ==
        "example.classify_csv(): unknown argument 'treshold': the known ones are threshold, "
        "burn_us and header");
  auto kind = Call({Value("id,a\n"), Value(Record{{"header", Value(1)}})});
  CHECK(kind.status().message() == "example.classify_csv(): args.header must be a bool, got int");
  auto batch = Call({Value(int64_t{3}), Value(Record{})});
  CHECK(batch.status().message() ==
        "example.classify_csv(): argument 1 (batch) must be string or bytes, got int");
  auto arity = Call({Value("id,a\n")});
  CHECK(arity.status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace weft
