#include "flat_index.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>

#include "../util/thread_pool.h"

namespace quiver {

namespace {
// Blocks scanned per pass: about 32 KiB of vectors (at least one block pair), so a
// pass stays in L1/L2 while every query tile of the task reuses it (the "GEMM
// blocking" of the batch path). Measured: 32 KiB beat 64 KiB..1 MiB by 5-10% at dim 128.
size_t blocks_per_pass(size_t dim) {
  const size_t bytes = kBlockLanes * dim * sizeof(float);
  return std::max<size_t>(kMaxTileBlocks, (32 * 1024) / bytes);
}

// Near-ties one query's window holds by key before it scores further candidates
// exactly during the scan (flat_candidates.h): bounds memory and cold gathers.
size_t window_cap(size_t k) { return 2 * k + 256; }

// The int8 first pass codes a pass of vectors once, then scores every query tile
// of the task against the codes: it pays when a task holds enough queries to
// amortise the coding (one read of the floats, about as costly as scoring a few
// queries), and below a few dozen dimensions the float tile is as fast.
constexpr size_t kMinI8Queries = 32;
constexpr size_t kMinI8Dim = 32;
// Above about a thousand dimensions the bound admits so many more candidates than
// the float keys that rescoring them ate the gain (0.8-1.06x at 1536).
constexpr size_t kMaxI8Dim = 1024;
// Blocks per int8 pass: about 32 KiB of codes, like the float pass.
size_t i8_blocks_per_pass(size_t dim) {
  const size_t bytes = kBlockLanes * ((dim + 3) / 4) * 4;
  return std::max<size_t>(kMaxTileBlocks, (32 * 1024) / bytes);
}

// A query coded for flat_i8_tile: step s = max |q_d| / 64, codes round(q_d / s)
// in [-64, 64] (4 * groups bytes, zeros past dim), their sum, and an upper bound
// on |q - s c| (rounded up from double).
struct QueryCode {
  float step = 0.0f, error = 0.0f;
  int32_t sum = 0;
};
QueryCode code_query(const float* q, size_t dim, int8_t* out, size_t groups) {
  QueryCode c;
  float maxabs = 0.0f;
  for (size_t d = 0; d < dim; ++d) maxabs = std::max(maxabs, std::fabs(q[d]));
  const bool coded = maxabs >= 1e-30f;
  c.step = coded ? maxabs / 64.0f : 0.0f;
  const float inv = coded ? 64.0f / maxabs : 0.0f;
  double err = 0.0;
  for (size_t d = 0; d < 4 * groups; ++d) {
    float code = 0.0f;
    if (d < dim) {
      code = std::min(64.0f, std::max(-64.0f, std::nearbyint(q[d] * inv)));
      const double e = (double)q[d] - (double)c.step * (double)code;
      err += e * e;
    }
    out[d] = (int8_t)code;
    c.sum += (int32_t)code;
  }
  c.error = std::nextafter((float)(std::sqrt(err) * (1.0 + 1e-9 * (double)(dim + 8)) + 1e-300), INFINITY);
  return c;
}
}  // namespace

FlatIndex::FlatIndex(size_t dim, Metric metric) : dim_(dim), metric_(metric) {}

FlatIndex::~FlatIndex() { std::free(blocks_); }

size_t FlatIndex::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return count_;
}

size_t FlatIndex::capacity() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return labels_.size();
}

size_t FlatIndex::memory_bytes() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  // unordered_map: a bucket pointer per bucket and one heap node per entry
  // (next pointer, key, value, cached hash in libstdc++: ~32 bytes).
  const size_t table = slot_of_.bucket_count() * sizeof(void*) + slot_of_.size() * 32;
  return sizeof(*this) + labels_.size() * dim_ * sizeof(float) +
         (bias_.capacity() + scale_.capacity() + norms_.capacity()) * sizeof(float) +
         labels_.capacity() * sizeof(uint64_t) + table;
}

