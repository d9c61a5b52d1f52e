// HNSW graph storage and the graph algorithms: layer search (hnsw_graph_search.h),
// neighbour selection and insertion (hnsw_graph.cpp), the int8 quantizer
// (hnsw_quantizer.cpp), the rabitq coder (hnsw_rabitq.cpp), repair after deletes
// (hnsw_repair.cpp). Locking policy lives in
// HnswIndex; this class only guards link lists with per-node locks while
// several threads insert at once.
//
// Memory layout: one fixed-size block per slot, so a node's level-0 links and
// what the walk scores share cache lines and one prefetch brings in both. Float32:
//   [u32 link count][u32 links[M0]][float inv_norm][float vector[dim]]
// inv_norm is 1/|x| for cosine (0 for a zero vector) and unused otherwise; it sits
// next to the vector because a cosine key reads both.
// The coded modes put the codes where the vector was, and keep the float vectors
// (read by the re-rank and by construction, not by the walk) in an array apart
// (vectors_, 4 * dim bytes per slot), so the blocks the walk reads stay small. int8:
//   [u32 link count][u32 links[M0]][float inv_norm][i8 codes[dim], padded to 4]
// rabitq (Quantization::Bits1): 1 bit per dimension of the rotated space (dim
// rounded up to 64) plus 3 floats, the block rounded up to 8 bytes:
//   [u32 link count][u32 links[M0]][float inv_norm][u64 bits[words]][f32 f_add, f_rescale, pc]
// (see hnsw_rabitq.cpp for what the codes mean).
// The file format stores vectors and links in sections of their own, so this
// layout is free to change.
// Levels above 0 are rare (1/M of nodes): each such node owns a separate array
// of level * (1 + M) u32: [count, links[M]] per level.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "hnsw_scratch.h"
#include "metric.h"

