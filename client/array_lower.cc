// Lowering array expressions to tasks: one array.fused task per output chunk for a tree
// of generators and elementwise operations (and the reduction that ends it), then a tree
// of array.combine tasks for reductions.

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "client/array_expr.h"
#include "common/key.h"
#include "common/status_macros.h"

namespace weft::internal {

namespace {

constexpr int kDefaultSplitEvery = 16;

// The key of chunk `index` (grid coordinates) of an array named `name` whose identity is
// `token`: "name-<hash>-i[-j]", no index for a 0-d array.
std::string ChunkKey(const std::string& name, const std::string& token,
                     const std::vector<int64_t>& index) {
  std::string key = MakeKey(name, absl::Cord(token));
  for (int64_t i : index) absl::StrAppend(&key, "-", i);
  return key;
}

struct Region {
  int64_t r0 = 0, c0 = 0, rows = 1, cols = 1;
};

// Emits the straight-line program of one output chunk (worker/array/array_functions.h).
class ProgramBuilder {
 public:
  explicit ProgramBuilder(Region region) : region_(region) {}

  absl::StatusOr<int> Emit(const ArrayExprPtr& e) {
    auto found = regs_.find(e.get());
    if (found != regs_.end()) return found->second;
    ValueList instr;
    switch (e->kind) {
      case ArrayExpr::Kind::kScalar:
        instr = {Value("scalar"), Value(KernelDType(e->dtype)), e->scalar};
        break;
      case ArrayExpr::Kind::kGenerator:
        instr = Generator(*e);
        break;
      case ArrayExpr::Kind::kBlocks: {
        WEFT_ASSIGN_OR_RETURN(instr, Input(*e));
        break;
      }
      case ArrayExpr::Kind::kElementwise: {
        std::vector<int> regs;
        for (const auto& o : e->operands) {
          WEFT_ASSIGN_OR_RETURN(int r, Emit(o));
          regs.push_back(r);
        }
        bool compares = e->op == "lt" || e->op == "le" || e->op == "gt" || e->op == "ge" ||
                        e->op == "eq" || e->op == "ne";
        instr = {Value(e->op), Value(KernelDType(compares ? e->operands[0]->dtype : e->dtype))};
        for (int r : regs) instr.push_back(Value(int64_t{r}));
        break;
      }
    }
    code_.push_back(Value(std::move(instr)));
    int reg = static_cast<int>(code_.size()) - 1;
    regs_[e.get()] = reg;
    return reg;
  }

  ValueList TakeCode() { return std::move(code_); }
  std::vector<NodeArg> TakeInputs() { return std::move(inputs_); }

 private:
  ValueList Generator(const ArrayExpr& e) {
    Dims2 shape = Pad2(e.shape);
    bool brow = shape[0] == 1, bcol = shape[1] == 1;
    if (e.generator == "full") return {Value("scalar"), Value(KernelDType(e.dtype)), e.params[0]};
    ValueList instr = {Value(e.generator), Value(KernelDType(e.dtype))};
    for (const Value& p : e.params) instr.push_back(p);
    for (int64_t v : {shape[1], brow ? int64_t{0} : region_.r0, bcol ? int64_t{0} : region_.c0,
                      int64_t{brow}, int64_t{bcol}}) {
      instr.push_back(Value(v));
    }
    return instr;
  }

  // The leaf's chunk that covers this region (AlignLeaves made its chunks those of the
  // output along every axis it is not broadcast on).
  absl::StatusOr<ValueList> Input(const ArrayExpr& e) {
    Dims2 shape = Pad2(e.shape);
    auto chunks = PadChunks(e.chunks);
    bool broadcast[2] = {shape[0] == 1, shape[1] == 1};
    int64_t want_start[2] = {region_.r0, region_.c0};
    int64_t want_size[2] = {region_.rows, region_.cols};
    int64_t index[2] = {0, 0};
    for (int axis = 0; axis < 2; ++axis) {
      if (broadcast[axis]) continue;
      std::vector<int64_t> starts = ChunkStarts(chunks[axis]);
      auto it = std::find(starts.begin(), starts.end(), want_start[axis]);
      if (it == starts.end() || it + 1 == starts.end() || *(it + 1) - *it != want_size[axis]) {
        return absl::InternalError(absl::StrCat("array ", e.name, ": chunks ",
                                                ChunksString(e.chunks),
                                                " do not align with the output"));
      }
      index[axis] = it - starts.begin();
    }
    const BagNodePtr& node = e.blocks[index[0] * chunks[1].size() + index[1]];
    auto [it, inserted] = input_index_.emplace(node->key, static_cast<int>(inputs_.size()));
    if (inserted) inputs_.push_back(NodeArg::Of(node));
    return ValueList{Value("input"), Value(KernelDType(e.dtype)), Value(int64_t{it->second}),
                     Value(int64_t{broadcast[0]}), Value(int64_t{broadcast[1]})};
  }

