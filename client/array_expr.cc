// Building array expressions: generators, chunk grids, elementwise nodes with NumPy
// broadcasting.

#include "client/array_expr.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/codec.h"
#include "common/key.h"

namespace weft::internal {

namespace {

std::string Hash(const absl::Cord& token) { return StableHashHex(token); }

void AppendShape(absl::Cord& token, const Shape& shape, const Chunks& chunks) {
  token.Append(absl::StrCat("|", ShapeString(shape), ChunksString(chunks)));
}

}  // namespace

std::shared_ptr<ClientCore> CoreOf(const std::vector<ArrayExprPtr>& operands) {
  for (const auto& e : operands) {
    if (e->core != nullptr) return e->core;
  }
  return nullptr;
}

Array MakeGenerator(std::shared_ptr<ClientCore> core, std::string generator, DType dtype,
                    const Shape& shape, const ChunkSpec& chunks, std::vector<Value> params) {
  absl::StatusOr<Chunks> normalized = NormalizeChunks(shape, chunks, generator);
  if (!normalized.ok()) return ArrayExpr::Fail(normalized.status());
  auto e = std::make_shared<ArrayExpr>();
  e->kind = ArrayExpr::Kind::kGenerator;
  e->dtype = dtype;
  e->shape = shape;
  e->chunks = *std::move(normalized);
  e->core = std::move(core);
  e->generator = generator;
  e->params = std::move(params);
  e->name = generator == "full" ? "full_like" : generator;
  absl::Cord token(absl::StrCat("gen|", generator, "|", DTypeName(dtype)));
  AppendShape(token, e->shape, e->chunks);
  for (const Value& p : e->params) {
    token.Append("|");
    token.Append(EncodeValue(p));
  }
  e->token = Hash(token);
  return ArrayExpr::Wrap(std::move(e));
}

ArrayExprPtr MakeBlocks(std::shared_ptr<ClientCore> core, std::string name, DType dtype,
                        Shape shape, Chunks chunks, std::vector<BagNodePtr> blocks) {
  auto e = std::make_shared<ArrayExpr>();
  e->kind = ArrayExpr::Kind::kBlocks;
  e->dtype = dtype;
  e->shape = std::move(shape);
  e->chunks = std::move(chunks);
  e->core = std::move(core);
  e->name = std::move(name);
  absl::Cord token("blocks");
  for (const auto& b : blocks) token.Append(absl::StrCat("|", b->key));
  e->token = Hash(token);
  e->blocks = std::move(blocks);
  return e;
}

absl::StatusOr<ArrayExprPtr> MakeElementwise(const std::string& op, const std::string& symbol,
                                             DType dtype, std::vector<ArrayExprPtr> operands) {
  size_t rank = 0;
  for (const auto& o : operands) rank = std::max(rank, o->shape.size());
  Shape shape(rank, 1);
  Chunks chunks(rank);
  std::vector<bool> chunked(rank, false);
  for (const auto& o : operands) {
    size_t pad = rank - o->shape.size();
    for (size_t i = 0; i < o->shape.size(); ++i) {
      int64_t d = o->shape[i];
      int64_t& out = shape[pad + i];
      if (d == out || d == 1) continue;
      if (out != 1) {
        std::string shapes;
        for (const auto& x : operands) absl::StrAppend(&shapes, " ", ShapeString(x->shape));
        return absl::InvalidArgumentError(
            absl::StrCat(symbol, ": operands could not be broadcast together with shapes", shapes));
      }
      out = d;
    }
  }
  for (const auto& o : operands) {
    size_t pad = rank - o->shape.size();
    for (size_t i = 0; i < o->shape.size(); ++i) {
      size_t axis = pad + i;
      if (o->shape[i] != shape[axis]) continue;  // broadcast along this axis
      chunks[axis] = chunked[axis] ? RefineChunks(chunks[axis], o->chunks[i]) : o->chunks[i];
      chunked[axis] = true;
    }
  }
  for (size_t axis = 0; axis < rank; ++axis) {
    if (!chunked[axis]) chunks[axis] = {shape[axis]};
  }
  auto e = std::make_shared<ArrayExpr>();
  e->kind = ArrayExpr::Kind::kElementwise;
  e->dtype = dtype;
  e->shape = std::move(shape);
  e->chunks = std::move(chunks);
  e->core = CoreOf(operands);
  e->op = op;
  e->name = op;
  absl::Cord token(absl::StrCat("ew|", op, "|", DTypeName(dtype)));
  AppendShape(token, e->shape, e->chunks);
  for (const auto& o : operands) token.Append(absl::StrCat("|", o->token));
  e->token = Hash(token);
  e->operands = std::move(operands);
  return ArrayExprPtr(std::move(e));
}

ArrayExprPtr Cast(const ArrayExprPtr& e, DType dtype) {
  if (e->dtype == dtype) return e;
  if (e->kind == ArrayExpr::Kind::kScalar) {
    // Fold: a scalar converted here keeps the program short and the key stable.
    const Value& v = e->scalar;
    double d = v.is_double() ? v.as_double() : v.is_int() ? double(v.as_int()) : v.as_bool();
    Value converted;
    switch (dtype) {
      case DType::kFloat64:
        converted = Value(d);
        break;
      case DType::kInt64:
        converted = Value(v.is_int() ? v.as_int() : static_cast<int64_t>(d));
        break;
      case DType::kBool:
        converted = Value(d != 0);
        break;
    }
    return Array(converted).expr();
  }
  return *MakeElementwise("cast", absl::StrCat("astype(", DTypeName(dtype), ")"), dtype, {e});
}

}  // namespace weft::internal
