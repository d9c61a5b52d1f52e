// Keeping an HnswGraph connected: repair after deletes (relinking around Deleted
// nodes, then freeing them), orphan adoption, reachability checks and relinking of
// nodes no search can reach, and level-0 in-degree bookkeeping.
#include <algorithm>
#include <vector>

#include "../util/thread_pool.h"
#include "hnsw_graph.h"

namespace quiver {

bool HnswGraph::force_link(uint32_t n, uint32_t o) {
  std::lock_guard<std::mutex> guard(node_lock(n));
  uint32_t* ln = links(n, 0);
  for (uint32_t j = 1; j <= ln[0]; ++j)
    if (ln[j] == o) return true;
  if (ln[0] < m0_) {
    ln[1 + ln[0]] = o;
    ln[0] += 1;
    indeg_[o].fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  // Full: no room. Evicting a link here was measured to wreck inner-product graphs,
  // where most nodes have no inbound link by nature and every eviction hits a hub.
  return false;
}

bool HnswGraph::adopt_orphan(uint32_t o) {
  // Nearest out-neighbours first: they are the nodes whose searches lead towards o.
  std::vector<uint32_t> out;
  {
    std::lock_guard<std::mutex> guard(node_lock(o));
    const uint32_t* lo = links(o, 0);
    out.assign(lo + 1, lo + 1 + lo[0]);
  }
  std::vector<HnswNeighbor> cands;
  for (uint32_t x : out)
    if (state(x) == SlotState::Live) cands.push_back({pair_key(o, x), x});
  std::sort(cands.begin(), cands.end(), hnsw_far_first);
  for (const HnswNeighbor& c : cands)
    if (force_link(c.slot, o)) return true;
  return false;
}

size_t HnswGraph::relink_orphans(const uint32_t* slots, size_t n, HnswScratch& sc) {
  size_t relinked = 0;
  std::vector<float> q(p_.dim);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t o = slots ? slots[i] : (uint32_t)i;
    if (o == entry_ || state(o) != SlotState::Live || indeg_[o].load(std::memory_order_relaxed) != 0) continue;
    if (adopt_orphan(o)) {
      ++relinked;
      continue;
    }
    // Every out-neighbour is full: link it from its nearest live node with room.
    prepare_query(vector(o), q.data());
    search(q.data(), p_.ef_construction, [&](uint32_t x) { return x != o && state(x) == SlotState::Live; }, sc);
    for (const HnswNeighbor& f : sc.found)
      if (force_link(f.slot, o)) {
        ++relinked;
        break;
      }
  }
  return relinked;
}

// Marks everything reachable from `from` (links of every level: a search descends
// through the upper levels, then walks level 0).
void HnswGraph::mark_reachable(uint32_t from, std::vector<char>& seen) const {
  if (seen[from]) return;
  std::vector<uint32_t> stack{from};
  seen[from] = 1;
  while (!stack.empty()) {
    const uint32_t s = stack.back();
    stack.pop_back();
    if (state(s) == SlotState::Free) continue;
    for (int l = 0; l <= levels_[s]; ++l) {
      const uint32_t* ln = links(s, l);
      for (uint32_t j = 1; j <= ln[0]; ++j)
        if (!seen[ln[j]]) {
          seen[ln[j]] = 1;
          stack.push_back(ln[j]);
        }
    }
  }
}

size_t HnswGraph::reconnect_unreachable(HnswScratch& sc) {
  if (entry_ == kNoSlot) return 0;
  std::vector<char> seen(used_, 0);
  mark_reachable(entry_, seen);
  std::vector<float> q(p_.dim);
  size_t relinked = 0;
  for (size_t s = 0; s < used_; ++s) {
    if (seen[s] || state((uint32_t)s) != SlotState::Live) continue;
    // Link it from its nearest reachable live nodes, as an insert would have.
    prepare_query(vector((uint32_t)s), q.data());
    search(q.data(), p_.ef_construction, [&](uint32_t x) { return seen[x] && state(x) == SlotState::Live; }, sc);
    size_t linked = 0;
    for (const HnswNeighbor& f : sc.found) {
      if (linked >= 2) break;
      linked += force_link(f.slot, (uint32_t)s);
    }
    if (linked == 0) continue;
    ++relinked;
    mark_reachable((uint32_t)s, seen);  // and whatever only it led to
  }
  return relinked;
}

void HnswGraph::ensure_indegrees() {
  if (indeg_valid_) return;
  for (size_t s = 0; s < capacity_; ++s) indeg_[s].store(0, std::memory_order_relaxed);
  for (size_t s = 0; s < used_; ++s) {
    if (state((uint32_t)s) == SlotState::Free) continue;
    const uint32_t* ln = links((uint32_t)s, 0);
    for (uint32_t j = 1; j <= ln[0]; ++j) indeg_[ln[j]].fetch_add(1, std::memory_order_relaxed);
  }
  indeg_valid_ = true;
}

size_t HnswGraph::unreachable_live() const {
  if (entry_ == kNoSlot) return 0;
  std::vector<char> seen(used_, 0);
  mark_reachable(entry_, seen);
  size_t n = 0;
  for (size_t s = 0; s < used_; ++s) n += state((uint32_t)s) == SlotState::Live && !seen[s];
  return n;
}

template <int K>
void HnswGraph::search_live_at_level_t(uint32_t s, int level, HnswScratch& sc) const {
  sc.query.resize(p_.dim);
  prepare_query(vector(s), sc.query.data());
  const float* q = sc.query.data();
  uint32_t cur = entry_;
  float cur_key = key_t<K>(q, cur);
  greedy<K, false>(q, &cur, &cur_key, max_level_, level, sc);
  sc.entry.assign(1, HnswNeighbor{cur_key, cur});
  search_layer<K, false>(q, p_.ef_construction, level,
                         [this, s](uint32_t n) { return n != s && state(n) == SlotState::Live; }, sc);
}

void HnswGraph::search_live_at_level(uint32_t s, int level, HnswScratch& sc) const {
  switch (kind_) {
    case kL2: search_live_at_level_t<kL2>(s, level, sc); break;
    case kDot: search_live_at_level_t<kDot>(s, level, sc); break;
    default: search_live_at_level_t<kCos>(s, level, sc); break;
  }
}

std::vector<uint32_t> HnswGraph::repair_deleted(size_t threads) {
  struct Update {
    uint32_t slot;
    int level;
    std::vector<uint32_t> links;
  };
  constexpr size_t kChunk = 256;
  const size_t nchunks = (used_ + kChunk - 1) / kChunk;
  std::vector<std::vector<Update>> updates(nchunks);
  // Phase 1 (parallel, read-only): new link lists for live nodes that point at
  // deleted ones, chosen from their live links and the deleted nodes' live links, and
  // on the upper levels also from a search of that level. The upper levels are where a
  // query finds its region: chosen from the deleted nodes' links alone (and with the
  // strict heuristic), their lists lost the links between regions, and after large
  // replacements some queries found none of their neighbours at any ef
  // (bench/reports/scale/1000000x384-replace-repair).
  ThreadPool::global().parallel_for(nchunks, threads, [&](size_t c) {
    HnswScratch& sc = HnswScratch::local();
    std::vector<uint32_t> searched;
    const size_t end = std::min(used_, (c + 1) * kChunk);
    for (size_t s = c * kChunk; s < end; ++s) {
      if (state((uint32_t)s) != SlotState::Live) continue;
      for (int l = 0; l <= levels_[s]; ++l) {
        const uint32_t* ln = links((uint32_t)s, l);
        bool touches_deleted = false;
        for (uint32_t j = 1; j <= ln[0]; ++j) touches_deleted |= state(ln[j]) != SlotState::Live;
        if (!touches_deleted) continue;
        searched.clear();
        if (l >= 1) {
          search_live_at_level((uint32_t)s, l, sc);
          for (const HnswNeighbor& f : sc.found) searched.push_back(f.slot);
        }
        sc.visited.reset(used_);
        sc.visited.test_and_set((uint32_t)s);
        sc.prune.clear();
        auto consider = [&](uint32_t y) {
          if (state(y) == SlotState::Live && !sc.visited.test_and_set(y))
            sc.prune.push_back({pair_key((uint32_t)s, y), y});
        };
        for (uint32_t j = 1; j <= ln[0]; ++j) {
          const uint32_t x = ln[j];
          if (state(x) == SlotState::Live) {
            consider(x);
          } else if (state(x) == SlotState::Deleted) {
            const uint32_t* lx = links(x, l);
            for (uint32_t i = 1; i <= lx[0]; ++i) consider(lx[i]);
          }
        }
        for (uint32_t y : searched) consider(y);
        std::sort(sc.prune.begin(), sc.prune.end(), hnsw_far_first);
        select_neighbors(sc.prune, max_links(l), &sc.pruned, kInsertAlpha);
        // The heuristic keeps only "diverse" links, so re-selecting a node's list
        // on every repair would shrink its degree a little each time (one-at-a-time
        // churn lost recall that way): top the list up to its old length with the
        // nearest candidates left out.
        const size_t keep = std::min<size_t>(ln[0], sc.prune.size());
        if (sc.pruned.size() < keep) {
          for (const HnswNeighbor& c : sc.prune) {
            if (sc.pruned.size() >= keep) break;
            bool chosen = false;
            for (const HnswNeighbor& p : sc.pruned) chosen |= p.slot == c.slot;
            if (!chosen) sc.pruned.push_back(c);
          }
        }
        Update u{(uint32_t)s, l, {}};
        for (const HnswNeighbor& nb : sc.pruned) u.links.push_back(nb.slot);
        updates[c].push_back(std::move(u));
      }
    }
  });
  // Phase 2: apply, then unlink the deleted nodes (level-0 in-degrees follow).
  for (auto& chunk : updates)
    for (Update& u : chunk) {
      uint32_t* ln = links(u.slot, u.level);
      if (u.level == 0) {
        for (uint32_t j = 1; j <= ln[0]; ++j) indeg_[ln[j]].fetch_sub(1, std::memory_order_relaxed);
        for (uint32_t x : u.links) indeg_[x].fetch_add(1, std::memory_order_relaxed);
      }
      for (size_t i = 0; i < u.links.size(); ++i) ln[1 + i] = u.links[i];
      ln[0] = (uint32_t)u.links.size();
    }
  std::vector<uint32_t> freed;
  for (size_t s = 0; s < used_; ++s) {
    if (state((uint32_t)s) != SlotState::Deleted) continue;
    const uint32_t* l0 = links((uint32_t)s, 0);
    for (uint32_t j = 1; j <= l0[0]; ++j) indeg_[l0[j]].fetch_sub(1, std::memory_order_relaxed);
    links((uint32_t)s, 0)[0] = 0;
    if (upper_[s]) upper_bytes_ -= (size_t)levels_[s] * (p_.M + 1) * 4;
    upper_[s].reset();
    levels_[s] = 0;
    states_[s] = static_cast<uint8_t>(SlotState::Free);
    freed.push_back((uint32_t)s);
  }
  // Live nodes whose only inbound links came from deleted nodes (or were re-selected
  // away) would be unreachable: link each from its nearest live out-neighbour.
  for (size_t s = 0; s < used_; ++s)
    if (state((uint32_t)s) == SlotState::Live && indeg_[s].load(std::memory_order_relaxed) == 0) adopt_orphan((uint32_t)s);
  if (entry_ != kNoSlot && state(entry_) != SlotState::Live) {
    entry_ = kNoSlot;
    max_level_ = -1;
    for (size_t s = 0; s < used_; ++s)
      if (state((uint32_t)s) == SlotState::Live && (int)levels_[s] > max_level_) {
        entry_ = (uint32_t)s;
        max_level_ = levels_[s];
      }
  }
  return freed;
}

}  // namespace quiver
