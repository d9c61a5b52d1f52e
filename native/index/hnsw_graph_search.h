// Template part of HnswGraph: the layer search used by both queries and
// inserts, specialised per metric so the key computation inlines, and with
// software prefetching of the next neighbour's block.
#pragma once
#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

namespace quiver {

template <int K>
inline float HnswGraph::key_t(const float* q, uint32_t s) const {
  const float* v = vector(s);
  if constexpr (K == kL2) return l2sq_(q, v, p_.dim);
  else if constexpr (K == kDot) return -dot_(q, v, p_.dim);
  else return -dot_(q, v, p_.dim) * inv_norm(s);
}

// Heap orders as function objects so std::push_heap/pop_heap inline them.
struct HnswNearFirst {
  bool operator()(const HnswNeighbor& a, const HnswNeighbor& b) const { return a.key > b.key; }
};
struct HnswFarFirst {
  bool operator()(const HnswNeighbor& a, const HnswNeighbor& b) const { return a.key < b.key; }
};
constexpr HnswNearFirst hnsw_near_first{};
constexpr HnswFarFirst hnsw_far_first{};

// Replaces the top (farthest) entry of a far-first heap of n >= 1 entries by x
// and restores the heap: one sift-down instead of pop_heap + push_heap.
inline void hnsw_far_replace_top(HnswNeighbor* h, size_t n, HnswNeighbor x) {
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && h[c + 1].key > h[c].key) ++c;
    if (!(h[c].key > x.key)) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = x;
}

// Adds {key, slot} to the best-ef results (a far-first heap) when it qualifies;
// `bound` is the key a newcomer must beat (the farthest kept once ef are kept).
inline void hnsw_offer(std::vector<HnswNeighbor>& res, size_t ef, HnswNeighbor x, float* bound) {
  if (res.size() < ef) {
    res.push_back(x);
    std::push_heap(res.begin(), res.end(), hnsw_far_first);
    if (res.size() >= ef) *bound = res.front().key;
  } else {
    hnsw_far_replace_top(res.data(), res.size(), x);
    *bound = res.front().key;
  }
}

// Writes the ids not yet marked in this search's epoch to todo (marking them) and
// returns their count. Branch-free: whether a neighbour was visited is a coin flip
// the predictor cannot learn, so the id is always written and the count advanced by
// `fresh` (todo has room for a whole list).
inline uint32_t hnsw_collect_unvisited(const uint32_t* ids, uint32_t cnt, uint16_t* marks, uint16_t epoch,
                                       uint32_t* todo) {
  uint32_t todo_count = 0;
  for (uint32_t j = 0; j < cnt; ++j) {
    const uint32_t n = ids[j];
    const bool fresh = marks[n] != epoch;
    marks[n] = epoch;
    todo[todo_count] = n;
    todo_count += fresh;
  }
  return todo_count;
}

// Prefetches what scoring slot s with K keys reads: on layer 0 its block too (the
// node may be expanded next). Float32 keys read the vector, which is in the block in
// float32 mode and in the array of vectors in the coded modes; code keys read the block.
template <int K>
inline void HnswGraph::prefetch_for_key(uint32_t s, int level) const {
  constexpr bool kFloatKeys = K == kL2 || K == kDot || K == kCos;
  const char* p;
  size_t bytes;
  if (kFloatKeys && (separate_vectors() || level > 0)) {
    p = reinterpret_cast<const char*>(vector(s));
    bytes = separate_vectors() ? vector_prefetch_bytes_ : prefetch_bytes_;
    if (level == 0) __builtin_prefetch(block(s));
  } else {
    p = block(s);
    bytes = prefetch_bytes_;
  }
  for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off);
}

