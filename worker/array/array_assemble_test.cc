#include "worker/array/array_test_util.h"

namespace weft::array {
namespace {

using namespace testing;  // NOLINT(build/namespaces): the test helpers

absl::StatusOr<Value> Assemble(const char* dt, int64_t rows, int64_t cols, ValueList pieces,
                               ValueList sources) {
  sources.insert(sources.begin(), Value(Record{{"dtype", dt},
                                               {"shape", ValueList{rows, cols}},
                                               {"pieces", Value(std::move(pieces))}}));
  return AssembleFunction(sources, TaskContext());
}

// The 3 x 4 source 0..11.
Value Source() { return I64({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}); }

TEST_CASE("assemble: slices with negative steps, transposes, concatenation") {
  // x[::-1, ::-2] of the 3 x 4 source: rows 2, 1, 0; cols 3, 1.
  absl::StatusOr<Value> out =
      Assemble("i64", 3, 2, {I({0, 3, 4, 2, -1, 3, -2, 0, 0, 3, 2, 0})}, {Source()});
  REQUIRE(out.ok());
  CHECK(ToI64(*out) == std::vector<int64_t>{11, 9, 7, 5, 3, 1});
  // The transpose (4 x 3): out[i][j] = src[j][i].
  out = Assemble("i64", 4, 3, {I({0, 3, 4, 0, 1, 0, 1, 0, 0, 4, 3, 1})}, {Source()});
  REQUIRE(out.ok());
  CHECK(ToI64(*out) == std::vector<int64_t>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  // Concatenating two 1 x 2 bool chunks side by side, the second reversed.
  out =
      Assemble("bool", 1, 4,
               {I({0, 1, 2, 0, 1, 0, 1, 0, 0, 1, 2, 0}), I({1, 1, 2, 0, 1, 1, -1, 0, 2, 1, 2, 0})},
               {Bools({1, 0}), Bools({1, 0})});
  REQUIRE(out.ok());
  CHECK(ToBools(*out) == std::vector<int>{1, 0, 0, 1});
  // f64 rows stacked.
  out = Assemble("f64", 2, 2,
                 {I({0, 1, 2, 0, 1, 0, 1, 0, 0, 1, 2, 0}), I({1, 1, 2, 0, 1, 0, 1, 1, 0, 1, 2, 0})},
                 {F64({1.5, 2.5}), F64({3.5, 4.5})});
  REQUIRE(out.ok());
  CHECK(ToF64(*out) == std::vector<double>{1.5, 2.5, 3.5, 4.5});
}

TEST_CASE("assemble errors name the piece") {
  auto message = [](const absl::StatusOr<Value>& out) {
    CHECK(absl::IsInvalidArgument(out.status()));
    return std::string(out.status().message());
  };
  // Source rows 2, 3, 4: out of range.
  CHECK_THAT(message(Assemble("i64", 3, 1, {I({0, 3, 4, 2, 1, 0, 1, 0, 0, 3, 1, 0})}, {Source()})),
             Catch::Contains("pieces[0]") && Catch::Contains("outside the 3 x 4 source"));
  CHECK_THAT(message(Assemble("i64", 1, 1, {I({1, 3, 4, 0, 1, 0, 1, 0, 0, 1, 1, 0})}, {Source()})),
             Catch::Contains("source 1 out of range"));
  CHECK_THAT(message(Assemble("f64", 1, 1, {I({0, 3, 4, 0, 1, 0, 1, 0, 0, 1, 1, 0})}, {Source()})),
             Catch::Contains("must be a f64 chunk"));
  CHECK_THAT(message(Assemble("i64", 1, 1, {I({0, 2, 4, 0, 1, 0, 1, 0, 0, 1, 1, 0})}, {Source()})),
             Catch::Contains("has 12 elements, not 2 x 4"));
  CHECK_THAT(message(Assemble("i64", 2, 1, {I({0, 3, 4, 0, 1, 0, 1, 0, 0, 1, 1, 0})}, {Source()})),
             Catch::Contains("element [1, 0] is covered by no piece"));
  CHECK_THAT(message(Assemble("i64", 1, 1, {I({0, 3, 4, 0, 1, 0, 1, 1, 0, 1, 1, 0})}, {Source()})),
             Catch::Contains("destination"));
}

TEST_CASE("matmul against a naive triple loop, over two k blocks") {
  constexpr int64_t m = 37, n = 600, k0 = 130, k1 = 5;
  auto a_at = [](int64_t i, int64_t k) { return static_cast<double>((i * 3 + k * 5) % 7 - 3); };
  auto b_at = [](int64_t k, int64_t j) { return 0.5 * static_cast<double>((k + 2 * j) % 5 - 2); };
  std::vector<double> a0, a1, b0, b1;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t k = 0; k < k0 + k1; ++k) (k < k0 ? a0 : a1).push_back(a_at(i, k));
  }
  for (int64_t k = 0; k < k0 + k1; ++k) {
    for (int64_t j = 0; j < n; ++j) (k < k0 ? b0 : b1).push_back(b_at(k, j));
  }
  const Value spec(Record{{"dtype", "f64"}, {"m", m}, {"n", n}, {"k", ValueList{k0, k1}}});
  absl::StatusOr<Value> c =
      MatmulFunction({spec, F64(a0), F64(a1), F64(b0), F64(b1)}, TaskContext());
  REQUIRE(c.ok());
  const std::vector<double> got = ToF64(*c);
  REQUIRE(got.size() == m * n);
  bool all_equal = true;  // small integers and halves: every sum is exact
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double want = 0;
      for (int64_t k = 0; k < k0 + k1; ++k) want += a_at(i, k) * b_at(k, j);
      all_equal &= got[i * n + j] == want;
    }
  }
  CHECK(all_equal);
  // i64: [[1, 2], [3, 4]] @ [[5, 6], [7, 8]].
  const Value ispec(Record{{"dtype", "i64"}, {"m", 2}, {"n", 2}, {"k", ValueList{2}}});
  c = MatmulFunction({ispec, I64({1, 2, 3, 4}), I64({5, 6, 7, 8})}, TaskContext());
  REQUIRE(c.ok());
  CHECK(ToI64(*c) == std::vector<int64_t>{19, 22, 43, 50});
  c = MatmulFunction({ispec, I64({1, 2, 3}), I64({5, 6, 7, 8})}, TaskContext());
  CHECK_THAT(std::string(c.status().message()), Catch::Contains("a_0 must be a i64 chunk of 4"));
}

