#include <cmath>
#include <limits>

#include "worker/array/array_test_util.h"

namespace weft::array {
namespace {

using namespace testing;  // NOLINT(build/namespaces): the test helpers

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kRows = 6, kCols = 2500;  // several blocks a row

// Element (r, c) of the test matrix: many ties, negative values, as the dtype.
double Element(const char* dt, int64_t r, int64_t c) {
  const int64_t v = (r * 7 + c * 3) % 11 - 4;
  if (std::string(dt) == "bool") return v > 2 ? 1 : 0;
  if (std::string(dt) == "f64") return v * 0.5 + 1e3;
  return static_cast<double>(v);
}

Value Chunk(const char* dt, int64_t r0, int64_t c0, int64_t rows, int64_t cols) {
  std::vector<double> f;
  std::vector<int64_t> i;
  std::vector<int> b;
  for (int64_t r = r0; r < r0 + rows; ++r) {
    for (int64_t c = c0; c < c0 + cols; ++c) {
      const double x = Element(dt, r, c);
      f.push_back(x);
      i.push_back(static_cast<int64_t>(x));
      b.push_back(x != 0);
    }
  }
  if (std::string(dt) == "f64") return F64(f);
  if (std::string(dt) == "i64") return I64(i);
  return Bools(b);
}

// The reduction of the values `xs` at global indices `at` (in increasing order) by hand.
std::pair<double, int64_t> Reference(const std::string& op, const std::vector<double>& xs,
                                     const std::vector<int64_t>& at, int64_t ddof) {
  double sum = 0, best = xs[0];
  int64_t nonzero = 0, best_at = at[0];
  for (size_t k = 0; k < xs.size(); ++k) {
    sum += xs[k];
    nonzero += xs[k] != 0;
    const bool better = op == "min" || op == "argmin" ? xs[k] < best : xs[k] > best;
    if (better) {
      best = xs[k];
      best_at = at[k];
    }
  }
  const double n = static_cast<double>(xs.size());
  const double mean = sum / n;
  double m2 = 0;
  for (double x : xs) m2 += (x - mean) * (x - mean);
  if (op == "sum") return {sum, 0};
  if (op == "mean") return {mean, 0};
  if (op == "var") return {m2 / (n - ddof), 0};
  if (op == "std") return {std::sqrt(m2 / (n - ddof)), 0};
  if (op == "any") return {nonzero > 0 ? 1.0 : 0.0, 0};
  if (op == "all") return {nonzero == static_cast<int64_t>(n) ? 1.0 : 0.0, 0};
  if (op == "count_nonzero") return {static_cast<double>(nonzero), 0};
  if (op == "min" || op == "max") return {best, 0};
  return {static_cast<double>(best_at), 0};  // arg*
}

// The final result as doubles, whatever its kind.
std::vector<double> AsDoubles(const Value& v) {
  std::vector<double> out;
  switch (v.kind()) {
    case ValueKind::kDoubleArray:
      return ToF64(v);
    case ValueKind::kInt64Array:
      for (int64_t x : ToI64(v)) out.push_back(static_cast<double>(x));
      return out;
    default:
      for (int x : ToBools(v)) out.push_back(x);
      return out;
  }
}

// Reduces the kRows x kCols matrix with `op` over `axis`, split into the chunk grid given
// by row and column cut points, and combines the partials.
std::vector<double> ByChunks(const char* dt, const char* op, const char* axis,
                             const std::vector<int64_t>& row_cuts,
                             const std::vector<int64_t>& col_cuts, int64_t ddof) {
  ValueList partials;
  for (size_t i = 0; i + 1 < row_cuts.size(); ++i) {
    for (size_t j = 0; j + 1 < col_cuts.size(); ++j) {
      const int64_t r0 = row_cuts[i], c0 = col_cuts[j];
      const int64_t rows = row_cuts[i + 1] - r0, cols = col_cuts[j + 1] - c0;
      absl::StatusOr<Value> partial =
          Fused(Spec(rows, cols, {I({"input", dt, 0, 0, 0})}, Reduce(op, axis, r0, c0, kCols)),
                {Chunk(dt, r0, c0, rows, cols)});
      INFO(partial.status().ToString());
      REQUIRE(partial.ok());
      partials.push_back(*partial);
    }
  }
  absl::StatusOr<Value> result = Combine(op, /*final=*/true, partials, ddof);
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return AsDoubles(*result);
}

std::vector<double> Expected(const char* dt, const std::string& op, const std::string& axis,
                             int64_t ddof) {
  std::vector<double> out;
  const int64_t outer = axis == "all" ? 1 : axis == "rows" ? kCols : kRows;
  for (int64_t s = 0; s < outer; ++s) {
    std::vector<double> xs;
    std::vector<int64_t> at;
    for (int64_t r = 0; r < kRows; ++r) {
      for (int64_t c = 0; c < kCols; ++c) {
        if ((axis == "rows" && c != s) || (axis == "cols" && r != s)) continue;
        xs.push_back(Element(dt, r, c));
        at.push_back(axis == "all" ? r * kCols + c : axis == "rows" ? r : c);
      }
    }
    out.push_back(Reference(op, xs, at, ddof).first);
  }
  return out;
}

bool Close(const std::vector<double>& got, const std::vector<double>& want, double rel) {
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::abs(got[i] - want[i]) > rel * std::max(1.0, std::abs(want[i]))) return false;
  }
  return true;
}

