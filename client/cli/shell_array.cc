// The array functions, methods and attributes of `weft shell` (shell_builtins.h), over
// weft::Array (weft/array.h): creation (arange, random.uniform, from_array, ...),
// elementwise functions, reductions, structure, and running (compute, persist).
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/shell_builtins.h"
#include "common/status_macros.h"

namespace weft::cli::shell {
namespace {

using Args = Builtins::Args;
using Entry = Builtins::Entry;

// An expression statement computes and prints an array this small; a larger one prints
// its summary.
constexpr int64_t kMaxPrintedElements = 1000;
// chunks=None: chunks of about this many elements (64 MiB of float64), as dask's "auto".
constexpr double kAutoChunkElements = 1 << 23;

Shape ShapeOf(const Value& v) {
  if (v.is_int()) return {v.as_int()};
  Shape shape;
  for (const Value& d : v.as_list()) shape.push_back(d.as_int());
  return shape;
}

// chunks: a number for every axis, a tuple one per axis, or None: about
// kAutoChunkElements per chunk.
ChunkSpec ChunksOf(const Value& v, size_t ndim) {
  if (v.is_null()) {
    const double side =
        std::pow(kAutoChunkElements, 1.0 / static_cast<double>(std::max<size_t>(ndim, 1)));
    return {static_cast<int64_t>(side)};
  }
  return ShapeOf(v);
}

absl::StatusOr<DType> DTypeOf(const Value& v) {
  const std::string& name = v.as_string();
  if (name == "float64" || name == "float" || name == "f8") return DType::kFloat64;
  if (name == "int64" || name == "int" || name == "i8") return DType::kInt64;
  if (name == "bool") return DType::kBool;
  return absl::InvalidArgumentError(
      absl::StrCat("dtype must be \"float64\", \"int64\" or \"bool\", not \"", name, "\""));
}

double Number(const Object& o) {
  return o.value.is_double() ? o.value.as_double() : static_cast<double>(o.value.as_int());
}

uint64_t SeedOf(const Object& o) {
  if (o.value.is_int()) return static_cast<uint64_t>(o.value.as_int());
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) | device();
}

std::optional<int> AxisOf(const Object& o) {
  if (o.value.is_null()) return std::nullopt;
  return static_cast<int>(o.value.as_int());
}

// A nested list of numbers and bools as one row-major buffer: ints → int64, any double →
// float64, only bools → bool; a list of lists is 2-d.
absl::StatusOr<std::pair<Value, Shape>> BufferOf(const Value& list) {
  ValueList flat;
  Shape shape = {static_cast<int64_t>(list.as_list().size())};
  for (const Value& item : list.as_list()) {
    if (!item.is_list()) {
      flat.push_back(item);
      continue;
    }
    if (shape.size() == 1) shape.push_back(static_cast<int64_t>(item.as_list().size()));
    if (flat.size() != 0 && static_cast<int64_t>(item.as_list().size()) != shape[1]) {
      return absl::InvalidArgumentError("from_array: the rows have different lengths");
    }
    for (const Value& x : item.as_list()) flat.push_back(x);
  }
  if (shape.size() == 2 && static_cast<int64_t>(flat.size()) != shape[0] * shape[1]) {
    return absl::InvalidArgumentError("from_array: mix rows (lists) and numbers, or ragged rows");
  }
  bool any_double = false, all_bool = !flat.empty();
  for (const Value& x : flat) {
    if (!x.is_int() && !x.is_double() && !x.is_bool()) {
      return absl::InvalidArgumentError(
          absl::StrCat("from_array: elements must be numbers or bools, not ", x.kind_name()));
    }
    any_double |= x.is_double();
    all_bool &= x.is_bool();
  }
  std::string bytes;
  if (all_bool) {
    for (const Value& x : flat) bytes.push_back(static_cast<char>(x.as_bool()));
    return std::make_pair(Value(BoolArray{Buffer(std::move(bytes))}), shape);
  }
  auto append = [&bytes](auto x) { bytes.append(reinterpret_cast<const char*>(&x), sizeof(x)); };
  for (const Value& x : flat) {
    const int64_t i = x.is_bool() ? int64_t{x.as_bool()} : x.is_int() ? x.as_int() : 0;
    if (any_double) {
      append(x.is_double() ? x.as_double() : static_cast<double>(i));
    } else {
      append(i);
    }
  }
  if (any_double) return std::make_pair(Value(DoubleArray{Buffer(std::move(bytes))}), shape);
  return std::make_pair(Value(Int64Array{Buffer(std::move(bytes))}), shape);
}

const Param kChunks = {"chunks", Type::kShape, Value()};

// A function of one array.
Entry Unary(const char* name, Array (*f)(const Array&), const char* help) {
  return {name,
          {{"x", Type::kArray}},
          false,
          help,
          [f](Session&, const Object&, Args& a) -> absl::StatusOr<Object> {
            return Object::Of(f(Builtins::AsArray(a[0])));
          }};
}

// A function of two arrays.
Entry Binary(const char* name, Array (*f)(const Array&, const Array&), const char* help) {
  return {name,
          {{"x1", Type::kArray}, {"x2", Type::kArray}},
          false,
          help,
          [f](Session&, const Object&, Args& a) -> absl::StatusOr<Object> {
            return Object::Of(f(Builtins::AsArray(a[0]), Builtins::AsArray(a[1])));
          }};
}

Array MatmulOf(const Array& a, const Array& b) { return a.matmul(b); }

// A reduction over every axis or one.
Entry Reduction(const char* name, Array (Array::*f)(std::optional<int>, int) const,
                const char* help) {
  return {name,
          {{"axis", Type::kOptionalInt, Value()}, {"split_every", Type::kInt, Value(0)}},
          false,
          help,
          [f](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
            return Object::Of(((*self.array).*f)(AxisOf(a[0]), Builtins::Int(a[1])));
          }};
}

// var and std: with ddof.
Entry Spread(const char* name, Array (Array::*f)(std::optional<int>, int, int) const,
             const char* help) {
  return {name,
          {{"axis", Type::kOptionalInt, Value()},
           {"ddof", Type::kInt, Value(0)},
           {"split_every", Type::kInt, Value(0)}},
          false,
          help,
          [f](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
            return Object::Of(
                ((*self.array).*f)(AxisOf(a[0]), Builtins::Int(a[1]), Builtins::Int(a[2])));
          }};
}

// ones / zeros.
Entry Filled(const char* name, bool one, const char* help) {
  return {name,
          {{"shape", Type::kShape}, kChunks, {"dtype", Type::kString, Value("float64")}},
          false,
          help,
          [one](Session& s, const Object&, Args& a) -> absl::StatusOr<Object> {
            WEFT_ASSIGN_OR_RETURN(DType dtype, DTypeOf(a[2].value));
            const Shape shape = ShapeOf(a[0].value);
            const ChunkSpec chunks = ChunksOf(a[1].value, shape.size());
            Client& client = Builtins::ClientOf(s);
            return Object::Of(one ? Array::ones(client, shape, chunks, dtype)
                                  : Array::zeros(client, shape, chunks, dtype));
          }};
}

// random.uniform / random.normal.
Entry Random(const char* name, bool uniform, const char* help) {
  return {name,
          {{uniform ? "low" : "loc", Type::kNumber, Value(uniform ? 0.0 : 0.0)},
           {uniform ? "high" : "scale", Type::kNumber, Value(1.0)},
           {"size", Type::kShape},
           kChunks,
           {"seed", Type::kOptionalInt, Value()}},
          false,
          help,
          [uniform](Session& s, const Object&, Args& a) -> absl::StatusOr<Object> {
            const Shape shape = ShapeOf(a[2].value);
            const ChunkSpec chunks = ChunksOf(a[3].value, shape.size());
            Client& client = Builtins::ClientOf(s);
            const uint64_t seed = SeedOf(a[4]);
            return Object::Of(uniform ? Array::random_uniform(client, Number(a[0]), Number(a[1]),
                                                              shape, chunks, seed)
                                      : Array::random_normal(client, Number(a[0]), Number(a[1]),
                                                             shape, chunks, seed));
          }};
}

}  // namespace