namespace quiver {

constexpr uint32_t kNoSlot = UINT32_MAX;
// Alpha of the second pass when a new node picks its own links (L2 and cosine; on
// squared distances, so 1.2 is ~1.1 on distances). The strict heuristic (alpha 1,
// hnswlib's) picks first, so its diverse links are always kept (a single relaxed
// pass filled the M slots with near-duplicate directions and fell below hnswlib's
// recall on high-dimensional data); a relaxed pass then adds near links the strict
// one dropped, which out-of-sample queries need (ngt_sift5k). Re-selections of full
// lists (connect, repair) are strict only. The strict pass sees every candidate: the
// relaxed one goes nearest first, so when the strict pass saw only the nearest few it
// spent the free slots on near links before reaching the far diverse ones, and graphs
// of 100k+ vectors topped out below hnswlib's recall. Measurements:
// bench/reports/graph-quality.
constexpr float kInsertAlpha = 1.2f;
constexpr int kMaxHnswLevel = 31;
// A query enters level 0 from a small beam search of level 1, not from the single
// node a greedy descent ends on: on clustered data the greedy descent can end in
// another cluster, and then no ef finds the query's neighbours (recall 0 for that
// query; hnswlib has the same failure). The beam is ef / kEntryBeamDivisor wide, at
// most kEntryBeamMax: below ef 2 * kEntryBeamDivisor the greedy descent is kept, so
// cheap low-ef searches do not pay for it. Measurements: bench/reports/graph-quality.
constexpr size_t kEntryBeamDivisor = 16;
constexpr size_t kEntryBeamMax = 16;
// Graphs whose nodes take at most prefetch_min_bytes_ are searched without software
// prefetch: they stay in cache, where the prefetch loops only cost; above, prefetch hides
// memory latency. A node is its block plus, in the coded modes, its float vector (the
// re-rank reads those and they evict the blocks; bench/reports/graph-quality/
// ab-coded-vectors-apart.txt). The line is kPrefetchMinBytes, or for nodes of at most
// kSmallNodeBytes (low- and mid-dimensional vectors) 1/8 of the last-level cache
// (util/cache_size.h), within [8 MiB, 64 MiB]. Larger nodes keep the lower line: a walk over them
// reads a few scattered lines per node and waits on each without prefetch
// (bench/reports/graph-quality/prefetch-threshold.txt).
constexpr size_t kPrefetchMinBytes = size_t{8} << 20;
constexpr size_t kSmallNodeBytes = 1024;
size_t small_node_prefetch_min_bytes();

enum class Quantization : uint32_t {
  None = 0,  // traversal scores float32 vectors
  Int8 = 1,  // traversal scores int8 codes, final candidates re-ranked with float32
  Bits1 = 2, // RaBitQ-style 1-bit codes ('rabitq'), final candidates re-ranked with float32
};

// Accept predicate of searches that return any node (no filter, no deleted
// nodes): lets the layer search use its single sorted-buffer form.
struct HnswAcceptAll {
  bool operator()(uint32_t) const { return true; }
};

enum class SlotState : uint8_t {
  Live = 0,     // searchable
  Deleted = 1,  // removed by the user; still routes searches until repaired
  Free = 2,     // unlinked from the graph, ready for reuse
};

struct HnswParams {
  size_t dim = 0;
  Metric metric = Metric::Euclidean;
  uint32_t M = 16;
  uint32_t ef_construction = 200;
  uint32_t ef_search = 64;
  uint64_t seed = 42;
  Quantization quantization = Quantization::None;
};

// Scalar quantizer of the int8 mode: code_d = clamp(round((x_d - offset_d) / step), -127, 127)
// with one step for all dimensions and offset_d the middle of dimension d's
// range, so squared L2 between codes is step^2 times an approximation of the
// float metric. Cosine codes the normalised vectors (L2 between unit vectors
// orders like cosine) and the normalised query the same way. For ip, q.x =
// q.offset + step * q.code(x), and q.offset is the same for every x, so the
// query is coded on its own (offset 0, its own step) and -dot(codes) orders.
struct HnswQuantizer {
  float step = 0.0f;            // 0 until fitted
  std::vector<float> offset;    // per dimension
};

// The rabitq mode's coder (hnsw_rabitq.cpp): vectors (normalised for cosine) are
// centred on `centroid`, rotated by a seeded random orthogonal transform and
// coded by the signs of the rotated components. The centroid is the mean of the
// vectors added so far, refitted (re-encoding every vector) each time their count
// doubles up to 65,536 vectors; `fitted` is the count at the last fit (0: not fitted yet).
struct HnswRabitq {
  uint64_t seed = 0;
  uint64_t fitted = 0;
  std::vector<float> centroid;  // dim
};

class HnswGraph {
 public:
  explicit HnswGraph(const HnswParams& params);
  ~HnswGraph();
  HnswGraph(const HnswGraph&) = delete;
  HnswGraph& operator=(const HnswGraph&) = delete;

  const HnswParams& params() const { return p_; }
  MetricRules rules() const { return metric_rules(p_.metric); }
  size_t dim() const { return p_.dim; }
  uint32_t max_links(int level) const { return level == 0 ? m0_ : p_.M; }
  size_t capacity() const { return capacity_; }
  size_t used() const { return used_; }
  uint32_t entry() const { return entry_; }
  int max_level() const { return max_level_; }
  size_t bytes() const;

  // Grows storage to `slots` (not thread safe: callers hold the index exclusively).
  void reserve(size_t slots);
  // Forgets every node (keeps the storage).
  void clear();

