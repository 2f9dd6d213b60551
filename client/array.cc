// weft::Array: creation, what an array is, and running it (compute, persist).

#include "weft/array.h"

#include <cmath>
#include <cstring>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/array_expr.h"
#include "client/client_core.h"
#include "client/task_builder.h"
#include "common/status_macros.h"
#include "weft/bag.h"
#include "weft/client.h"

namespace weft {

using internal::ArrayExpr;
using internal::ArrayExprPtr;
using internal::MakeGenerator;

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kBool:
      return "bool";
    case DType::kInt64:
      return "int64";
    case DType::kFloat64:
      return "float64";
  }
  return "float64";
}

// ---------------------------------------------------------------------------
// LocalArray and Index

int64_t LocalArray::size() const { return internal::NumElements(shape); }

Value LocalArray::at(int64_t i) const {
  switch (data.kind()) {
    case ValueKind::kDoubleArray:
      return Value(data.as_double_array()[i]);
    case ValueKind::kInt64Array:
      return Value(data.as_int64_array()[i]);
    case ValueKind::kBoolArray:
      return Value(data.as_bool_array()[i]);
    default:
      return Value();
  }
}

Value LocalArray::item() const { return at(0); }

std::vector<double> LocalArray::to_doubles() const {
  std::vector<double> out(size());
  for (int64_t i = 0; i < size(); ++i) {
    Value v = at(i);
    out[i] = v.is_double() ? v.as_double() : v.is_int() ? double(v.as_int()) : v.as_bool();
  }
  return out;
}

Index Index::At(int64_t i) {
  Index index;
  index.is_index = true;
  index.index = i;
  return index;
}

Index Index::Slice(std::optional<int64_t> start, std::optional<int64_t> stop,
                   std::optional<int64_t> step) {
  Index index;
  index.start = start;
  index.stop = stop;
  index.step = step;
  return index;
}

// ---------------------------------------------------------------------------
// Construction

Array::Array(absl::Status status) : status_(std::move(status)) {}

Array::Array(std::shared_ptr<const ArrayExpr> expr) : expr_(std::move(expr)) {}

Array::Array(const Value& scalar) {
  DType dtype;
  if (scalar.is_double()) {
    dtype = DType::kFloat64;
  } else if (scalar.is_int()) {
    dtype = DType::kInt64;
  } else if (scalar.is_bool()) {
    dtype = DType::kBool;
  } else {
    status_ = absl::InvalidArgumentError(
        absl::StrCat("an array scalar must be a number or a bool, got ", scalar.kind_name()));
    return;
  }
  auto e = std::make_shared<ArrayExpr>();
  e->kind = ArrayExpr::Kind::kScalar;
  e->dtype = dtype;
  e->scalar = scalar;
  e->name = "scalar";
  e->token = absl::StrCat("scalar|", scalar.DebugString());
  expr_ = std::move(e);
}

Array Array::arange(Client& client, const Value& start, const Value& stop, const Value& step,
                    const ChunkSpec& chunks) {
  for (const Value* v : {&start, &stop, &step}) {
    if (!v->is_int() && !v->is_double()) {
      return Failed(absl::InvalidArgumentError(
          absl::StrCat("arange: start, stop and step must be numbers, got ", v->kind_name())));
    }
  }
  auto num = [](const Value& v) { return v.is_int() ? double(v.as_int()) : v.as_double(); };
  if (num(step) == 0) return Failed(absl::InvalidArgumentError("arange: step must not be 0"));
  int64_t n =
      std::max<int64_t>(0, static_cast<int64_t>(std::ceil((num(stop) - num(start)) / num(step))));
  bool ints = start.is_int() && stop.is_int() && step.is_int();
  if (ints) {
    return MakeGenerator(client.core(), "arange", DType::kInt64, {n}, chunks, {start, step});
  }
  return MakeGenerator(client.core(), "arange", DType::kFloat64, {n}, chunks,
                       {Value(num(start)), Value(num(step))});
}