namespace {
size_t round_to_block(size_t n) { return (n + kBlockLanes - 1) / kBlockLanes * kBlockLanes; }

template <class T>
std::vector<T> resized_copy(const std::vector<T>& v, size_t keep, size_t n) {
  std::vector<T> out;
  out.reserve(n);  // exactly n: resize() alone may round the allocation up to 2x
  out.assign(v.begin(), v.begin() + std::min(keep, v.size()));
  out.resize(n, T(0));
  return out;
}
}  // namespace

void FlatIndex::resize_storage(size_t slots) {
  slots = round_to_block(std::max(slots, count_));
  if (slots == labels_.size()) return;
  // Build every new array before replacing any: a bad_alloc changes nothing
  // (realloc last: when it fails the old block array is still intact).
  std::vector<float> bias = resized_copy(bias_, count_, slots);
  std::vector<float> scale = resized_copy(scale_, count_, slots);
  std::vector<float> norms = resized_copy(norms_, count_, slots);
  std::vector<uint64_t> labels = resized_copy(labels_, count_, slots);
  void* grown = std::realloc(blocks_, slots * dim_ * sizeof(float));
  if (!grown) throw std::bad_alloc();
  blocks_ = static_cast<float*>(grown);
  bias_.swap(bias);
  scale_.swap(scale);
  norms_.swap(norms);
  labels_.swap(labels);
}

void FlatIndex::ensure_capacity(size_t slots) {
  const size_t cap = labels_.size();
  if (slots <= cap) return;
  if (slots >= (size_t)UINT32_MAX) throw std::length_error("flat index is full (2^32 - 1 vectors)");
  // A batch of at least 1/16 of what is stored gets exactly the room it needs, so
  // a bulk load (or an add of n to an empty index) allocates exactly n; smaller
  // adds grow by x1.25 so one-at-a-time adds do not reallocate every call. The
  // growth copy peaks at old + new storage (at most 2.25x the vectors).
  const size_t fresh = slots - count_;
  const size_t want = fresh * 16 >= count_ ? slots : std::max(slots, cap + cap / 4);
  resize_storage(want);
}

void FlatIndex::reserve(size_t n) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (n <= labels_.size()) return;
  if (n >= (size_t)UINT32_MAX) throw std::length_error("flat index is full (2^32 - 1 vectors)");
  resize_storage(n);
  slot_of_.reserve(n);
}

void FlatIndex::write_slot(size_t slot, const float* v) {
  float* b = block_ptr(slot);
  const size_t lane = slot % kBlockLanes;
  for (size_t d = 0; d < dim_; ++d) b[d * kBlockLanes + lane] = v[d];
  const KernelTable& kt = kernels();
  const float norm = vector_norm(kt, v, dim_);
  norms_[slot] = norm;
  max_norm_ = std::max(max_norm_, norm);
  flat_key_terms(metric_, metric_rules(metric_).l2_keys ? kt.dot(v, v, dim_) : 0.0f, norm, &bias_[slot], &scale_[slot]);
}

void FlatIndex::read_slot(size_t slot, float* out) const {
  const float* b = block_ptr(slot);
  const size_t lane = slot % kBlockLanes;
  for (size_t d = 0; d < dim_; ++d) out[d] = b[d * kBlockLanes + lane];
}

void FlatIndex::clear_slot(size_t slot) {
  float* b = block_ptr(slot);
  const size_t lane = slot % kBlockLanes;
  for (size_t d = 0; d < dim_; ++d) b[d * kBlockLanes + lane] = 0.0f;
  bias_[slot] = scale_[slot] = norms_[slot] = 0.0f;
  labels_[slot] = 0;
}

