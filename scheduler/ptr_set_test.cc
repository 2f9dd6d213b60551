#include "scheduler/ptr_set.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <vector>

namespace weft::scheduler {
namespace {

std::vector<int*> Sorted(const PtrSet<int>& set) {
  std::vector<int*> items(set.begin(), set.end());
  std::sort(items.begin(), items.end());
  return items;
}

TEST_CASE("PtrSet inserts each pointer once, finds and erases it") {
  int a = 0, b = 0, c = 0;
  PtrSet<int> set;
  CHECK(set.empty());
  CHECK(set.insert(&a));
  CHECK(!set.insert(&a));
  CHECK(set.insert(&b));
  CHECK(set.insert(&c));
  CHECK(set.size() == 3);
  CHECK(set.contains(&b));
  CHECK(set.erase(&b) == 1);
  CHECK(set.erase(&b) == 0);
  CHECK(!set.contains(&b));
  std::vector<int*> left{&a, &c};
  std::sort(left.begin(), left.end());
  CHECK(Sorted(set) == left);
  set.clear();
  CHECK(set.empty());
  CHECK(!set.contains(&a));
}

TEST_CASE("PtrSet stays a set past its index threshold, through erases and regrowth") {
  std::vector<int> values(1000);
  PtrSet<int> set;
  for (int& v : values) REQUIRE(set.insert(&v));
  for (int& v : values) CHECK(!set.insert(&v));
  CHECK(set.size() == values.size());
  // Erase every other one, from the middle out, then check membership of all.
  for (size_t i = 0; i < values.size(); i += 2) REQUIRE(set.erase(&values[i]) == 1);
  CHECK(set.size() == values.size() / 2);
  for (size_t i = 0; i < values.size(); ++i) CHECK(set.contains(&values[i]) == (i % 2 == 1));
  std::vector<int*> odd;
  for (size_t i = 1; i < values.size(); i += 2) odd.push_back(&values[i]);
  std::sort(odd.begin(), odd.end());
  CHECK(Sorted(set) == odd);
  // Down to nothing (the index goes), and up again.
  for (size_t i = 1; i < values.size(); i += 2) REQUIRE(set.erase(&values[i]) == 1);
  CHECK(set.empty());
  for (int& v : values) REQUIRE(set.insert(&v));
  for (int& v : values) CHECK(set.contains(&v));
  CHECK(set.size() == values.size());
}

}  // namespace
}  // namespace weft::scheduler