TEST_CASE("every reduction on every axis and dtype, in one partial and in many") {
  const char* ops[] = {"sum",  "min", "max", "any",    "all",   "count_nonzero",
                       "mean", "var", "std", "argmin", "argmax"};
  for (const char* dt : {"f64", "i64", "bool"}) {
    for (const char* op : ops) {
      for (const char* axis : {"all", "rows", "cols"}) {
        INFO(dt << " " << op << " " << axis);
        const int64_t ddof = std::string(op) == "var" ? 1 : 0;
        const std::vector<double> want = Expected(dt, op, axis, ddof);
        CHECK(Close(ByChunks(dt, op, axis, {0, kRows}, {0, kCols}, ddof), want, 1e-12));
        // Partials merge over the reduced dimension(s) only.
        const std::string a = axis;
        const std::vector<int64_t> row_cuts =
            a == "cols" ? std::vector<int64_t>{0, kRows} : std::vector<int64_t>{0, 2, 5, kRows};
        const std::vector<int64_t> col_cuts = a == "rows"
                                                  ? std::vector<int64_t>{0, kCols}
                                                  : std::vector<int64_t>{0, 1000, 1001, kCols};
        CHECK(Close(ByChunks(dt, op, axis, row_cuts, col_cuts, ddof), want, 1e-12));
      }
    }
  }
}

TEST_CASE("partial formats, and non-final combine keeps the format") {
  absl::StatusOr<Value> p =
      Fused(Spec(1, 4, {I({"input", "i64", 0, 0, 0})}, Reduce("sum", "all")), {I64({1, 2, 3, 4})});
  REQUIRE(p.ok());
  CHECK(*p == Value(ValueList{I64({10})}));
  p = Fused(Spec(1, 3, {I({"input", "bool", 0, 0, 0})}, Reduce("sum", "all")), {Bools({1, 0, 1})});
  REQUIRE(p.ok());
  CHECK(*p == Value(ValueList{I64({2})}));
  p = Fused(Spec(1, 3, {I({"input", "bool", 0, 0, 0})}, Reduce("max", "all")), {Bools({1, 0, 1})});
  REQUIRE(p.ok());
  CHECK(*p == Value(ValueList{Bools({1})}));
  p = Fused(Spec(1, 4, {I({"input", "f64", 0, 0, 0})}, Reduce("mean", "all")), {F64({1, 2, 3, 4})});
  REQUIRE(p.ok());
  CHECK(*p == Value(ValueList{F64({10}), I64({4})}));
  p = Fused(Spec(1, 4, {I({"input", "f64", 0, 0, 0})}, Reduce("var", "all")), {F64({1, 2, 3, 4})});
  REQUIRE(p.ok());
  CHECK(*p == Value(ValueList{I64({4}), F64({2.5}), F64({5})}));
  absl::StatusOr<Value> merged = Combine("mean", /*final=*/false, {*p, *p});
  CHECK_FALSE(merged.ok());  // a var partial is not a mean partial
  absl::StatusOr<Value> var2 = Combine("var", /*final=*/false, {*p, *p});
  REQUIRE(var2.ok());
  CHECK(*var2 == Value(ValueList{I64({8}), F64({2.5}), F64({10})}));
}

