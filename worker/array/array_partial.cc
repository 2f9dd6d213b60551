#include "worker/array/array_partial.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace weft::array {
namespace {

bool IsArg(ReduceOp op) { return op == ReduceOp::kArgmin || op == ReduceOp::kArgmax; }
bool IsMin(ReduceOp op) { return op == ReduceOp::kMin || op == ReduceOp::kArgmin; }
bool IsMinMax(ReduceOp op) { return op == ReduceOp::kMin || op == ReduceOp::kMax || IsArg(op); }

template <typename T>
Value PackArray(const std::vector<T>& v) {
  std::string bytes(v.size() * sizeof(T), '\0');
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return Value(std::conditional_t<std::is_same_v<T, double>, DoubleArray, Int64Array>{
      Buffer(std::move(bytes))});
}

// The numbers of an array Value of `dtype`, as doubles or int64s.
absl::Status Unpack(const Value& v, DType dtype, std::vector<double>* f, std::vector<int64_t>* i,
                    const std::string& where) {
  switch (dtype) {
    case DType::kF64:
      if (v.kind() != ValueKind::kDoubleArray) break;
      f->resize(v.as_double_array().size());
      for (size_t k = 0; k < f->size(); ++k) (*f)[k] = v.as_double_array()[k];
      return absl::OkStatus();
    case DType::kI64:
      if (v.kind() != ValueKind::kInt64Array) break;
      i->resize(v.as_int64_array().size());
      for (size_t k = 0; k < i->size(); ++k) (*i)[k] = v.as_int64_array()[k];
      return absl::OkStatus();
    case DType::kBool:
      if (v.kind() != ValueKind::kBoolArray) break;
      i->resize(v.as_bool_array().size());
      for (size_t k = 0; k < i->size(); ++k) (*i)[k] = v.as_bool_array()[k];
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": expected a ", DTypeName(dtype), " array, got ", v.kind_name()));
}

absl::StatusOr<DType> DTypeOfArray(const Value& v, const std::string& where) {
  switch (v.kind()) {
    case ValueKind::kDoubleArray:
      return DType::kF64;
    case ValueKind::kInt64Array:
      return DType::kI64;
    case ValueKind::kBoolArray:
      return DType::kBool;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected an array, got ", v.kind_name()));
  }
}

// NaN first, then the smaller (min) or larger (max); ties keep a.
bool BetterF64(double b, double a, bool min) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return min ? b < a : b > a;
}

}  // namespace

DType PartialDType(ReduceOp op, DType input) {
  if (op == ReduceOp::kSum) return input == DType::kF64 ? DType::kF64 : DType::kI64;
  if (IsMinMax(op)) return input;
  return DType::kF64;
}

void MergeMoments(int64_t nb, double mean_b, double m2_b, int64_t* na, double* mean_a,
                  double* m2_a) {
  if (nb == 0) return;
  if (*na == 0) {
    *na = nb;
    *mean_a = mean_b;
    *m2_a = m2_b;
    return;
  }
  const double n = static_cast<double>(*na + nb);
  const double delta = mean_b - *mean_a;
  *mean_a += delta * (static_cast<double>(nb) / n);
  *m2_a += m2_b + delta * delta * (static_cast<double>(*na) * static_cast<double>(nb) / n);
  *na += nb;
}

Value DoubleArrayOf(const std::vector<double>& v) { return PackArray(v); }
Value Int64ArrayOf(const std::vector<int64_t>& v) { return PackArray(v); }
Value BoolArrayOf(const std::vector<int64_t>& v) {
  std::string bytes(v.size(), '\0');
  for (size_t k = 0; k < v.size(); ++k) bytes[k] = v[k] != 0 ? 1 : 0;
  return Value(BoolArray{Buffer(std::move(bytes))});
}

Partial Partial::Identity(ReduceOp op, DType dtype, size_t slots) {
  Partial p;
  p.op = op;
  p.dtype = dtype;
  p.slots = slots;
  p.f.assign(slots, 0.0);
  p.i.assign(slots, op == ReduceOp::kAll ? 1 : 0);
  p.count.assign(slots, 0);
  p.m2.assign(slots, 0.0);
  p.index.assign(slots, 0);
  return p;
}