void FlatIndex::add(const uint64_t* labels, const float* vectors, size_t n) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  // Reserve first (may throw bad_alloc) so that a failure changes nothing.
  // Room for the labels not stored yet (replacements reuse their slot; a label
  // repeated within the batch is counted twice, a small over-estimate).
  size_t fresh = 0;
  for (size_t i = 0; i < n; ++i) fresh += slot_of_.count(labels[i]) == 0;
  ensure_capacity(count_ + fresh);
  slot_of_.reserve(count_ + fresh);
  for (size_t i = 0; i < n; ++i) {
    auto it = slot_of_.find(labels[i]);
    size_t slot;
    if (it != slot_of_.end()) {
      slot = it->second;
    } else {
      slot = count_++;
      // First slot of a block: zero the block (realloc'ed memory is not), so the
      // lanes past the last vector hold zeros for the kernels.
      if (slot % kBlockLanes == 0) std::memset(block_ptr(slot), 0, kBlockLanes * dim_ * sizeof(float));
      slot_of_.emplace(labels[i], (uint32_t)slot);
      labels_[slot] = labels[i];
    }
    write_slot(slot, vectors + i * dim_);
  }
}

size_t FlatIndex::remove(const uint64_t* labels, size_t n) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  std::vector<float> tmp(dim_);
  size_t removed = 0;
  for (size_t i = 0; i < n; ++i) {
    auto it = slot_of_.find(labels[i]);
    if (it == slot_of_.end()) continue;
    const size_t slot = it->second, last = count_ - 1;
    slot_of_.erase(it);
    // Keep storage dense: the last vector moves into the freed slot.
    if (slot != last) {
      read_slot(last, tmp.data());
      write_slot(slot, tmp.data());
      labels_[slot] = labels_[last];
      slot_of_[labels_[slot]] = (uint32_t)slot;
    }
    clear_slot(last);
    --count_;
    ++removed;
  }
  // Give storage back once less than half of it is used (to 1.25x what is left,
  // so adds after a shrink do not reallocate at once). Best effort: the removal
  // has happened, a failed shrink only keeps the larger arrays.
  const size_t cap = labels_.size();
  if (removed > 0 && count_ * 2 < cap && cap > 4 * kBlockLanes) {
    try {
      resize_storage(std::max<size_t>(count_ + count_ / 4, kBlockLanes));
      if (slot_of_.bucket_count() > 2 * slot_of_.size() + 16) slot_of_.rehash(0);
    } catch (const std::bad_alloc&) {
    }
  }
  return removed;
}

bool FlatIndex::has(uint64_t label) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return slot_of_.count(label) != 0;
}

bool FlatIndex::get(uint64_t label, float* out) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = slot_of_.find(label);
  if (it == slot_of_.end()) return false;
  read_slot(it->second, out);
  return true;
}

size_t FlatIndex::get_many(const uint64_t* labels, size_t n, float* out) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<uint32_t> slots(n);
  for (size_t i = 0; i < n; ++i) {
    auto it = slot_of_.find(labels[i]);
    if (it == slot_of_.end()) return i;
    slots[i] = it->second;
  }
  for (size_t i = 0; i < n; ++i) read_slot(slots[i], out + i * dim_);
  return n;
}

std::vector<uint64_t> FlatIndex::labels() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return std::vector<uint64_t>(labels_.begin(), labels_.begin() + count_);
}

void FlatIndex::snapshot(std::vector<uint64_t>* labels, std::vector<float>* vectors) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  labels->assign(labels_.begin(), labels_.begin() + count_);
  vectors->resize(count_ * dim_);
  for (size_t s = 0; s < count_; ++s) read_slot(s, vectors->data() + s * dim_);
}

float FlatIndex::exact_for_slot(const float* q, float qnorm, size_t slot, float* scratch) const {
  // Cosine with a zero vector is distance 1 (exact_distance): no need to gather it.
  if (metric_rules(metric_).by_direction && (qnorm == 0.0f || norms_[slot] == 0.0f)) return 1.0f;
  read_slot(slot, scratch);
  return exact_distance(kernels(), metric_, q, qnorm, scratch, norms_[slot], dim_);
}

