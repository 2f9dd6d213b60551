// Chunked arrays on a real cluster (weft-scheduler and two weft-workers on loopback), every
// answer checked against NumPy (tests/array_answers.py builds the same arrays): creation,
// the elementwise table with broadcasting, every reduction on every axis, slicing,
// rechunking, transposing, concatenating, matmul; random arrays under different chunkings;
// π; the graph printout; errors at build time.

#include "weft/array.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "catch2/catch.hpp"
#include "tests/test_cluster.h"
#include "weft/bag.h"

using weft::Array;
using weft::DType;
using weft::Index;
using weft::LocalArray;
using weft::Value;
using weft::testing::RunCommand;
using weft::testing::Runfile;
using weft::testing::TestCluster;

namespace {

struct Expected {
  std::string dtype;
  std::string shape;
  std::vector<std::string> values;
};

// name → NumPy's answer.
std::map<std::string, Expected> NumpyAnswers() {
  auto run = RunCommand({"/usr/bin/python3", Runfile("tests/array_answers.py")}, 300);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  std::map<std::string, Expected> out;
  for (absl::string_view line : absl::StrSplit(run.output, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, '\t');
    REQUIRE(parts.size() == 4);
    out[parts[0]] = {parts[1], parts[2], absl::StrSplit(parts[3], ' ', absl::SkipEmpty())};
  }
  return out;
}

// Equal as NumPy's answer: ints and bools exactly, floats to 1e-12 relative (NaN = NaN).
void CheckEqual(const std::string& name, const LocalArray& got, const Expected& want) {
  INFO(name);
  CHECK(weft::DTypeName(got.dtype) == want.dtype);
  CHECK(absl::StrJoin(got.shape, ",") == want.shape);
  REQUIRE(got.size() == static_cast<int64_t>(want.values.size()));
  for (int64_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": weft " << got.at(i).DebugString() << ", NumPy " << want.values[i]);
    Value v = got.at(i);
    if (v.is_double()) {
      double w = std::strtod(want.values[i].c_str(), nullptr);
      double g = v.as_double();
      if (std::isnan(w)) {
        CHECK(std::isnan(g));
      } else if (std::isinf(w)) {
        CHECK(g == w);
      } else {
        CHECK(std::abs(g - w) <= 1e-12 * std::max(1.0, std::abs(w)));
      }
    } else if (v.is_int()) {
      CHECK(std::to_string(v.as_int()) == want.values[i]);
    } else {
      CHECK((v.as_bool() ? "1" : "0") == want.values[i]);
    }
  }
}

Value DoubleValues(std::vector<double> v) {
  std::string bytes(v.size() * sizeof(double), '\0');
  std::memcpy(bytes.data(), v.data(), bytes.size());
  return Value(weft::DoubleArray{weft::Buffer(std::move(bytes))});
}

Value IntValues(std::vector<int64_t> v) {
  std::string bytes(v.size() * sizeof(int64_t), '\0');
  std::memcpy(bytes.data(), v.data(), bytes.size());
  return Value(weft::Int64Array{weft::Buffer(std::move(bytes))});
}

LocalArray Compute(const Array& a) {
  INFO(a.ToString());
  REQUIRE(a.ok());
  auto r = a.compute();
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *std::move(r);
}

}  // namespace

