#include "hnsw_index.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <unordered_map>

#include "../util/thread_pool.h"

namespace quiver {

namespace {
// Inserts applied per exclusive section of add(): large enough to keep the
// thread pool busy, small enough that searches are not held up for long.
constexpr size_t kAddChunk = 4096;
// Repair once removed-but-linked slots reach this fraction of the used slots. Until then
// they still hold places in their neighbours' lists: at 10%, a 20% replacement ended
// further than 0.01 below a fresh graph's recall at low ef (bench/hnsw-replace-quality.mjs).
constexpr double kRepairFraction = 0.05;
// Check reachability once inserts since the last check reach used slots / this.
constexpr size_t kReachabilityCheckDivisor = 16;
// Between checks, relink every node left without an inbound link (an O(used) scan of
// the in-degrees, cheap next to the inserts) after an add of at least used slots / this.
constexpr size_t kOrphanScanDivisor = 256;
}  // namespace

HnswIndex::HnswIndex(const HnswParams& params)
    : graph_(params), rng_(params.seed), level_mult_(1.0 / std::log(std::max<double>(2.0, params.M))) {}

size_t HnswIndex::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return live_;
}

size_t HnswIndex::capacity() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return graph_.capacity();
}

size_t HnswIndex::deleted() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return deleted_;
}

size_t HnswIndex::memory_bytes() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return sizeof(*this) + graph_.bytes() + map_.bytes() + free_.capacity() * sizeof(uint32_t);
}

int HnswIndex::random_level() {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const double u = 1.0 - uniform(rng_);  // (0, 1]
  return std::min(kMaxHnswLevel, (int)(-std::log(u) * level_mult_));
}

size_t HnswIndex::grown_capacity(size_t fresh) const {
  const size_t need = graph_.used() + fresh;
  // A batch of at least 1/16 of what is stored gets exactly the room it needs (the copy
  // costs at most 16x the batch's own bytes), so bulk loads in chunks end with no slack;
  // smaller adds grow geometrically (x1.25) so one-at-a-time inserts do not
  // reallocate the storage every time.
  if (fresh * 16 >= graph_.used()) return need;
  return std::max(need, graph_.capacity() + graph_.capacity() / 4);
}

void HnswIndex::add(const uint64_t* labels, const float* vectors, size_t n, size_t threads) {
  // A label given twice in one batch: the last vector wins.
  std::vector<size_t> order;
  order.reserve(n);
  {
    std::unordered_map<uint64_t, size_t> last;
    last.reserve(n);
    for (size_t i = 0; i < n; ++i) last[labels[i]] = i;
    for (size_t i = 0; i < n; ++i)
      if (last[labels[i]] == i) order.push_back(i);
  }
  {
    // Size storage for the whole batch once (chunks would otherwise grow it step by step).
    std::unique_lock<std::shared_mutex> lock(mu_);
    const size_t reusable = free_.size() + (deleted_ >= kRepairFraction * graph_.used() ? deleted_ : 0);
    const size_t fresh = order.size() > reusable ? order.size() - reusable : 0;
    if (graph_.used() + fresh > graph_.capacity()) graph_.reserve(grown_capacity(fresh));
    // Int8 mode: the code range covers the whole batch before any of it is encoded.
    graph_.fit_quantizer(vectors, n);
  }
  for (size_t i = 0; i < order.size(); i += kAddChunk)
    add_chunk(labels, vectors, order.data() + i, std::min(kAddChunk, order.size() - i), threads);
  // Heuristic pruning can leave a few nodes (or a small island of them) with no path
  // from the entry point (H1: ~0.01-0.4% after a build). Find and relink them once the
  // inserts since the last check reach 1/16 of the graph: O(size * M) per check,
  // amortised to a few hundred link reads per insert.
  std::unique_lock<std::shared_mutex> lock(mu_);
  inserted_since_check_ += order.size();
  HnswScratchPool::Lease sc = scratch_.acquire();
  if (inserted_since_check_ * kReachabilityCheckDivisor >= graph_.used()) {
    graph_.ensure_indegrees();
    graph_.reconnect_unreachable(*sc);
    inserted_since_check_ = 0;
  } else if (order.size() * kOrphanScanDivisor >= graph_.used()) {
    // The inserts' re-selections of their neighbours' lists may have taken an older
    // node's last inbound link.
    graph_.relink_orphans(nullptr, graph_.used(), *sc);
  }
}