absl::StatusOr<Partial> Partial::FromValue(ReduceOp op, const Value& v, absl::string_view where) {
  const std::string at(where.data(), where.size());
  if (!v.is_list()) {
    return absl::InvalidArgumentError(
        absl::StrCat(at, ": a partial must be a list of arrays, got ", v.kind_name()));
  }
  const ValueList& items = v.as_list();
  const size_t want = op == ReduceOp::kMean || IsArg(op)             ? 2
                      : op == ReduceOp::kVar || op == ReduceOp::kStd ? 3
                                                                     : 1;
  if (items.size() != want) {
    return absl::InvalidArgumentError(absl::StrCat(at, ": a ", ReduceOpName(op), " partial has ",
                                                   want, " arrays, got ", items.size()));
  }
  Partial p;
  p.op = op;
  std::vector<double> unused_f;
  std::vector<int64_t> unused_i;
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kMin:
    case ReduceOp::kMax:
    case ReduceOp::kArgmin:
    case ReduceOp::kArgmax: {
      WEFT_ASSIGN_OR_RETURN(p.dtype, DTypeOfArray(items[0], at));
      if (op == ReduceOp::kSum && p.dtype == DType::kBool) p.dtype = DType::kI64;
      WEFT_RETURN_IF_ERROR(Unpack(items[0], p.dtype, &p.f, &p.i, at));
      if (IsArg(op)) {
        WEFT_RETURN_IF_ERROR(Unpack(items[1], DType::kI64, &unused_f, &p.index, at));
      }
      break;
    }
    case ReduceOp::kAny:
    case ReduceOp::kAll:
      WEFT_RETURN_IF_ERROR(Unpack(items[0], DType::kBool, &unused_f, &p.i, at));
      break;
    case ReduceOp::kCountNonzero:
      WEFT_RETURN_IF_ERROR(Unpack(items[0], DType::kI64, &unused_f, &p.i, at));
      break;
    case ReduceOp::kMean:
      WEFT_RETURN_IF_ERROR(Unpack(items[0], DType::kF64, &p.f, &unused_i, at));
      WEFT_RETURN_IF_ERROR(Unpack(items[1], DType::kI64, &unused_f, &p.count, at));
      break;
    case ReduceOp::kVar:
    case ReduceOp::kStd:
      WEFT_RETURN_IF_ERROR(Unpack(items[0], DType::kI64, &unused_f, &p.count, at));
      WEFT_RETURN_IF_ERROR(Unpack(items[1], DType::kF64, &p.f, &unused_i, at));
      WEFT_RETURN_IF_ERROR(Unpack(items[2], DType::kF64, &p.m2, &unused_i, at));
      break;
  }
  p.slots = std::max(p.f.size(), p.i.size());
  for (const auto* sizes : {&p.count, &p.index}) {
    if (!sizes->empty() && sizes->size() != p.slots) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": the partial's arrays differ in length"));
    }
  }
  if (op == ReduceOp::kVar || op == ReduceOp::kStd) {
    if (p.m2.size() != p.f.size() || p.count.size() != p.f.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": the partial's arrays differ in length"));
    }
  }
  p.empty = p.slots == 0;
  return p;
}