// Best-first search of one layer from sc.entry. With kLocked, every link list
// is copied under its node lock (inserts running on other threads may be
// rewriting it); queries run with the index held shared, so they read in place.
template <int K, bool kLocked, class Accept>
void HnswGraph::search_layer(const float* q, size_t ef, int level, const Accept& accept, HnswScratch& sc) const {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  auto& cand = sc.candidates;
  auto& res = sc.results;
  cand.clear();
  res.clear();
  sc.visited.reset(used_);
  for (const HnswNeighbor& e : sc.entry) {
    if (sc.visited.test_and_set(e.slot)) continue;
    cand.push_back(e);
    std::push_heap(cand.begin(), cand.end(), hnsw_near_first);
    if (accept(e.slot)) {
      res.push_back(e);
      std::push_heap(res.begin(), res.end(), hnsw_far_first);
      if (res.size() > ef) {
        std::pop_heap(res.begin(), res.end(), hnsw_far_first);
        res.pop_back();
      }
    }
  }
  // Keys at or above `bound` cannot improve the results (infinite until ef are found).
  float bound = res.size() >= ef ? res.front().key : kInf;
  while (!cand.empty()) {
    const HnswNeighbor c = cand.front();
    if (c.key > bound) break;
    std::pop_heap(cand.begin(), cand.end(), hnsw_near_first);
    cand.pop_back();
    // The next candidate's links will be read right after this node's neighbours.
    if (!cand.empty()) __builtin_prefetch(links(cand.front().slot, level));
    const uint32_t* ln;
    if constexpr (kLocked) {
      std::lock_guard<std::mutex> guard(node_lock(c.slot));
      const uint32_t* src = links(c.slot, level);
      sc.links.assign(src, src + 1 + src[0]);
      ln = sc.links.data();
    } else {
      ln = links(c.slot, level);
    }
    const uint32_t cnt = ln[0];
    if (cnt == 0) continue;
    // Two passes: first collect the unvisited neighbours and prefetch their
    // vectors (all loads in flight at once), then score them.
    for (uint32_t j = 1; j <= cnt; ++j) __builtin_prefetch(sc.visited.marks.data() + ln[j]);
    uint32_t* todo = sc.todo.data();
    const uint32_t todo_count = hnsw_collect_unvisited(ln + 1, cnt, sc.visited.marks.data(), sc.visited.epoch, todo);
    for (uint32_t t = 0; t < todo_count; ++t) prefetch_for_key<K>(todo[t], level);
    batch_keys<K>(q, sc.coded_query, todo, todo_count, sc.keys.data());
    for (uint32_t t = 0; t < todo_count; ++t) {
      const uint32_t n = todo[t];
      const float k = sc.keys[t];
      if (k < bound) {
        cand.push_back({k, n});
        std::push_heap(cand.begin(), cand.end(), hnsw_near_first);
        if (accept(n)) hnsw_offer(res, ef, {k, n}, &bound);
      }
    }
  }
  std::sort_heap(res.begin(), res.end(), hnsw_far_first);  // ascending, cheaper than a full sort
  sc.found.assign(res.begin(), res.end());
}