Array Array::linspace(Client& client, double start, double stop, int64_t num,
                      const ChunkSpec& chunks, bool endpoint) {
  if (num < 0) {
    return Failed(absl::InvalidArgumentError(
        absl::StrCat("linspace: number of samples, ", num, ", must be non-negative")));
  }
  int64_t div = endpoint ? num - 1 : num;
  double step = div > 0 ? (stop - start) / div : 0.0;
  // NumPy sets the last element to `stop` exactly when endpoint; num past the end never
  // matches otherwise.
  int64_t last = endpoint && num > 1 ? num : -1;
  return MakeGenerator(client.core(), "linspace", DType::kFloat64, {num}, chunks,
                       {Value(start), Value(step), Value(stop), Value(last)});
}

Array Array::full(Client& client, const Shape& shape, const Value& fill, const ChunkSpec& chunks) {
  Array scalar(fill);
  if (!scalar.ok()) return scalar;
  return MakeGenerator(client.core(), "full", scalar.dtype(), shape, chunks, {fill});
}

Array Array::ones(Client& client, const Shape& shape, const ChunkSpec& chunks, DType dtype) {
  Value one = dtype == DType::kFloat64 ? Value(1.0)
              : dtype == DType::kInt64 ? Value(int64_t{1})
                                       : Value(true);
  return full(client, shape, one, chunks);
}

Array Array::zeros(Client& client, const Shape& shape, const ChunkSpec& chunks, DType dtype) {
  Value zero = dtype == DType::kFloat64 ? Value(0.0)
               : dtype == DType::kInt64 ? Value(int64_t{0})
                                        : Value(false);
  return full(client, shape, zero, chunks);
}

Array Array::random_uniform(Client& client, double low, double high, const Shape& shape,
                            const ChunkSpec& chunks, uint64_t seed) {
  return MakeGenerator(client.core(), "uniform", DType::kFloat64, shape, chunks,
                       {Value(static_cast<int64_t>(seed)), Value(low), Value(high)});
}

Array Array::random_normal(Client& client, double loc, double scale, const Shape& shape,
                           const ChunkSpec& chunks, uint64_t seed) {
  if (scale < 0) {
    return Failed(absl::InvalidArgumentError(
        absl::StrCat("random.normal: scale must be non-negative, got ", scale)));
  }
  return MakeGenerator(client.core(), "normal", DType::kFloat64, shape, chunks,
                       {Value(static_cast<int64_t>(seed)), Value(loc), Value(scale)});
}

// ---------------------------------------------------------------------------
// What it is

DType Array::dtype() const { return expr_ ? expr_->dtype : DType::kFloat64; }

const Shape& Array::shape() const {
  static const Shape kNone;
  return expr_ ? expr_->shape : kNone;
}

const Chunks& Array::chunks() const {
  static const Chunks kNone;
  return expr_ ? expr_->chunks : kNone;
}

int64_t Array::size() const { return internal::NumElements(shape()); }

int64_t Array::nbytes() const { return size() * (dtype() == DType::kBool ? 1 : 8); }

std::vector<int64_t> Array::numblocks() const {
  std::vector<int64_t> out;
  for (const auto& c : chunks()) out.push_back(static_cast<int64_t>(c.size()));
  return out;
}

std::string Array::ToString() const {
  if (!ok()) return absl::StrCat("weft.Array<failed: ", status_.message(), ">");
  Shape chunksize;
  for (const auto& c : chunks()) chunksize.push_back(c.empty() ? 0 : c[0]);
  return absl::StrCat("weft.Array<", expr_->name, ", shape=", internal::ShapeString(shape()),
                      ", dtype=", DTypeName(dtype()),
                      ", chunksize=", internal::ShapeString(chunksize), ">");
}

// ---------------------------------------------------------------------------
// Running

namespace {

size_t ItemSize(DType d) { return d == DType::kBool ? 1 : 8; }

// Copies chunk `data` (rows x cols, row-major) into `out` (total_cols wide) at (r0, c0).
void PlaceChunk(std::string_view data, size_t item, int64_t rows, int64_t cols, int64_t r0,
                int64_t c0, int64_t total_cols, char* out) {
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(out + ((r0 + r) * total_cols + c0) * item, data.data() + r * cols * item,
                cols * item);
  }
}