absl::Status Partial::Merge(const Partial& other) {
  if (other.empty) return absl::OkStatus();
  if (empty) {
    *this = other;
    return absl::OkStatus();
  }
  if (other.slots != slots || other.op != op || other.dtype != dtype) {
    return absl::InvalidArgumentError(absl::StrCat("array.combine: partials do not match (", slots,
                                                   " ", DTypeName(dtype), " entries and ",
                                                   other.slots, " ", DTypeName(other.dtype), ")"));
  }
  const bool min = IsMin(op);
  for (size_t k = 0; k < slots; ++k) {
    switch (op) {
      case ReduceOp::kSum:
        if (dtype == DType::kF64) {
          f[k] += other.f[k];
        } else {
          i[k] = static_cast<int64_t>(static_cast<uint64_t>(i[k]) + other.i[k]);
        }
        break;
      case ReduceOp::kMin:
      case ReduceOp::kMax:
      case ReduceOp::kArgmin:
      case ReduceOp::kArgmax: {
        const bool better = dtype == DType::kF64 ? BetterF64(other.f[k], f[k], min)
                                                 : (min ? other.i[k] < i[k] : other.i[k] > i[k]);
        // Equal values (or both NaN): the smaller index, as NumPy's first occurrence,
        // whatever order the partials come in.
        const bool tie =
            !better && (dtype == DType::kF64
                            ? (f[k] == other.f[k] || (std::isnan(f[k]) && std::isnan(other.f[k])))
                            : i[k] == other.i[k]);
        if (better) {
          if (dtype == DType::kF64) f[k] = other.f[k];
          if (dtype != DType::kF64) i[k] = other.i[k];
        }
        if (IsArg(op) && (better || (tie && other.index[k] < index[k]))) {
          index[k] = other.index[k];
        }
        break;
      }
      case ReduceOp::kAny:
        i[k] = i[k] | other.i[k];
        break;
      case ReduceOp::kAll:
        i[k] = i[k] & other.i[k];
        break;
      case ReduceOp::kCountNonzero:
        i[k] += other.i[k];
        break;
      case ReduceOp::kMean:
        f[k] += other.f[k];
        count[k] += other.count[k];
        break;
      case ReduceOp::kVar:
      case ReduceOp::kStd:
        MergeMoments(other.count[k], other.f[k], other.m2[k], &count[k], &f[k], &m2[k]);
        break;
    }
  }
  return absl::OkStatus();
}

Value Partial::ToValue() const {
  auto values = [this]() {
    if (dtype == DType::kF64) return DoubleArrayOf(f);
    return dtype == DType::kBool ? BoolArrayOf(i) : Int64ArrayOf(i);
  };
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kMin:
    case ReduceOp::kMax:
      return Value(ValueList{values()});
    case ReduceOp::kArgmin:
    case ReduceOp::kArgmax:
      return Value(ValueList{values(), Int64ArrayOf(index)});
    case ReduceOp::kAny:
    case ReduceOp::kAll:
      return Value(ValueList{BoolArrayOf(i)});
    case ReduceOp::kCountNonzero:
      return Value(ValueList{Int64ArrayOf(i)});
    case ReduceOp::kMean:
      return Value(ValueList{DoubleArrayOf(f), Int64ArrayOf(count)});
    case ReduceOp::kVar:
    case ReduceOp::kStd:
      return Value(ValueList{Int64ArrayOf(count), DoubleArrayOf(f), DoubleArrayOf(m2)});
  }
  return Value();
}

absl::StatusOr<Value> Partial::Finalize(int64_t ddof) const {
  if (empty && IsMinMax(op)) {
    return absl::InvalidArgumentError(absl::StrCat("zero-size array to reduction operation ",
                                                   ReduceOpName(op), " which has no identity"));
  }
  std::vector<double> out(slots);
  switch (op) {
    case ReduceOp::kArgmin:
    case ReduceOp::kArgmax:
      return Int64ArrayOf(index);
    case ReduceOp::kMean:
      for (size_t k = 0; k < slots; ++k) out[k] = f[k] / static_cast<double>(count[k]);
      return DoubleArrayOf(out);
    case ReduceOp::kVar:
    case ReduceOp::kStd:
      for (size_t k = 0; k < slots; ++k) {
        const double divisor = static_cast<double>(std::max<int64_t>(count[k] - ddof, 0));
        out[k] = m2[k] / divisor;
        if (op == ReduceOp::kStd) out[k] = std::sqrt(out[k]);
      }
      return DoubleArrayOf(out);
    default: {
      const ValueList list = ToValue().as_list();
      return list[0];
    }
  }
}

}  // namespace weft::array
