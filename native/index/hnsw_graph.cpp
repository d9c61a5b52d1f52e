// HnswGraph storage, queries' keys, neighbour selection and insertion. The int8
// quantizer is in hnsw_quantizer.cpp, the rabitq coder in hnsw_rabitq.cpp, repair
// and reachability in hnsw_repair.cpp.
#include "hnsw_graph.h"

#include "../util/cache_size.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace quiver {

size_t small_node_prefetch_min_bytes() {
  const size_t llc = last_level_cache_bytes();
  const size_t hi = size_t{64} << 20;
  return llc > 0 ? std::min(hi, std::max(kPrefetchMinBytes, llc / 8)) : kPrefetchMinBytes;
}

HnswGraph::HnswGraph(const HnswParams& params) : p_(params), node_locks_(new std::mutex[kLockStripes]) {
  kind_ = rules().l2_keys ? kL2 : (rules().by_direction ? kCos : kDot);
  m0_ = 2 * p_.M;
  // Blocks (ARCHITECTURE.md, "Layout"): [u32 count][u32 links[m0]][f32 inv_norm], then the
  // vector in float32 mode, or the codes in the coded modes, whose walk reads only blocks
  // (the float vectors, read to re-rank and by construction, are in an array apart).
  const size_t head = 4 + 4 * (size_t)m0_;
  norm_offset_ = head;
  if (separate_vectors()) {
    if (bits1()) {
      words_ = (p_.dim + 63) / 64;
      init_rabitq(p_.seed);
    } else {
      quant_.offset.assign(p_.dim, 0.0f);
    }
    code_offset_ = head + 4;  // 8 + 8M: 8-byte aligned, as the 1-bit codes' words need
    block_bytes_ = code_offset_ + code_bytes();
    if (bits1()) block_bytes_ = (block_bytes_ + 7) & ~(size_t)7;  // keeps every code 8-byte aligned
    prefetch_bytes_ = std::min<size_t>(code_offset_ + (bits1() ? code_bytes() : p_.dim), 1536);
    vec_offset_ = 0;
    vec_stride_ = 4 * p_.dim;
  } else {
    vec_offset_ = head + 4;
    block_bytes_ = vec_offset_ + 4 * p_.dim;
    prefetch_bytes_ = std::min<size_t>(block_bytes_, 1536);
    vec_stride_ = block_bytes_;
  }
  vector_prefetch_bytes_ = std::min<size_t>(4 * p_.dim, 1536);
  prefetch_min_bytes_ = node_bytes() <= kSmallNodeBytes ? small_node_prefetch_min_bytes() : kPrefetchMinBytes;
  const KernelTable& kt = kernels();
  l2sq_ = kt.l2sq;
  dot_ = kt.dot;
  l2sq_batch_ = kt.l2sq_batch;
  dot_batch_ = kt.dot_batch;
  l2sq_i8_batch_ = kt.l2sq_i8_batch;
  neg_dot_i8_batch_ = kt.neg_dot_i8_batch;
  bits1_batch_ = kt.bits1_batch;
  fwht_ = kt.fwht ? kt.fwht : fwht_scalar;
}

namespace {
// Block storage of at least 2 MiB is 2 MiB-aligned and asks Linux for transparent
// huge pages: searches touch blocks at random, and with 4 KiB pages a graph past
// the TLB's reach (~12 MB) pays a page walk on most visited vectors. Freed with free().
void* alloc_blocks(size_t bytes) {
  constexpr size_t kHuge = (size_t)2 << 20;
  if (bytes < kHuge) return std::malloc(bytes);
  void* p = nullptr;
  if (posix_memalign(&p, kHuge, bytes) != 0) return nullptr;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // The whole 2 MiB extents only (the tail stays in 4 KiB pages, so nothing is
  // allocated beyond `bytes`). Advice only: without THP it does nothing.
  madvise(p, bytes & ~(kHuge - 1), MADV_HUGEPAGE);
#endif
  return p;
}
}  // namespace

HnswGraph::~HnswGraph() {
  std::free(blocks_);
  if (vectors_ != blocks_) std::free(vectors_);
}

size_t HnswGraph::bytes() const {
  return capacity_ * node_bytes() + labels_.capacity() * sizeof(uint64_t) + levels_.capacity() +
         states_.capacity() + upper_.capacity() * sizeof(upper_[0]) + upper_bytes_ +
         capacity_ * sizeof(std::atomic<uint32_t>);  // level-0 in-degrees (indeg_)
}

