// An allow-list of labels, built once per filtered search and checked natively
// during the scan or graph traversal (no JS callback per visited vector).
// Dense small labels (the common case: a store's own slot numbers) use a bit set;
// sparse or huge labels fall back to a sorted array with binary search.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace quiver {

class LabelFilter {
 public:
  LabelFilter() = default;

  static LabelFilter from_labels(const uint64_t* labels, size_t n) {
    LabelFilter f;
    uint64_t max_label = 0;
    for (size_t i = 0; i < n; ++i) max_label = std::max(max_label, labels[i]);
    // A bit set costs max_label/8 bytes: use it while that stays near the list's own size.
    if (n > 0 && max_label < (uint64_t(1) << 32) && max_label / 8 <= std::max<uint64_t>(n * 16, 1 << 16)) {
      f.bits_.assign((size_t)(max_label / 64 + 1), 0);
      for (size_t i = 0; i < n; ++i) f.bits_[labels[i] >> 6] |= uint64_t(1) << (labels[i] & 63);
      f.dense_ = true;
      f.count_ = 0;
      for (uint64_t w : f.bits_) f.count_ += (size_t)__builtin_popcountll(w);
    } else {
      f.sorted_.assign(labels, labels + n);
      std::sort(f.sorted_.begin(), f.sorted_.end());
      f.sorted_.erase(std::unique(f.sorted_.begin(), f.sorted_.end()), f.sorted_.end());
      f.count_ = f.sorted_.size();
    }
    return f;
  }

  // A bit set given as 32-bit words (bit b of word w allows label w * 32 + b), as the
  // store's filters evaluate to: taken over as it is, with no list of labels in between.
  static LabelFilter from_words(const uint32_t* words, size_t n) {
    LabelFilter f;
    f.bits_.assign((n + 1) / 2, 0);
    for (size_t i = 0; i < n; ++i) f.bits_[i / 2] |= uint64_t(words[i]) << (32 * (i % 2));
    f.dense_ = true;
    for (uint64_t w : f.bits_) f.count_ += (size_t)__builtin_popcountll(w);
    return f;
  }

  bool allows(uint64_t label) const {
    if (dense_) {
      const uint64_t w = label >> 6;
      return w < bits_.size() && ((bits_[w] >> (label & 63)) & 1);
    }
    return std::binary_search(sorted_.begin(), sorted_.end(), label);
  }

  // Distinct labels in the list (some may not be in the index).
  size_t count() const { return count_; }
  // Bytes held by the filter's storage.
  size_t bytes() const { return sizeof(*this) + (bits_.capacity() + sorted_.capacity()) * sizeof(uint64_t); }

  // Calls fn(label) for every distinct allowed label, ascending.
  template <class Fn>
  void for_each(Fn&& fn) const {
    if (!dense_) {
      for (uint64_t l : sorted_) fn(l);
      return;
    }
    for (size_t w = 0; w < bits_.size(); ++w)
      for (uint64_t b = bits_[w]; b; b &= b - 1) fn((uint64_t)(w * 64 + __builtin_ctzll(b)));
  }

 private:
  bool dense_ = false;
  size_t count_ = 0;
  std::vector<uint64_t> bits_;
  std::vector<uint64_t> sorted_;
};

}  // namespace quiver