void HnswIndex::add_chunk(const uint64_t* labels, const float* vectors, const size_t* order, size_t n,
                          size_t threads) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  graph_.ensure_indegrees();
  if (deleted_ > 0 && deleted_ >= kRepairFraction * graph_.used()) compact_locked(threads);
  // Reserve everything first so a failed allocation leaves the index unchanged.
  const size_t fresh = n > free_.size() ? n - free_.size() : 0;
  if (graph_.used() + fresh > graph_.capacity()) graph_.reserve(grown_capacity(fresh));
  map_.reserve(live_ + n, graph_.labels());
  std::vector<uint32_t> slots(n);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t label = labels[order[i]];
    const uint32_t old = map_.find(label, graph_.labels());
    if (old != LabelSlotMap::kMissing) {
      // Replacing: the old node keeps routing until repaired; the label moves.
      map_.erase(label, graph_.labels());
      graph_.set_state(old, SlotState::Deleted);
      ++deleted_;
      --live_;
    }
    uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = (uint32_t)graph_.used();
    }
    graph_.init_slot(slot, label, vectors + order[i] * graph_.dim(), random_level());
    map_.insert(label, slot, graph_.labels());
    ++live_;
    slots[i] = slot;
  }
  ThreadPool& pool = ThreadPool::global();
  const size_t workers = threads == 0 ? pool.concurrency() : std::min(threads, pool.concurrency());
  if (workers <= 1 || n == 1) {
    HnswScratchPool::Lease sc = scratch_.acquire();
    for (size_t i = 0; i < n; ++i) graph_.insert(slots[i], *sc, false);
  } else {
    // Into a graph larger than the chunk, nodes with upper levels first: otherwise an
    // insert's descent can end on a new node whose level-0 list a concurrent insert has
    // not written yet, and search level 0 within a pocket of new nodes that no old node
    // links to (H3: 13-15 replaced vectors unfound at ef 200 in ~1 of 20 runs of the
    // native H3 test). Not for builds: inserting the upper nodes first there cost
    // recall on hub-heavy inner-product data (0.95+ -> 0.92).
    size_t upper = 0;
    if (live_ >= 2 * n) {
      std::stable_partition(slots.begin(), slots.end(), [&](uint32_t s) { return graph_.level(s) > 0; });
      upper = (size_t)std::count_if(slots.begin(), slots.end(), [&](uint32_t s) { return graph_.level(s) > 0; });
    }
    auto insert_range = [&](size_t from, size_t to) {
      pool.parallel_for(to - from, workers, [&](size_t i) {
        HnswScratchPool::Lease sc = scratch_.acquire();
        graph_.insert(slots[from + i], *sc, true);
      });
    };
    insert_range(0, upper);
    insert_range(upper, n);
    // An insert whose search started from a node a concurrent insert had not linked
    // yet finds almost nothing (H3: two such nodes linked only to each other, an island
    // no search reaches). Every insert otherwise leaves at least min(M, efConstruction,
    // others) links:
    // insert such a node again, now that the chunk's links are all in place.
    HnswScratchPool::Lease sc = scratch_.acquire();
    const size_t floor = std::min<size_t>({graph_.params().M, graph_.params().ef_construction, live_ - 1});
    for (size_t i = 0; i < n; ++i)
      if (graph_.links(slots[i], 0)[0] < floor) graph_.insert(slots[i], *sc, false);
  }
  // An insert relinks its own node if the neighbours' re-selections left it without an
  // inbound link, but a later insert of the same chunk can still take that link away:
  // a concurrent one by rewriting its own list over a link just added to it (H3: 1 in
  // ~20 multi-threaded replacements of 200 of 4,000 vectors left one unreachable until
  // the next reachability check). O(n): relink the chunk's nodes left with none.
  HnswScratchPool::Lease sc = scratch_.acquire();
  graph_.relink_orphans(slots.data(), n, *sc);
}

size_t HnswIndex::remove(const uint64_t* labels, size_t n) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  size_t removed = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t s = map_.find(labels[i], graph_.labels());
    if (s == LabelSlotMap::kMissing) continue;
    map_.erase(labels[i], graph_.labels());
    graph_.set_state(s, SlotState::Deleted);
    ++deleted_;
    --live_;
    ++removed;
  }
  if (live_ == 0 && graph_.used() > 0) {
    // Nothing left to route to: start over, keeping the storage.
    graph_.clear();
    free_.clear();
    deleted_ = 0;
  }
  return removed;
}

