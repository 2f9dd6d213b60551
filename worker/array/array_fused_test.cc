#include <atomic>
#include <cmath>
#include <limits>
#include <memory>

#include "worker/array/array_test_util.h"

namespace weft::array {
namespace {

using namespace testing;  // NOLINT(build/namespaces): the test helpers

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// out = op(input 0, input 1) over 1 x n chunks of dtype dt.
Value Binary(const char* op, const char* dt, const Value& a, const Value& b, size_t n) {
  absl::StatusOr<Value> out =
      Fused(Spec(1, n, {I({"input", dt, 0, 0, 0}), I({"input", dt, 1, 0, 0}), I({op, dt, 0, 1})}),
            {a, b});
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  return *out;
}

Value Unary(const char* op, const char* dt, const char* in_dt, const Value& a, size_t n) {
  absl::StatusOr<Value> out =
      Fused(Spec(1, n, {I({"input", in_dt, 0, 0, 0}), I({op, dt, 0})}), {a});
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  return *out;
}

bool SameDoubles(const std::vector<double>& got, const std::vector<double>& want) {
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])
            ? !std::isnan(got[i])
            : (got[i] != want[i] || std::signbit(got[i]) != std::signbit(want[i]))) {
      return false;
    }
  }
  return true;
}

TEST_CASE("f64 arithmetic, NumPy's floordiv/mod signs, x/0 and NaN in min2/max2") {
  const Value a = F64({7, -7, 7, -7, 1, 0, kNaN, 2});
  const Value b = F64({2, 2, -2, -2, 0, 0, 1, kNaN});
  CHECK(SameDoubles(ToF64(Binary("add", "f64", a, b, 8)), {9, -5, 5, -9, 1, 0, kNaN, kNaN}));
  CHECK(SameDoubles(ToF64(Binary("sub", "f64", a, b, 8)), {5, -9, 9, -5, 1, 0, kNaN, kNaN}));
  CHECK(SameDoubles(ToF64(Binary("mul", "f64", a, b, 8)), {14, -14, -14, 14, 0, 0, kNaN, kNaN}));
  CHECK(SameDoubles(ToF64(Binary("div", "f64", a, b, 8)),
                    {3.5, -3.5, -3.5, 3.5, kInf, kNaN, kNaN, kNaN}));
  // np.floor_divide([7,-7,7,-7,1,0],[2,2,-2,-2,0,0]) = [3,-4,-4,3,inf,nan]
  CHECK(SameDoubles(ToF64(Binary("floordiv", "f64", a, b, 8)),
                    {3, -4, -4, 3, kInf, kNaN, kNaN, kNaN}));
  // np.mod: the divisor's sign; x % 0 is nan.
  CHECK(SameDoubles(ToF64(Binary("mod", "f64", a, b, 8)), {1, 1, -1, -1, kNaN, kNaN, kNaN, kNaN}));
  CHECK(SameDoubles(ToF64(Binary("pow", "f64", a, b, 8)),
                    {49, 49, std::pow(7.0, -2.0), std::pow(-7.0, -2.0), 1, 1, kNaN, kNaN}));
  CHECK(SameDoubles(ToF64(Binary("max2", "f64", a, b, 8)), {7, 2, 7, -2, 1, 0, kNaN, kNaN}));
  CHECK(SameDoubles(ToF64(Binary("min2", "f64", a, b, 8)), {2, -7, -2, -7, 0, 0, kNaN, kNaN}));
  // mod of an exact multiple is +0 for a positive divisor, -0 for a negative one.
  CHECK(SameDoubles(ToF64(Binary("mod", "f64", F64({4, 4}), F64({2, -2}), 2)), {0.0, -0.0}));
}

