// Structure: views (slicing, rechunking, transposing) as array.assemble tasks,
// concatenation by arranging chunks, and the blocked matrix product.

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "client/array_expr.h"
#include "common/key.h"
#include "common/status_macros.h"

namespace weft::internal {

Dims2 Pad2(const Shape& shape) {
  if (shape.empty()) return {1, 1};
  if (shape.size() == 1) return {1, shape[0]};
  return {shape[0], shape[1]};
}

std::array<std::vector<int64_t>, 2> PadChunks(const Chunks& chunks) {
  if (chunks.empty()) return {std::vector<int64_t>{1}, std::vector<int64_t>{1}};
  if (chunks.size() == 1) return {std::vector<int64_t>{1}, chunks[0]};
  return {chunks[0], chunks[1]};
}

namespace {

// A run of output indices that read one source chunk.
struct Segment {
  int64_t chunk = 0;      // source chunk index along the source axis
  int64_t src_start = 0;  // first source index, local to that chunk
  int64_t count = 0;
  int64_t dst_start = 0;  // local to the output chunk
};

// Output indices [o0, o0 + n) reading source index start + o * step, cut where the source
// chunks (boundaries `starts`) change.
std::vector<Segment> Segments(const std::vector<int64_t>& starts, int64_t start, int64_t step,
                              int64_t o0, int64_t n) {
  std::vector<Segment> out;
  for (int64_t o = o0; o < o0 + n;) {
    int64_t s = start + o * step;
    int64_t ci = std::upper_bound(starts.begin(), starts.end(), s) - starts.begin() - 1;
    ci = std::clamp<int64_t>(ci, 0, static_cast<int64_t>(starts.size()) - 2);
    int64_t count = step > 0   ? (starts[ci + 1] - s + step - 1) / step
                    : step < 0 ? (s - starts[ci]) / (-step) + 1
                               : n;
    count = std::min(count, o0 + n - o);
    out.push_back({ci, s - starts[ci], count, o - o0});
    o += count;
  }
  return out;
}

std::string Join(const std::vector<int64_t>& index) {
  std::string s;
  for (int64_t i : index) absl::StrAppend(&s, "-", i);
  return s;
}

}  // namespace

absl::StatusOr<ArrayExprPtr> ViewOf(const ArrayExprPtr& src_expr, const std::string& name,
                                    Shape shape, Chunks chunks, std::array<AxisMap, 2> axes,
                                    Dims2 fixed) {
  WEFT_ASSIGN_OR_RETURN(ArrayExprPtr src, Materialize(src_expr));
  auto src_chunks = PadChunks(src->chunks);
  std::vector<int64_t> src_starts[2] = {ChunkStarts(src_chunks[0]), ChunkStarts(src_chunks[1])};
  auto out_chunks = PadChunks(chunks);
  std::vector<int64_t> out_starts[2] = {ChunkStarts(out_chunks[0]), ChunkStarts(out_chunks[1])};
  bool transpose = axes[0].src_axis == 1 || axes[1].src_axis == 0;
  std::string token = StableHashHex(
      absl::StrCat(src->token, "|", name, ShapeString(shape), ChunksString(chunks), "|",
                   axes[0].src_axis, ",", axes[0].start, ",", axes[0].step, "|", axes[1].src_axis,
                   ",", axes[1].start, ",", axes[1].step, "|", fixed[0], ",", fixed[1]));
  std::string key_base = MakeKey(name, absl::Cord(token));
  std::vector<BagNodePtr> blocks;
  for (size_t i = 0; i < out_chunks[0].size(); ++i) {
    for (size_t j = 0; j < out_chunks[1].size(); ++j) {
      int64_t o0[2] = {out_starts[0][i], out_starts[1][j]};
      int64_t n[2] = {out_chunks[0][i], out_chunks[1][j]};
      std::vector<Segment> segs[2];
      for (int d = 0; d < 2; ++d) {
        const AxisMap& m = axes[d];
        if (m.src_axis < 0) {
          segs[d].push_back({0, 0, n[d], 0});
        } else {
          segs[d] = Segments(src_starts[m.src_axis], m.start, m.step, o0[d], n[d]);
        }
      }
      // Where each source axis stands for the pieces: read by an output axis, or fixed.
      int64_t fixed_chunk[2], fixed_local[2];
      for (int s = 0; s < 2; ++s) {
        std::vector<Segment> f = Segments(src_starts[s], fixed[s], 0, 0, 1);
        fixed_chunk[s] = f[0].chunk;
        fixed_local[s] = f[0].src_start;
      }
      ValueList pieces;
      std::vector<NodeArg> sources;
      std::vector<std::string> source_keys;
      for (const Segment& rs : segs[0]) {
        for (const Segment& cs : segs[1]) {
          int64_t chunk[2] = {fixed_chunk[0], fixed_chunk[1]};
          int64_t local[2] = {fixed_local[0], fixed_local[1]};
          int64_t step[2] = {0, 0};
          const Segment* by_out[2] = {&rs, &cs};
          for (int d = 0; d < 2; ++d) {
            int s = axes[d].src_axis;
            if (s < 0) continue;
            chunk[s] = by_out[d]->chunk;
            local[s] = by_out[d]->src_start;
            step[s] = axes[d].step;
          }
          const BagNodePtr& node = src->blocks[chunk[0] * src_chunks[1].size() + chunk[1]];
          auto at = std::find(source_keys.begin(), source_keys.end(), node->key);
          int64_t k = at - source_keys.begin();
          if (at == source_keys.end()) {
            source_keys.push_back(node->key);
            sources.push_back(NodeArg::Of(node));
          }
          pieces.push_back(IntList({k, src_chunks[0][chunk[0]], src_chunks[1][chunk[1]], local[0],
                                    step[0], local[1], step[1], rs.dst_start, cs.dst_start,
                                    rs.count, cs.count, int64_t{transpose}}));
        }
      }
      // An output chunk that is exactly one source chunk, in order, is that chunk.
      if (pieces.size() == 1 && !transpose) {
        const ValueList& p = pieces[0].as_list();
        bool whole = p[1].as_int() == n[0] && p[2].as_int() == n[1] && p[3].as_int() == 0 &&
                     p[5].as_int() == 0 && (n[0] == 1 || p[4].as_int() == 1) &&
                     (n[1] == 1 || p[6].as_int() == 1);
        if (whole) {
          blocks.push_back(sources[0].node);
          continue;
        }
      }
      Record spec = {{"dtype", Value(KernelDType(src->dtype))},
                     {"shape", IntList({n[0], n[1]})},
                     {"pieces", Value(std::move(pieces))}};
      std::vector<NodeArg> args = {NodeArg::Literal(Value(std::move(spec)))};
      for (NodeArg& s : sources) args.push_back(std::move(s));
      std::vector<int64_t> index;
      if (shape.size() == 2) index.push_back(static_cast<int64_t>(i));
      if (!shape.empty()) index.push_back(static_cast<int64_t>(j));
      blocks.push_back(BagNode::WithKey(key_base + Join(index), "array.assemble", std::move(args)));
    }
  }
  return MakeBlocks(src->core, name, src->dtype, std::move(shape), std::move(chunks),
                    std::move(blocks));
}

absl::StatusOr<ArrayExprPtr> Subscript(const ArrayExprPtr& e, const std::vector<Index>& indices) {
  int rank = static_cast<int>(e->shape.size());
  if (static_cast<int>(indices.size()) > rank) {
    return absl::InvalidArgumentError(absl::StrCat("too many indices for array: array is ", rank,
                                                   "-dimensional, but ", indices.size(),
                                                   " were indexed"));
  }
  // Source axes in rank-2 terms: a 1-d array's axis 0 is padded axis 1.
  int pad = 2 - rank;
  std::array<AxisMap, 2> out_axes;
  Dims2 fixed = {0, 0};
  Shape shape;
  Chunks chunks;
  std::vector<int> out_src;  // padded source axis of each output axis
  for (int a = 0; a < rank; ++a) {
    Index index = a < static_cast<int>(indices.size()) ? indices[a] : Index::All();
    int64_t n = e->shape[a];
    if (index.is_index) {
      int64_t i = index.index < 0 ? index.index + n : index.index;
      if (i < 0 || i >= n) {
        return absl::InvalidArgumentError(absl::StrCat(
            "index ", index.index, " is out of bounds for axis ", a, " with size ", n));
      }
      fixed[pad + a] = i;
      continue;
    }
    int64_t step = index.step.value_or(1);
    if (step == 0) return absl::InvalidArgumentError("slice step cannot be zero");
    // Python's slice.indices(n).
    auto clamp = [&](std::optional<int64_t> v, int64_t dflt) {
      if (!v.has_value()) return dflt;
      int64_t x = *v < 0 ? *v + n : *v;
      return step > 0 ? std::clamp<int64_t>(x, 0, n) : std::clamp<int64_t>(x, -1, n - 1);
    };
    int64_t start = clamp(index.start, step > 0 ? 0 : n - 1);
    int64_t stop = clamp(index.stop, step > 0 ? n : -1);
    int64_t length = step > 0 ? std::max<int64_t>(0, (stop - start + step - 1) / step)
                              : std::max<int64_t>(0, (start - stop + (-step) - 1) / (-step));
    // Output chunks follow the source's: the indices that fall in each source chunk.
    std::vector<int64_t> sizes;
    std::vector<int64_t> starts = ChunkStarts(e->chunks[a]);
    for (const Segment& s : Segments(starts, start, step, 0, length)) sizes.push_back(s.count);
    if (sizes.empty()) sizes.push_back(0);
    shape.push_back(length);
    chunks.push_back(std::move(sizes));
    out_src.push_back(pad + a);
    AxisMap m;
    m.src_axis = pad + a;
    m.start = start;
    m.step = step;
    out_axes[0] = out_axes[1];  // shift: output axes fill from the right (rank-2 padding)
    out_axes[1] = m;
  }
  if (out_src.size() < 2) out_axes[0] = AxisMap{};
  for (int64_t len : shape) {
    if (len == 0) {
      return absl::InvalidArgumentError(absl::StrCat("indexing gives an empty array (shape ",
                                                     ShapeString(shape),
                                                     "); weft arrays cannot be empty"));
    }
  }
  return ViewOf(e, "getitem", std::move(shape), std::move(chunks), out_axes, fixed);
}

absl::StatusOr<ArrayExprPtr> Transpose(const ArrayExprPtr& e) {
  if (e->shape.size() < 2) return e;
  Shape shape = {e->shape[1], e->shape[0]};
  Chunks chunks = {e->chunks[1], e->chunks[0]};
  return ViewOf(e, "transpose", std::move(shape), std::move(chunks),
                {AxisMap{1, 0, 1}, AxisMap{0, 0, 1}}, {0, 0});
}

absl::StatusOr<ArrayExprPtr> Concatenate(const std::vector<ArrayExprPtr>& arrays, int axis) {
  if (arrays.empty()) return absl::InvalidArgumentError("concatenate: need at least one array");
  int rank = static_cast<int>(arrays[0]->shape.size());
  if (rank == 0) {
    return absl::InvalidArgumentError(
        "concatenate: zero-dimensional arrays cannot be concatenated");
  }
  int a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    return absl::InvalidArgumentError(absl::StrCat(
        "concatenate: axis ", axis, " is out of bounds for array of dimension ", rank));
  }
  DType dtype = arrays[0]->dtype;
  for (size_t i = 0; i < arrays.size(); ++i) {
    const auto& x = arrays[i];
    if (static_cast<int>(x->shape.size()) != rank) {
      return absl::InvalidArgumentError(absl::StrCat(
          "concatenate: all the input arrays must have same number of dimensions, but the array "
          "at index 0 has ",
          rank, " dimension(s) and the array at index ", i, " has ", x->shape.size(),
          " dimension(s)"));
    }
    for (int d = 0; d < rank; ++d) {
      if (d != a && x->shape[d] != arrays[0]->shape[d]) {
        return absl::InvalidArgumentError(absl::StrCat(
            "concatenate: all the input array dimensions except for the concatenation axis "
            "must match exactly, but along dimension ",
            d, ", the array at index 0 has size ", arrays[0]->shape[d], " and the array at index ",
            i, " has size ", x->shape[d]));
      }
    }
    dtype = Promote(dtype, x->dtype);
  }
  std::vector<ArrayExprPtr> parts;
  for (const auto& x : arrays) {
    WEFT_ASSIGN_OR_RETURN(ArrayExprPtr m, Materialize(Cast(x, dtype)));
    if (rank == 2) {
      Chunks target = m->chunks;
      target[1 - a] = parts.empty() ? m->chunks[1 - a] : parts[0]->chunks[1 - a];
      WEFT_ASSIGN_OR_RETURN(m, Rechunk(m, target));
    }
    parts.push_back(std::move(m));
  }
  Shape shape = parts[0]->shape;
  Chunks chunks = parts[0]->chunks;
  shape[a] = 0;
  chunks[a].clear();
  for (const auto& p : parts) {
    shape[a] += p->shape[a];
    chunks[a].insert(chunks[a].end(), p->chunks[a].begin(), p->chunks[a].end());
  }
  std::vector<BagNodePtr> blocks;
  if (rank == 1 || a == 0) {
    for (const auto& p : parts) blocks.insert(blocks.end(), p->blocks.begin(), p->blocks.end());
  } else {
    size_t rows = chunks[0].size();
    for (size_t i = 0; i < rows; ++i) {
      for (const auto& p : parts) {
        size_t cols = p->chunks[1].size();
        blocks.insert(blocks.end(), p->blocks.begin() + i * cols,
                      p->blocks.begin() + (i + 1) * cols);
      }
    }
  }
  return MakeBlocks(CoreOf(parts), "concatenate", dtype, std::move(shape), std::move(chunks),
                    std::move(blocks));
}

