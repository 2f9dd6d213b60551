// The typed adapters, the registry (errors, exceptions, conflicts) and plugin loading.
#include "worker/function_registry.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "common/compressed_lines.h"
#include "weft/function.h"
#include "worker/registry_testing.h"

namespace weft {
namespace {

int64_t Twice(int64_t x) { return 2 * x; }
double Half(double x) { return x / 2; }
int Small(int x) { return x; }
std::string Join(const std::string& a, const std::string& b) { return a + b; }
bool Not(bool b) { return !b; }
int64_t Count(const ValueList& items) { return static_cast<int64_t>(items.size()); }
Record Wrap(const Value& v) { return Record{{"value", v}}; }
Buffer Bytes(const std::string& s) { return Buffer(s); }
void Nothing() {}
absl::Status Check(bool ok) {
  return ok ? absl::OkStatus() : absl::FailedPreconditionError("not ok");
}
std::string KeyOf(const TaskContext& context, int64_t x) {
  return context.key() + "/" + context.function() + "/" + std::to_string(x);
}
int64_t Throws(int64_t) { throw std::runtime_error("kaboom"); }
int64_t ThrowsInt(int64_t) { throw 42; }
absl::StatusOr<Value> Variadic(const ValueList& args, const TaskContext&) {
  return Value(static_cast<int64_t>(args.size()));
}
// The kinds its argument and that argument's items arrive as.
std::string KindsOf(const Value& v) {
  std::string out = v.kind_name();
  if (v.is_list()) {
    for (const Value& item : v.as_list()) out += std::string(" ") + item.kind_name();
  }
  return out;
}

// Test registrations go through the same macro as built-ins and plugins.
WEFT_FUNCTION("test.twice", Twice);
WEFT_FUNCTION("test.half", Half);
WEFT_FUNCTION("test.small", Small);
WEFT_FUNCTION("test.join", Join);
WEFT_FUNCTION("test.not", Not);
WEFT_FUNCTION("test.count", Count);
WEFT_FUNCTION("test.wrap", Wrap);
WEFT_FUNCTION("test.bytes", Bytes);
WEFT_FUNCTION("test.nothing", Nothing);
WEFT_FUNCTION("test.check", Check);
WEFT_FUNCTION("test.key_of", KeyOf);
WEFT_FUNCTION("test.throws", Throws);
WEFT_FUNCTION("test.throws_int", ThrowsInt);
WEFT_FUNCTION("test.variadic", Variadic);
WEFT_FUNCTION("test.kinds_of", KindsOf);
WEFT_FUNCTION_OF_COMPRESSED_LINES("test.kinds_of_compressed", KindsOf);

constexpr auto* Call = &testing::CallLinked;

std::string Message(const absl::StatusOr<Value>& r) { return std::string(r.status().message()); }

TEST_CASE("typed adapters convert arguments and results") {
  CHECK(*Call("test.twice", {21}) == Value(42));
  CHECK(*Call("test.half", {3}) == Value(1.5));  // an int converts to double
  CHECK(*Call("test.half", {3.0}) == Value(1.5));
  CHECK(*Call("test.small", {7}) == Value(7));
  CHECK(*Call("test.join", {"ab", "cd"}) == Value("abcd"));
  CHECK(*Call("test.not", {true}) == Value(false));
  CHECK(*Call("test.count", {ValueList{1, 2, 3}}) == Value(3));
  CHECK(*Call("test.wrap", {"x"}) == Value(Record{{"value", "x"}}));
  CHECK(*Call("test.bytes", {"xyz"}) == Value::Bytes(Buffer(std::string("xyz"))));
  CHECK(Call("test.nothing", {})->is_null());
  CHECK(Call("test.check", {true})->is_null());
  CHECK(*Call("test.key_of", {5}) == Value("k-1/test.key_of/5"));
  CHECK(*Call("test.variadic", {1, 2, 3, 4}) == Value(4));
}

TEST_CASE("wrong arity and kinds are clear errors") {
  auto r = Call("test.twice", {1, 2});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(r) == "test.twice() takes 1 argument (int), got 2");
  CHECK(Message(Call("test.join", {"a"})) ==
        "test.join() takes 2 arguments (string, string), got 1");
  CHECK(Message(Call("test.nothing", {1})) == "test.nothing() takes no arguments, got 1");
  CHECK(Message(Call("test.twice", {"x"})) == "test.twice(): argument 1 must be int, got string");
  CHECK(Message(Call("test.join", {"a", 2})) == "test.join(): argument 2 must be string, got int");
  CHECK(Message(Call("test.twice", {1.5})) == "test.twice(): argument 1 must be int, got double");
  CHECK_FALSE(Call("test.small", {int64_t{1} << 40}).ok());
  // The context parameter is not counted as an argument.
  CHECK(Message(Call("test.key_of", {})) == "test.key_of() takes 1 argument (int), got 0");
}

TEST_CASE("errors and exceptions become statuses naming the function") {
  auto failed = Call("test.check", {false});
  CHECK(failed.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(Message(failed) == "test.check(): not ok");

  auto thrown = Call("test.throws", {1});
  CHECK(thrown.status().code() == absl::StatusCode::kAborted);
  CHECK(Message(thrown) == "test.throws(): kaboom");
  CHECK_THAT(Message(Call("test.throws_int", {1})), Catch::Contains("non-standard exception"));

  auto unknown = Call("no_such_function", {1});
  CHECK(unknown.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(Message(unknown), Catch::Contains("no_such_function"));
}

TEST_CASE("built-ins") {
  CHECK(*Call("inc", {1}) == Value(2));
  CHECK(*Call("dec", {1}) == Value(0));
  CHECK(*Call("add", {1, 2}) == Value(3));
  CHECK(*Call("add", {1.5, 2.25}) == Value(3.75));
  CHECK(*Call("add", {1, 0.5}) == Value(1.5));
  CHECK(Message(Call("add", {1, "x"})) == "add(): argument 2 must be int or double, got string");
  CHECK(Call("add", {INT64_MAX, 1}).status().code() == absl::StatusCode::kOutOfRange);
  // Integer overflow is an error for every integer built-in, never a wrap.
  CHECK(*Call("inc", {INT64_MAX - 1}) == Value(INT64_MAX));
  CHECK(Call("inc", {INT64_MAX}).status().code() == absl::StatusCode::kOutOfRange);
  CHECK(Message(Call("inc", {INT64_MAX})) == "inc(): integer overflow");
  CHECK(*Call("dec", {INT64_MIN + 1}) == Value(INT64_MIN));
  CHECK(Call("dec", {INT64_MIN}).status().code() == absl::StatusCode::kOutOfRange);
  CHECK(Message(Call("dec", {INT64_MIN})) == "dec(): integer overflow");
  CHECK(Message(Call("slowinc", {INT64_MAX, 0})) == "slowinc(): integer overflow");
  CHECK(*Call("mul", {6, 7}) == Value(42));
  CHECK(*Call("neg", {5}) == Value(-5));
  CHECK(*Call("neg", {2.5}) == Value(-2.5));
  CHECK(*Call("sum", {ValueList{1, 2, 3}}) == Value(6));
  CHECK(*Call("sum", {ValueList{1, 0.5}}) == Value(1.5));
  CHECK(*Call("sum", {ValueList{}}) == Value(0));
  CHECK_FALSE(Call("sum", {ValueList{1, "x"}}).ok());
  Value nested(ValueList{1, "two", ValueList{3.0, nullptr}});
  CHECK(*Call("identity", {nested}) == nested);
  CHECK(*Call("sleep", {0.01}) == Value(0.01));
  CHECK(*Call("sleep", {0}) == Value(0.0));
  auto raised = Call("raise", {"boom at line 7"});
  CHECK(raised.status().code() == absl::StatusCode::kAborted);
  CHECK(Message(raised) == "raise(): boom at line 7");
  auto bytes = Call("make_bytes", {1000});
  REQUIRE(bytes.ok());
  REQUIRE(bytes->is_bytes());
  CHECK(bytes->as_bytes().size() == 1000);
  CHECK(*Call("len", {ValueList{1, 2}}) == Value(2));
  CHECK(*Call("len", {"abc"}) == Value(3));
  CHECK(*Call("len", {*bytes}) == Value(1000));
  CHECK_FALSE(Call("len", {1}).ok());
}

TEST_CASE("sleep returns early when its task is cancelled") {
  // An hour's sleep: only the cancellation can make it return.
  auto flag = std::make_shared<std::atomic<bool>>(true);
  auto r = testing::LinkedFunctions().Call("sleep", {3600.0}, TaskContext("k", "sleep", flag));
  CHECK(r.ok());
}

TEST_CASE("compressed partitions reach a function as JsonLines unless it takes them") {
  const JsonLines lines = JsonLines::FromText(Buffer(std::string("{\"a\":1}\n[2]\n")));
  const Value compressed(CompressLines(lines));
  CHECK(*Call("test.kinds_of", {compressed}) == Value("json_lines"));
  CHECK(*Call("test.kinds_of", {Value(ValueList{compressed, Value(1)})}) ==
        Value("list json_lines int"));
  CHECK(*Call("test.kinds_of_compressed", {compressed}) == Value("compressed_lines"));
  // A corrupt partition is the task's error, naming the function and the argument.
  CompressedLines corrupt = compressed.as_compressed_lines();
  corrupt.frames = Buffer(std::string(corrupt.frames.size(), 'x'));
  absl::StatusOr<Value> bad = Call("test.kinds_of", {Value(corrupt)});
  CHECK(bad.status().code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(Message(bad), Catch::StartsWith("test.kinds_of(): argument 1: compressed lines"));
}

TEST_CASE("registering a name twice: same function is deduplicated, another is an error") {
  FunctionRegistry registry;
  REQUIRE(registry.AddBuiltins().ok());
  REQUIRE(registry.AddBuiltins().ok());  // the same registrations again
  internal::FunctionRegistration other{
      "inc", [](const ValueList&, const TaskContext&) { return absl::StatusOr<Value>(Value(0)); },
      reinterpret_cast<const void*>(&Twice), "inc(int)"};
  auto status = registry.Register(other, "elsewhere");
  CHECK(status.code() == absl::StatusCode::kAlreadyExists);
  CHECK_THAT(std::string(status.message()), Catch::Contains("inc"));
  CHECK_THAT(std::string(status.message()), Catch::Contains("elsewhere"));
  CHECK(*registry.Call("inc", {1}, TaskContext()) == Value(2));  // the first one stays
}

TEST_CASE("plugins are loaded with dlopen and register typed functions") {
  const char* path = std::getenv("WEFT_EXAMPLE_PLUGIN");
  REQUIRE(path != nullptr);
  FunctionRegistry registry;
  REQUIRE(registry.AddBuiltins().ok());
  CHECK_FALSE(registry.Contains("square"));
  auto loaded = registry.LoadPlugin(path);
  INFO(loaded.message());
  REQUIRE(loaded.ok());
  CHECK(registry.LoadPlugin(path).ok());  // loading twice is harmless
  CHECK(*registry.Call("square", {7}, TaskContext()) == Value(49));
  CHECK(*registry.Call("greet", {"weft"}, TaskContext()) == Value("hello, weft"));
  auto div = registry.Call("checked_div", {1, 0}, TaskContext());
  CHECK(div.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(div.status().message()) == "checked_div(): division by zero");
  CHECK(*registry.Call("checked_div", {7, 2}, TaskContext()) == Value(3));
  CHECK(*registry.Call("inc", {1}, TaskContext()) == Value(2));  // built-ins still there

  auto missing = registry.LoadPlugin("/nonexistent/libnothing.so");
  CHECK(missing.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(missing.message()), Catch::Contains("/nonexistent/libnothing.so"));
}

}  // namespace
}  // namespace weft
