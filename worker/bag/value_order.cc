#include "worker/bag/value_order.h"

#include <cmath>
#include <string_view>

#include "absl/hash/hash.h"

namespace weft::bag {

namespace {

// Rank of each kind in the order; int and double share the number rank.
int KindRank(ValueKind kind) {
  switch (kind) {
    case ValueKind::kNull:
      return 0;
    case ValueKind::kBool:
      return 1;
    case ValueKind::kInt:
    case ValueKind::kDouble:
      return 2;
    case ValueKind::kString:
      return 3;
    case ValueKind::kBytes:
      return 4;
    case ValueKind::kList:
      return 5;
    case ValueKind::kRecord:
      return 6;
    case ValueKind::kJsonLines:
      return 7;
    case ValueKind::kInt64Array:
      return 8;
    case ValueKind::kDoubleArray:
      return 9;
    case ValueKind::kBoolArray:
      return 10;
    case ValueKind::kCompressedLines:
      return 11;
  }
  return 12;
}

template <typename T>
int Three(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int CompareDoubles(double a, double b) {
  const bool a_nan = std::isnan(a), b_nan = std::isnan(b);
  if (a_nan || b_nan) return Three(a_nan, b_nan);
  return Three(a, b);
}

// int vs double: by numeric value, then int before double when equal.
int CompareNumbers(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) return Three(a.as_int(), b.as_int());
  if (a.is_double() && b.is_double()) return CompareDoubles(a.as_double(), b.as_double());
  const bool a_is_int = a.is_int();
  const int64_t i = a_is_int ? a.as_int() : b.as_int();
  const double d = a_is_int ? b.as_double() : a.as_double();
  int c;  // compares i with d
  if (std::isnan(d)) {
    c = -1;
  } else if (d >= 9223372036854775808.0) {
    c = -1;
  } else if (d < -9223372036854775808.0) {
    c = 1;
  } else {
    const double floor_d = std::floor(d);
    const int64_t whole = static_cast<int64_t>(floor_d);
    c = i < whole ? -1 : (i > whole ? 1 : (floor_d < d ? -1 : 0));
  }
  if (c == 0) c = -1;  // equal value: the int first
  return a_is_int ? c : -c;
}

std::string_view BulkBytes(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kJsonLines:
      return v.as_json_lines().text.view();
    case ValueKind::kInt64Array:
      return v.as_int64_array().data.view();
    case ValueKind::kDoubleArray:
      return v.as_double_array().data.view();
    case ValueKind::kBoolArray:
      return v.as_bool_array().data.view();
    case ValueKind::kCompressedLines:
      return v.as_compressed_lines().frames.view();
    default:
      return {};
  }
}

}  // namespace

int CompareValues(const Value& a, const Value& b) {
  const int rank_a = KindRank(a.kind()), rank_b = KindRank(b.kind());
  if (rank_a != rank_b) return Three(rank_a, rank_b);
  switch (a.kind()) {
    case ValueKind::kNull:
      return 0;
    case ValueKind::kBool:
      return Three(a.as_bool(), b.as_bool());
    case ValueKind::kInt:
    case ValueKind::kDouble:
      return CompareNumbers(a, b);
    case ValueKind::kString:
      return Three(a.as_string().compare(b.as_string()), 0);
    case ValueKind::kBytes:
      return Three(a.as_bytes().view(), b.as_bytes().view());
    case ValueKind::kList: {
      const ValueList& x = a.as_list();
      const ValueList& y = b.as_list();
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (int c = CompareValues(x[i], y[i])) return c;
      }
      return Three(x.size(), y.size());
    }
    case ValueKind::kRecord: {
      const Record& x = a.as_record();
      const Record& y = b.as_record();
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (int c = Three(x[i].first, y[i].first)) return c;
        if (int c = CompareValues(x[i].second, y[i].second)) return c;
      }
      return Three(x.size(), y.size());
    }
    default:
      return Three(BulkBytes(a), BulkBytes(b));
  }
}

size_t ValueHash::operator()(const Value& v) const {
  const size_t kind = static_cast<size_t>(v.kind());
  switch (v.kind()) {
    case ValueKind::kNull:
      return absl::HashOf(kind);
    case ValueKind::kBool:
      return absl::HashOf(kind, v.as_bool());
    case ValueKind::kInt:
      return absl::HashOf(kind, v.as_int());
    case ValueKind::kDouble: {
      const double d = v.as_double();
      // All NaNs are equal in CompareValues; so must their hashes be. 0.0 == -0.0 too.
      if (std::isnan(d)) return absl::HashOf(kind, 1);
      return absl::HashOf(kind, d == 0 ? 0.0 : d);
    }
    case ValueKind::kString:
      return absl::HashOf(kind, std::string_view(v.as_string()));
    case ValueKind::kBytes:
      return absl::HashOf(kind, v.as_bytes().view());
    case ValueKind::kList: {
      size_t h = absl::HashOf(kind, v.as_list().size());
      for (const Value& item : v.as_list()) h = absl::HashOf(h, (*this)(item));
      return h;
    }
    case ValueKind::kRecord: {
      size_t h = absl::HashOf(kind, v.as_record().size());
      for (const auto& [name, item] : v.as_record()) h = absl::HashOf(h, name, (*this)(item));
      return h;
    }
    default:
      return absl::HashOf(kind, BulkBytes(v));
  }
}

}  // namespace weft::bag
