// Per-thread working memory for HNSW searches and inserts, reused across calls
// so a search allocates nothing: an epoch-stamped visited set (marking a new
// search is one counter increment, the array is only cleared when the 16-bit
// epoch wraps) and the two heaps of the layer search.
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

namespace quiver {

struct HnswNeighbor {
  float key;
  uint32_t slot;
};

struct HnswVisited {
  std::vector<uint16_t> marks;
  uint16_t epoch = 0;

  // Starts a new search over `slots` slots.
  void reset(size_t slots) {
    if (marks.size() < slots) marks.resize(slots + slots / 4 + 64, 0);
    if (++epoch == 0) {
      std::memset(marks.data(), 0, marks.size() * sizeof(uint16_t));
      epoch = 1;
    }
  }
  bool test_and_set(uint32_t slot) {
    if (marks[slot] == epoch) return true;
    marks[slot] = epoch;
    return false;
  }
};

struct HnswScratch {
  HnswVisited visited;
  std::vector<HnswNeighbor> candidates;  // min-heap by key (frontier)
  std::vector<HnswNeighbor> results;     // max-heap by key (best ef so far)
  std::vector<HnswNeighbor> found;       // layer results handed to the caller
  std::vector<HnswNeighbor> entry;       // entry points for the next layer
  std::vector<HnswNeighbor> selected;
  std::vector<HnswNeighbor> prune;       // a full neighbour list being re-selected
  std::vector<HnswNeighbor> pruned;
  std::vector<uint32_t> links;           // a copy of one node's links (build mode)
  std::vector<float> query;              // prepared query (normalised for cosine)

  static HnswScratch& local() {
    thread_local HnswScratch s;
    return s;
  }
};

}  // namespace quiver