void FlatIndex::scan_blocks(const float* qs, const float* qnorms, size_t nq, size_t block_begin, size_t block_end,
                            CandidateWindow* heaps, const LabelFilter* filter) const {
  std::vector<float> scratch(dim_);
  const KernelTable& kt = kernels();
  const size_t per_pass = blocks_per_pass(dim_);
  const size_t block_floats = kBlockLanes * dim_;
  float keys[kMaxQueryTile * kTileLanes];
  float thresholds[kMaxQueryTile];
  uint32_t masks[kMaxQueryTile];
  const size_t qtile = kt.flat_query_tile ? std::min(kt.flat_query_tile, kMaxQueryTile) : kMaxQueryTile;
  for (size_t pass = block_begin; pass < block_end; pass += per_pass) {
    const size_t pass_end = std::min(block_end, pass + per_pass);
    for (size_t q0 = 0; q0 < nq; q0 += qtile) {
      const size_t tile = std::min(qtile, nq - q0);
      for (size_t i = 0; i < tile; ++i) thresholds[i] = heaps[q0 + i].threshold();
      for (size_t b = pass; b < pass_end; b += kMaxTileBlocks) {
        const size_t nb = std::min(kMaxTileBlocks, pass_end - b);
        const size_t base = b * kBlockLanes;
        kt.block_score_tile(qs + q0 * dim_, tile, blocks_ + b * block_floats, nb, bias_.data() + base,
                            scale_.data() + base, dim_, thresholds, keys, masks);
        // Lanes past the last vector hold zeros: never candidates.
        const size_t lanes = std::min(nb * kBlockLanes, count_ - base);
        const uint32_t valid = lanes >= 32 ? 0xffffffffu : ((1u << lanes) - 1u);
        for (size_t i = 0; i < tile; ++i) {
          uint32_t m = masks[i] & valid;
          if (!m) continue;
          CandidateWindow& h = heaps[q0 + i];
          while (m) {
            const unsigned lane = (unsigned)__builtin_ctz(m);
            m &= m - 1;
            const size_t slot = base + lane;
            if (filter && !filter->allows(labels_[slot])) continue;
            if (h.exact_mode()) {
              // Thousands of near-ties: score this one now, while its block is in cache.
              const size_t qi = q0 + i;
              h.push_exact({exact_for_slot(qs + qi * dim_, qnorms[qi], slot, scratch.data()), labels_[slot],
                            (uint32_t)slot});
            } else {
              h.push({keys[i * kTileLanes + lane], labels_[slot], (uint32_t)slot});
            }
          }
          thresholds[i] = h.threshold();
        }
      }
    }
  }
}