  const float* vector(uint32_t s) const {
    return reinterpret_cast<const float*>(vectors_ + (size_t)s * vec_stride_ + vec_offset_);
  }
  bool quantized() const { return p_.quantization == Quantization::Int8; }
  bool bits1() const { return p_.quantization == Quantization::Bits1; }
  const HnswQuantizer& quantizer() const { return quant_; }
  const HnswRabitq& rabitq() const { return rabitq_; }
  // Loader access: a saved rabitq coder (validated by the caller), set before restoring slots.
  void set_rabitq(const HnswRabitq& r);
  // Rabitq mode: the padded dimension (a multiple of 64) and code bytes per vector.
  size_t bits_dim() const { return 64 * words_; }
  size_t code_bytes() const { return bits1() ? 8 * words_ + 12 : quantized() ? ((p_.dim + 3) & ~(size_t)3) : 0; }
  // Int8 mode: widens the quantizer's range, when needed, to cover n more
  // vectors (re-encoding every stored vector if it changes). Rabitq mode: adds
  // them to the centroid's mean, refitting when the count doubles. Not thread safe.
  void fit_quantizer(const float* vectors, size_t n);
  // Loader access: a saved quantizer (validated by the caller), set before restoring slots.
  void set_quantizer(const HnswQuantizer& q);
  float inv_norm(uint32_t s) const { return *reinterpret_cast<const float*>(block(s) + norm_offset_); }
  uint64_t label(uint32_t s) const { return labels_[s]; }
  const uint64_t* labels() const { return labels_.data(); }
  int level(uint32_t s) const { return levels_[s]; }
  SlotState state(uint32_t s) const { return static_cast<SlotState>(states_[s]); }
  void set_state(uint32_t s, SlotState st) { states_[s] = static_cast<uint8_t>(st); }
  // [count, ids...] for the node at a level (level <= level(s)).
  uint32_t* links(uint32_t s, int level) const {
    return level == 0 ? reinterpret_cast<uint32_t*>(block(s)) : upper_[s].get() + (size_t)(level - 1) * (p_.M + 1);
  }

  // Claims slot s (s == used() appends) for a vector with no links yet.
  void init_slot(uint32_t s, uint64_t label, const float* v, int level);
  // Links slot s into the graph. With `concurrent`, safe to run for several
  // slots at once on different threads (link lists are read under node locks),
  // as long as nothing else touches the graph meanwhile; without it, the caller
  // guarantees a single inserting thread and reads skip the locks.
  void insert(uint32_t s, HnswScratch& sc, bool concurrent);
  // Replaces links to Deleted nodes by links to their live neighbours, then
  // unlinks the Deleted nodes and marks them Free. Returns the freed slots.
  std::vector<uint32_t> repair_deleted(size_t threads);
  // Level-0 in-degrees follow every link change, so that an insert whose node lost
  // all its inbound links to its neighbours' re-selection can relink it at once, and
  // relinking never takes a node's last inbound link. After a load (restore_slot)
  // they are recounted here (callers hold the index exclusively).
  void ensure_indegrees();
  // Live nodes that no path from the entry point reaches, so no search can return
  // them (diagnostic, O(used * M); callers hold the index at least shared).
  size_t unreachable_live() const;
  // Links every such node (and so the island it may head) from its nearest reachable
  // nodes. Returns how many were relinked. Not thread safe: callers hold the index exclusively.
  size_t reconnect_unreachable(HnswScratch& sc);
  // Gives each live node among `slots` (all used slots when null) that has no inbound
  // level-0 link one (from its nearest out-neighbour with room, else from its nearest
  // live node with room). Returns how many were relinked. Not thread safe: callers hold
  // the index exclusively.
  size_t relink_orphans(const uint32_t* slots, size_t n, HnswScratch& sc);

  // Query side (read-only; callers hold the index at least shared).
  // The query as the keys expect it: normalised for cosine, as is otherwise.
  void prepare_query(const float* q, float* out) const;
  // Ordering key of a slot for a prepared query: smaller is nearer.
  float key(const float* q, uint32_t s) const;
  // Float32 keys of n slots (exact, also in int8 mode), one batch-kernel call.
  void keys(const float* q, const uint32_t* ids, size_t n, float* out) const;
  // The user-visible distance for a key (metric.h conventions).
  float key_to_distance(float key) const;
  // Best `ef` nodes for which accept(slot) holds, ascending by key, in sc.found.
  template <class Accept>
  void search(const float* q, size_t ef, const Accept& accept, HnswScratch& sc) const;

