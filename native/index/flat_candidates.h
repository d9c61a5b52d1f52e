// Stage-one candidates of one query in FlatIndex's scan.
//
// The scan ranks slots by a fast key (bias + scale * dot, kernels.h) that differs
// from the user-visible distance by rounding. A fixed number of spare candidates
// cannot absorb that when many slots tie at the k-th distance (duplicates, zero
// vectors under cosine): the key then picks tied slots by rounding noise, not by
// label. So the window keeps every slot whose key is within `margin` of the k-th
// smallest key seen, where margin bounds twice the key-vs-distance rounding error
// (flat_index.cpp: key_margin). Every slot of the exact top k (ties by label)
// is then a candidate, whatever the kernel's summation order.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "topk.h"

namespace quiver {

class CandidateWindow {
 public:
  // Tracks the k-th key; keeps up to about `cap` near-ties before giving up
  // completeness (overflowed(): the caller rescans with a fixed bound).
  void reset(size_t k, float margin, size_t cap) {
    k_ = k;
    margin_ = margin;
    cap_ = std::max(cap, k);
    fixed_ = false;
    overflowed_ = false;
    items_.clear();
    limit_ = std::max<size_t>(2 * k + 16, 64);
    bound_ = std::numeric_limits<float>::infinity();
  }
  // Collects every key <= bound, no pruning (the rescan after an overflow).
  void reset_fixed(float bound) {
    k_ = 0;
    fixed_ = true;
    overflowed_ = false;
    items_.clear();
    bound_ = bound;
  }
  // Keys above this can never be candidates.
  float threshold() const { return bound_; }
  void push(const Candidate& c) {
    if (!(c.key <= bound_)) return;  // also drops NaN keys
    items_.push_back(c);
    if (!fixed_ && items_.size() >= limit_) prune();
  }
  // Tightens the bound to the k-th key + margin and drops what falls outside.
  void prune() {
    if (fixed_ || items_.size() < k_ || k_ == 0) return;
    auto by_key = [](const Candidate& a, const Candidate& b) { return better(a, b); };
    std::nth_element(items_.begin(), items_.begin() + (k_ - 1), items_.end(), by_key);
    const float kth = items_[k_ - 1].key;
    // Round the sum up: the window must not lose a slot to the addition's rounding.
    const float bound = std::nextafter(kth + margin_, std::numeric_limits<float>::infinity());
    if (bound < bound_) bound_ = bound;
    auto keep_end = std::partition(items_.begin() + k_, items_.end(),
                                   [&](const Candidate& c) { return c.key <= bound_; });
    items_.erase(keep_end, items_.end());
    if (items_.size() > cap_) {
      // Too many near-ties to hold for every query at once: keep the k best and
      // the bound; the caller rescans this query alone.
      overflowed_ = true;
      items_.resize(k_);
    }
    // Many near-ties: grow the limit so pruning stays amortised O(1) per push.
    limit_ = std::max(limit_, 2 * items_.size() + 16);
  }
  bool overflowed() const { return overflowed_; }
  std::vector<Candidate>& items() { return items_; }

 private:
  size_t k_ = 0;
  float margin_ = 0.0f;
  size_t cap_ = 0;
  size_t limit_ = 64;
  bool fixed_ = false;
  bool overflowed_ = false;
  float bound_ = std::numeric_limits<float>::infinity();
  std::vector<Candidate> items_;
};

}  // namespace quiver