  Region region_;
  ValueList code_;
  std::vector<NodeArg> inputs_;
  absl::flat_hash_map<const ArrayExpr*, int> regs_;
  absl::flat_hash_map<std::string, int> input_index_;
};

// `e` with every chunked leaf rechunked to the chunks of `root` (shape `root_shape`) along
// the axes where it is not broadcast, so each output chunk reads whole leaf chunks.
class LeafAligner {
 public:
  LeafAligner(const Shape& root_shape, const Chunks& root_chunks)
      : shape_(root_shape), chunks_(root_chunks) {}

  absl::StatusOr<ArrayExprPtr> Align(const ArrayExprPtr& e) {
    auto found = done_.find(e.get());
    if (found != done_.end()) return found->second;
    ArrayExprPtr out = e;
    if (e->kind == ArrayExpr::Kind::kBlocks) {
      size_t pad = shape_.size() - e->shape.size();
      Chunks target = e->chunks;
      for (size_t i = 0; i < e->shape.size(); ++i) {
        if (e->shape[i] == shape_[pad + i]) target[i] = chunks_[pad + i];
      }
      if (target != e->chunks) {
        WEFT_ASSIGN_OR_RETURN(out, Rechunk(e, target));
      }
    } else if (e->kind == ArrayExpr::Kind::kElementwise) {
      std::vector<ArrayExprPtr> operands;
      bool changed = false;
      for (const auto& o : e->operands) {
        WEFT_ASSIGN_OR_RETURN(ArrayExprPtr a, Align(o));
        changed |= a != o;
        operands.push_back(std::move(a));
      }
      if (changed) {
        auto copy = std::make_shared<ArrayExpr>(*e);
        copy->operands = std::move(operands);
        out = std::move(copy);
      }
    }
    done_[e.get()] = out;
    return out;
  }