  // Loader access: restores a slot's raw state (validated by the caller).
  void restore_slot(uint32_t s, uint64_t label, int level, SlotState st, const float* v);
  void set_entry(uint32_t entry, int max_level) {
    entry_ = entry;
    max_level_ = max_level;
  }
  void set_used(size_t used) { used_ = used; }

 private:
  // kQL2 / kQDot: int8 codes (squared L2 for L2 and cosine, -dot for ip).
  // kB1: 1-bit codes (an estimate of squared L2 for L2 and cosine, of -dot for ip).
  enum Kind { kL2 = 0, kDot = 1, kCos = 2, kQL2 = 3, kQDot = 4, kB1 = 5 };
  char* block(uint32_t s) const { return blocks_ + (size_t)s * block_bytes_; }
  bool separate_vectors() const { return quantized() || bits1(); }
  // A node's storage: its block, and in the coded modes its vector beside it.
  size_t node_bytes() const { return block_bytes_ + (separate_vectors() ? vec_stride_ : 0); }
  template <int K>
  void prefetch_for_key(uint32_t s, int level) const;
  const int8_t* codes(uint32_t s) const { return reinterpret_cast<const int8_t*>(block(s) + code_offset_); }
  void encode(uint32_t s);
  void encode_query(const float* prepared, int8_t* out) const;
  // Rabitq mode (hnsw_rabitq.cpp): codes slot s; codes a prepared query into sc
  // (sc.bits_query points into sc.query_bits).
  void encode_bits(uint32_t s);
  void encode_bits_query(const float* prepared, HnswScratch& sc) const;
  // The seeded orthogonal transform of a dim vector into bits_dim() floats.
  void rotate(const float* in, float* out) const;
  // Draws the rotation from seed and resets the centroid (constructor).
  void init_rabitq(uint64_t seed);
  void fit_rabitq(const float* vectors, size_t n);
  // Keys of `n` slots (ids) into out: float32 query q for kL2/kDot/kCos, the
  // coded query qc (int8 codes for kQL2/kQDot, a BitsQuery for kB1). One kernel call per list.
  template <int K>
  void batch_keys(const float* q, const void* qc, const uint32_t* ids, size_t n, float* out) const;
  // Replaces the keys of sc.found by float32 keys and re-sorts them.
  template <int K>
  void rerank(const float* q, HnswScratch& sc) const;
  float pair_key(uint32_t a, uint32_t b) const;
  template <int K>
  float key_t(const float* q, uint32_t s) const;
  template <int K, bool kLocked, class Accept>
  void search_layer(const float* q, size_t ef, int level, const Accept& accept, HnswScratch& sc) const;
  // Layer-0 search when every node is acceptable: one sorted buffer of the best
  // ef (each entry flagged once expanded) is both the result set and the frontier.
  template <int K>
  void search_layer_all(const float* q, size_t ef, HnswScratch& sc) const;
  template <int K, bool kLocked>
  void greedy(const float* q, uint32_t* cur, float* cur_key, int from_level, int to_level, HnswScratch& sc) const;
  template <int K, class Accept>
  void search_t(const float* q, size_t ef, const Accept& accept, HnswScratch& sc) const;
  template <int K, bool kLocked>
  void insert_t(uint32_t s, HnswScratch& sc);
  // Into sc.found: the live nodes nearest to node s at `level` (not s), found as an insert
  // of s would find them (greedy descent, then an efConstruction search of that level).
  // Read-only on the graph.
  void search_live_at_level(uint32_t s, int level, HnswScratch& sc) const;
  template <int K>
  void search_live_at_level_t(uint32_t s, int level, HnswScratch& sc) const;
  // Keeps at most m of `cands` (ascending by key to a base node), preferring
  // ones not closer to an already kept neighbour than to the base (HNSW heuristic:
  // c is dropped when d(c, kept) < d(c, base)); with alpha > 1 a second pass then adds
  // left-out candidates with alpha * d(c, kept) >= d(c, base) for every kept one;
  // last, tops the list up to min(m, M) with the nearest candidates left out.
  void select_neighbors(const std::vector<HnswNeighbor>& cands, size_t m, std::vector<HnswNeighbor>* out,
                        float alpha) const;
  // The distance the heuristic compares for a key (squared L2 or 1 - cos; -dot for ip).
  float prune_distance(float key) const;
  void connect(uint32_t n, uint32_t s, float key, int level, HnswScratch& sc);
  std::mutex& node_lock(uint32_t s) const { return node_locks_[s & (kLockStripes - 1)]; }
  // Gives live orphan o an inbound level-0 link from its nearest out-neighbour with
  // room; false if none has room.
  bool adopt_orphan(uint32_t o);
  // Adds a level-0 link n -> o if n has room (never evicts: see hnsw_repair.cpp).
  bool force_link(uint32_t n, uint32_t o);
  void mark_reachable(uint32_t from, std::vector<char>& seen) const;