bool HnswIndex::has(uint64_t label) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return map_.find(label, graph_.labels()) != LabelSlotMap::kMissing;
}

bool HnswIndex::get(uint64_t label, float* out) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  const uint32_t s = map_.find(label, graph_.labels());
  if (s == LabelSlotMap::kMissing) return false;
  std::copy(graph_.vector(s), graph_.vector(s) + graph_.dim(), out);
  return true;
}

size_t HnswIndex::get_many(const uint64_t* labels, size_t n, float* out) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<uint32_t> slots(n);
  for (size_t i = 0; i < n; ++i) {
    slots[i] = map_.find(labels[i], graph_.labels());
    if (slots[i] == LabelSlotMap::kMissing) return i;
  }
  const size_t dim = graph_.dim();
  for (size_t i = 0; i < n; ++i) std::copy(graph_.vector(slots[i]), graph_.vector(slots[i]) + dim, out + i * dim);
  return n;
}

void HnswIndex::reserve(size_t n) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  // n live vectors, plus the Deleted slots still awaiting repair (Free ones are reused).
  const size_t slots = n + deleted_;
  if (slots > graph_.capacity()) graph_.reserve(slots);
  map_.reserve(n, graph_.labels());
}

std::vector<uint64_t> HnswIndex::labels() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<uint64_t> out;
  out.reserve(live_);
  for (size_t s = 0; s < graph_.used(); ++s)
    if (graph_.state((uint32_t)s) == SlotState::Live) out.push_back(graph_.label((uint32_t)s));
  return out;
}

size_t HnswIndex::unreachable() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return graph_.unreachable_live();
}

size_t HnswIndex::compact(size_t threads) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  return compact_locked(threads);
}

size_t HnswIndex::compact_locked(size_t threads) {
  if (deleted_ == 0) return 0;
  graph_.ensure_indegrees();
  std::vector<uint32_t> freed = graph_.repair_deleted(threads);
  {
    HnswScratchPool::Lease sc = scratch_.acquire();
    graph_.reconnect_unreachable(*sc);
    inserted_since_check_ = 0;
  }
  // Reuse low slots first (free_ is popped from the back).
  std::sort(freed.begin(), freed.end(), [](uint32_t a, uint32_t b) { return a > b; });
  free_.insert(free_.begin(), freed.begin(), freed.end());
  std::sort(free_.begin(), free_.end(), [](uint32_t a, uint32_t b) { return a > b; });
  deleted_ = 0;
  return freed.size();
}

// ---- search

namespace {
inline bool result_before(float da, uint64_t la, float db, uint64_t lb) { return da < db || (da == db && la < lb); }
}  // namespace

size_t HnswIndex::graph_results(HnswScratch& sc, size_t k, uint64_t* labels, float* distances) const {
  // sc.found is ascending by key and distance is monotone in the key, so only
  // runs of equal distance need reordering (by label). Keep the first k plus
  // any entries tied with the k-th, then insertion-sort that short prefix.
  auto& out = sc.pruned;
  out.clear();
  for (const HnswNeighbor& f : sc.found) {
    const float d = graph_.key_to_distance(f.key);
    if (out.size() >= k && d > out[k - 1].key) break;
    out.push_back({d, f.slot});
  }
  for (size_t i = 1; i < out.size(); ++i) {
    const HnswNeighbor x = out[i];
    const uint64_t lx = graph_.label(x.slot);
    size_t j = i;
    while (j > 0 && result_before(x.key, lx, out[j - 1].key, graph_.label(out[j - 1].slot))) {
      out[j] = out[j - 1];
      --j;
    }
    out[j] = x;
  }
  const size_t n = std::min(k, out.size());
  for (size_t i = 0; i < n; ++i) {
    labels[i] = graph_.label(out[i].slot);
    distances[i] = out[i].key;
  }
  return n;
}