 private:
  const Shape& shape_;
  const Chunks& chunks_;
  absl::flat_hash_map<const ArrayExpr*, ArrayExprPtr> done_;
};

absl::Status NeedCore(const ArrayExprPtr& e) {
  if (e->core != nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "this array is built from scalars only: no array of a cluster takes part, so there is "
      "nowhere to compute it");
}

// One array.fused task per chunk of `e` (row-major over its grid), each ending in the
// reduction `reduce` when given (its index_offset is filled per chunk).
absl::StatusOr<std::vector<BagNodePtr>> FusedBlocks(const ArrayExprPtr& e, const std::string& name,
                                                    const std::string& token,
                                                    const Record* reduce) {
  LeafAligner aligner(e->shape, e->chunks);
  WEFT_ASSIGN_OR_RETURN(ArrayExprPtr aligned, aligner.Align(e));
  auto chunks = PadChunks(e->chunks);
  Dims2 shape = Pad2(e->shape);
  std::vector<int64_t> row_starts = ChunkStarts(chunks[0]);
  std::vector<int64_t> col_starts = ChunkStarts(chunks[1]);
  std::vector<BagNodePtr> blocks;
  for (size_t i = 0; i < chunks[0].size(); ++i) {
    for (size_t j = 0; j < chunks[1].size(); ++j) {
      Region region{row_starts[i], col_starts[j], chunks[0][i], chunks[1][j]};
      ProgramBuilder builder(region);
      WEFT_RETURN_IF_ERROR(builder.Emit(aligned).status());
      Record spec = {{"shape", IntList({region.rows, region.cols})},
                     {"code", Value(builder.TakeCode())}};
      if (reduce != nullptr) {
        Record r = *reduce;
        r.push_back({"index_offset", IntList({region.r0, region.c0})});
        r.push_back({"index_cols", Value(shape[1])});
        spec.push_back({"reduce", Value(std::move(r))});
      }
      std::vector<NodeArg> args = {NodeArg::Literal(Value(std::move(spec)))};
      for (NodeArg& in : builder.TakeInputs()) args.push_back(std::move(in));
      std::vector<int64_t> index;
      if (e->shape.size() == 2) index.push_back(static_cast<int64_t>(i));
      if (!e->shape.empty()) index.push_back(static_cast<int64_t>(j));
      blocks.push_back(
          BagNode::WithKey(ChunkKey(name, token, index), "array.fused", std::move(args)));
    }
  }
  return blocks;
}

DType ReducedType(const std::string& op, DType in) {
  if (op == "sum") return in == DType::kFloat64 ? DType::kFloat64 : DType::kInt64;
  if (op == "mean" || op == "var" || op == "std") return DType::kFloat64;
  if (op == "min" || op == "max") return in;
  if (op == "any" || op == "all") return DType::kBool;
  return DType::kInt64;  // argmin, argmax, count_nonzero
}

// Combines `partials` with at most `split_every` per task, down to one final task.
BagNodePtr CombineTree(std::vector<BagNodePtr> partials, const Record& spec, int split_every,
                       const std::string& name, const std::string& token, int64_t group) {
  auto combine = [&](std::vector<BagNodePtr> inputs, bool final, int64_t level, int64_t index) {
    Record s = spec;
    s.push_back({"final", Value(final)});
    std::vector<NodeArg> args = {NodeArg::Literal(Value(std::move(s)))};
    for (auto& p : inputs) args.push_back(NodeArg::Of(std::move(p)));
    std::string key = final ? ChunkKey(name + "-aggregate", token, {})
                            : ChunkKey(name + "-combine", token, {level, index});
    if (group >= 0 && final) absl::StrAppend(&key, "-", group);
    if (group >= 0 && !final) absl::StrAppend(&key, "-g", group);
    return BagNode::WithKey(std::move(key), "array.combine", std::move(args));
  };
  int64_t level = 0;
  while (static_cast<int>(partials.size()) > split_every) {
    std::vector<BagNodePtr> next;
    for (size_t i = 0; i < partials.size(); i += split_every) {
      size_t end = std::min(partials.size(), i + split_every);
      std::vector<BagNodePtr> inputs(partials.begin() + i, partials.begin() + end);
      next.push_back(combine(std::move(inputs), false, level, i / split_every));
    }
    partials = std::move(next);
    ++level;
  }
  return combine(std::move(partials), true, level, 0);
}

}  // namespace

absl::StatusOr<ArrayExprPtr> Materialize(const ArrayExprPtr& e) {
  if (e->kind == ArrayExpr::Kind::kBlocks) return e;
  WEFT_RETURN_IF_ERROR(NeedCore(e));
  WEFT_ASSIGN_OR_RETURN(std::vector<BagNodePtr> blocks, FusedBlocks(e, e->name, e->token, nullptr));
  return MakeBlocks(e->core, e->name, e->dtype, e->shape, e->chunks, std::move(blocks));
}

absl::StatusOr<ArrayExprPtr> Reduce(const ArrayExprPtr& e, const std::string& op,
                                    std::optional<int> axis, int ddof, int split_every) {
  WEFT_RETURN_IF_ERROR(NeedCore(e));
  int rank = static_cast<int>(e->shape.size());
  if (axis.has_value()) {
    int a = *axis < 0 ? *axis + rank : *axis;
    if (a < 0 || a >= rank) {
      return absl::InvalidArgumentError(
          absl::StrCat(op, ": axis ", *axis, " is out of bounds for array of dimension ", rank));
    }
    axis = a;
  }
  if (split_every == 0) split_every = kDefaultSplitEvery;
  if (split_every < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(op, ": split_every must be at least 2, got ", split_every));
  }
  if (e->shape.size() > 0 && NumElements(e->shape) == 0 &&
      (op == "min" || op == "max" || op == "argmin" || op == "argmax")) {
    return absl::InvalidArgumentError(absl::StrCat("zero-size array to reduction operation ", op,
                                                   " which has no identity (shape ",
                                                   ShapeString(e->shape), ")"));
  }
  std::string mode = !axis.has_value() || rank <= 1 ? "all" : *axis == 0 ? "rows" : "cols";
  std::string token =
      StableHashHex(absl::StrCat(e->token, "|", op, "|", mode, "|", ddof, "|", split_every));
  Record reduce = {{"op", Value(op)}, {"axis", Value(mode)}};
  WEFT_ASSIGN_OR_RETURN(std::vector<BagNodePtr> partials, FusedBlocks(e, op, token, &reduce));
  Record spec = {{"op", Value(op)}, {"ddof", Value(int64_t{ddof})}};
  auto chunks = PadChunks(e->chunks);
  size_t nrows = chunks[0].size(), ncols = chunks[1].size();
  std::vector<BagNodePtr> outputs;
  Shape shape;
  Chunks out_chunks;
  if (mode == "all") {
    outputs.push_back(CombineTree(std::move(partials), spec, split_every, op, token, -1));
  } else if (mode == "rows") {  // one output chunk per column of chunks
    for (size_t j = 0; j < ncols; ++j) {
      std::vector<BagNodePtr> column;
      for (size_t i = 0; i < nrows; ++i) column.push_back(partials[i * ncols + j]);
      outputs.push_back(CombineTree(std::move(column), spec, split_every, op, token, j));
    }
    shape = {e->shape[1]};
    out_chunks = {e->chunks[1]};
  } else {
    for (size_t i = 0; i < nrows; ++i) {
      std::vector<BagNodePtr> row(partials.begin() + i * ncols, partials.begin() + (i + 1) * ncols);
      outputs.push_back(CombineTree(std::move(row), spec, split_every, op, token, i));
    }
    shape = {e->shape[0]};
    out_chunks = {e->chunks[0]};
  }
  return MakeBlocks(e->core, op + "-aggregate", ReducedType(op, e->dtype), std::move(shape),
                    std::move(out_chunks), std::move(outputs));
}