// Same visits as search_layer with every node accepted (a candidate farther than
// the ef-th best is never expanded there either, so the unexpanded entries of the
// best-ef buffer are exactly the frontier), without the two heaps: inserting is a
// short memmove, the next candidate is the first unexpanded entry.
template <int K>
void HnswGraph::search_layer_all(const float* q, size_t ef, HnswScratch& sc) const {
  ef = std::max<size_t>(1, std::min(ef, used_));  // never more results than nodes (ef may be huge)
  auto& buf = sc.results;
  auto& done = sc.expanded;
  buf.resize(ef + 1);
  done.resize(ef + 9);  // the cursor scan reads 8 flags at a time
  HnswNeighbor* const b = buf.data();
  uint8_t* const ex = done.data();
  size_t size = 0, cursor = 0;
  sc.visited.reset(used_);
  uint16_t* const marks = sc.visited.marks.data();
  const uint16_t epoch = sc.visited.epoch;
  // Inserts x keeping b ascending (after equal keys); drops the last entry when full
  // (callers only insert a key below the last one then).
  auto insert = [&](HnswNeighbor x) {
    // The slot x goes to: for short buffers a backward scan that shifts as it goes (it
    // measured faster up to ef ~64, and two memmove calls per insert cost more than the
    // shifting itself), above that a binary search whose steps are conditional moves (a
    // branchy one mispredicts about every other step), then one move.
    const size_t last = size < ef ? size : ef - 1;
    size_t pos;
    if (size <= 64) {
      pos = last;
      while (pos > 0 && b[pos - 1].key > x.key) {
        b[pos] = b[pos - 1];
        ex[pos] = ex[pos - 1];
        --pos;
      }
    } else {
      const HnswNeighbor* base = b;
      size_t n = size;
      while (n > 1) {
        const size_t half = n >> 1;
        base = base[half].key <= x.key ? base + half : base;
        n -= half;
      }
      pos = (size_t)(base - b) + (base->key <= x.key);
      std::memmove(b + pos + 1, b + pos, (last - pos) * sizeof(HnswNeighbor));
      std::memmove(ex + pos + 1, ex + pos, last - pos);
    }
    b[pos] = x;
    ex[pos] = 0;
    if (size < ef) ++size;
    if (pos < cursor) cursor = pos;
  };
  for (const HnswNeighbor& e : sc.entry) {
    if (marks[e.slot] == epoch) continue;
    marks[e.slot] = epoch;
    if (size < ef || e.key < b[size - 1].key) insert(e);
  }
  uint32_t* const todo = sc.todo.data();
  float* const keys = sc.keys.data();
  const void* const qcodes = sc.coded_query;
  // Prefetching pays only when the blocks come from memory; over a graph small enough to
  // stay in cache the prefetch loops are pure cost.
  const bool from_memory = used_ * node_bytes() > prefetch_min_bytes_;
  while (cursor < size) {
    const uint32_t c = b[cursor].slot;
    ex[cursor] = 1;
    // Next unexpanded entry: 8 flags (0 or 1 bytes) per step, since after an
    // insert near the front the cursor walks back over a long expanded run.
    while (cursor < size) {
      uint64_t w;
      std::memcpy(&w, ex + cursor, 8);
      const uint64_t open = ~w & 0x0101010101010101ULL;
      if (open) {
        cursor += (size_t)__builtin_ctzll(open) >> 3;
        break;
      }
      cursor += 8;
    }
    if (cursor > size) cursor = size;
    if (cursor < size) __builtin_prefetch(links(b[cursor].slot, 0));
    const uint32_t* ln = links(c, 0);
    const uint32_t cnt = ln[0];
    if (from_memory)
      for (uint32_t j = 1; j <= cnt; ++j) __builtin_prefetch(marks + ln[j]);
    const uint32_t todo_count = hnsw_collect_unvisited(ln + 1, cnt, marks, epoch, todo);
    if (from_memory)
      for (uint32_t t = 0; t < todo_count; ++t) prefetch_for_key<K>(todo[t], 0);
    batch_keys<K>(q, qcodes, todo, todo_count, keys);
    for (uint32_t t = 0; t < todo_count; ++t)
      if (size < ef || keys[t] < b[size - 1].key) insert({keys[t], todo[t]});
  }
  sc.found.assign(b, b + size);
}

// Greedy descent through the layers above to_level: move to any nearer neighbour
// until none is nearer. A node scored earlier in the descent (at this level or
// above: a node is on every level below its own) is skipped: its key was not below
// the current one then, and the current key only shrinks, so the path is the same
// with fewer distances (upper lists of successive nodes overlap).
template <int K, bool kLocked>
void HnswGraph::greedy(const float* q, uint32_t* cur, float* cur_key, int from_level, int to_level,
                       HnswScratch& sc) const {
  if (from_level <= to_level) return;
  sc.visited.reset(used_);
  uint16_t* const marks = sc.visited.marks.data();
  const uint16_t epoch = sc.visited.epoch;
  marks[*cur] = epoch;
  uint32_t* const todo = sc.todo.data();
  for (int l = from_level; l > to_level; --l) {
    bool changed = true;
    while (changed) {
      changed = false;
      const uint32_t* ln;
      if constexpr (kLocked) {
        std::lock_guard<std::mutex> guard(node_lock(*cur));
        const uint32_t* src = links(*cur, l);
        sc.links.assign(src, src + 1 + src[0]);
        ln = sc.links.data();
      } else {
        ln = links(*cur, l);
      }
      const uint32_t cnt = ln[0];
      const uint32_t todo_count = hnsw_collect_unvisited(ln + 1, cnt, marks, epoch, todo);
      batch_keys<K>(q, sc.coded_query, todo, todo_count, sc.keys.data());
      for (uint32_t t = 0; t < todo_count; ++t) {
        const float k = sc.keys[t];
        if (k < *cur_key) {
          *cur_key = k;
          *cur = todo[t];
          changed = true;
        }
      }
    }
  }
}