size_t HnswIndex::exact_search(const float* prepared, size_t k, const LabelFilter* filter, uint64_t* labels,
                               float* distances) const {
  TopK top(k);
  // Slots are scored in chunks with one batch-kernel call each (their blocks
  // prefetched together), not one dispatched call per vector.
  constexpr size_t kChunk = 256;
  uint32_t ids[kChunk];
  float keys[kChunk];
  size_t pending = 0;
  auto flush = [&]() {
    graph_.keys(prepared, ids, pending, keys);
    for (size_t t = 0; t < pending; ++t) {
      const float d = graph_.key_to_distance(keys[t]);
      if (d <= top.threshold()) top.push({d, graph_.label(ids[t]), ids[t]});
    }
    pending = 0;
  };
  auto consider = [&](uint32_t s) {
    ids[pending++] = s;
    if (pending == kChunk) flush();
  };
  if (filter) {
    filter->for_each([&](uint64_t label) {
      const uint32_t s = map_.find(label, graph_.labels());
      if (s != LabelSlotMap::kMissing) consider(s);
    });
  } else {
    for (size_t s = 0; s < graph_.used(); ++s)
      if (graph_.state((uint32_t)s) == SlotState::Live) consider((uint32_t)s);
  }
  if (pending > 0) flush();
  std::vector<Candidate>& items = top.items();
  sort_candidates(items);
  for (size_t i = 0; i < items.size(); ++i) {
    labels[i] = items[i].label;
    distances[i] = items[i].key;
  }
  return items.size();
}

size_t HnswIndex::search_locked(HnswScratch& sc, const float* query, size_t k, size_t ef, const LabelFilter* filter,
                                uint64_t* labels, float* distances) const {
  if (live_ == 0 || k == 0) return 0;
  ef = std::max(ef, k);
  sc.query.resize(graph_.dim());
  graph_.prepare_query(query, sc.query.data());
  const float* q = sc.query.data();
  if (filter) {
    const size_t allowed = filter->count();
    if (allowed == 0) return 0;
    // Graph search with a filter visits about 1/fraction times more nodes than
    // without; when scoring the allowed vectors directly is cheaper, do that.
    const double fraction = std::min(1.0, (double)allowed / (double)live_);
    const double graph_cost = (double)ef * graph_.max_links(0) / fraction;
    if ((double)allowed <= graph_cost) return exact_search(q, k, filter, labels, distances);
    auto accept = [&](uint32_t s) {
      return graph_.state(s) == SlotState::Live && filter->allows(graph_.label(s));
    };
    graph_.search(q, ef, accept, sc);
    // Too few allowed vectors reached: the exact scan returns every match.
    if (sc.found.size() < k) return exact_search(q, k, filter, labels, distances);
    return graph_results(sc, k, labels, distances);
  }
  if (deleted_ == 0) {
    graph_.search(q, ef, HnswAcceptAll{}, sc);
  } else {
    graph_.search(q, ef, [&](uint32_t s) { return graph_.state(s) == SlotState::Live; }, sc);
  }
  if (sc.found.size() < std::min(k, live_)) return exact_search(q, k, nullptr, labels, distances);
  return graph_results(sc, k, labels, distances);
}

size_t HnswIndex::search_into(const float* query, size_t k, size_t ef, const LabelFilter* filter,
                              uint64_t* labels, float* distances) const {
  HnswScratchPool::Lease sc = scratch_.acquire();
  std::shared_lock<std::shared_mutex> lock(mu_);
  // k may be any count: more than the live vectors returns them all.
  return search_locked(*sc, query, std::min(k, live_), ef, filter, labels, distances);
}

SearchResult HnswIndex::search(const float* queries, size_t nq, size_t k, size_t ef, size_t threads,
                               const LabelFilter* filter) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  SearchResult res;
  const size_t cols = std::min(k, live_);
  res.k = cols;
  if (nq == 0 || cols == 0) return res;
  res.labels.resize(nq * cols);
  res.distances.resize(nq * cols);
  std::vector<size_t> counts(nq);
  ThreadPool::global().parallel_for(nq, threads, [&](size_t i) {
    HnswScratchPool::Lease sc = scratch_.acquire();
    counts[i] = search_locked(*sc, queries + i * graph_.dim(), cols, ef, filter, res.labels.data() + i * cols,
                              res.distances.data() + i * cols);
  });
  // Every row holds min(k, matching live vectors), the same for all queries.
  const size_t got = *std::min_element(counts.begin(), counts.end());
  if (got < cols) {
    for (size_t i = 0; i < nq; ++i)
      for (size_t j = 0; j < got; ++j) {
        res.labels[i * got + j] = res.labels[i * cols + j];
        res.distances[i * got + j] = res.distances[i * cols + j];
      }
    res.labels.resize(nq * got);
    res.distances.resize(nq * got);
    res.k = got;
  }
  return res;
}

}  // namespace quiver