const std::vector<Builtins::Entry>& Builtins::ArrayFunctions() {
  static const auto* table = new std::vector<Entry>{
      {"arange",
       {{"start", Type::kNumber},
        {"stop", Type::kNumber, Value()},
        {"step", Type::kNumber, Value(1)},
        kChunks},
       false,
       "[start, stop) by step; arange(stop) from 0: arange(15, chunks=5)",
       [](Session& s, const Object&, Args& a) -> absl::StatusOr<Object> {
         const bool stop_only = a[1].value.is_null();
         return Object::Of(Array::arange(ClientOf(s), stop_only ? Value(0) : a[0].value,
                                         stop_only ? a[0].value : a[1].value, a[2].value,
                                         ChunksOf(a[3].value, 1)));
       }},
      {"linspace",
       {{"start", Type::kNumber},
        {"stop", Type::kNumber},
        {"num", Type::kInt, Value(50)},
        kChunks,
        {"endpoint", Type::kBool, Value(true)}},
       false,
       "num evenly spaced float64s from start to stop (included when endpoint)",
       [](Session& s, const Object&, Args& a) -> absl::StatusOr<Object> {
         return Object::Of(Array::linspace(ClientOf(s), Number(a[0]), Number(a[1]),
                                           a[2].value.as_int(), ChunksOf(a[3].value, 1),
                                           a[4].value.as_bool()));
       }},
      Filled("ones", true, "ones of a shape: ones((3, 4), chunks=2, dtype=\"int64\")"),
      Filled("zeros", false, "zeros of a shape"),
      {"full",
       {{"shape", Type::kShape}, {"fill_value", Type::kScalar}, kChunks},
       false,
       "fill_value everywhere (its dtype: int → int64, float → float64, bool)",
       [](Session& s, const Object&, Args& a) -> absl::StatusOr<Object> {
         const Shape shape = ShapeOf(a[0].value);
         return Object::Of(
             Array::full(ClientOf(s), shape, a[1].value, ChunksOf(a[2].value, shape.size())));
       }},
      Random("random.uniform", true,
             "uniform in [low, high); size a number or a tuple; the same seed, the same array "
             "(None: a random seed)"),
      Random("random.normal", false, "normal(loc, scale) of a size, counter-based by seed"),
      {"from_array",
       {{"data", Type::kList}, kChunks},
       false,
       "a list (1-d) or a list of lists (2-d) scattered to the workers: ints int64, any "
       "float float64, bools bool",
       [](Session& s, const Object&, Args& a) -> absl::StatusOr<Object> {
         WEFT_ASSIGN_OR_RETURN(auto buffer, BufferOf(a[0].value));
         const ChunkSpec chunks = ChunksOf(a[1].value, buffer.second.size());
         WEFT_ASSIGN_OR_RETURN(Array array, RunNow(s, [&client = ClientOf(s), buffer, chunks] {
                                 return absl::StatusOr<Array>(Array::from_array(
                                     client, buffer.first, buffer.second, chunks));
                               }));
         return Object::Of(std::move(array));
       }},
      {"from_bag",
       {{"bag", Type::kBag},
        {"path", Type::kString, Value("")},
        {"dtype", Type::kString, Value("float64")}},
       false,
       "the numeric field at path (\"\": the items) of every item, a chunk per partition",
       [](Session& s, const Object&, Args& a) -> absl::StatusOr<Object> {
         WEFT_ASSIGN_OR_RETURN(DType dtype, DTypeOf(a[2].value));
         WEFT_ASSIGN_OR_RETURN(Array array, RunNow(s, [bag = *a[0].bag, path = Str(a[1]), dtype] {
                                 return absl::StatusOr<Array>(Array::from_bag(bag, path, dtype));
                               }));
         return Object::Of(std::move(array));
       }},
      {"where",
       {{"condition", Type::kArray}, {"x", Type::kArray}, {"y", Type::kArray}},
       false,
       "x where condition holds, else y (broadcast)",
       [](Session&, const Object&, Args& a) -> absl::StatusOr<Object> {
         return Object::Of(where(AsArray(a[0]), AsArray(a[1]), AsArray(a[2])));
       }},
      Unary("abs", &weft::abs, "|x|, elementwise"),
      Unary("sqrt", &weft::sqrt, "square root (float64)"),
      Unary("exp", &weft::exp, "e to the x (float64)"),
      Unary("log", &weft::log, "natural logarithm (float64)"),
      Unary("sin", &weft::sin, "sine (float64)"),
      Unary("cos", &weft::cos, "cosine (float64)"),
      Binary("maximum", &weft::maximum, "the larger of two, elementwise (broadcast)"),
      Binary("minimum", &weft::minimum, "the smaller of two, elementwise (broadcast)"),
      {"concatenate",
       {{"arrays", Type::kArrays}, {"axis", Type::kInt, Value(0)}},
       false,
       "arrays joined along an axis: concatenate([a, b], axis=0)",
       [](Session&, const Object&, Args& a) -> absl::StatusOr<Object> {
         std::vector<Array> arrays;
         for (const Object& o : a[0].items) arrays.push_back(AsArray(o));
         return Object::Of(Array::concatenate(arrays, Int(a[1])));
       }},
      Binary("matmul", &MatmulOf, "the matrix product of two 2-d arrays (a @ b), blocked"),
      Binary("dot", &MatmulOf, "as matmul"),
  };
  return *table;
}

