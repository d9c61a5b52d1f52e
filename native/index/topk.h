// Bounded "keep the best k" collections, ordered by (key, label) so that equal
// distances always come out in ascending label order (deterministic results).
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace quiver {

struct Candidate {
  float key;
  uint64_t label;
  uint32_t slot;
};

inline bool better(const Candidate& a, const Candidate& b) {
  return a.key < b.key || (a.key == b.key && a.label < b.label);
}

// A max-heap of the best `cap` candidates seen so far.
class TopK {
 public:
  explicit TopK(size_t cap = 0) : cap_(cap) { heap_.reserve(cap); }
  void reset(size_t cap) { cap_ = cap; heap_.clear(); heap_.reserve(cap); }
  // Keys greater than this can never enter (infinity until full).
  float threshold() const {
    return heap_.size() < cap_ ? std::numeric_limits<float>::infinity() : heap_.front().key;
  }
  void push(const Candidate& c) {
    if (cap_ == 0) return;
    if (heap_.size() < cap_) {
      heap_.push_back(c);
      std::push_heap(heap_.begin(), heap_.end(), better);
    } else if (better(c, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), better);
      heap_.back() = c;
      std::push_heap(heap_.begin(), heap_.end(), better);
    }
  }
  std::vector<Candidate>& items() { return heap_; }
  size_t size() const { return heap_.size(); }

 private:
  size_t cap_;
  std::vector<Candidate> heap_;
};

inline void sort_candidates(std::vector<Candidate>& v) { std::sort(v.begin(), v.end(), better); }

}  // namespace quiver