// Each key here is a lower bound on the slot's key (bias + scale * x.q, exact):
// with x = s c + e (coded above) and q = t c' + e', x.q = s t (c.c') + e.q + s c.e',
// so |x.q - s t (c.c')| <= |e| |q| + |s c| |e'|, and |s c| <= |x| + |e|. The bound
// R per slot (times |scale|, plus float rounding of every step at 8 units in the
// last place) is subtracted from the estimated key; hi = lo + 2R brackets the key
// from above. Then the k-th smallest hi seen is at most the k-th smallest lo seen
// + 2 max R, so a window margin of key_margin + 2 max R (raised pass by pass, as
// max R only grows) keeps every slot that can be in the exact top k.
void FlatIndex::scan_blocks_i8(const float* qs, const float* qnorms, size_t nq, size_t block_begin,
                               size_t block_end, CandidateWindow* heaps, const LabelFilter* filter) const {
  const KernelTable& kt = kernels();
  const size_t groups = (dim_ + 3) / 4, per_pass = i8_blocks_per_pass(dim_);
  const size_t block_floats = kBlockLanes * dim_, block_codes = groups * 64;
  const size_t qtile = kt.flat_query_tile ? std::min(kt.flat_query_tile, kMaxQueryTile) : kMaxQueryTile;
  const double u = std::ldexp(1.0, -24);
  const double gamma = ((double)dim_ + 8) * u / (1 - ((double)dim_ + 8) * u);
  const float grow = (float)(1 + 4 * gamma), eps = (float)(8 * u);
  std::vector<int8_t> qcodes(nq * groups * 4);
  std::vector<FlatI8Query> qt(nq);
  std::vector<float> base_margin(nq);
  // Per query, a max-heap of the k smallest upper bounds seen (k = the window's);
  // skipped for a huge k, where the margin alone bounds the window.
  const size_t high_k = nq && heaps[0].k() <= 4096 ? heaps[0].k() : 0;
  std::vector<float> highs(nq * high_k);
  std::vector<size_t> high_count(nq, 0);
  for (size_t i = 0; i < nq; ++i) {
    const QueryCode c = code_query(qs + i * dim_, dim_, qcodes.data() + i * groups * 4, groups);
    qt[i] = {c.step, qnorms[i] * grow, c.error, 128 * c.sum};
    base_margin[i] = heaps[i].margin();
  }
  std::vector<uint8_t> codes(per_pass * block_codes);
  std::vector<float> steps(per_pass * kBlockLanes), errors(per_pass * kBlockLanes);
  // Per lane of the pass (kernels.h, FlatI8Lanes): estimated key = bias + ks * (t * dot),
  // minus R = ra |q| + rb |e'| + rc.
  const size_t lane_room = per_pass * kBlockLanes;
  std::vector<float> bi(lane_room), ks(lane_room), ra(lane_room), rb(lane_room), rc(lane_room);
  std::vector<float> scratch(dim_);
  float keys[kMaxQueryTile * kTileLanes], thresholds[kMaxQueryTile];
  uint32_t masks[kMaxQueryTile];
  for (size_t pass = block_begin; pass < block_end; pass += per_pass) {
    const size_t pass_end = std::min(block_end, pass + per_pass), nbp = pass_end - pass;
    kt.flat_quantize_i8(blocks_ + pass * block_floats, nbp, dim_, codes.data(), steps.data(), errors.data());
    float amax = 0.0f, bmax = 0.0f, cmax = 0.0f;
    const size_t base = pass * kBlockLanes, lanes = std::min(nbp * kBlockLanes, count_ - base);
    for (size_t l = 0; l < lanes; ++l) {
      const size_t s = base + l;
      const float sc = std::fabs(scale_[s]), hat = norms_[s] * grow + errors[l];
      bi[l] = bias_[s];
      ks[l] = scale_[s] * steps[l];
      ra[l] = sc * (errors[l] + eps * hat) * grow;
      rb[l] = sc * hat * (1 + eps) * grow;
      rc[l] = eps * std::fabs(bias_[s]) * grow;
      amax = std::max(amax, ra[l]);
      bmax = std::max(bmax, rb[l]);
      cmax = std::max(cmax, rc[l]);
    }
    for (size_t i = 0; i < nq; ++i)
      heaps[i].raise_margin((base_margin[i] + 2 * (amax * qt[i].norm + bmax * qt[i].error + cmax)) * grow);
    for (size_t q0 = 0; q0 < nq; q0 += qtile) {
      const size_t tile = std::min(qtile, nq - q0);
      for (size_t i = 0; i < tile; ++i) thresholds[i] = heaps[q0 + i].threshold();
      for (size_t b = 0; b < nbp; b += kMaxTileBlocks) {
        const size_t nb = std::min(kMaxTileBlocks, nbp - b), first = b * kBlockLanes;
        if (first >= lanes) break;
        const FlatI8Lanes terms{bi.data() + first, ks.data() + first, ra.data() + first, rb.data() + first,
                                rc.data() + first};
        kt.flat_i8_tile(qcodes.data() + q0 * groups * 4, tile, codes.data() + b * block_codes, nb, groups, &terms,
                        qt.data() + q0, thresholds, keys, masks);
        const size_t n = std::min(nb * kBlockLanes, lanes - first);
        const uint32_t valid = n >= 32 ? 0xffffffffu : ((1u << n) - 1u);
        for (size_t i = 0; i < tile; ++i) {
          uint32_t m = masks[i] & valid;
          if (!m) continue;
          const size_t qi = q0 + i;
          CandidateWindow& h = heaps[qi];
          while (m) {
            const unsigned lane = (unsigned)__builtin_ctz(m);
            m &= m - 1;
            const float lo = keys[i * kTileLanes + lane];
            if (!(lo <= h.threshold())) continue;
            const size_t slot = base + first + lane;
            if (filter && !filter->allows(labels_[slot])) continue;
            if (h.exact_mode()) {
              h.push_exact({exact_for_slot(qs + qi * dim_, qnorms[qi], slot, scratch.data()), labels_[slot],
                            (uint32_t)slot});
            } else {
              h.push({lo, labels_[slot], (uint32_t)slot});
            }
            // The upper bound of this key: the k-th smallest one seen (plus the
            // exact distances' margin) bounds the window per slot, tighter than
            // the k-th lower bound + 2 max R.
            if (high_k == 0) continue;
            const size_t l = first + lane;
            const float hi = lo + 2 * (ra[l] * qt[qi].norm + rb[l] * qt[qi].error + rc[l]);
            float* heap = highs.data() + qi * high_k;
            size_t& size = high_count[qi];
            if (size < high_k) {
              heap[size++] = hi;
              std::push_heap(heap, heap + size);
            } else if (hi < heap[0]) {
              std::pop_heap(heap, heap + size);
              heap[size - 1] = hi;
              std::push_heap(heap, heap + size);
            }
            if (size == high_k)
              h.tighten(std::nextafter(heap[0] + base_margin[qi], std::numeric_limits<float>::infinity()));
          }
          thresholds[i] = h.threshold();
        }
      }
    }
  }
}