void HnswGraph::reserve(size_t slots) {
  if (slots <= capacity_) return;
  if (slots >= kNoSlot) throw std::length_error("HNSW index is full (2^32 - 1 slots)");
  std::unique_ptr<std::atomic<uint32_t>[]> indeg(new std::atomic<uint32_t>[slots]);
  for (size_t i = 0; i < slots; ++i)
    indeg[i].store(i < capacity_ ? indeg_[i].load(std::memory_order_relaxed) : 0, std::memory_order_relaxed);
  char* grown = static_cast<char*>(alloc_blocks(slots * block_bytes_));
  if (!grown) throw std::bad_alloc();
  if (blocks_) std::memcpy(grown, blocks_, capacity_ * block_bytes_);
  if (separate_vectors()) {
    char* vectors = static_cast<char*>(alloc_blocks(slots * vec_stride_));
    if (!vectors) {
      std::free(grown);
      throw std::bad_alloc();
    }
    if (vectors_) std::memcpy(vectors, vectors_, capacity_ * vec_stride_);
    std::free(vectors_);
    vectors_ = vectors;
  }
  std::free(blocks_);
  blocks_ = grown;
  if (!separate_vectors()) vectors_ = blocks_;
  // reserve() first so the vectors grow to exactly `slots` (resize alone may double).
  labels_.reserve(slots);
  levels_.reserve(slots);
  states_.reserve(slots);
  upper_.reserve(slots);
  labels_.resize(slots, 0);
  levels_.resize(slots, 0);
  states_.resize(slots, static_cast<uint8_t>(SlotState::Free));
  upper_.resize(slots);
  indeg_ = std::move(indeg);
  capacity_ = slots;
}

void HnswGraph::clear() {
  for (size_t s = 0; s < used_; ++s) {
    upper_[s].reset();
    levels_[s] = 0;
    states_[s] = static_cast<uint8_t>(SlotState::Free);
    indeg_[s].store(0, std::memory_order_relaxed);
  }
  upper_bytes_ = 0;
  used_ = 0;
  indeg_valid_ = true;
  entry_ = kNoSlot;
  max_level_ = -1;
}

void HnswGraph::init_slot(uint32_t s, uint64_t label, const float* v, int level) {
  char* b = block(s);
  const float inv = rules().by_direction ? inverse_norm(dot_(v, v, p_.dim)) : 0.0f;
  const uint32_t zero = 0;
  std::memcpy(b, &zero, 4);  // no links yet
  std::memcpy(b + norm_offset_, &inv, 4);
  std::memcpy(const_cast<float*>(vector(s)), v, 4 * p_.dim);
  if (quantized()) encode(s);
  if (bits1()) encode_bits(s);
  const size_t upper_words = (size_t)level * (p_.M + 1);
  std::unique_ptr<uint32_t[]> upper(level > 0 ? new uint32_t[upper_words]() : nullptr);
  if (s < used_ && upper_[s]) upper_bytes_ -= (size_t)levels_[s] * (p_.M + 1) * 4;
  upper_[s] = std::move(upper);
  upper_bytes_ += upper_words * 4;
  labels_[s] = label;
  levels_[s] = (uint8_t)level;
  states_[s] = static_cast<uint8_t>(SlotState::Live);
  if (s >= used_) used_ = (size_t)s + 1;
}

void HnswGraph::restore_slot(uint32_t s, uint64_t label, int level, SlotState st, const float* v) {
  init_slot(s, label, v, level);
  states_[s] = static_cast<uint8_t>(st);
  indeg_valid_ = false;  // the loader writes the links next: recounted by ensure_indegrees()
}

void HnswGraph::prepare_query(const float* q, float* out) const {
  std::memcpy(out, q, 4 * p_.dim);
  if (!rules().by_direction) return;
  const float inv = inverse_norm(dot_(q, q, p_.dim));
  for (size_t i = 0; i < p_.dim; ++i) out[i] *= inv;
}

float HnswGraph::key(const float* q, uint32_t s) const {
  switch (kind_) {
    case kL2: return key_t<kL2>(q, s);
    case kDot: return key_t<kDot>(q, s);
    case kCos: return key_t<kCos>(q, s);
    default: break;
  }
  return 0.0f;
}

void HnswGraph::keys(const float* q, const uint32_t* ids, size_t n, float* out) const {
  for (size_t t = 0; t < n; ++t) __builtin_prefetch(vector(ids[t]));
  switch (kind_) {
    case kL2: batch_keys<kL2>(q, nullptr, ids, n, out); break;
    case kDot: batch_keys<kDot>(q, nullptr, ids, n, out); break;
    case kCos: batch_keys<kCos>(q, nullptr, ids, n, out); break;
    default: break;
  }
}