TEST_CASE("arrays give NumPy's answers: creation, elementwise, reductions, structure") {
  std::map<std::string, Expected> answers = NumpyAnswers();
  TestCluster cluster(2);
  auto client = cluster.Connect();
  weft::Client& c = *client;

  Array x = Array::arange(c, -6, 6, 1, {5});
  Array y = Array::linspace(c, -2.5, 3, 12, {4});
  Array b = x % 3 == 0;
  std::vector<double> mv;
  std::vector<int64_t> kv;
  for (int i = 0; i < 24; ++i) {
    mv.push_back(static_cast<double>(i) / 3 - 2);
    kv.push_back(i % 7 - 3);
  }
  Array m = Array::from_array(c, DoubleValues(mv), {4, 6}, {3, 4});
  Array k = Array::from_array(c, IntValues(kv), {4, 6}, {2, 5});
  Array r = Array::arange(c, 6, {4}) * 2 - 5;
  Array y6 = y[Index::Slice(std::nullopt, 6)];

  std::map<std::string, Array> cases = {
      {"x+y", x + y},
      {"x-3", x - 3},
      {"2-x", 2 - x},
      {"x*y", x * y},
      {"x/y", x / y},
      {"x/0", x / 0},
      {"x//3", floor_divide(x, 3)},
      {"x//-4", floor_divide(x, -4)},
      {"x//0", floor_divide(x, 0)},
      {"x%4", x % 4},
      {"x%-4", x % -4},
      {"x%0", x % 0},
      {"y%1.5", y % 1.5},
      {"y%-0.7", y % -0.7},
      {"y//0.7", floor_divide(y, 0.7)},
      {"x**2", pow(x, 2)},
      {"x**3", pow(x, 3)},
      {"y**2", pow(y, 2)},
      {"y**3", pow(y, 3)},
      {"2**x+0.0", pow(Array(2.0), x)},
      {"1.5*x", 1.5 * x},
      {"x+True", x + true},
      {"abs(x)", abs(x)},
      {"abs(y)", abs(y)},
      {"-y", -y},
      {"-x", -x},
      {"sqrt(abs(y))", sqrt(abs(y))},
      {"exp(y)", exp(y)},
      {"log(abs(y)+1)", log(abs(y) + 1)},
      {"sin(y)", sin(y)},
      {"cos(y)", cos(y)},
      {"sqrt(x)", sqrt(x)},
      {"log(y)", log(y)},
      {"x<y", x < y},
      {"x<=0", x <= 0},
      {"x>y", x > y},
      {"x>=1", x >= 1},
      {"x==y", x == y},
      {"x!=0", x != 0},
      {"(x>0)&(x<4)", (x > 0) & (x < 4)},
      {"(x>0)|(y<0)", (x > 0) | (y < 0)},
      {"b^(x>0)", b ^ (x > 0)},
      {"~b", ~b},
      {"~x", ~x},
      {"x&3", x & 3},
      {"x|8", x | 8},
      {"x^5", x ^ 5},
      {"b+b", b + b},
      {"b*(x>0)", b * (x > 0)},
      {"b+1", b + 1},
      {"b/2", b / 2},
      {"where(x>0,x,y)", where(x > 0, x, y)},
      {"where(b,1,0)", where(b, 1, 0)},
      {"maximum(x,y)", maximum(x, y)},
      {"minimum(x,2)", minimum(x, 2)},
      {"m+r", m + r},
      {"m*k", m * k},
      {"k//r", floor_divide(k, r)},
      {"k%r", k % r},
      {"m-y[:6]", m - y6},
      {"k<r", k < r},
      {"m.astype(int)", m.astype(DType::kInt64)},
      {"x.astype(bool)", x.astype(DType::kBool)},
  };
  std::vector<std::pair<std::string, Array>> named = {
      {"x", x}, {"y", y}, {"b", b}, {"m", m}, {"k", k}};
  for (const auto& [name, a] : named) {
    std::vector<std::optional<int>> axes = {std::nullopt};
    if (a.ndim() == 2) axes = {std::nullopt, 0, 1};
    for (std::optional<int> axis : axes) {
      std::string sfx = axis ? std::to_string(*axis) : "";
      auto n = [&](const char* op) { return absl::StrCat(name, ".", op, "(", sfx, ")"); };
      // split_every 2 makes the combine trees deeper than one level.
      cases.emplace(n("sum"), a.sum(axis, 2));
      cases.emplace(n("mean"), a.mean(axis));
      cases.emplace(n("min"), a.min(axis, 2));
      cases.emplace(n("max"), a.max(axis));
      cases.emplace(n("var"), a.var(axis, 0, 2));
      cases.emplace(n("std"), a.std(axis, 1));
      cases.emplace(n("argmin"), a.argmin(axis, 2));
      cases.emplace(n("argmax"), a.argmax(axis));
      cases.emplace(n("any"), (a > 1).any(axis));
      cases.emplace(n("all"), (a < 5).all(axis, 2));
      cases.emplace(n("count_nonzero"), a.count_nonzero(axis));
    }
  }
  using I = Index;
  auto all = I::All();
  cases.insert({
      {"x[::2]", x[I::Slice({}, {}, 2)]},
      {"x[-3:]", x[I::Slice(-3)]},
      {"x[::-1]", x[I::Slice({}, {}, -1)]},
      {"x[2]", x[I::At(2)]},
      {"x[1:-1:3]", x[I::Slice(1, -1, 3)]},
      {"m[1:3,::2]", m[{I::Slice(1, 3), I::Slice({}, {}, 2)}]},
      {"m[:,1]", m[{all, I::At(1)}]},
      {"m[2]", m[I::At(2)]},
      {"m[::-1,::-2]", m[{I::Slice({}, {}, -1), I::Slice({}, {}, -2)}]},
      {"m[1,2]", m[{I::At(1), I::At(2)}]},
      {"m[-1,-5:]", m[{I::At(-1), I::Slice(-5)}]},
      {"m.rechunk(2,5)", m.rechunk({2, 5})},
      {"x.rechunk(3)+y", x.rechunk({3}) + y},
      {"m.T", m.T()},
      {"(m.T+1).sum(0)", (m.T() + 1).sum(0)},
      {"concat(x,x*2)", Array::concatenate({x, x * 2})},
      {"concat(m,m,1)", Array::concatenate({m, m}, 1)},
      {"concat(m,k,0)", Array::concatenate({m, k}, 0)},
      {"m@m.T", m.matmul(m.T())},
      {"k@k.T", k.matmul(k.T())},
      {"m.T@k", m.T().matmul(k)},
      {"ones(3,4)", Array::ones(c, {3, 4}, {2})},
      {"zeros(5,int)", Array::zeros(c, {5}, {2}, DType::kInt64)},
      {"full(2,3,7)", Array::full(c, {2, 3}, Value(int64_t{7}), {1, 2})},
      {"linspace(0,1,7)", Array::linspace(c, 0, 1, 7, {3})},
      {"linspace(0,1,7,False)", Array::linspace(c, 0, 1, 7, {3}, /*endpoint=*/false)},
      {"arange(0.5,3.2,0.3)", Array::arange(c, 0.5, 3.2, 0.3, {4})},
      {"arange(15)+100 sum", (Array::arange(c, 15, {5}) + 100).sum()},
      {"ones(3,4)*r[:4]", Array::ones(c, {3, 4}, {2, 3}) * r[I::Slice({}, 4)]},
      {"from_array(k).T.sum(1)", k.T().sum(1)},
  });
  for (const auto& [name, expected] : answers) {
    auto it = cases.find(name);
    INFO("case " << name);
    REQUIRE(it != cases.end());
    CheckEqual(name, Compute(it->second), expected);
  }
  CHECK(cases.size() == answers.size());
}

