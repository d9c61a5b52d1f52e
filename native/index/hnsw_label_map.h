// Label -> slot lookup for the HNSW index. An open-addressing table of slot
// numbers only (4 bytes per entry, the label itself is read from the slot's
// label array), with linear probing and backward-shift deletion, so it needs no
// tombstones and stays within the index's per-vector memory budget.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace quiver {

class LabelSlotMap {
 public:
  static constexpr uint32_t kMissing = UINT32_MAX;

  size_t size() const { return size_; }
  size_t bytes() const { return table_.size() * sizeof(uint32_t); }
  void clear() {
    table_.clear();
    size_ = 0;
  }

  // `labels` is the index's slot -> label array.
  uint32_t find(uint64_t label, const uint64_t* labels) const {
    if (table_.empty()) return kMissing;
    const size_t mask = table_.size() - 1;
    for (size_t i = hash(label) & mask;; i = (i + 1) & mask) {
      const uint32_t e = table_[i];
      if (e == 0) return kMissing;
      if (labels[e - 1] == label) return e - 1;
    }
  }

  // Adds label -> slot; the label must be absent and labels[slot] already set.
  void insert(uint64_t label, uint32_t slot, const uint64_t* labels) {
    reserve(size_ + 1, labels);
    const size_t mask = table_.size() - 1;
    size_t i = hash(label) & mask;
    while (table_[i] != 0) i = (i + 1) & mask;
    table_[i] = slot + 1;
    ++size_;
  }

  // Removes the label's entry (labels[] must still hold it); false when absent.
  bool erase(uint64_t label, const uint64_t* labels) {
    if (table_.empty()) return false;
    const size_t mask = table_.size() - 1;
    size_t i = hash(label) & mask;
    for (;; i = (i + 1) & mask) {
      if (table_[i] == 0) return false;
      if (labels[table_[i] - 1] == label) break;
    }
    // Backward shift: pull later entries of the probe run into the hole when
    // their home position is not between the hole and themselves.
    for (size_t j = (i + 1) & mask; table_[j] != 0; j = (j + 1) & mask) {
      const size_t home = hash(labels[table_[j] - 1]) & mask;
      const bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        table_[i] = table_[j];
        i = j;
      }
    }
    table_[i] = 0;
    --size_;
    return true;
  }

  // Makes room for n entries at a load factor of at most 3/4.
  void reserve(size_t n, const uint64_t* labels) {
    if (n * 4 <= table_.size() * 3) return;
    size_t cap = 16;
    while (cap * 3 < n * 4) cap *= 2;
    std::vector<uint32_t> old;
    old.swap(table_);
    table_.assign(cap, 0);
    const size_t mask = cap - 1;
    for (uint32_t e : old) {
      if (e == 0) continue;
      size_t i = hash(labels[e - 1]) & mask;
      while (table_[i] != 0) i = (i + 1) & mask;
      table_[i] = e;
    }
  }

 private:
  static uint64_t hash(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
  }

  std::vector<uint32_t> table_;  // 0 = empty, else slot + 1
  size_t size_ = 0;
};

}  // namespace quiver