float HnswGraph::key_to_distance(float key) const { return quiver::key_to_distance(p_.metric, key); }

float HnswGraph::pair_key(uint32_t a, uint32_t b) const {
  switch (kind_) {
    case kL2: return l2sq_(vector(a), vector(b), p_.dim);
    case kDot: return -dot_(vector(a), vector(b), p_.dim);
    case kCos: return -dot_(vector(a), vector(b), p_.dim) * inv_norm(a) * inv_norm(b);
    default: break;
  }
  return 0.0f;
}

static bool has_slot(const std::vector<HnswNeighbor>& v, uint32_t slot) {
  for (const HnswNeighbor& x : v)
    if (x.slot == slot) return true;
  return false;
}

float HnswGraph::prune_distance(float key) const {
  // Cosine keys are -cos: 1 + key is 1 - cos, half the squared L2 distance between
  // the unit vectors, so the same alpha means the same thing for L2 and cosine.
  return rules().by_direction ? 1.0f + key : key;
}

void HnswGraph::select_neighbors(const std::vector<HnswNeighbor>& cands, size_t m, std::vector<HnswNeighbor>* out,
                                 float alpha) const {
  out->clear();
  if (cands.size() <= m) {
    out->assign(cands.begin(), cands.end());
    return;
  }
  // Inner-product keys are not distances: the plain heuristic there.
  if (rules().raw_dot) alpha = 1.0f;
  // Per candidate: how many kept neighbours it was compared with, and the nearest of them.
  thread_local std::vector<uint32_t> checked;
  thread_local std::vector<float> nearest_kept;
  checked.assign(cands.size(), 0);
  nearest_kept.assign(cands.size(), std::numeric_limits<float>::infinity());
  // Keeps, nearest first, each left-out candidate c with a * d(c, kept) >= d(c, base) for
  // every kept neighbour, continuing each comparison where an earlier pass stopped.
  auto pass = [&](float a) {
    for (size_t i = 0; i < cands.size() && out->size() < m; ++i) {
      if (checked[i] == kNoSlot) continue;  // already kept
      const float dc = prune_distance(cands[i].key);
      if (a * nearest_kept[i] < dc) continue;
      bool keep = true;
      for (; checked[i] < out->size(); ++checked[i]) {
        const float d = prune_distance(pair_key(cands[i].slot, (*out)[checked[i]].slot));
        nearest_kept[i] = std::min(nearest_kept[i], d);
        if (a * d < dc) {
          keep = false;
          ++checked[i];
          break;
        }
      }
      if (keep) {
        out->push_back(cands[i]);
        checked[i] = kNoSlot;
      }
    }
  };
  // The strict heuristic (alpha 1, hnswlib's) first, so its diverse links are all kept;
  // then, if alpha > 1, the candidates it left out that alpha admits.
  pass(1.0f);
  if (alpha > 1.0f && out->size() < m) {
    pass(alpha);
    std::sort(out->begin(), out->end(), hnsw_far_first);
  }
  // Top up to M links with the nearest candidates the heuristic left out. On data
  // whose queries do not look like the stored vectors (ngt_sift5k's queries come
  // from another SIFT sample), graphs pruned to a few "diverse" links strand the
  // search: recall 0.95 took 1,160 scored vectors per query, 745 with this and
  // kInsertAlpha (counted with an instrumented build; the 100k mixture: 704 -> 686).
  // Upper levels too: topping up only level 0 measured fewer greedy distances but
  // worse entry points (100k mixture: 768 -> 899 distances per query at 0.95).
  const size_t floor = std::min<size_t>(m, p_.M);
  for (size_t i = 0; i < cands.size() && out->size() < floor; ++i)
    if (checked[i] != kNoSlot) out->push_back(cands[i]);
}

