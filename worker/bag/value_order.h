// A total order and a hash over weft::Values, for sorting, grouping and dictionaries.
//
// Order: null < bool < numbers < string < bytes < list < record < bulk types. Numbers
// (int and double) compare by numeric value; an int and a double of equal value are
// still distinct (the int first), so that equality means "same kind and same value" and
// agrees with ValueHash. NaN sorts after every other double. Strings and bytes compare
// bytewise; lists and records lexicographically (records by (name, value) pairs in order).
// Bulk types (JsonLines, arrays) compare by kind then by their bytes.
//
// Threading: stateless, thread-safe.
#pragma once

#include <cstddef>

#include "weft/value.h"

namespace weft::bag {

// <0, 0, >0 as a is before, equal to, after b.
int CompareValues(const Value& a, const Value& b);

struct ValueLess {
  bool operator()(const Value& a, const Value& b) const { return CompareValues(a, b) < 0; }
};

struct ValueEq {
  bool operator()(const Value& a, const Value& b) const { return CompareValues(a, b) == 0; }
};

struct ValueHash {
  size_t operator()(const Value& v) const;
};

}  // namespace weft::bag
