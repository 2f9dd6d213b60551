// Shapes and chunk sizes: normalising what users ask for, and printing them as Python does.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/array_expr.h"

namespace weft::internal {

std::string ShapeString(const Shape& shape) {
  if (shape.size() == 1) return absl::StrCat("(", shape[0], ",)");
  return absl::StrCat("(", absl::StrJoin(shape, ", "), ")");
}

std::string ChunksString(const Chunks& chunks) {
  std::vector<std::string> axes;
  for (const auto& sizes : chunks) axes.push_back(ShapeString(sizes));
  if (axes.size() == 1) return absl::StrCat("(", axes[0], ",)");
  return absl::StrCat("(", absl::StrJoin(axes, ", "), ")");
}

int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

absl::StatusOr<Chunks> NormalizeChunks(const Shape& shape, const ChunkSpec& spec,
                                       const std::string& op) {
  if (shape.size() > 2) {
    return absl::InvalidArgumentError(absl::StrCat(op, ": shape ", ShapeString(shape), " has ",
                                                   shape.size(),
                                                   " dimensions; weft arrays have at most 2"));
  }
  for (int64_t d : shape) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(op, ": negative dimensions are not allowed, shape ", ShapeString(shape)));
    }
  }
  if (!spec.empty() && spec.size() != 1 && spec.size() != shape.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(op, ": chunks ", ShapeString(spec), " do not match shape ", ShapeString(shape),
                     " (", spec.size(), " chunk sizes for ", shape.size(), " dimensions)"));
  }
  Chunks chunks;
  for (size_t axis = 0; axis < shape.size(); ++axis) {
    int64_t size = spec.empty() ? -1 : spec.size() == 1 ? spec[0] : spec[axis];
    if (size == 0 || size < -1) {
      return absl::InvalidArgumentError(absl::StrCat(op, ": chunk size ", size, " along axis ",
                                                     axis, " must be positive (or -1: whole)"));
    }
    int64_t n = shape[axis];
    if (size == -1 || size > n) size = std::max<int64_t>(n, 1);
    std::vector<int64_t> sizes;
    for (int64_t start = 0; start < n; start += size) sizes.push_back(std::min(size, n - start));
    if (sizes.empty()) sizes.push_back(0);
    chunks.push_back(std::move(sizes));
  }
  return chunks;
}

absl::Status CheckChunks(const Shape& shape, const Chunks& chunks, const std::string& op) {
  if (chunks.size() != shape.size()) {
    return absl::InvalidArgumentError(absl::StrCat(op, ": chunks ", ChunksString(chunks),
                                                   " do not match shape ", ShapeString(shape)));
  }
  for (size_t axis = 0; axis < shape.size(); ++axis) {
    int64_t total = 0;
    for (int64_t c : chunks[axis]) {
      if (c < 0 || (c == 0 && shape[axis] != 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat(op, ": chunk size ", c, " along axis ", axis, " must be positive"));
      }
      total += c;
    }
    if (total != shape[axis]) {
      return absl::InvalidArgumentError(
          absl::StrCat(op, ": chunks ", ChunksString(chunks), " do not add up to shape ",
                       ShapeString(shape), " (axis ", axis, ": ", total, " != ", shape[axis], ")"));
    }
  }
  return absl::OkStatus();
}

const char* KernelDType(DType dtype) {
  switch (dtype) {
    case DType::kBool:
      return "bool";
    case DType::kInt64:
      return "i64";
    case DType::kFloat64:
      return "f64";
  }
  return "f64";
}

Value IntList(std::initializer_list<int64_t> values) {
  ValueList list;
  for (int64_t v : values) list.push_back(Value(v));
  return Value(std::move(list));
}

std::vector<int64_t> ChunkStarts(const std::vector<int64_t>& sizes) {
  std::vector<int64_t> starts = {0};
  for (int64_t s : sizes) starts.push_back(starts.back() + s);
  return starts;
}

std::vector<int64_t> RefineChunks(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  std::vector<int64_t> bounds = ChunkStarts(a);
  std::vector<int64_t> more = ChunkStarts(b);
  bounds.insert(bounds.end(), more.begin(), more.end());
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  std::vector<int64_t> sizes;
  for (size_t i = 1; i < bounds.size(); ++i) sizes.push_back(bounds[i] - bounds[i - 1]);
  if (sizes.empty()) sizes.push_back(0);
  return sizes;
}

}  // namespace weft::internal