Value AsArrayValue(DType dtype, std::string bytes) {
  Buffer buffer(std::move(bytes));
  switch (dtype) {
    case DType::kFloat64:
      return Value(DoubleArray{std::move(buffer)});
    case DType::kInt64:
      return Value(Int64Array{std::move(buffer)});
    case DType::kBool:
      return Value(BoolArray{std::move(buffer)});
  }
  return Value();
}

const Buffer* ChunkBuffer(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kDoubleArray:
      return &v.as_double_array().data;
    case ValueKind::kInt64Array:
      return &v.as_int64_array().data;
    case ValueKind::kBoolArray:
      return &v.as_bool_array().data;
    default:
      return nullptr;
  }
}

}  // namespace

absl::StatusOr<LocalArray> Array::compute() const {
  WEFT_RETURN_IF_ERROR(status_);
  WEFT_ASSIGN_OR_RETURN(ArrayExprPtr blocks, internal::Materialize(expr_));
  std::vector<std::string> keys;
  for (const auto& b : blocks->blocks) keys.push_back(b->key);
  auto handles = blocks->core->SubmitGraph(internal::GraphTasks(blocks->blocks), keys);
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> values, blocks->core->Gather(keys));
  LocalArray out;
  out.dtype = blocks->dtype;
  out.shape = blocks->shape;
  size_t item = ItemSize(out.dtype);
  internal::Dims2 dims = internal::Pad2(out.shape);
  auto chunks = internal::PadChunks(blocks->chunks);
  std::vector<int64_t> row_starts = internal::ChunkStarts(chunks[0]);
  std::vector<int64_t> col_starts = internal::ChunkStarts(chunks[1]);
  std::string bytes(dims[0] * dims[1] * item, '\0');
  for (size_t i = 0; i < chunks[0].size(); ++i) {
    for (size_t j = 0; j < chunks[1].size(); ++j) {
      const Value& v = values[i * chunks[1].size() + j];
      const Buffer* data = ChunkBuffer(v);
      size_t want = chunks[0][i] * chunks[1][j] * item;
      if (data == nullptr || data->size() != want) {
        return absl::InternalError(absl::StrCat("chunk ", keys[i * chunks[1].size() + j], " is a ",
                                                v.kind_name(), " of ", data ? data->size() : 0,
                                                " bytes, expected ", want, " bytes of ",
                                                DTypeName(out.dtype)));
      }
      PlaceChunk(data->view(), item, chunks[0][i], chunks[1][j], row_starts[i], col_starts[j],
                 dims[1], bytes.data());
    }
  }
  out.data = AsArrayValue(out.dtype, std::move(bytes));
  return out;
}

namespace {

// An array larger than every worker's memory limit together cannot be held: refused before
// anything runs (workers without a limit: no check).
absl::Status CheckFitsInMemory(const proto::InfoReply& info, const Array& array) {
  int64_t total = 0;
  for (const proto::WorkerSummary& w : info.workers()) {
    if (w.memory_limit() <= 0) return absl::OkStatus();
    total += w.memory_limit();
  }
  if (info.workers_size() == 0 || array.nbytes() <= total) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "persist: the array ", internal::ShapeString(array.shape()), " of ", DTypeName(array.dtype()),
      " holds ", array.nbytes(), " bytes, more than the memory limit of ", "the whole cluster (",
      total, " bytes over ", info.workers_size(),
      " workers); persist a reduction or a slice of it, or add workers"));
}