  static constexpr size_t kLockStripes = 4096;

  HnswParams p_;
  Kind kind_;
  uint32_t m0_;
  size_t norm_offset_;  // inv_norm: right after the level-0 links
  size_t vec_offset_;        // float32 mode: where the vector starts in a block
  size_t vec_stride_;        // bytes from one slot's vector to the next
  size_t code_offset_ = 0;  // int8 and rabitq modes: where the codes start in a block
  size_t block_bytes_;
  size_t vector_prefetch_bytes_;  // how much of a vector to prefetch before a float32 key
  size_t prefetch_bytes_;  // how much of a neighbour's block to prefetch before scoring it
  size_t prefetch_min_bytes_;  // see kPrefetchMinBytes
  size_t capacity_ = 0;
  size_t used_ = 0;
  char* blocks_ = nullptr;
  // float32 mode: blocks_ (the vector is in the block); int8 and rabitq: an array of vectors.
  char* vectors_ = nullptr;
  std::vector<uint64_t> labels_;
  std::vector<uint8_t> levels_;
  std::vector<uint8_t> states_;
  std::vector<std::unique_ptr<uint32_t[]>> upper_;
  size_t upper_bytes_ = 0;
  uint32_t entry_ = kNoSlot;
  int max_level_ = -1;
  std::mutex entry_mu_;
  std::unique_ptr<std::mutex[]> node_locks_;
  std::unique_ptr<std::atomic<uint32_t>[]> indeg_;  // level-0 links into each slot (capacity_ entries)
  bool indeg_valid_ = true;
  float (*l2sq_)(const float*, const float*, size_t);
  float (*dot_)(const float*, const float*, size_t);
  void (*l2sq_batch_)(const float*, const char*, size_t, const uint32_t*, size_t, size_t, float*);
  void (*dot_batch_)(const float*, const char*, size_t, const uint32_t*, size_t, size_t, float*);
  void (*l2sq_i8_batch_)(const int8_t*, const char*, size_t, const uint32_t*, size_t, size_t, float*);
  void (*neg_dot_i8_batch_)(const int8_t*, const char*, size_t, const uint32_t*, size_t, size_t, float*);
  void (*bits1_batch_)(const BitsQuery*, const char*, size_t, const uint32_t*, size_t, float*);
  void (*fwht_)(float*, size_t);
  HnswQuantizer quant_;
  // Rabitq mode: 64-bit words per code, the rotation's signs (4 rounds of
  // bits_dim()), its power-of-two block, the running sum of what was added.
  size_t words_ = 0;
  size_t fht_len_ = 0;
  std::vector<float> rot_signs_;
  HnswRabitq rabitq_;
  std::vector<double> rabitq_sum_;
  uint64_t rabitq_seen_ = 0;
  // Int8 mode: the range the quantizer covers per dimension (lo, hi).
  std::vector<float> qlo_, qhi_;
};

}  // namespace quiver

#include "hnsw_graph_search.h"
