// PtrSet<T>: a set of pointers, small first, for the per-task sets of the scheduler
// (dependents, waiters, waiting_on, who_wants).
//
// Most of these sets hold zero, one or two pointers, and a million tasks each have four
// of them: a hash set costs 40 bytes empty and a heap block once it holds anything. A
// PtrSet keeps its items in a vector with two in place (32 bytes in all, no heap for up
// to two items) and searches it linearly; once it grows past kIndexAbove items it adds a
// hash index (pointer -> position), so a task with a hundred thousand dependents still
// inserts, finds and erases in O(1).
//
// Iteration is over the items in insertion order, except that erase moves the last item
// into the hole. Erasing or inserting invalidates iterators, as for any vector.
//
// Threading: none; owned and used by one thread, as the scheduler's records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"

namespace weft::scheduler {

template <typename T>
class PtrSet {
 public:
  using Items = absl::InlinedVector<T*, 2>;
  using const_iterator = typename Items::const_iterator;

  PtrSet() = default;
  PtrSet(const PtrSet&) = delete;
  PtrSet& operator=(const PtrSet&) = delete;

  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }

  bool contains(const T* p) const { return Find(p) != kNotFound; }

  // Adds p; false if it was there already.
  bool insert(T* p) {
    if (contains(p)) return false;
    items_.push_back(p);
    if (index_ != nullptr) {
      index_->emplace(p, items_.size() - 1);
    } else if (items_.size() > kIndexAbove) {
      index_ = std::make_unique<absl::flat_hash_map<const T*, size_t>>();
      index_->reserve(items_.size());
      for (size_t i = 0; i < items_.size(); ++i) index_->emplace(items_[i], i);
    }
    return true;
  }

  // Removes p; returns how many were removed (0 or 1), as std::set::erase.
  size_t erase(const T* p) {
    const size_t i = Find(p);
    if (i == kNotFound) return 0;
    T* last = items_.back();
    items_[i] = last;
    items_.pop_back();
    if (index_ != nullptr) {
      index_->erase(p);
      if (last != p) (*index_)[last] = i;
      if (items_.empty()) index_.reset();
    }
    return 1;
  }

  void clear() {
    Items().swap(items_);  // frees a grown vector too
    index_.reset();
  }

 private:
  static constexpr size_t kIndexAbove = 16;
  static constexpr size_t kNotFound = static_cast<size_t>(-1);

  size_t Find(const T* p) const {
    if (index_ != nullptr) {
      auto it = index_->find(p);
      return it == index_->end() ? kNotFound : it->second;
    }
    for (size_t i = 0; i < items_.size(); ++i) {
      if (items_[i] == p) return i;
    }
    return kNotFound;
  }

  Items items_;
  std::unique_ptr<absl::flat_hash_map<const T*, size_t>> index_;  // once > kIndexAbove items
};

}  // namespace weft::scheduler