absl::StatusOr<ArrayExprPtr> Matmul(const ArrayExprPtr& a_expr, const ArrayExprPtr& b_expr) {
  if (a_expr->shape.size() != 2 || b_expr->shape.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("matmul: weft multiplies 2-d arrays, got shapes ", ShapeString(a_expr->shape),
                     " and ", ShapeString(b_expr->shape)));
  }
  if (a_expr->shape[1] != b_expr->shape[0]) {
    return absl::InvalidArgumentError(absl::StrCat(
        "matmul: shapes ", ShapeString(a_expr->shape), " and ", ShapeString(b_expr->shape),
        " not aligned: ", a_expr->shape[1], " (dim 1) != ", b_expr->shape[0], " (dim 0)"));
  }
  DType dtype = Promote(a_expr->dtype, b_expr->dtype);
  if (dtype == DType::kBool) {
    return absl::InvalidArgumentError(
        "matmul: bool arrays are not supported; convert with astype(\"int64\")");
  }
  WEFT_ASSIGN_OR_RETURN(ArrayExprPtr a, Materialize(Cast(a_expr, dtype)));
  WEFT_ASSIGN_OR_RETURN(ArrayExprPtr b, Materialize(Cast(b_expr, dtype)));
  WEFT_ASSIGN_OR_RETURN(b, Rechunk(b, {a->chunks[1], b->chunks[1]}));
  std::string token = StableHashHex(absl::StrCat("matmul|", a->token, "|", b->token));
  std::string key_base = MakeKey("matmul", absl::Cord(token));
  size_t t = a->chunks[1].size(), ncols = b->chunks[1].size();
  ValueList k_sizes;
  for (int64_t k : a->chunks[1]) k_sizes.push_back(Value(k));
  std::vector<BagNodePtr> blocks;
  for (size_t i = 0; i < a->chunks[0].size(); ++i) {
    for (size_t j = 0; j < ncols; ++j) {
      Record spec = {{"dtype", Value(KernelDType(dtype))},
                     {"m", Value(a->chunks[0][i])},
                     {"n", Value(b->chunks[1][j])},
                     {"k", Value(k_sizes)}};
      std::vector<NodeArg> args = {NodeArg::Literal(Value(std::move(spec)))};
      for (size_t x = 0; x < t; ++x) args.push_back(NodeArg::Of(a->blocks[i * t + x]));
      for (size_t x = 0; x < t; ++x) args.push_back(NodeArg::Of(b->blocks[x * ncols + j]));
      blocks.push_back(BagNode::WithKey(absl::StrCat(key_base, "-", i, "-", j), "array.matmul",
                                        std::move(args)));
    }
  }
  return MakeBlocks(a->core, "matmul", dtype, {a->shape[0], b->shape[1]},
                    {a->chunks[0], b->chunks[1]}, std::move(blocks));
}

}  // namespace weft::internal