TEST_CASE("from_items: lists and arrays of numbers, errors naming the item") {
  const Value f64(Record{{"dtype", "f64"}});
  absl::StatusOr<Value> out =
      FromItemsFunction({Value(ValueList{1, 2.5, true}), f64}, TaskContext());
  REQUIRE(out.ok());
  CHECK(ToF64(*out) == std::vector<double>{1, 2.5, 1});
  out = FromItemsFunction({Value(ValueList{3, -2.7, false}), Value(Record{{"dtype", "i64"}})},
                          TaskContext());
  REQUIRE(out.ok());
  CHECK(ToI64(*out) == std::vector<int64_t>{3, -2, 0});
  out = FromItemsFunction({I64({0, 5}), Value(Record{{"dtype", "bool"}})}, TaskContext());
  REQUIRE(out.ok());
  CHECK(ToBools(*out) == std::vector<int>{0, 1});
  out = FromItemsFunction({Value(ValueList{1, nullptr}), f64}, TaskContext());
  CHECK_THAT(std::string(out.status().message()), Catch::Contains("item 1 is null"));
  out = FromItemsFunction({Value(ValueList{"x"}), f64}, TaskContext());
  CHECK_THAT(std::string(out.status().message()), Catch::Contains("item 0"));
}

}  // namespace
}  // namespace weft::array