void FlatIndex::rescore_in_slot_order(const float* queries, const float* qnorms, size_t q0,
                                      std::vector<std::vector<Candidate>>& cands) const {
  // Reading one vector out of a transposed block touches one cache line per
  // dimension, i.e. the whole block: candidates of every query of the group are
  // scored in slot order, so each block comes from memory once, not once per
  // candidate (at 1536 dimensions that is 96 KiB per candidate otherwise).
  struct Ref {
    uint32_t slot, query, index;
  };
  std::vector<Ref> refs;
  for (size_t i = 0; i < cands.size(); ++i)
    for (size_t j = 0; j < cands[i].size(); ++j) refs.push_back({cands[i][j].slot, (uint32_t)i, (uint32_t)j});
  std::sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) { return a.slot < b.slot; });
  std::vector<float> scratch(dim_);
  for (const Ref& r : refs) {
    const size_t qi = q0 + r.query;
    cands[r.query][r.index].key = exact_for_slot(queries + qi * dim_, qnorms[qi], r.slot, scratch.data());
  }
}

size_t FlatIndex::exact_all(const float* q, float qnorm, size_t k, const LabelFilter* filter, uint64_t* labels,
                            float* distances) const {
  std::vector<float> scratch(dim_);
  std::vector<Candidate> all;
  for (size_t s = 0; s < count_; ++s) {
    if (filter && !filter->allows(labels_[s])) continue;
    float d = exact_for_slot(q, qnorm, s, scratch.data());
    if (std::isnan(d)) d = std::numeric_limits<float>::infinity();
    all.push_back({d, labels_[s], (uint32_t)s});
  }
  const size_t keep = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + keep, all.end(), better);
  for (size_t j = 0; j < keep; ++j) {
    labels[j] = all[j].label;
    distances[j] = all[j].key;
  }
  return keep;
}

