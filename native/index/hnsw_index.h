// HnswIndex: approximate k-nearest-neighbour search over an HNSW graph, with
// deletes (slots reused after repair), in-graph allow-list filters and a
// checked file format (hnsw_io.h).
//
// Concurrency: one shared_mutex. Searches, get/has and save hold it shared and
// run lock-free inside the graph. add/remove/compact hold it exclusively; a
// large add is applied in chunks, releasing the lock between chunks so that
// searches interleave with a long addAsync. Inside one chunk, inserts run on the
// thread pool and coordinate through per-node link locks (HnswGraph::insert).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <shared_mutex>
#include <string>
#include <vector>

#include "flat_index.h"  // SearchResult
#include "hnsw_graph.h"
#include "hnsw_label_map.h"
#include "label_filter.h"

namespace quiver {

class HnswIndex {
 public:
  explicit HnswIndex(const HnswParams& params);

  const HnswParams& params() const { return graph_.params(); }
  size_t dim() const { return graph_.dim(); }
  Metric metric() const { return graph_.params().metric; }
  size_t size() const;
  size_t capacity() const;
  // Removed vectors that still occupy slots (until the next repair).
  size_t deleted() const;
  size_t memory_bytes() const;

  // Inserts or replaces (validated input). threads 0 = all cores.
  void add(const uint64_t* labels, const float* vectors, size_t n, size_t threads);
  size_t remove(const uint64_t* labels, size_t n);
  bool has(uint64_t label) const;
  bool get(uint64_t label, float* out) const;
  // Copies the vectors of n labels row-major into out (n * dim floats), under one
  // lock. Returns n, or the index of the first label not in the index (out untouched).
  size_t get_many(const uint64_t* labels, size_t n, float* out) const;
  // Sizes storage for n vectors at once (slots and label table), so a bulk load
  // of known size allocates once. Never shrinks.
  void reserve(size_t n);
  std::vector<uint64_t> labels() const;
  // Repairs links around removed vectors and frees their slots for reuse.
  // Returns the number of slots freed.
  size_t compact(size_t threads);
  // Live vectors no level-0 path from the entry point reaches (no search can
  // return them). Diagnostic for tests, O(size).
  size_t unreachable() const;

  // Top-k for nq queries. ef < k is raised to k. Every row has
  // min(k, live vectors passing the filter) results.
  SearchResult search(const float* queries, size_t nq, size_t k, size_t ef, size_t threads,
                      const LabelFilter* filter) const;
  // One query written into caller buffers of k entries; returns the count.
  size_t search_into(const float* query, size_t k, size_t ef, const LabelFilter* filter, uint64_t* labels,
                     float* distances) const;

  void save(const std::string& path) const;
  static std::unique_ptr<HnswIndex> load(const std::string& path);

 private:
  friend class HnswFile;
  size_t search_locked(HnswScratch& sc, const float* query, size_t k, size_t ef, const LabelFilter* filter,
                       uint64_t* labels, float* distances) const;
  // Exact top-k over a candidate set (all live slots, or the allowed labels).
  size_t exact_search(const float* prepared, size_t k, const LabelFilter* filter, uint64_t* labels,
                      float* distances) const;
  size_t graph_results(HnswScratch& sc, size_t k, uint64_t* labels, float* distances) const;
  void add_chunk(const uint64_t* labels, const float* vectors, const size_t* order, size_t n, size_t threads);
  // Slots to reserve when `fresh` new ones do not fit (exact for large batches, x1.25 for small).
  size_t grown_capacity(size_t fresh) const;
  int random_level();
  size_t compact_locked(size_t threads);

  HnswGraph graph_;
  LabelSlotMap map_;
  std::vector<uint32_t> free_;  // Free slots, reused before the slot array grows
  size_t live_ = 0;
  size_t deleted_ = 0;          // Deleted slots awaiting repair
  size_t inserted_since_check_ = 0;  // inserts since the last reachability check
  std::mt19937_64 rng_;
  double level_mult_;
  mutable std::shared_mutex mu_;
  mutable HnswScratchPool scratch_;
};

}  // namespace quiver
