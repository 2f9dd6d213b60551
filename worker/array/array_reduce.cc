#include "worker/array/array_reduce.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "worker/array/array_kernels.h"

namespace weft::array {
namespace {

template <typename T>
T LoadAt(const void* p, size_t j) {
  T v;
  std::memcpy(&v, static_cast<const char*>(p) + j * sizeof(T), sizeof(T));
  return v;
}

double LoadDouble(DType dtype, const void* p, size_t j) {
  switch (dtype) {
    case DType::kF64:
      return LoadAt<double>(p, j);
    case DType::kI64:
      return static_cast<double>(LoadAt<int64_t>(p, j));
    case DType::kBool:
      return LoadAt<uint8_t>(p, j);
  }
  return 0;
}

int64_t LoadInt(DType dtype, const void* p, size_t j) {
  return dtype == DType::kBool ? LoadAt<uint8_t>(p, j) : LoadAt<int64_t>(p, j);
}

bool IsMinMax(ReduceOp op) {
  return op == ReduceOp::kMin || op == ReduceOp::kMax || op == ReduceOp::kArgmin ||
         op == ReduceOp::kArgmax;
}
bool IsMin(ReduceOp op) { return op == ReduceOp::kMin || op == ReduceOp::kArgmin; }

// b replaces the current best a: NaN first (and then for good), else strictly better.
bool Better(double b, double a, bool min) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return min ? b < a : b > a;
}
bool Better(int64_t b, int64_t a, bool min) { return min ? b < a : b > a; }

constexpr size_t kConvertBlock = 1024;

}  // namespace

Reducer::Reducer(const ReduceSpec& spec, DType input, int64_t rows, int64_t cols)
    : spec_(spec), input_(input), rows_(rows), cols_(cols) {
  const int64_t slots = spec.axis == Axis::kAll ? 1 : spec.axis == Axis::kRows ? cols : rows;
  partial_ = Partial::Identity(spec.op, PartialDType(spec.op, input), static_cast<size_t>(slots));
}

void Reducer::Add(const void* values, int64_t row, int64_t col, size_t n) {
  switch (spec_.axis) {
    case Axis::kAll:
      return AddToSlot(0, values, n, row * cols_ + col);
    case Axis::kCols:
      return AddToSlot(static_cast<size_t>(row), values, n, col);
    case Axis::kRows:
      return AddElementwise(static_cast<size_t>(col), values, n, row);
  }
}

void Reducer::AddToSlot(size_t slot, const void* values, size_t n, int64_t first_position) {
  Partial& p = partial_;
  switch (spec_.op) {
    case ReduceOp::kSum:
    case ReduceOp::kMean:
      if (input_ == DType::kF64) {
        p.f[slot] += kernels::SumF64(static_cast<const double*>(values), n);
      } else if (input_ == DType::kBool) {
        const int64_t trues = kernels::CountTrue(static_cast<const uint8_t*>(values), n);
        if (spec_.op == ReduceOp::kSum) p.i[slot] += trues;
        if (spec_.op == ReduceOp::kMean) p.f[slot] += static_cast<double>(trues);
      } else if (spec_.op == ReduceOp::kSum) {
        p.i[slot] = static_cast<int64_t>(
            static_cast<uint64_t>(p.i[slot]) +
            static_cast<uint64_t>(kernels::SumI64(static_cast<const int64_t*>(values), n)));
      } else {
        for (size_t j = 0; j < n; ++j) p.f[slot] += LoadDouble(input_, values, j);
      }
      p.count[slot] += static_cast<int64_t>(n);
      return;
    case ReduceOp::kAny:
      p.i[slot] |= kernels::CountNonzero(input_, values, n) > 0;
      return;
    case ReduceOp::kAll:
      p.i[slot] &= kernels::CountNonzero(input_, values, n) == static_cast<int64_t>(n);
      return;
    case ReduceOp::kCountNonzero:
      p.i[slot] += kernels::CountNonzero(input_, values, n);
      return;
    case ReduceOp::kVar:
    case ReduceOp::kStd:
      return AddMoments(slot, values, n);
    default:
      if (input_ == DType::kF64) return AddBestToSlot<double>(slot, values, n, first_position);
      return AddBestToSlot<int64_t>(slot, values, n, first_position);
  }
}

void Reducer::AddMoments(size_t slot, const void* values, size_t n) {
  // Two passes over the block (it is in L1): its mean, then the squared deviations from it.
  double converted[kConvertBlock];
  for (size_t start = 0; start < n; start += kConvertBlock) {
    const size_t len = std::min(kConvertBlock, n - start);
    const double* x = static_cast<const double*>(values) + start;
    if (input_ != DType::kF64) {
      const char* from = static_cast<const char*>(values) + start * ElementSize(input_);
      kernels::Cast(input_, DType::kF64, from, converted, len);
      x = converted;
    }
    const double mean = kernels::SumF64(x, len) / static_cast<double>(len);
    const double m2 = kernels::SumSquaredDeviations(x, len, mean);
    MergeMoments(static_cast<int64_t>(len), mean, m2, &partial_.count[slot], &partial_.f[slot],
                 &partial_.m2[slot]);
  }
}