template <int K>
inline void HnswGraph::batch_keys(const float* q, const void* qc, const uint32_t* ids, size_t n, float* out) const {
  if constexpr (K == kB1) {
    bits1_batch_(static_cast<const BitsQuery*>(qc), blocks_ + code_offset_, block_bytes_, ids, n, out);
  } else if constexpr (K == kQL2) {
    l2sq_i8_batch_(static_cast<const int8_t*>(qc), blocks_ + code_offset_, block_bytes_, ids, n, p_.dim, out);
  } else if constexpr (K == kQDot) {
    neg_dot_i8_batch_(static_cast<const int8_t*>(qc), blocks_ + code_offset_, block_bytes_, ids, n, p_.dim, out);
  } else if constexpr (K == kL2) {
    l2sq_batch_(q, vectors_ + vec_offset_, vec_stride_, ids, n, p_.dim, out);
  } else {
    dot_batch_(q, vectors_ + vec_offset_, vec_stride_, ids, n, p_.dim, out);
    for (size_t t = 0; t < n; ++t) out[t] = K == kCos ? -out[t] * inv_norm(ids[t]) : -out[t];
  }
}

// Int8 and rabitq modes: the layer search ordered candidates by code keys; the
// float32 keys of those candidates decide the final order.
template <int K>
void HnswGraph::rerank(const float* q, HnswScratch& sc) const {
  for (const HnswNeighbor& f : sc.found) __builtin_prefetch(vector(f.slot));
  for (HnswNeighbor& f : sc.found) f.key = key_t<K>(q, f.slot);
  std::sort(sc.found.begin(), sc.found.end(),
            [](const HnswNeighbor& a, const HnswNeighbor& b) { return a.key < b.key; });
}

template <int K, class Accept>
void HnswGraph::search_t(const float* q, size_t ef, const Accept& accept, HnswScratch& sc) const {
  sc.found.clear();
  if (entry_ == kNoSlot) return;
  uint32_t cur = entry_;
  float cur_key;
  batch_keys<K>(q, sc.coded_query, &cur, 1, &cur_key);
  const size_t beam = std::min(kEntryBeamMax, ef / kEntryBeamDivisor);
  if (beam >= 2 && max_level_ >= 1) {
    greedy<K, false>(q, &cur, &cur_key, max_level_, 1, sc);
    sc.entry.assign(1, HnswNeighbor{cur_key, cur});
    search_layer<K, false>(q, beam, 1, HnswAcceptAll{}, sc);
    sc.entry.assign(sc.found.begin(), sc.found.end());
  } else {
    greedy<K, false>(q, &cur, &cur_key, max_level_, 0, sc);
    sc.entry.assign(1, HnswNeighbor{cur_key, cur});
  }
  if constexpr (std::is_same_v<Accept, HnswAcceptAll>) search_layer_all<K>(q, ef, sc);
  else search_layer<K, false>(q, ef, 0, accept, sc);
}

template <class Accept>
void HnswGraph::search(const float* q, size_t ef, const Accept& accept, HnswScratch& sc) const {
  if (bits1()) {
    encode_bits_query(q, sc);
    sc.coded_query = &sc.bits_query;
    search_t<kB1>(q, ef, accept, sc);
    switch (kind_) {
      case kL2: rerank<kL2>(q, sc); break;
      case kDot: rerank<kDot>(q, sc); break;
      default: rerank<kCos>(q, sc); break;
    }
    return;
  }
  if (quantized()) {
    sc.query_codes.resize(p_.dim);
    encode_query(q, sc.query_codes.data());
    sc.coded_query = sc.query_codes.data();
    if (kind_ == kL2) {
      search_t<kQL2>(q, ef, accept, sc);
      rerank<kL2>(q, sc);
    } else if (kind_ == kCos) {
      search_t<kQL2>(q, ef, accept, sc);  // unit vectors: L2 orders like cosine
      rerank<kCos>(q, sc);
    } else {
      search_t<kQDot>(q, ef, accept, sc);
      rerank<kDot>(q, sc);
    }
    return;
  }
  switch (kind_) {
    case kL2: search_t<kL2>(q, ef, accept, sc); break;
    case kDot: search_t<kDot>(q, ef, accept, sc); break;
    case kCos: search_t<kCos>(q, ef, accept, sc); break;
    default: break;
  }
}

}  // namespace quiver
