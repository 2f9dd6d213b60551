#include "worker/array/array_assemble.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/array/array_fused.h"
#include "worker/array/array_program.h"

namespace weft::array {
namespace {

struct Piece {
  int k = 0;
  int64_t src_rows = 0, src_cols = 0;
  int64_t r0 = 0, rstep = 1, c0 = 0, cstep = 1;
  int64_t dst_r0 = 0, dst_c0 = 0, nr = 0, nc = 0;
  bool transpose = false;
};

size_t ChunkSize(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kDoubleArray:
      return v.as_double_array().size();
    case ValueKind::kInt64Array:
      return v.as_int64_array().size();
    case ValueKind::kBoolArray:
      return v.as_bool_array().size();
    default:
      return 0;
  }
}

ValueKind KindOf(DType dtype) {
  switch (dtype) {
    case DType::kF64:
      return ValueKind::kDoubleArray;
    case DType::kI64:
      return ValueKind::kInt64Array;
    case DType::kBool:
      return ValueKind::kBoolArray;
  }
  return ValueKind::kNull;
}

// first + (count - 1) * step stays in [0, limit) (count > 0).
bool StridedInRange(int64_t first, int64_t step, int64_t count, int64_t limit) {
  const int64_t last = first + (count - 1) * step;
  return first >= 0 && first < limit && last >= 0 && last < limit;
}

absl::StatusOr<Piece> ParsePiece(const Value& v, const std::string& at) {
  WEFT_ASSIGN_OR_RETURN(const ValueList* items, GetList(v, at));
  if (items->size() != 12) {
    return absl::InvalidArgumentError(absl::StrCat(at, ": expected 12 items, got ", items->size()));
  }
  int64_t f[12];
  for (int i = 0; i < 12; ++i) {
    WEFT_ASSIGN_OR_RETURN(f[i], GetInt((*items)[i], absl::StrCat(at, " item ", i)));
  }
  Piece p{static_cast<int>(f[0]),
          f[1],
          f[2],
          f[3],
          f[4],
          f[5],
          f[6],
          f[7],
          f[8],
          f[9],
          f[10],
          f[11] != 0};
  if (f[0] < 0 || f[0] > (1 << 20) || p.nr < 0 || p.nc < 0 || p.src_rows < 0 || p.src_cols < 0) {
    return absl::InvalidArgumentError(absl::StrCat(at, ": negative or bad count"));
  }
  return p;
}

absl::Status CheckPiece(const Piece& p, const ValueList& sources, DType dtype, int64_t rows,
                        int64_t cols, const std::string& at) {
  if (p.k >= static_cast<int>(sources.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat(at, ": source ", p.k, " out of range (", sources.size(), " sources)"));
  }
  const Value& src = sources[p.k];
  if (src.kind() != KindOf(dtype)) {
    return absl::InvalidArgumentError(absl::StrCat(
        at, ": source ", p.k, " must be a ", DTypeName(dtype), " chunk, got ", src.kind_name()));
  }
  if (static_cast<int64_t>(ChunkSize(src)) != p.src_rows * p.src_cols) {
    return absl::InvalidArgumentError(absl::StrCat(at, ": source ", p.k, " has ", ChunkSize(src),
                                                   " elements, not ", p.src_rows, " x ",
                                                   p.src_cols));
  }
  if (p.nr == 0 || p.nc == 0) return absl::OkStatus();
  if (p.dst_r0 < 0 || p.dst_c0 < 0 || p.dst_r0 + p.nr > rows || p.dst_c0 + p.nc > cols) {
    return absl::InvalidArgumentError(absl::StrCat(at, ": destination [", p.dst_r0, ", ", p.dst_c0,
                                                   "] + ", p.nr, " x ", p.nc, " outside the ", rows,
                                                   " x ", cols, " chunk"));
  }
  const int64_t row_count = p.transpose ? p.nc : p.nr;
  const int64_t col_count = p.transpose ? p.nr : p.nc;
  if (!StridedInRange(p.r0, p.rstep, row_count, p.src_rows) ||
      !StridedInRange(p.c0, p.cstep, col_count, p.src_cols)) {
    return absl::InvalidArgumentError(absl::StrCat(at, ": source rows ", p.r0, " step ", p.rstep,
                                                   " x ", row_count, ", cols ", p.c0, " step ",
                                                   p.cstep, " x ", col_count, " outside the ",
                                                   p.src_rows, " x ", p.src_cols, " source ", p.k));
  }
  return absl::OkStatus();
}

template <size_t kSize>
void CopyPiece(const Piece& p, const char* src, char* out, int64_t cols) {
  for (int64_t i = 0; i < p.nr; ++i) {
    char* dst_row = out + ((p.dst_r0 + i) * cols + p.dst_c0) * kSize;
    if (!p.transpose && p.cstep == 1) {
      std::memcpy(dst_row, src + ((p.r0 + i * p.rstep) * p.src_cols + p.c0) * kSize, p.nc * kSize);
      continue;
    }
    for (int64_t j = 0; j < p.nc; ++j) {
      const int64_t r = p.transpose ? p.r0 + j * p.rstep : p.r0 + i * p.rstep;
      const int64_t c = p.transpose ? p.c0 + i * p.cstep : p.c0 + j * p.cstep;
      std::memcpy(dst_row + j * kSize, src + (r * p.src_cols + c) * kSize, kSize);
    }
  }
}

}  // namespace