TEST_CASE("random arrays depend only on the seed and the index; pi by Monte Carlo") {
  TestCluster cluster(2);
  auto client = cluster.Connect();
  weft::Client& c = *client;
  std::string uniform_bytes;
  for (bool normal : {false, true}) {
    auto make = [&](std::vector<int64_t> chunks, uint64_t seed) {
      return normal ? Array::random_normal(c, 1.0, 2.0, {30001}, chunks, seed)
                    : Array::random_uniform(c, -1.0, 3.0, {30001}, chunks, seed);
    };
    LocalArray a = Compute(make({30001}, 7));
    LocalArray b = Compute(make({1000}, 7));
    LocalArray d = Compute(make({337}, 7));
    LocalArray other = Compute(make({1000}, 8));
    REQUIRE(a.data.as_double_array().data.view() == b.data.as_double_array().data.view());
    REQUIRE(a.data.as_double_array().data.view() == d.data.as_double_array().data.view());
    CHECK(a.data.as_double_array().data.view() != other.data.as_double_array().data.view());
    if (!normal) uniform_bytes = std::string(a.data.as_double_array().data.view());
    // 2-d: element (i, j) of a 3 x 10000 array is element i * 10000 + j of the flat one.
    LocalArray grid =
        Compute(normal ? Array::random_normal(c, 1.0, 2.0, {3, 10000}, {2, 777}, 7)
                       : Array::random_uniform(c, -1.0, 3.0, {3, 10000}, {2, 777}, 7));
    for (int64_t i = 0; i < 30000; i += 997) CHECK(grid.at(i) == a.at(i));
    std::vector<double> v = a.to_doubles();
    double mean = 0, sq = 0;
    for (double e : v) mean += e;
    mean /= v.size();
    for (double e : v) sq += (e - mean) * (e - mean);
    double sd = std::sqrt(sq / v.size());
    // uniform(-1, 3): mean 1, sd 4/sqrt(12); normal(1, 2): mean 1, sd 2.
    CHECK(std::abs(mean - 1.0) < 0.05);
    CHECK(std::abs(sd - (normal ? 2.0 : 4.0 / std::sqrt(12.0))) < 0.05);
    double lo = *std::min_element(v.begin(), v.end());
    double hi = *std::max_element(v.begin(), v.end());
    if (!normal) CHECK((lo >= -1.0 && hi < 3.0));
  }
  int64_t n = 100'000'000;
  Array u = Array::random_uniform(c, -1, 1, {n}, {5'000'000}, 1);
  Array v = Array::random_uniform(c, -1, 1, {n}, {5'000'000}, 2);
  Array pi = 4 * ((pow(u, 2) + pow(v, 2)) < 1).sum() / n;
  REQUIRE(pi.ok());
  CHECK(pi.dtype() == DType::kFloat64);
  CHECK(pi.shape().empty());
  double got = Compute(pi).item().as_double();
  CHECK(std::abs(got - M_PI) < 1e-3);

  // Another cluster, one worker of three threads, other chunks: the same numbers.
  TestCluster one(1, {"--nthreads", "3"});
  auto one_client = one.Connect();
  LocalArray same = Compute(Array::random_uniform(*one_client, -1.0, 3.0, {30001}, {4096}, 7));
  CHECK(same.data.as_double_array().data.view() == uniform_bytes);
}