SearchResult FlatIndex::search_slots(const float* queries, size_t nq, size_t k, size_t threads,
                                    const std::vector<uint32_t>& slots) const {
  SearchResult res;
  res.k = std::min(k, slots.size());
  if (nq == 0 || res.k == 0) return res;
  res.labels.resize(nq * res.k);
  res.distances.resize(nq * res.k);
  ThreadPool::global().parallel_for(nq, threads, [&](size_t qi) {
    const KernelTable& kt = kernels();
    const float* q = queries + qi * dim_;
    const float qnorm = metric_rules(metric_).by_direction ? vector_norm(kt, q, dim_) : 0.0f;
    std::vector<float> scratch(dim_);
    std::vector<Candidate> all(slots.size());
    for (size_t i = 0; i < slots.size(); ++i)
      all[i] = {exact_for_slot(q, qnorm, slots[i], scratch.data()), labels_[slots[i]], slots[i]};
    std::partial_sort(all.begin(), all.begin() + res.k, all.end(), better);
    for (size_t j = 0; j < res.k; ++j) {
      res.labels[qi * res.k + j] = all[j].label;
      res.distances[qi * res.k + j] = all[j].key;
    }
  });
  return res;
}

SearchResult FlatIndex::search(const float* queries, size_t nq, size_t k, size_t threads,
                               const LabelFilter* filter) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  size_t matching = count_;
  if (filter) {
    std::vector<uint32_t> slots;
    filter->for_each([&](uint64_t label) {
      auto it = slot_of_.find(label);
      if (it != slot_of_.end()) slots.push_back(it->second);
    });
    // Few allowed vectors: computing just their distances beats scanning everything.
    if (slots.size() * 8 < count_) return search_slots(queries, nq, k, threads, slots);
    matching = slots.size();
  }
  SearchResult res;
  res.k = std::min(k, matching);
  if (nq == 0 || res.k == 0) return res;
  res.labels.resize(nq * res.k);
  res.distances.resize(nq * res.k);

  const size_t nblocks = (count_ + kBlockLanes - 1) / kBlockLanes;
  ThreadPool& pool = ThreadPool::global();
  if (threads == 0 || threads > pool.concurrency()) threads = pool.concurrency();

  const KernelTable& kt = kernels();
  const bool use_i8 = kt.flat_i8_tile && kt.flat_quantize_i8 && dim_ >= kMinI8Dim &&
                      dim_ <= kMaxI8Dim && nq >= kMinI8Queries;
  // Work is split by query groups, a few per thread so that a slow thread does not
  // hold up the rest (fewer with the int8 pass: each group codes every vector);
  // when there are fewer groups than threads, the vectors are split too and the
  // partial windows merged afterwards.
  const size_t per_thread = use_i8 ? (threads == 1 ? 1 : 2) : 4;
  const size_t group = std::max<size_t>(use_i8 ? kMinI8Queries : kMaxQueryTile,
                                        (nq + threads * per_thread - 1) / (threads * per_thread));
  const size_t ngroups = (nq + group - 1) / group;
  size_t parts = 1;
  if (ngroups < threads && count_ >= 16384) parts = std::min(nblocks, (threads + ngroups - 1) / ngroups);
  std::vector<CandidateWindow> windows(nq * parts);
  std::vector<float> qnorms(nq), margins(nq);
  for (size_t qi = 0; qi < nq; ++qi) {
    qnorms[qi] = vector_norm(kt, queries + qi * dim_, dim_);
    margins[qi] = key_margin(qnorms[qi]);
    // A query whose norm underflows to 0 is at distance 1 from everything under
    // cosine (exact_distance), but its keys (-q.x/|x|) still differ: every slot
    // is then a candidate, and ties go by label.
    if (metric_rules(metric_).by_direction && qnorms[qi] == 0.0f) margins[qi] = std::numeric_limits<float>::infinity();
  }

  pool.parallel_for(ngroups * parts, threads, [&](size_t task) {
    const size_t g = task / parts, p = task % parts;
    const size_t q0 = g * group, q1 = std::min(nq, q0 + group);
    const size_t b0 = nblocks * p / parts, b1 = nblocks * (p + 1) / parts;
    CandidateWindow* w = windows.data() + p * nq + q0;
    for (size_t i = 0; i < q1 - q0; ++i) w[i].reset(res.k, margins[q0 + i], window_cap(res.k));
    if (use_i8 && q1 - q0 >= kMinI8Queries)
      scan_blocks_i8(queries + q0 * dim_, qnorms.data() + q0, q1 - q0, b0, b1, w, filter);
    else
      scan_blocks(queries + q0 * dim_, qnorms.data() + q0, q1 - q0, b0, b1, w, filter);
  });

  // Stage two: exact distances for the candidates, then (distance, label) order.
  pool.parallel_for(ngroups, threads, [&](size_t g) {
    const size_t q0 = g * group, q1 = std::min(nq, q0 + group);
    std::vector<std::vector<Candidate>> cands(q1 - q0), scored(q1 - q0);
    for (size_t qi = q0; qi < q1; ++qi) {
      std::vector<Candidate>& all = cands[qi - q0];
      bool exact_mode = false;
      float margin = margins[qi];  // the int8 pass may have widened it
      for (size_t p = 0; p < parts; ++p) {
        CandidateWindow& w = windows[p * nq + qi];
        w.prune();
        exact_mode |= w.exact_mode();
        margin = std::max(margin, w.margin());
        all.insert(all.end(), w.items().begin(), w.items().end());
        scored[qi - q0].insert(scored[qi - q0].end(), w.exact_items().begin(), w.exact_items().end());
        std::vector<Candidate>().swap(w.items());
      }
      if (parts > 1 && !exact_mode) {
        // Each part's window was bounded by its own k-th key; apply the overall one.
        CandidateWindow merged;
        merged.reset(res.k, margin, std::numeric_limits<size_t>::max());
        merged.items().swap(all);
        merged.prune();
        all.swap(merged.items());
      }
    }
    rescore_in_slot_order(queries, qnorms.data(), q0, cands);
    for (size_t qi = q0; qi < q1; ++qi) {
      std::vector<Candidate>& all = cands[qi - q0];
      all.insert(all.end(), scored[qi - q0].begin(), scored[qi - q0].end());
      const size_t keep = std::min(res.k, all.size());
      if (keep < res.k) {
        // Stage one let fewer than k candidates through (only possible if a key
        // were NaN): never leave rows unfilled, score every matching slot instead.
        exact_all(queries + qi * dim_, qnorms[qi], res.k, filter, res.labels.data() + qi * res.k,
                  res.distances.data() + qi * res.k);
        continue;
      }
      std::partial_sort(all.begin(), all.begin() + keep, all.end(), better);
      for (size_t j = 0; j < keep; ++j) {
        res.labels[qi * res.k + j] = all[j].label;
        res.distances[qi * res.k + j] = all[j].key;
      }
    }
  });
  return res;
}

