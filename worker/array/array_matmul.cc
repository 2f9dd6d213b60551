#include "worker/array/array_matmul.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/array/array_fused.h"
#include "worker/array/array_kernels.h"
#include "worker/array/array_program.h"

namespace weft::array {
namespace {

// A kBlockK x kBlockN panel of B (512 KB of doubles) stays in L2 while the rows of A
// stream past it; a row of C's panel (4 KB) stays in L1.
constexpr int64_t kBlockK = 128;
constexpr int64_t kBlockN = 512;

// C += A (m x k) @ B (k x n), all row-major; A and B may be unaligned (read by memcpy and
// by the SIMD axpy's unaligned loads).
template <typename T>
absl::Status AddProduct(const char* a, const char* b, T* c, int64_t m, int64_t k, int64_t n,
                        const TaskContext& context) {
  for (int64_t k0 = 0; k0 < k; k0 += kBlockK) {
    if (context.cancelled()) return absl::CancelledError("array.matmul: cancelled");
    const int64_t k1 = std::min(k, k0 + kBlockK);
    for (int64_t n0 = 0; n0 < n; n0 += kBlockN) {
      const int64_t width = std::min(n, n0 + kBlockN) - n0;
      for (int64_t i = 0; i < m; ++i) {
        T* c_row = c + i * n + n0;
        for (int64_t kk = k0; kk < k1; ++kk) {
          T a_ik;
          std::memcpy(&a_ik, a + (i * k + kk) * sizeof(T), sizeof(T));
          const T* b_row = reinterpret_cast<const T*>(b + (kk * n + n0) * sizeof(T));
          if constexpr (std::is_same_v<T, double>) {
            kernels::AxpyF64(a_ik, b_row, c_row, width);
          } else {
            kernels::AxpyI64(a_ik, b_row, c_row, width);
          }
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Value> Matmul(const Value& spec, const ValueList& operands,
                             const TaskContext& context) {
  constexpr absl::string_view kWhere = "array.matmul: spec";
  WEFT_ASSIGN_OR_RETURN(const Value* dtype_value, GetField(spec, "dtype", kWhere));
  WEFT_ASSIGN_OR_RETURN(DType dtype, ParseDType(*dtype_value, "array.matmul: dtype"));
  if (dtype == DType::kBool) {
    return absl::InvalidArgumentError("array.matmul: dtype must be f64 or i64, got bool");
  }
  WEFT_ASSIGN_OR_RETURN(const Value* m_value, GetField(spec, "m", kWhere));
  WEFT_ASSIGN_OR_RETURN(int64_t m, GetInt(*m_value, "array.matmul: m"));
  WEFT_ASSIGN_OR_RETURN(const Value* n_value, GetField(spec, "n", kWhere));
  WEFT_ASSIGN_OR_RETURN(int64_t n, GetInt(*n_value, "array.matmul: n"));
  WEFT_ASSIGN_OR_RETURN(const Value* k_value, GetField(spec, "k", kWhere));
  WEFT_ASSIGN_OR_RETURN(const ValueList* ks, GetList(*k_value, "array.matmul: k"));
  if (m < 0 || n < 0) return absl::InvalidArgumentError("array.matmul: negative m or n");
  const size_t t = ks->size();
  if (operands.size() != 2 * t) {
    return absl::InvalidArgumentError(absl::StrCat("array.matmul: ", t, " products need ", 2 * t,
                                                   " chunks, got ", operands.size()));
  }
  const ValueKind kind = dtype == DType::kF64 ? ValueKind::kDoubleArray : ValueKind::kInt64Array;
  std::vector<double> c(static_cast<size_t>(m * n), 0.0);  // i64 products reuse the bytes
  for (size_t i = 0; i < t; ++i) {
    WEFT_ASSIGN_OR_RETURN(int64_t k, GetInt((*ks)[i], absl::StrCat("array.matmul: k[", i, "]")));
    const Value& a = operands[i];
    const Value& b = operands[t + i];
    for (const auto& [chunk, name, want] : {std::tuple{&a, "a", m * k}, {&b, "b", k * n}}) {
      const size_t size = chunk->kind() == ValueKind::kDoubleArray ? chunk->as_double_array().size()
                          : chunk->kind() == ValueKind::kInt64Array ? chunk->as_int64_array().size()
                                                                    : 0;
      if (chunk->kind() != kind || k < 0 || static_cast<int64_t>(size) != want) {
        return absl::InvalidArgumentError(absl::StrCat(
            "array.matmul: ", name, "_", i, " must be a ", DTypeName(dtype), " chunk of ", want,
            " elements (m=", m, ", k=", k, ", n=", n, "), got ", chunk->kind_name(), " of ", size));
      }
    }
    if (dtype == DType::kF64) {
      WEFT_RETURN_IF_ERROR(
          AddProduct<double>(ChunkData(a), ChunkData(b), c.data(), m, k, n, context));
    } else {
      WEFT_RETURN_IF_ERROR(AddProduct<int64_t>(
          ChunkData(a), ChunkData(b), reinterpret_cast<int64_t*>(c.data()), m, k, n, context));
    }
  }
  std::shared_ptr<char[]> out(new char[std::max<size_t>(c.size() * 8, 1)]);
  if (!c.empty()) std::memcpy(out.get(), c.data(), c.size() * 8);
  return MakeChunk(dtype, std::move(out), c.size());
}

}  // namespace weft::array