const std::vector<Builtins::Entry>& Builtins::ArrayMethods() {
  static const auto* table = new std::vector<Entry>{
      Reduction("sum", &Array::sum, "the sum over every axis (a 0-d array) or one"),
      Reduction("mean", &Array::mean, "the mean (float64)"),
      Reduction("min", &Array::min, "the smallest element"),
      Reduction("max", &Array::max, "the largest element"),
      Spread("var", &Array::var, "the variance, over n - ddof"),
      Spread("std", &Array::std, "the standard deviation, over n - ddof"),
      Reduction("argmin", &Array::argmin, "where the smallest is (a flat index without axis)"),
      Reduction("argmax", &Array::argmax, "where the largest is"),
      Reduction("any", &Array::any, "whether any element is true (non-zero)"),
      Reduction("all", &Array::all, "whether every element is"),
      Reduction("count_nonzero", &Array::count_nonzero, "how many elements are non-zero"),
      {"astype",
       {{"dtype", Type::kString}},
       false,
       "converted to \"float64\", \"int64\" or \"bool\"",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         WEFT_ASSIGN_OR_RETURN(DType dtype, DTypeOf(a[0].value));
         return Object::Of(self.array->astype(dtype));
       }},
      {"rechunk",
       {{"chunks", Type::kShape}},
       false,
       "the same elements in chunks of a new size: rechunk((5, 2))",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         return Object::Of(self.array->rechunk(ShapeOf(a[0].value)));
       }},
      {"transpose",
       {},
       false,
       "rows and columns swapped (x.T)",
       [](Session&, const Object& self, Args&) -> absl::StatusOr<Object> {
         return Object::Of(self.array->transpose());
       }},
      {"compute",
       {},
       false,
       "every chunk computed and assembled here (printed whatever its size)",
       [](Session& s, const Object& self, Args&) -> absl::StatusOr<Object> {
         WEFT_ASSIGN_OR_RETURN(LocalArray local, Compute(s, *self.array));
         return Object::Of(std::move(local));
       }},
      {"persist",
       {},
       false,
       "start computing the chunks and keep them on the workers; returns at once",
       [](Session&, const Object& self, Args&) -> absl::StatusOr<Object> {
         Object o = Object::Of(self.array->persist());
         o.persisted = true;
         return o;
       }},
      {"graph",
       {},
       false,
       "the tasks, one per line, as dask prints x.dask",
       [](Session&, const Object& self, Args&) -> absl::StatusOr<Object> {
         return Object::Of(Value(self.array->graph()), Object::Display::kText);
       }},
      {"visualize",
       {{"path", Type::kString}},
       false,
       "the graph as Graphviz DOT at path (.dot), and as SVG beside it",
       [](Session&, const Object& self, Args& a) -> absl::StatusOr<Object> {
         WEFT_RETURN_IF_ERROR(self.array->visualize(Str(a[0])));
         return Object::Of(Value(absl::StrCat("wrote ", Str(a[0]), " and its .svg")),
                           Object::Display::kText);
       }},
  };
  return *table;
}