TEST_CASE("i64 arithmetic wraps; x // 0 and x % 0 are 0; pow") {
  const Value a = I64({7, -7, 7, -7, 5, kMax, kMin, 3});
  const Value b = I64({2, 2, -2, -2, 0, 1, -1, 0});
  CHECK(ToI64(Binary("add", "i64", a, b, 8)) ==
        std::vector<int64_t>{9, -5, 5, -9, 5, kMin, kMax, 3});
  CHECK(ToI64(Binary("sub", "i64", a, b, 8)) ==
        std::vector<int64_t>{5, -9, 9, -5, 5, kMax - 1, kMin + 1, 3});
  CHECK(ToI64(Binary("mul", "i64", a, b, 8)) ==
        std::vector<int64_t>{14, -14, -14, 14, 0, kMax, kMin, 0});
  CHECK(ToI64(Binary("floordiv", "i64", a, b, 8)) ==
        std::vector<int64_t>{3, -4, -4, 3, 0, kMax, kMin, 0});
  CHECK(ToI64(Binary("mod", "i64", a, b, 8)) == std::vector<int64_t>{1, 1, -1, -1, 0, 0, 0, 0});
  CHECK(ToI64(Binary("max2", "i64", a, b, 8)) == std::vector<int64_t>{7, 2, 7, -2, 5, kMax, -1, 3});
  CHECK(ToI64(Binary("min2", "i64", a, b, 8)) ==
        std::vector<int64_t>{2, -7, -2, -7, 0, 1, kMin, 0});
  CHECK(ToI64(Binary("pow", "i64", I64({2, -3, 0, 7, 2}), I64({10, 3, 0, 0, 64}), 5)) ==
        std::vector<int64_t>{1024, -27, 1, 1, 0});
  CHECK(ToI64(Binary("and", "i64", I64({12, -1}), I64({10, 5}), 2)) == std::vector<int64_t>{8, 5});
  CHECK(ToI64(Binary("or", "i64", I64({12, 0}), I64({10, 5}), 2)) == std::vector<int64_t>{14, 5});
  CHECK(ToI64(Binary("xor", "i64", I64({12, -1}), I64({10, 5}), 2)) == std::vector<int64_t>{6, -6});
}

TEST_CASE("i64 pow with a negative exponent is a task error") {
  absl::StatusOr<Value> out = Fused(
      Spec(1, 2,
           {I({"input", "i64", 0, 0, 0}), I({"input", "i64", 1, 0, 0}), I({"pow", "i64", 0, 1})}),
      {I64({2, 2}), I64({1, -1})});
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().message() == "Integers to negative integer powers are not allowed.");
}

TEST_CASE("bool logic, comparisons of every dtype, where") {
  const Value p = Bools({1, 1, 0, 0});
  const Value q = Bools({1, 0, 1, 0});
  CHECK(ToBools(Binary("and", "bool", p, q, 4)) == std::vector<int>{1, 0, 0, 0});
  CHECK(ToBools(Binary("or", "bool", p, q, 4)) == std::vector<int>{1, 1, 1, 0});
  CHECK(ToBools(Binary("xor", "bool", p, q, 4)) == std::vector<int>{0, 1, 1, 0});
  CHECK(ToBools(Unary("invert", "bool", "bool", p, 4)) == std::vector<int>{0, 0, 1, 1});

  const Value x = F64({1, 2, 3, kNaN});
  const Value y = F64({2, 2, 2, kNaN});
  CHECK(ToBools(Binary("lt", "f64", x, y, 4)) == std::vector<int>{1, 0, 0, 0});
  CHECK(ToBools(Binary("le", "f64", x, y, 4)) == std::vector<int>{1, 1, 0, 0});
  CHECK(ToBools(Binary("gt", "f64", x, y, 4)) == std::vector<int>{0, 0, 1, 0});
  CHECK(ToBools(Binary("ge", "f64", x, y, 4)) == std::vector<int>{0, 1, 1, 0});
  CHECK(ToBools(Binary("eq", "f64", x, y, 4)) == std::vector<int>{0, 1, 0, 0});
  CHECK(ToBools(Binary("ne", "f64", x, y, 4)) == std::vector<int>{1, 0, 1, 1});
  CHECK(ToBools(Binary("lt", "i64", I64({-5, 5, kMin}), I64({5, 5, kMax}), 3)) ==
        std::vector<int>{1, 0, 1});
  CHECK(ToBools(Binary("eq", "bool", p, q, 4)) == std::vector<int>{1, 0, 0, 1});
  CHECK(ToBools(Binary("gt", "bool", p, q, 4)) == std::vector<int>{0, 1, 0, 0});

  absl::StatusOr<Value> w =
      Fused(Spec(1, 4,
                 {I({"input", "bool", 0, 0, 0}), I({"input", "i64", 1, 0, 0}),
                  I({"input", "i64", 2, 0, 0}), I({"where", "i64", 0, 1, 2})}),
            {p, I64({1, 2, 3, 4}), I64({-1, -2, -3, -4})});
  REQUIRE(w.ok());
  CHECK(ToI64(*w) == std::vector<int64_t>{1, 2, -3, -4});
}

