// Exact ("flat") index: every vector is compared with every query.
// Storage is blocked and transposed (kernels.h: kBlockLanes vectors per block,
// element-major) so that batch search runs as a register-tiled GEMM and a single
// query streams memory with no horizontal reductions.
#pragma once
#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "flat_candidates.h"
#include "label_filter.h"
#include "metric.h"
#include "topk.h"

namespace quiver {

struct SearchResult {
  size_t k = 0;                  // columns per query: min(requested k, size)
  std::vector<uint64_t> labels;  // nq * k, row-major
  std::vector<float> distances;  // nq * k
};

class FlatIndex {
 public:
  FlatIndex(size_t dim, Metric metric);
  ~FlatIndex();
  FlatIndex(const FlatIndex&) = delete;
  FlatIndex& operator=(const FlatIndex&) = delete;

  size_t dim() const { return dim_; }
  Metric metric() const { return metric_; }
  size_t size() const;
  // Vector slots allocated (a multiple of kBlockLanes).
  size_t capacity() const;
  // Bytes held by the index's storage (vectors, per-slot arrays, label table).
  size_t memory_bytes() const;
  // Sizes storage for at least n vectors at once (exactly n, rounded up to a
  // block of kBlockLanes): a loader that knows the final count allocates once.
  void reserve(size_t n);

  // Inserts or replaces. Inputs must already be validated (finite values, labels
  // within range); this is all-or-nothing: storage is reserved before any change.
  void add(const uint64_t* labels, const float* vectors, size_t n);
  // Returns how many labels were present and removed.
  size_t remove(const uint64_t* labels, size_t n);
  bool has(uint64_t label) const;
  bool get(uint64_t label, float* out) const;
  // Copies the vectors of n labels row-major into out (n * dim floats), under one
  // lock. Returns n, or the index of the first label not in the index (out untouched).
  size_t get_many(const uint64_t* labels, size_t n, float* out) const;
  // Every live label, in slot order.
  std::vector<uint64_t> labels() const;
  // Copies every live (label, vector) pair out, in slot order.
  void snapshot(std::vector<uint64_t>* labels, std::vector<float>* vectors) const;

  // Exact top-k for nq queries (row-major, stride dim) on up to `threads` threads.
  // With a filter, only allowed labels are candidates; results hold min(k, allowed live) rows.
  SearchResult search(const float* queries, size_t nq, size_t k, size_t threads,
                      const LabelFilter* filter = nullptr) const;

 private:
  float* block_ptr(size_t slot) { return blocks_ + (slot / kBlockLanes) * kBlockLanes * dim_; }
  const float* block_ptr(size_t slot) const { return blocks_ + (slot / kBlockLanes) * kBlockLanes * dim_; }
  void write_slot(size_t slot, const float* v);
  void read_slot(size_t slot, float* out) const;
  void clear_slot(size_t slot);
  void ensure_capacity(size_t slots);
  // Reallocates every per-slot array to exactly `slots` (>= count_), all or nothing.
  void resize_storage(size_t slots);
  // Exact distances to every matching slot (the fallback when stage one found too few).
  size_t exact_all(const float* q, float qnorm, size_t k, const LabelFilter* filter, uint64_t* labels,
                   float* distances) const;
  float exact_for_slot(const float* q, float qnorm, size_t slot, float* scratch) const;
  // Bound on how far a stage-one key can be from the exact distance's order, in
  // key units, doubled (flat_candidates.h); qnorm = |q|.
  float key_margin(float qnorm) const;
  // Scores a range of blocks for a group of queries (norms qnorms) into per-query windows.
  void scan_blocks(const float* qs, const float* qnorms, size_t nq, size_t block_begin, size_t block_end,
                   CandidateWindow* windows, const LabelFilter* filter) const;
  // The same with an int8 first pass (kernels.h: flat_i8_tile): keys are lower
  // bounds on the exact ones, each window's margin widened to cover their error.
  void scan_blocks_i8(const float* qs, const float* qnorms, size_t nq, size_t block_begin, size_t block_end,
                      CandidateWindow* windows, const LabelFilter* filter) const;
  // Stage two: the exact distance of every candidate of queries q0.. (cands[i] for
  // query q0 + i), written over its key.
  void rescore_in_slot_order(const float* queries, const float* qnorms, size_t q0,
                             std::vector<std::vector<Candidate>>& cands) const;
  // Selective filters: exact distances to the given slots only.
  SearchResult search_slots(const float* queries, size_t nq, size_t k, size_t threads,
                            const std::vector<uint32_t>& slots) const;

  size_t dim_;
  Metric metric_;
  size_t count_ = 0;
  // capacity / 16 blocks of 16 * dim floats, from malloc/realloc: a large block
  // array is mmap'ed by glibc and grows with mremap, so growth neither copies the
  // vectors nor holds old + new storage at once. Blocks past ceil(count / 16) are
  // never touched (so unused capacity costs no RSS); a block is zeroed when the
  // first slot in it is used, so lanes past the last vector hold zeros.
  float* blocks_ = nullptr;
  std::vector<float> bias_;       // per slot: key = bias + scale * dot
  std::vector<float> scale_;
  std::vector<float> norms_;      // per slot |x|
  // At least every stored |x| (never lowered on remove: only an upper bound is needed).
  float max_norm_ = 0.0f;
  std::vector<uint64_t> labels_;  // per slot
  std::unordered_map<uint64_t, uint32_t> slot_of_;
  mutable std::shared_mutex mu_;  // searches share, add/remove exclude
};

}  // namespace quiver