// Where chunk k of n should live: contiguous runs of chunks, one per worker, in proportion
// to their threads. Arrays of one chunking persisted apart so land chunk by chunk on the
// same workers, and elementwise operations between them read their inputs in place (a
// preference: the scheduler runs a chunk elsewhere while its worker is gone).
std::vector<std::string> PreferredWorkers(const proto::InfoReply& info, size_t n) {
  int64_t threads = 0;
  for (const proto::WorkerSummary& w : info.workers()) threads += std::max(w.nthreads(), 1);
  std::vector<std::string> out;
  if (threads == 0) return out;
  int64_t before = 0;
  for (const proto::WorkerSummary& w : info.workers()) {
    int64_t end = (before + std::max(w.nthreads(), 1)) * static_cast<int64_t>(n) / threads;
    while (static_cast<int64_t>(out.size()) < end) out.push_back(w.address());
    before += std::max(w.nthreads(), 1);
  }
  return out;
}

}  // namespace

Array Array::persist() const {
  if (!ok()) return *this;
  absl::StatusOr<ArrayExprPtr> blocks = internal::Materialize(expr_);
  if (!blocks.ok()) return Failed(blocks.status());
  const ArrayExprPtr& b = *blocks;
  absl::StatusOr<proto::InfoReply> info = b->core->Info(absl::Seconds(30));
  if (!info.ok()) return Failed(info.status());
  if (absl::Status fits = CheckFitsInMemory(*info, *this); !fits.ok()) return Failed(fits);
  std::vector<std::string> keys;
  for (const auto& node : b->blocks) keys.push_back(node->key);
  std::vector<proto::TaskSpec> tasks = internal::GraphTasks(b->blocks);
  std::vector<std::string> preferred = PreferredWorkers(*info, keys.size());
  if (preferred.size() == keys.size()) {
    absl::flat_hash_map<std::string, size_t> index;
    for (size_t k = 0; k < keys.size(); ++k) index.emplace(keys[k], k);
    for (proto::TaskSpec& task : tasks) {
      auto it = index.find(task.key());
      if (it == index.end()) continue;
      SubmitOptions options;
      options.workers = {preferred[it->second]};
      options.allow_other_workers = true;
      internal::ApplyOptions(options, &task);
    }
  }
  auto handles = b->core->SubmitGraph(std::move(tasks), keys);
  std::vector<internal::BagNodePtr> leaves;
  for (auto& h : handles) leaves.push_back(internal::BagNode::Leaf(std::move(h)));
  return Array(
      internal::MakeBlocks(b->core, b->name, b->dtype, b->shape, b->chunks, std::move(leaves)));
}