TEST_CASE("unary math and casts") {
  CHECK(SameDoubles(ToF64(Unary("neg", "f64", "f64", F64({1, -0.0}), 2)), {-1, 0.0}));
  CHECK(SameDoubles(ToF64(Unary("abs", "f64", "f64", F64({-2, 3}), 2)), {2, 3}));
  CHECK(SameDoubles(ToF64(Unary("sqrt", "f64", "f64", F64({4, -1, 2}), 3)),
                    {2, kNaN, std::sqrt(2.0)}));
  CHECK(SameDoubles(ToF64(Unary("exp", "f64", "f64", F64({0, 1}), 2)), {1, std::exp(1.0)}));
  CHECK(SameDoubles(ToF64(Unary("log", "f64", "f64", F64({1, 0, -1}), 3)), {0, -kInf, kNaN}));
  CHECK(SameDoubles(ToF64(Unary("sin", "f64", "f64", F64({0, 1}), 2)), {0, std::sin(1.0)}));
  CHECK(SameDoubles(ToF64(Unary("cos", "f64", "f64", F64({0, 1}), 2)), {1, std::cos(1.0)}));
  CHECK(ToI64(Unary("neg", "i64", "i64", I64({5, kMin}), 2)) == std::vector<int64_t>{-5, kMin});
  CHECK(ToI64(Unary("abs", "i64", "i64", I64({-5, kMin}), 2)) == std::vector<int64_t>{5, kMin});
  CHECK(ToI64(Unary("invert", "i64", "i64", I64({0, 5}), 2)) == std::vector<int64_t>{-1, -6});

  CHECK(ToI64(Unary("cast", "i64", "f64", F64({2.9, -2.9, kNaN}), 3)) ==
        std::vector<int64_t>{2, -2, kMin});
  CHECK(ToBools(Unary("cast", "bool", "f64", F64({0, -0.0, 0.5, kNaN}), 4)) ==
        std::vector<int>{0, 0, 1, 1});
  CHECK(SameDoubles(ToF64(Unary("cast", "f64", "i64", I64({-3, 1LL << 53}), 2)),
                    {-3, 9007199254740992.0}));
  CHECK(ToBools(Unary("cast", "bool", "i64", I64({0, -3}), 2)) == std::vector<int>{0, 1});
  CHECK(SameDoubles(ToF64(Unary("cast", "f64", "bool", Bools({1, 0}), 2)), {1, 0}));
  CHECK(ToI64(Unary("cast", "i64", "bool", Bools({1, 0}), 2)) == std::vector<int64_t>{1, 0});
}

TEST_CASE("scalars and broadcast leaves over a 3 x 1500 chunk (several blocks a row)") {
  constexpr int64_t kRows = 3, kCols = 1500;
  std::vector<double> row(kCols), col(kRows);
  for (int64_t c = 0; c < kCols; ++c) row[c] = c;
  for (int64_t r = 0; r < kRows; ++r) col[r] = 1000.0 * (r + 1);
  // out = row (1 x cols, broadcast over rows) + col (rows x 1) * 2
  absl::StatusOr<Value> out =
      Fused(Spec(kRows, kCols,
                 {I({"input", "f64", 0, 1, 0}), I({"input", "f64", 1, 0, 1}),
                  I({"scalar", "f64", 2}), I({"mul", "f64", 1, 2}), I({"add", "f64", 0, 3})}),
            {F64(row), F64(col)});
  REQUIRE(out.ok());
  const std::vector<double> got = ToF64(*out);
  REQUIRE(got.size() == kRows * kCols);
  bool all_equal = true;
  for (int64_t r = 0; r < kRows; ++r) {
    for (int64_t c = 0; c < kCols; ++c) all_equal &= got[r * kCols + c] == c + 2000.0 * (r + 1);
  }
  CHECK(all_equal);
  // A single element broadcast both ways, and an int scalar.
  out = Fused(
      Spec(2, 3, {I({"input", "i64", 0, 1, 1}), I({"scalar", "i64", 10}), I({"add", "i64", 0, 1})}),
      {I64({5})});
  REQUIRE(out.ok());
  CHECK(ToI64(*out) == std::vector<int64_t>(6, 15));
}