TEST_CASE("the graph of (arange(15, chunks=5) + 100).sum(): three fused chunks, one aggregate") {
  TestCluster cluster(1);
  auto client = cluster.Connect();
  Array s = (Array::arange(*client, 15, {5}) + 100).sum();
  std::string graph = s.graph();
  INFO(graph);
  CHECK(std::count(graph.begin(), graph.end(), '\n') == 3);  // four tasks
  CHECK(graph.find("', 0): fused(sum-partial((arange(0, 1)[0:5] + 100)), block 1x5)") !=
        std::string::npos);
  CHECK(graph.find("', 2): fused(sum-partial((arange(0, 1)[10:15] + 100)), block 1x5)") !=
        std::string::npos);
  CHECK(graph.find("aggregate(sum, [('sum-") != std::string::npos);
  CHECK(graph.find("', 2)]") != std::string::npos);
  CHECK(Compute(s).item() == Value(int64_t{1605}));

  std::string dir = std::filesystem::temp_directory_path() / "weft-array-graph";
  std::filesystem::create_directories(dir);
  REQUIRE(s.visualize(dir + "/sum.dot").ok());
  std::ifstream svg(dir + "/sum.svg");
  std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  CHECK(text.find("<svg") != std::string::npos);
  CHECK(text.find("sum&#45;aggregate") != std::string::npos);
}