float FlatIndex::key_margin(float qnorm) const {
  // Rounding of a dot product of length dim, in any summation order, is at most
  // gamma * sum |q_i x_i| <= gamma * |q| |x|, gamma = n u / (1 - n u); n counts a
  // few more operations (norms, scale, the final subtraction, sqrt or division).
  // The key and the exact distance each carry such an error; with S the scale of
  // the quantities involved (in key units) both stay below (gamma + 4u) S, and
  // the window needs twice their sum. The extra factor 2 is headroom.
  const double u = std::ldexp(1.0, -24);
  const double n = (double)dim_ + 8;
  if (n * u >= 0.5) return std::numeric_limits<float>::infinity();
  const double gamma = n * u / (1 - n * u);
  const double q = qnorm, m = max_norm_;
  double scale = 0;
  switch (metric_) {
    case Metric::Euclidean: scale = (q + m) * (q + m); break;  // |x|^2, 2 q.x and |q - x|^2 are all below it
    case Metric::InnerProduct: scale = q * m + 1; break;         // distance 1 - q.x, key -q.x
    case Metric::Cosine: scale = q; break;                       // key -q.x/|x| = |q| (distance - 1)
  }
  const double margin = 8 * (gamma + 4 * u) * scale;
  return margin < 3e38 ? (float)margin : std::numeric_limits<float>::infinity();
}

}  // namespace quiver