TEST_CASE("arange and linspace leaves place the chunk in its global array") {
  // The global array is 4 x 10 (gcols 10); this chunk is rows 1..2, cols 3..6.
  absl::StatusOr<Value> out = Fused(Spec(2, 4, {I({"arange", "i64", 5, 2, 10, 1, 3, 0, 0})}));
  REQUIRE(out.ok());
  // g = (1 + r) * 10 + 3 + c; value 5 + 2g.
  CHECK(ToI64(*out) == std::vector<int64_t>{31, 33, 35, 37, 51, 53, 55, 57});
  out = Fused(Spec(1, 3, {I({"arange", "f64", 0.5, 0.25, 10, 0, 2, 0, 0})}));
  REQUIRE(out.ok());
  CHECK(ToF64(*out) == std::vector<double>{1.0, 1.25, 1.5});
  // np.linspace(0, 1, 7)[4:7]: the last element is exactly `stop`.
  const double step = 1.0 / 6;
  out = Fused(Spec(1, 3, {I({"linspace", "f64", 0.0, step, 1.0, 7, 7, 0, 4, 0, 0})}));
  REQUIRE(out.ok());
  CHECK(ToF64(*out) == std::vector<double>{4 * step, 5 * step, 1.0});
  // Broadcast generator: a column (bcol) over a 2 x 3 chunk.
  out = Fused(Spec(2, 3, {I({"arange", "i64", 0, 1, 1, 0, 0, 0, 1})}));
  REQUIRE(out.ok());
  CHECK(ToI64(*out) == std::vector<int64_t>{0, 0, 0, 1, 1, 1});
}

TEST_CASE("inputs are read in place even when unaligned") {
  std::vector<double> values(3000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.5 * i;
  std::string bytes(1, 'x');
  bytes.append(reinterpret_cast<const char*>(values.data()), values.size() * 8);
  const Value shifted(DoubleArray{Buffer(bytes).Slice(1, values.size() * 8)});
  absl::StatusOr<Value> out =
      Fused(Spec(1, 3000, {I({"input", "f64", 0, 0, 0}), I({"add", "f64", 0, 0})}), {shifted});
  REQUIRE(out.ok());
  const std::vector<double> got = ToF64(*out);
  CHECK(got[2999] == 2999.0);
  CHECK(got[1] == 1.0);
}

TEST_CASE("errors name the instruction, the input or the op") {
  auto message = [](const absl::StatusOr<Value>& out) {
    CHECK(absl::IsInvalidArgument(out.status()));
    return std::string(out.status().message());
  };
  CHECK_THAT(message(Fused(Spec(1, 2, {I({"frobnicate", "f64", 0})}))),
             Catch::Contains("code[0]") && Catch::Contains("unknown op"));
  CHECK_THAT(message(Fused(Spec(1, 2, {I({"scalar", "f64", 1}), I({"add", "f64", 0, 5})}))),
             Catch::Contains("code[1] (add)") && Catch::Contains("register 5"));
  CHECK_THAT(message(Fused(Spec(1, 2, {I({"scalar", "f64", 1}), I({"add", "f64", 0, 1})}))),
             Catch::Contains("not before it"));
  CHECK_THAT(message(Fused(Spec(1, 2, {I({"scalar", "i64", 1}), I({"sqrt", "f64", 0})}))),
             Catch::Contains("code[1] (sqrt)") && Catch::Contains("is i64, expected f64"));
  CHECK_THAT(message(Fused(Spec(1, 2, {I({"scalar", "f64", 1}), I({"and", "f64", 0, 0})}))),
             Catch::Contains("not supported by and"));
  CHECK_THAT(message(Fused(Spec(1, 2, {I({"input", "f64", 0, 0, 0})}), {I64({1, 2})})),
             Catch::Contains("input 0") && Catch::Contains("int64_array"));
  CHECK_THAT(message(Fused(Spec(1, 2, {I({"input", "f64", 0, 0, 0})}), {F64({1, 2, 3})})),
             Catch::Contains("input 0") && Catch::Contains("expected 2 elements"));
  CHECK_THAT(message(Fused(Spec(1, 2, {I({"input", "f64", 1, 0, 0})}), {F64({1, 2})})),
             Catch::Contains("input 1") && Catch::Contains("only 1 inputs"));
  CHECK_THAT(message(Fused(Spec(1, 2, {I({"scalar", "f32", 1})}))), Catch::Contains("dtype"));
  CHECK_THAT(message(Fused(Spec(1, 2, {I({"input", "f64", 0, 0})}), {F64({1, 2})})),
             Catch::Contains("expected 5 items"));
  CHECK_THAT(message(Fused(Spec(1, 2, {I({"scalar", "f64", 1})}, Reduce("median", "all")))),
             Catch::Contains("unknown reduction"));
  CHECK_THAT(message(FusedFunction({Value(3)}, TaskContext())), Catch::Contains("spec"));
}

TEST_CASE("a cancelled task stops early") {
  auto flag = std::make_shared<std::atomic<bool>>(true);
  const TaskContext context("key-1", "array.fused", flag);
  absl::StatusOr<Value> out = FusedFunction(
      {Spec(1, 1 << 20, {I({"uniform", "f64", 1, 0.0, 1.0, 1 << 20, 0, 0, 0, 0})})}, context);
  CHECK(absl::IsCancelled(out.status()));
}

}  // namespace
}  // namespace weft::array