absl::StatusOr<Value> Assemble(const Value& spec, const ValueList& sources) {
  constexpr absl::string_view kWhere = "array.assemble: spec";
  WEFT_ASSIGN_OR_RETURN(const Value* dtype_value, GetField(spec, "dtype", kWhere));
  WEFT_ASSIGN_OR_RETURN(DType dtype, ParseDType(*dtype_value, "array.assemble: dtype"));
  WEFT_ASSIGN_OR_RETURN(const Value* shape_value, GetField(spec, "shape", kWhere));
  WEFT_ASSIGN_OR_RETURN(const ValueList* shape, GetList(*shape_value, "array.assemble: shape"));
  if (shape->size() != 2) return absl::InvalidArgumentError("array.assemble: shape must be [r, c]");
  WEFT_ASSIGN_OR_RETURN(int64_t rows, GetInt((*shape)[0], "array.assemble: shape[0]"));
  WEFT_ASSIGN_OR_RETURN(int64_t cols, GetInt((*shape)[1], "array.assemble: shape[1]"));
  if (rows < 0 || cols < 0) return absl::InvalidArgumentError("array.assemble: negative shape");
  WEFT_ASSIGN_OR_RETURN(const Value* pieces_value, GetField(spec, "pieces", kWhere));
  WEFT_ASSIGN_OR_RETURN(const ValueList* pieces, GetList(*pieces_value, "array.assemble: pieces"));

  std::vector<Piece> parsed;
  std::vector<uint8_t> covered(static_cast<size_t>(rows * cols), 0);
  for (size_t i = 0; i < pieces->size(); ++i) {
    const std::string at = absl::StrCat("array.assemble: pieces[", i, "]");
    WEFT_ASSIGN_OR_RETURN(Piece p, ParsePiece((*pieces)[i], at));
    WEFT_RETURN_IF_ERROR(CheckPiece(p, sources, dtype, rows, cols, at));
    for (int64_t r = 0; r < p.nr; ++r) {
      std::memset(covered.data() + (p.dst_r0 + r) * cols + p.dst_c0, 1, p.nc);
    }
    parsed.push_back(p);
  }
  for (size_t e = 0; e < covered.size(); ++e) {
    if (!covered[e]) {
      return absl::InvalidArgumentError(absl::StrCat("array.assemble: element [", e / cols, ", ",
                                                     e % cols, "] is covered by no piece"));
    }
  }
  const size_t size = ElementSize(dtype);
  std::shared_ptr<char[]> out(new char[std::max<size_t>(covered.size() * size, 1)]);
  for (const Piece& p : parsed) {
    const char* src = ChunkData(sources[p.k]);
    if (size == 8) {
      CopyPiece<8>(p, src, out.get(), cols);
    } else {
      CopyPiece<1>(p, src, out.get(), cols);
    }
  }
  return MakeChunk(dtype, std::move(out), covered.size());
}

absl::StatusOr<Value> FromItems(const Value& spec, const Value& partition) {
  WEFT_ASSIGN_OR_RETURN(const Value* dtype_value,
                        GetField(spec, "dtype", "array.from_items: spec"));
  WEFT_ASSIGN_OR_RETURN(DType dtype, ParseDType(*dtype_value, "array.from_items: dtype"));
  // Arrays convert element by element through the same path as lists of numbers.
  ValueList converted;
  const ValueList* items = nullptr;
  switch (partition.kind()) {
    case ValueKind::kList:
      items = &partition.as_list();
      break;
    case ValueKind::kDoubleArray:
      for (size_t i = 0; i < partition.as_double_array().size(); ++i) {
        converted.emplace_back(partition.as_double_array()[i]);
      }
      items = &converted;
      break;
    case ValueKind::kInt64Array:
      for (size_t i = 0; i < partition.as_int64_array().size(); ++i) {
        converted.emplace_back(partition.as_int64_array()[i]);
      }
      items = &converted;
      break;
    case ValueKind::kBoolArray:
      for (size_t i = 0; i < partition.as_bool_array().size(); ++i) {
        converted.emplace_back(partition.as_bool_array()[i]);
      }
      items = &converted;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("array.from_items: the partition must be a list or an array, got ",
                       partition.kind_name()));
  }
  const size_t n = items->size();
  std::shared_ptr<char[]> out(new char[std::max<size_t>(n * ElementSize(dtype), 1)]);
  for (size_t i = 0; i < n; ++i) {
    const Value& item = (*items)[i];
    if (!item.is_int() && !item.is_double() && !item.is_bool()) {
      return absl::InvalidArgumentError(absl::StrCat("array.from_items: item ", i, " is ",
                                                     item.DebugString(40), ", not a number"));
    }
    const double d = item.is_double() ? item.as_double() : 0;
    const int64_t v = item.is_int() ? item.as_int() : item.is_bool() ? item.as_bool() : 0;
    switch (dtype) {
      case DType::kF64: {
        const double x = item.is_double() ? d : static_cast<double>(v);
        std::memcpy(out.get() + 8 * i, &x, 8);
        break;
      }
      case DType::kI64: {
        // A double truncates toward zero, as NumPy's astype(int64).
        if (item.is_double() && !(std::abs(d) < 9223372036854775808.0)) {
          return absl::InvalidArgumentError(
              absl::StrCat("array.from_items: item ", i, " (", d, ") does not fit in i64"));
        }
        const int64_t x = item.is_double() ? static_cast<int64_t>(d) : v;
        std::memcpy(out.get() + 8 * i, &x, 8);
        break;
      }
      case DType::kBool:
        out[i] = item.is_double() ? (d != 0 || d != d) : v != 0;
        break;
    }
  }
  return MakeChunk(dtype, std::move(out), n);
}

}  // namespace weft::array