TEST_CASE("bad shapes, dtypes and indices are errors before anything runs") {
  TestCluster cluster(1);
  auto client = cluster.Connect();
  weft::Client& c = *client;
  auto message = [](const Array& a) { return std::string(a.status().message()); };
  Array bad = Array::ones(c, {3, 4}, {2}) + Array::ones(c, {3}, {3});
  CHECK(!bad.ok());
  CHECK(message(bad) == "+: operands could not be broadcast together with shapes (3, 4) (3,)");
  CHECK(!(bad * 2).sum().ok());  // the error travels on
  CHECK(message((bad * 2).sum()) == message(bad));
  CHECK(!bad.compute().ok());
  CHECK(message(Array::ones(c, {4}, {0})).find("chunk size 0") != std::string::npos);
  CHECK(message(Array::ones(c, {4}, {2, 2})).find("do not match shape (4,)") != std::string::npos);
  Array f = Array::ones(c, {4}, {2});
  CHECK(message(f & 1).find("bitwise operations need int64 or bool") != std::string::npos);
  CHECK(message(-(f > 0)).find("boolean negative") != std::string::npos);
  CHECK(message(f[Index::At(4)]) == "index 4 is out of bounds for axis 0 with size 4");
  CHECK(message(f[{Index::All(), Index::All()}]).find("too many indices") != std::string::npos);
  CHECK(message(f.sum(1)) == "sum: axis 1 is out of bounds for array of dimension 1");
  CHECK(message(Array::ones(c, {2, 3}, {2}).matmul(Array::ones(c, {2, 3}, {2}))) ==
        "matmul: shapes (2, 3) and (2, 3) not aligned: 3 (dim 1) != 2 (dim 0)");
  CHECK(message(Array::concatenate({f, Array::ones(c, {2, 2}, {2})}))
            .find("same number of dimensions") != std::string::npos);
  CHECK(message(Array::ones(c, {2, 3, 4}, {2})).find("at most 2") != std::string::npos);
  // A task that fails at run time names its key; the cluster goes on.
  Array ints = Array::arange(c, -2, 2, 1, {2});
  auto failed = pow(ints, ints).compute();
  CHECK(!failed.ok());
  CHECK(std::string(failed.status().message()).find("negative integer powers") !=
        std::string::npos);
  CHECK(Compute(ints.sum()).item() == Value(int64_t{-2}));
}

TEST_CASE("an array larger than the cluster's memory is refused when persisted") {
  TestCluster cluster(2, {"--memory-limit", "64MiB"});
  auto client = cluster.Connect();
  Array big = Array::ones(*client, {10'000'000, 2}, {1'000'000, 2});  // 160 MB
  Array refused = big.persist();
  CHECK(!refused.ok());
  CHECK(std::string(refused.status().message()) ==
        "persist: the array (10000000, 2) of float64 holds 160000000 bytes, more than the "
        "memory limit of the whole cluster (134217728 bytes over 2 workers); persist a "
        "reduction or a slice of it, or add workers");
  // Reductions of it run, chunk by chunk, in constant memory.
  CHECK(Compute(big.sum()).item() == Value(2e7));
  Array fits = big[Index::Slice(0, 1'000'000)].persist();
  CHECK(fits.ok());
  CHECK(fits.wait().ok());
}

TEST_CASE("persisted arrays, from_bag and scattered chunks stay on the cluster") {
  TestCluster cluster(2);
  auto client = cluster.Connect();
  weft::Client& c = *client;
  Array a = (Array::arange(c, 100, {10}) * 3).persist();
  REQUIRE(a.wait().ok());
  CHECK(a.graph().find("<in memory on the cluster>") != std::string::npos);
  CHECK(Compute(a.sum()).item() == Value(int64_t{3 * 4950}));
  CHECK(Compute(a[Index::Slice(95)]).at(4) == Value(int64_t{297}));

  weft::ValueList items;
  for (int i = 0; i < 50; ++i) items.push_back(Value(weft::Record{{"n", Value(i * 0.5)}}));
  Array from_bag = Array::from_bag(weft::Bag::from_sequence(c, items, 4), "n", DType::kFloat64);
  INFO(from_bag.status().ToString());
  REQUIRE(from_bag.ok());
  CHECK(from_bag.shape() == weft::Shape{50});
  CHECK(from_bag.chunks().at(0).size() == 4);
  CHECK(Compute(from_bag.sum()).item() == Value(612.5));
  CHECK(Compute(from_bag.max()).item() == Value(24.5));
}