absl::StatusOr<ArrayExprPtr> Rechunk(const ArrayExprPtr& e, const Chunks& chunks) {
  WEFT_RETURN_IF_ERROR(CheckChunks(e->shape, chunks, "rechunk"));
  if (chunks == e->chunks) return e;
  switch (e->kind) {
    case ArrayExpr::Kind::kScalar:
      return e;
    case ArrayExpr::Kind::kGenerator: {
      // Generators compute any chunking: only the grid changes.
      auto copy = std::make_shared<ArrayExpr>(*e);
      copy->chunks = chunks;
      copy->token = StableHashHex(absl::StrCat(e->token, "|rechunk", ChunksString(chunks)));
      return ArrayExprPtr(std::move(copy));
    }
    case ArrayExpr::Kind::kElementwise: {
      std::vector<ArrayExprPtr> operands;
      for (const auto& o : e->operands) {
        size_t pad = e->shape.size() - o->shape.size();
        Chunks target = o->chunks;
        for (size_t i = 0; i < o->shape.size(); ++i) {
          if (o->shape[i] == e->shape[pad + i]) target[i] = chunks[pad + i];
        }
        WEFT_ASSIGN_OR_RETURN(ArrayExprPtr r, Rechunk(o, target));
        operands.push_back(std::move(r));
      }
      return MakeElementwise(e->op, e->name, e->dtype, std::move(operands));
    }
    case ArrayExpr::Kind::kBlocks:
      break;
  }
  std::array<AxisMap, 2> axes;
  axes[0] = {e->shape.size() == 2 ? 0 : -1, 0, 1};
  axes[1] = {e->shape.empty() ? -1 : 1, 0, 1};
  return ViewOf(e, "rechunk", e->shape, chunks, axes, {0, 0});
}

}  // namespace weft::internal
