// Per-thread working memory for HNSW searches and inserts, reused across calls
// so a search allocates nothing: an epoch-stamped visited set (marking a new
// search is one counter increment, the array is only cleared when the 16-bit
// epoch wraps) and the two heaps of the layer search.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "../kernels/kernels.h"  // BitsQuery

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
  std::vector<uint32_t> todo = std::vector<uint32_t>(4096);  // unvisited neighbours of one node
  std::vector<float> query;              // prepared query (normalised for cosine)
  std::vector<int8_t> query_codes;       // int8 mode: the prepared query's codes
  std::vector<uint64_t> query_bits;      // rabitq mode: the query's 4 bit planes
  std::vector<uint8_t> query_nibbles;    // rabitq mode: the query's 4-bit codes, one per byte
  std::vector<float> rotated;            // rabitq mode: a rotated vector
  BitsQuery bits_query{};                // rabitq mode: the coded query (planes in query_bits)
  const void* coded_query = nullptr;     // what batch_keys scores against in a quantized search
  std::vector<float> keys = std::vector<float>(4096);  // keys of `todo`
  std::vector<uint8_t> expanded;         // search_layer_all: flags parallel to `results`

  static HnswScratch& local() {
    thread_local HnswScratch s;
    return s;
  }
};

// Scratch objects lent out per search. Cheaper per call than thread_local in a
// dlopen'ed addon (each access there goes through __tls_get_addr, measured at
// ~9% of a query), and the pool never holds more objects than concurrent searches.
class HnswScratchPool {
 public:
  class Lease {
   public:
    Lease(HnswScratchPool* pool, std::unique_ptr<HnswScratch> s) : pool_(pool), s_(std::move(s)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (s_) pool_->give_back(std::move(s_));
    }
    HnswScratch& operator*() { return *s_; }

   private:
    HnswScratchPool* pool_;
    std::unique_ptr<HnswScratch> s_;
  };

  Lease acquire() {
    {
      std::lock_guard<std::mutex> guard(mu_);
      if (!free_.empty()) {
        std::unique_ptr<HnswScratch> s = std::move(free_.back());
        free_.pop_back();
        return Lease(this, std::move(s));
      }
    }
    return Lease(this, std::make_unique<HnswScratch>());
  }

 private:
  void give_back(std::unique_ptr<HnswScratch> s) {
    std::lock_guard<std::mutex> guard(mu_);
    free_.push_back(std::move(s));
  }
  std::mutex mu_;
  std::vector<std::unique_ptr<HnswScratch>> free_;
};

}  // namespace quiver