TEST_CASE("NaN wins min/max/argmin first; ties take the smallest index") {
  const Value x = F64({3, kNaN, 1, kNaN, 1});
  for (const char* op : {"min", "max"}) {
    absl::StatusOr<Value> p =
        Fused(Spec(1, 5, {I({"input", "f64", 0, 0, 0})}, Reduce(op, "all")), {x});
    REQUIRE(p.ok());
    CHECK(std::isnan(ToF64(p->as_list()[0])[0]));
  }
  absl::StatusOr<Value> p =
      Fused(Spec(1, 5, {I({"input", "f64", 0, 0, 0})}, Reduce("argmin", "all", 0, 10, 100)), {x});
  REQUIRE(p.ok());
  CHECK(ToI64(p->as_list()[1]) == std::vector<int64_t>{11});  // global: 0 * 100 + 10 + 1
  // Ties across partials: the smaller global index, even from the later partial.
  const Value a = Value(ValueList{F64({1.0}), I64({7})});
  const Value b = Value(ValueList{F64({1.0}), I64({3})});
  absl::StatusOr<Value> r = Combine("argmin", /*final=*/true, {a, b});
  REQUIRE(r.ok());
  CHECK(ToI64(*r) == std::vector<int64_t>{3});
  r = Combine("argmax", /*final=*/true, {b, Value(ValueList{F64({kNaN}), I64({9})})});
  REQUIRE(r.ok());
  CHECK(ToI64(*r) == std::vector<int64_t>{9});
}

TEST_CASE("var and std match a two-pass computation to 1e-12 on offset data (mean/std ~ 1e3)") {
  constexpr int64_t n = 100000;
  std::vector<double> xs(n);
  for (int64_t i = 0; i < n; ++i) xs[i] = 1e3 + std::sin(0.001 * i) + (i % 7) * 1e-3;
  // The reference in long double, so that its own rounding stays far below 1e-12.
  long double mean = 0;
  for (double x : xs) mean += x;
  mean /= n;
  long double m2 = 0;
  for (double x : xs) m2 += (x - mean) * (x - mean);
  ValueList partials;
  for (int64_t start = 0; start < n; start += 30001) {
    const int64_t len = std::min<int64_t>(30001, n - start);
    absl::StatusOr<Value> p =
        Fused(Spec(1, len, {I({"input", "f64", 0, 0, 0})}, Reduce("var", "all")),
              {F64(std::vector<double>(xs.begin() + start, xs.begin() + start + len))});
    REQUIRE(p.ok());
    partials.push_back(*p);
  }
  for (int64_t ddof : {0, 1}) {
    absl::StatusOr<Value> var = Combine("var", /*final=*/true, partials, ddof);
    absl::StatusOr<Value> std_dev = Combine("std", /*final=*/true, partials, ddof);
    REQUIRE(var.ok());
    REQUIRE(std_dev.ok());
    const double want = static_cast<double>(m2 / (n - ddof));
    INFO("relative error " << std::abs(ToF64(*var)[0] - want) / want);
    CHECK(std::abs(ToF64(*var)[0] - want) <= 1e-12 * want);
    CHECK(std::abs(ToF64(*std_dev)[0] - std::sqrt(want)) <= 1e-12 * std::sqrt(want));
  }
}

TEST_CASE("empty chunks: identity partials, or the empty marker that combine skips") {
  absl::StatusOr<Value> sum =
      Fused(Spec(0, 5, {I({"input", "f64", 0, 0, 0})}, Reduce("sum", "all")), {F64({})});
  REQUIRE(sum.ok());
  CHECK(*sum == Value(ValueList{F64({0})}));
  absl::StatusOr<Value> min =
      Fused(Spec(0, 5, {I({"input", "f64", 0, 0, 0})}, Reduce("min", "all")), {F64({})});
  REQUIRE(min.ok());
  CHECK(*min == Value(ValueList{F64({})}));
  absl::StatusOr<Value> r = Combine("min", /*final=*/true, {*min, Value(ValueList{F64({2})})});
  REQUIRE(r.ok());
  CHECK(ToF64(*r) == std::vector<double>{2});
  r = Combine("min", /*final=*/true, {*min});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "zero-size array to reduction operation min which has no identity");
  CHECK_THAT(std::string(Combine("sum", true, {Value(3)}).status().message()),
             Catch::Contains("partial 0"));
}

}  // namespace
}  // namespace weft::array