template <typename T>
void Reducer::AddBestToSlot(size_t slot, const void* values, size_t n, int64_t first_position) {
  Partial& p = partial_;
  const bool min = IsMin(spec_.op);
  for (size_t j = 0; j < n; ++j) {
    bool take;
    if constexpr (std::is_same_v<T, double>) {
      const double x = LoadAt<double>(values, j);
      take = p.count[slot] == 0 || Better(x, p.f[slot], min);
      if (take) p.f[slot] = x;
    } else {
      const int64_t x = LoadInt(input_, values, j);
      take = p.count[slot] == 0 || Better(x, p.i[slot], min);
      if (take) p.i[slot] = x;
    }
    if (take) p.index[slot] = first_position + static_cast<int64_t>(j);
    ++p.count[slot];
  }
}

template <typename T>
void Reducer::AddBestElementwise(size_t first_slot, const void* values, size_t n, int64_t row) {
  Partial& p = partial_;
  const bool min = IsMin(spec_.op);
  for (size_t j = 0; j < n; ++j) {
    const size_t s = first_slot + j;
    bool take;
    if constexpr (std::is_same_v<T, double>) {
      const double x = LoadAt<double>(values, j);
      take = p.count[s] == 0 || Better(x, p.f[s], min);
      if (take) p.f[s] = x;
    } else {
      const int64_t x = LoadInt(input_, values, j);
      take = p.count[s] == 0 || Better(x, p.i[s], min);
      if (take) p.i[s] = x;
    }
    if (take) p.index[s] = row;
    ++p.count[s];
  }
}

void Reducer::AddElementwise(size_t first_slot, const void* values, size_t n, int64_t row) {
  Partial& p = partial_;
  switch (spec_.op) {
    case ReduceOp::kSum:
      for (size_t j = 0; j < n; ++j) {
        if (input_ == DType::kF64) {
          p.f[first_slot + j] += LoadAt<double>(values, j);
        } else {
          p.i[first_slot + j] = static_cast<int64_t>(static_cast<uint64_t>(p.i[first_slot + j]) +
                                                     LoadInt(input_, values, j));
        }
      }
      return;
    case ReduceOp::kMean:
      for (size_t j = 0; j < n; ++j) {
        p.f[first_slot + j] += LoadDouble(input_, values, j);
        ++p.count[first_slot + j];
      }
      return;
    case ReduceOp::kAny:
    case ReduceOp::kAll:
    case ReduceOp::kCountNonzero:
      for (size_t j = 0; j < n; ++j) {
        const int64_t nonzero = LoadDouble(input_, values, j) != 0;
        int64_t& acc = p.i[first_slot + j];
        acc = spec_.op == ReduceOp::kAny   ? (acc | nonzero)
              : spec_.op == ReduceOp::kAll ? (acc & nonzero)
                                           : acc + nonzero;
      }
      return;
    case ReduceOp::kVar:
    case ReduceOp::kStd:
      for (size_t j = 0; j < n; ++j) {  // Welford: one element into each column's moments
        const size_t s = first_slot + j;
        const double x = LoadDouble(input_, values, j);
        ++p.count[s];
        const double delta = x - p.f[s];
        p.f[s] += delta / static_cast<double>(p.count[s]);
        p.m2[s] += delta * (x - p.f[s]);
      }
      return;
    default:
      if (input_ == DType::kF64) return AddBestElementwise<double>(first_slot, values, n, row);
      return AddBestElementwise<int64_t>(first_slot, values, n, row);
  }
}

Value Reducer::Finish() && {
  if (IsMinMax(spec_.op) && rows_ * cols_ == 0) {
    Partial empty = Partial::Identity(spec_.op, partial_.dtype, 0);
    return empty.ToValue();
  }
  if (spec_.op == ReduceOp::kArgmin || spec_.op == ReduceOp::kArgmax) {
    for (int64_t& index : partial_.index) {
      switch (spec_.axis) {
        case Axis::kAll:
          index =
              (spec_.index_r0 + index / cols_) * spec_.index_cols + spec_.index_c0 + index % cols_;
          break;
        case Axis::kRows:
          index += spec_.index_r0;
          break;
        case Axis::kCols:
          index += spec_.index_c0;
          break;
      }
    }
  }
  return partial_.ToValue();
}

}  // namespace weft::array
