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
//
// Many near-ties (thousands of copies at the k-th distance) would make the window
// large; past `cap` it switches to exact mode: the bound stays fixed and the
// scan scores each further candidate's exact distance at once (its block is still
// in cache) into a bounded top k by (distance, label).
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "topk.h"

namespace quiver {

class CandidateWindow {
 public:
  void reset(size_t k, float margin, size_t cap) {
    k_ = k;
    margin_ = margin;
    cap_ = std::max(cap, k);
    items_.clear();
    exact_.reset(0);
    exact_mode_ = false;
    limit_ = std::max<size_t>(2 * k + 16, 64);
    bound_ = std::numeric_limits<float>::infinity();
  }
  // Keys above this can never be candidates.
  float threshold() const { return bound_; }
  float margin() const { return margin_; }
  // Widens the margin for keys scanned from now on (the int8 first pass: its
  // keys are lower bounds whose error bound varies from pass to pass). Bounds
  // already set stay valid: each covered the keys seen when it was set.
  void raise_margin(float margin) {
    if (margin > margin_) margin_ = margin;
  }
  // Lowers the bound to one the caller proved (keys above it cannot be in the top k).
  void tighten(float bound) {
    if (bound < bound_) bound_ = bound;
  }
  size_t k() const { return k_; }
  // True once the caller must score candidates exactly and call push_exact.
  bool exact_mode() const { return exact_mode_; }
  // A candidate by key (c.key <= threshold(); others are ignored, NaN included).
  void push(const Candidate& c) {
    if (!(c.key <= bound_)) return;
    items_.push_back(c);
    if (items_.size() >= limit_) prune();
  }
  // In exact mode: a candidate whose key is its exact distance.
  void push_exact(const Candidate& c) { exact_.push(c); }

  // Tightens the bound to the k-th key + margin and drops what falls outside.
  void prune() {
    if (exact_mode_ || k_ == 0 || items_.size() < k_) return;
    std::nth_element(items_.begin(), items_.begin() + (k_ - 1), items_.end(), better);
    const float kth = items_[k_ - 1].key;
    // Round the sum up: the window must not lose a slot to the addition's rounding.
    const float bound = std::nextafter(kth + margin_, std::numeric_limits<float>::infinity());
    if (bound < bound_) bound_ = bound;
    auto keep_end = std::partition(items_.begin() + k_, items_.end(),
                                   [&](const Candidate& c) { return c.key <= bound_; });
    items_.erase(keep_end, items_.end());
    if (items_.size() > cap_) {
      exact_mode_ = true;  // the bound is final from here on (it is only ever an upper bound)
      exact_.reset(k_);
      return;
    }
    // Many near-ties: grow the limit so pruning stays amortised O(1) per push.
    limit_ = std::max(limit_, 2 * items_.size() + 16);
  }
  // Candidates scored by key only (their exact distance is still to compute).
  std::vector<Candidate>& items() { return items_; }
  // Candidates already scored exactly (exact mode).
  std::vector<Candidate>& exact_items() { return exact_.items(); }

 private:
  size_t k_ = 0;
  float margin_ = 0.0f;
  size_t cap_ = 0;
  size_t limit_ = 64;
  bool exact_mode_ = false;
  float bound_ = std::numeric_limits<float>::infinity();
  std::vector<Candidate> items_;
  TopK exact_;
};

}  // namespace quiver