absl::Status Array::wait(absl::Duration timeout) const {
  WEFT_RETURN_IF_ERROR(status_);
  if (expr_->kind != ArrayExpr::Kind::kBlocks) return absl::OkStatus();
  const absl::Time deadline = absl::Now() + timeout;
  for (const auto& b : expr_->blocks) {
    if (b->persisted == nullptr) continue;
    WEFT_RETURN_IF_ERROR(
        b->persisted->Wait(std::max(deadline - absl::Now(), absl::ZeroDuration())));
    if (b->persisted->status() != FutureStatus::kFinished) {
      return b->persisted->Fetch().status();
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Local data onto the cluster

Array Array::from_array(Client& client, const Value& data, const Shape& shape,
                        const ChunkSpec& chunk_spec) {
  DType dtype;
  switch (data.kind()) {
    case ValueKind::kDoubleArray:
      dtype = DType::kFloat64;
      break;
    case ValueKind::kInt64Array:
      dtype = DType::kInt64;
      break;
    case ValueKind::kBoolArray:
      dtype = DType::kBool;
      break;
    default:
      return Failed(absl::InvalidArgumentError(absl::StrCat(
          "from_array: data must be a double, int64 or bool array, got ", data.kind_name())));
  }
  absl::StatusOr<Chunks> chunks = internal::NormalizeChunks(shape, chunk_spec, "from_array");
  if (!chunks.ok()) return Failed(chunks.status());
  const Buffer* buffer = ChunkBuffer(data);
  size_t item = ItemSize(dtype);
  if (buffer->size() != internal::NumElements(shape) * item) {
    return Failed(absl::InvalidArgumentError(absl::StrCat("from_array: ", buffer->size() / item,
                                                          " elements do not fill shape ",
                                                          internal::ShapeString(shape))));
  }
  internal::Dims2 dims = internal::Pad2(shape);
  auto padded = internal::PadChunks(*chunks);
  std::vector<int64_t> row_starts = internal::ChunkStarts(padded[0]);
  std::vector<int64_t> col_starts = internal::ChunkStarts(padded[1]);
  ValueList pieces;
  for (size_t i = 0; i < padded[0].size(); ++i) {
    for (size_t j = 0; j < padded[1].size(); ++j) {
      int64_t rows = padded[0][i], cols = padded[1][j];
      std::string bytes(rows * cols * item, '\0');
      for (int64_t r = 0; r < rows; ++r) {
        std::memcpy(bytes.data() + r * cols * item,
                    buffer->data() + ((row_starts[i] + r) * dims[1] + col_starts[j]) * item,
                    cols * item);
      }
      pieces.push_back(AsArrayValue(dtype, std::move(bytes)));
    }
  }
  auto core = client.core();
  auto handles = core->Scatter(pieces, /*workers=*/{}, /*broadcast=*/false);
  if (!handles.ok()) return Failed(handles.status());
  std::vector<internal::BagNodePtr> leaves;
  for (auto& h : *handles) leaves.push_back(internal::BagNode::Leaf(std::move(h)));
  return Array(
      internal::MakeBlocks(core, "array", dtype, shape, *std::move(chunks), std::move(leaves)));
}

Array Array::from_vector(Client& client, const std::vector<double>& data, const ChunkSpec& chunks) {
  std::string bytes(data.size() * sizeof(double), '\0');
  std::memcpy(bytes.data(), data.data(), bytes.size());
  return from_array(client, Value(DoubleArray{Buffer(std::move(bytes))}),
                    {static_cast<int64_t>(data.size())}, chunks);
}

Array Array::from_bag(const Bag& bag, const std::string& path, DType dtype) {
  Bag items = path.empty() ? bag : bag.pluck(path);
  Bag converted = items.map_partitions(
      "array.from_items", {Value(Record{{"dtype", Value(internal::KernelDType(dtype))}})});
  std::vector<internal::BagNodePtr> parts = converted.Materialized();
  auto core = converted.core_;
  std::vector<internal::BagNodePtr> lengths;
  std::vector<std::string> keys, length_keys;
  for (const auto& p : parts) {
    keys.push_back(p->key);
    lengths.push_back(internal::BagNode::Make("len", {internal::NodeArg::Of(p)}));
    length_keys.push_back(lengths.back()->key);
  }
  auto handles = core->SubmitGraph(internal::GraphTasks(parts), keys);
  auto sizes = internal::ComputeNodes(*core, lengths);
  if (!sizes.ok()) return Failed(sizes.status());
  std::vector<int64_t> chunk_sizes;
  std::vector<internal::BagNodePtr> leaves;
  int64_t n = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Value& s = (*sizes)[i];
    if (!s.is_int()) return Failed(absl::InternalError("from_bag: len returned a non-int"));
    if (s.as_int() == 0) continue;  // an empty partition has no chunk
    chunk_sizes.push_back(s.as_int());
    n += s.as_int();
    leaves.push_back(internal::BagNode::Leaf(std::move(handles[i])));
  }
  if (leaves.empty()) {
    return Failed(absl::InvalidArgumentError("from_bag: the bag is empty; weft arrays cannot be"));
  }
  return Array(internal::MakeBlocks(core, "from-bag", dtype, {n}, {std::move(chunk_sizes)},
                                    std::move(leaves)));
}

// ---------------------------------------------------------------------------
// The graph

std::string Array::graph() const {
  if (!ok()) return absl::StrCat("failed: ", status_.message());
  absl::StatusOr<ArrayExprPtr> blocks = internal::Materialize(expr_);
  if (!blocks.ok()) return absl::StrCat("failed: ", blocks.status().message());
  return internal::GraphText(*blocks);
}

}  // namespace weft