std::vector<std::string> Builtins::ArrayAttributeNames() {
  return {"T", "chunks", "dtype", "nbytes", "ndim", "numblocks", "shape", "size"};
}

absl::StatusOr<Object> Builtins::ArrayAttribute(const Array& array, const std::string& name) {
  auto tuple = [](const std::vector<int64_t>& ints) {
    ValueList items(ints.begin(), ints.end());
    return Value(std::move(items));
  };
  if (name == "T") return Object::Of(array.T());
  if (name == "shape") return Object::Of(tuple(array.shape()), Object::Display::kPython);
  if (name == "numblocks") return Object::Of(tuple(array.numblocks()), Object::Display::kPython);
  if (name == "chunks") {
    ValueList axes;
    for (const auto& sizes : array.chunks()) axes.push_back(tuple(sizes));
    return Object::Of(Value(std::move(axes)), Object::Display::kPython);
  }
  if (name == "dtype") return Object::Of(Value(DTypeName(array.dtype())), Object::Display::kText);
  if (name == "ndim") return Object::Of(Value(array.ndim()), Object::Display::kPython);
  if (name == "size") return Object::Of(Value(array.size()), Object::Display::kPython);
  if (name == "nbytes") return Object::Of(Value(array.nbytes()), Object::Display::kPython);
  return absl::NotFoundError(name);
}

// ---------------------------------------------------------------------------
// Session: printing and computing arrays

absl::StatusOr<std::string> Session::ShowArray(const Array& array) {
  if (array.size() > kMaxPrintedElements) {
    return absl::StrCat(array.ToString(), "\n(", array.size(),
                        " elements, not computed: use .compute(), or a reduction such as "
                        ".sum() or .mean())");
  }
  WEFT_ASSIGN_OR_RETURN(LocalArray local, ComputeArray(array));
  return FormatLocalArray(local);
}

}  // namespace weft::cli::shell