void HnswGraph::connect(uint32_t n, uint32_t s, float key, int level, HnswScratch& sc) {
  std::lock_guard<std::mutex> guard(node_lock(n));
  uint32_t* ln = links(n, level);
  const uint32_t cnt = ln[0], maxm = max_links(level);
  for (uint32_t j = 1; j <= cnt; ++j)
    if (ln[j] == s) return;
  if (cnt < maxm) {
    ln[1 + cnt] = s;
    ln[0] = cnt + 1;
    if (level == 0) indeg_[s].fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // Full: re-select among the old links and the newcomer.
  sc.prune.clear();
  sc.prune.push_back({key, s});
  for (uint32_t j = 1; j <= cnt; ++j) sc.prune.push_back({pair_key(n, ln[j]), ln[j]});
  std::sort(sc.prune.begin(), sc.prune.end(), hnsw_far_first);
  select_neighbors(sc.prune, maxm, &sc.pruned, 1.0f);
  if (level == 0) {
    // This may drop a node's last inbound link; the orphan is relinked by
    // HnswIndex's reachability check. (Keeping such links in place of the heuristic's
    // choices was tried: it cost recall, 0.985 -> 0.948 on the ip recall test.)
    for (uint32_t j = 1; j <= cnt; ++j)
      if (!has_slot(sc.pruned, ln[j])) indeg_[ln[j]].fetch_sub(1, std::memory_order_relaxed);
    if (has_slot(sc.pruned, s)) indeg_[s].fetch_add(1, std::memory_order_relaxed);
  }
  for (size_t i = 0; i < sc.pruned.size(); ++i) ln[1 + i] = sc.pruned[i].slot;
  ln[0] = (uint32_t)sc.pruned.size();
}


template <int K, bool kLocked>
void HnswGraph::insert_t(uint32_t s, HnswScratch& sc) {
  const int level = levels_[s];
  sc.query.resize(p_.dim);
  prepare_query(vector(s), sc.query.data());
  const float* q = sc.query.data();

  // A node taller than the graph becomes the entry point: hold the entry lock
  // for its whole insertion so no other insert sees a half-linked entry.
  std::unique_lock<std::mutex> entry_lock(entry_mu_);
  const uint32_t ep = entry_;
  const int top = max_level_;
  if (ep == kNoSlot) {
    entry_ = s;
    max_level_ = level;
    return;
  }
  if (level <= top) entry_lock.unlock();

  uint32_t cur = ep;
  float cur_key = key_t<K>(q, cur);
  greedy<K, kLocked>(q, &cur, &cur_key, top, level, sc);
  sc.entry.assign(1, HnswNeighbor{cur_key, cur});
  auto linkable = [this, s](uint32_t n) { return n != s && state(n) == SlotState::Live; };
  for (int l = std::min(level, top); l >= 0; --l) {
    search_layer<K, kLocked>(q, p_.ef_construction, l, linkable, sc);
    select_neighbors(sc.found, p_.M, &sc.selected, kInsertAlpha);
    {
      std::lock_guard<std::mutex> guard(node_lock(s));
      uint32_t* ln = links(s, l);
      if (l == 0) {
        // Links that concurrent inserts added to s meanwhile are replaced here (H1: one
        // may have been its target's only inbound link; the reachability check relinks it).
        for (uint32_t j = 1; j <= ln[0]; ++j)
          if (!has_slot(sc.selected, ln[j])) indeg_[ln[j]].fetch_sub(1, std::memory_order_relaxed);
        for (const HnswNeighbor& nb : sc.selected) {
          bool had = false;
          for (uint32_t j = 1; j <= ln[0]; ++j) had |= ln[j] == nb.slot;
          if (!had) indeg_[nb.slot].fetch_add(1, std::memory_order_relaxed);
        }
      }
      for (size_t i = 0; i < sc.selected.size(); ++i) ln[1 + i] = sc.selected[i].slot;
      ln[0] = (uint32_t)sc.selected.size();
    }
    for (const HnswNeighbor& nb : sc.selected) connect(nb.slot, s, nb.key, l, sc);
    // Every neighbour's re-selection may have dropped s: then link it from the nearest one.
    if (l == 0 && indeg_[s].load(std::memory_order_relaxed) == 0) adopt_orphan(s);
    if (!sc.found.empty()) sc.entry.assign(sc.found.begin(), sc.found.end());
  }
  if (level > top) {
    entry_ = s;
    max_level_ = level;
  }
}

void HnswGraph::insert(uint32_t s, HnswScratch& sc, bool concurrent) {
  if (concurrent) {
    switch (kind_) {
      case kL2: insert_t<kL2, true>(s, sc); break;
      case kDot: insert_t<kDot, true>(s, sc); break;
      case kCos: insert_t<kCos, true>(s, sc); break;
      default: break;
    }
  } else {
    switch (kind_) {
      case kL2: insert_t<kL2, false>(s, sc); break;
      case kDot: insert_t<kDot, false>(s, sc); break;
      case kCos: insert_t<kCos, false>(s, sc); break;
      default: break;
    }
  }
}


}  // namespace quiver
