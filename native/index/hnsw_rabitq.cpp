// The rabitq traversal mode of HnswGraph (Quantization::Bits1): 1-bit codes in
// the manner of RaBitQ (Gao & Long, SIGMOD 2024), scored against a 4-bit query.
//
// A stored vector x (normalised first for cosine) is centred, o = x - c, and
// rotated by a seeded random orthogonal P into bits_dim() = dim rounded up to 64
// components (zero-padded). Its code keeps only the signs b_i = [(Po)_i > 0], the
// vector o_bar = (2b - 1) / sqrt(D) on the unit sphere nearest Po's direction.
// For a query q' (q - c for L2 and cosine, q itself for ip) and y = Pq', RaBitQ's
// estimator of <o, q'> is |o| <o_bar, y> / <o_bar, Po/|o|>, which here is
//   <o, q'> ~ |o|^2 / L1 * (2 sum_i b_i y_i - sum_i y_i),   L1 = sum_i |(Po)_i|.
// The query is coded to 4 bits per component, y_i ~ low + delta * k_i, so
// sum b_i y_i ~ delta * S + low * popcount(b) with S = sum b_i k_i, an integer the
// kernels get from popcounts of the code ANDed with the query's 4 bit planes.
// Keys: squared L2 |o|^2 + |q'|^2 - 2<o, q'> for L2 and cosine (unit vectors:
// L2 orders like cosine), -<o, q> - <c, q> for ip; per vector the code stores
// f_add = |o|^2 (0 for ip), f_rescale = -2 |o|^2 / L1 (-|o|^2 / L1 for ip) and
// popcount(b). The estimates only steer the graph walk: the final candidates are
// re-ranked on the float32 vectors, and the graph itself is built on float32.
//
// P is 4 rounds of (random signs, a normalised Walsh-Hadamard transform of a
// power-of-two block), the block alternately at the front and at the back of the
// D components: O(D log D) per vector, orthogonal for any D that is a multiple of 64.
// The transform is a kernel (KernelTable::fwht) with the same bits at every level.
#include <algorithm>
#include <limits>
#include <cmath>
#include <cstring>

#include "hnsw_graph.h"

namespace quiver {
namespace {

constexpr int kRotationRounds = 4;
// The centroid stops being refitted once it is the mean of this many vectors: by
// then it is well estimated, and a refit re-codes every stored vector under the
// index's exclusive lock (a pause for searches that would grow with the index).
constexpr uint64_t kRefitLimit = 1 << 16;

uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Bit j of each of the 8 bytes of x, gathered into one byte (byte i -> bit i): the
// masked bits sit 8 apart, and the multiply moves bit 8i to bit 56 + i without any two
// partial products meeting, so no carries. x holds 8 consecutive bytes loaded little-endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "gather_bit reads bytes little-endian");
inline uint64_t gather_bit(uint64_t x, int j) {
  return (((x >> j) & 0x0101010101010101ULL) * 0x0102040810204080ULL) >> 56;
}

}  // namespace

void HnswGraph::init_rabitq(uint64_t seed) {
  const size_t D = bits_dim();
  fht_len_ = 64;  // D is a multiple of 64
  while (fht_len_ * 2 <= D) fht_len_ *= 2;
  rot_signs_.resize(kRotationRounds * D);
  uint64_t s = seed;
  for (size_t i = 0; i < rot_signs_.size(); i += 64) {
    const uint64_t r = splitmix64(s);
    for (size_t b = 0; b < 64 && i + b < rot_signs_.size(); ++b) rot_signs_[i + b] = (r >> b) & 1 ? -1.0f : 1.0f;
  }
  rabitq_.seed = seed;
  rabitq_.fitted = 0;
  rabitq_.centroid.assign(p_.dim, 0.0f);
  rabitq_sum_.assign(p_.dim, 0.0);
  rabitq_seen_ = 0;
}

void HnswGraph::set_rabitq(const HnswRabitq& r) {
  init_rabitq(r.seed);
  rabitq_.fitted = r.fitted;
  rabitq_.centroid = r.centroid;
  // The mean so far stands for the vectors it was fitted to; later adds join it.
  for (size_t d = 0; d < p_.dim; ++d) rabitq_sum_[d] = (double)r.centroid[d] * (double)r.fitted;
  rabitq_seen_ = r.fitted;
}

void HnswGraph::rotate(const float* in, float* out) const {
  const size_t D = bits_dim(), h = fht_len_;
  std::memcpy(out, in, 4 * p_.dim);
  std::fill(out + p_.dim, out + D, 0.0f);
  const float norm = 1.0f / std::sqrt((float)h);
  for (int r = 0; r < kRotationRounds; ++r) {
    const float* sg = rot_signs_.data() + (size_t)r * D;
    for (size_t i = 0; i < D; ++i) out[i] *= sg[i];
    float* blk = out + (r % 2 == 0 ? 0 : D - h);
    fwht_(blk, h);
    for (size_t i = 0; i < h; ++i) blk[i] *= norm;
  }
}

void HnswGraph::fit_rabitq(const float* vectors, size_t n) {
  const size_t dim = p_.dim;
  for (size_t i = 0; i < n; ++i) {
    const float* v = vectors + i * dim;
    double scale = 1.0;
    if (rules().by_direction) {
      const float nn = std::sqrt(std::max(0.0f, dot_(v, v, dim)));
      scale = nn > 0.0f ? 1.0 / nn : 0.0;
    }
    for (size_t d = 0; d < dim; ++d) rabitq_sum_[d] += (double)v[d] * scale;
  }
  rabitq_seen_ += n;
  if (rabitq_.fitted != 0 && (rabitq_seen_ < 2 * rabitq_.fitted || rabitq_.fitted >= kRefitLimit)) return;
  for (size_t d = 0; d < dim; ++d) rabitq_.centroid[d] = (float)(rabitq_sum_[d] / (double)rabitq_seen_);
  rabitq_.fitted = rabitq_seen_;
  for (size_t s = 0; s < used_; ++s)
    if (state((uint32_t)s) != SlotState::Free) encode_bits((uint32_t)s);
}

void HnswGraph::encode_bits(uint32_t s) {
  const size_t dim = p_.dim, D = bits_dim();
  std::vector<float> o(dim), y(D);
  const float* v = vector(s);
  const float scale = rules().by_direction ? inv_norm(s) : 1.0f;
  double n2 = 0.0;
  for (size_t d = 0; d < dim; ++d) {
    o[d] = v[d] * scale - rabitq_.centroid[d];
    n2 += (double)o[d] * o[d];
  }
  rotate(o.data(), y.data());
  char* code = block(s) + code_offset_;
  double l1 = 0.0;
  uint64_t pc = 0;
  for (size_t w = 0; w < words_; ++w) {
    uint64_t bits = 0;
    for (size_t b = 0; b < 64; ++b) {
      const float yi = y[64 * w + b];
      l1 += std::fabs((double)yi);
      bits |= (uint64_t)(yi > 0.0f) << b;
    }
    pc += (uint64_t)__builtin_popcountll(bits);
    std::memcpy(code + 8 * w, &bits, 8);
  }
  const double k = rules().raw_dot ? 1.0 : 2.0;
  const float f[3] = {rules().raw_dot ? 0.0f : (float)n2, l1 > 0.0 ? (float)(-k * n2 / l1) : 0.0f, (float)pc};
  std::memcpy(code + 8 * words_, f, sizeof f);
}

void HnswGraph::encode_bits_query(const float* q, HnswScratch& sc) const {
  const size_t dim = p_.dim, D = bits_dim();
  sc.rotated.resize(dim + D);
  float* qp = sc.rotated.data();
  float* y = qp + dim;
  // Per-query work, so written for the compiler to vectorise: independent lanes rather
  // than one long dependency chain of double additions.
  double add = 0.0;
  const float* centred = q;  // ip codes the query itself
  if (rules().raw_dot) {
    add = -(double)dot_(rabitq_.centroid.data(), q, dim);
  } else {
    for (size_t d = 0; d < dim; ++d) qp[d] = q[d] - rabitq_.centroid[d];
    add = (double)dot_(qp, qp, dim);
    centred = qp;
  }
  rotate(centred, y);
  // D is a multiple of 64: eight lanes of min, max and sum.
  float lo8[8], hi8[8];
  double sum8[8];
  for (size_t l = 0; l < 8; ++l) lo8[l] = hi8[l] = y[l], sum8[l] = 0.0;
  for (size_t i = 0; i < D; i += 8)
    for (size_t l = 0; l < 8; ++l) {
      lo8[l] = std::min(lo8[l], y[i + l]);
      hi8[l] = std::max(hi8[l], y[i + l]);
      sum8[l] += y[i + l];
    }
  float lo = lo8[0], hi = hi8[0];
  double sum = 0.0;
  for (size_t l = 0; l < 8; ++l) lo = std::min(lo, lo8[l]), hi = std::max(hi, hi8[l]), sum += sum8[l];
  const float delta = (hi - lo) / 15.0f;
  // A subnormal delta would make 1/delta infinite and 0 * inf a NaN code; such a query is
  // coded as all zeros (its keys then rank by the stored codes alone; the re-rank is exact).
  const float inv = delta >= std::numeric_limits<float>::min() ? 1.0f / delta : 0.0f;
  // Nearest code per component (y - lo >= 0, so + 0.5 and truncation round it), clamped
  // in float first so no value (rounding past 15, NaN) reaches the int conversion.
  sc.query_nibbles.resize(D);
  uint8_t* k = sc.query_nibbles.data();
  for (size_t i = 0; i < D; ++i) k[i] = (uint8_t)(int)std::min(15.0f, std::max(0.0f, (y[i] - lo) * inv + 0.5f));
  // Bit planes, 8 components per step.
  sc.query_bits.resize(4 * words_);
  uint64_t* planes = sc.query_bits.data();
  for (size_t w = 0; w < words_; ++w) {
    uint64_t p0 = 0, p1 = 0, p2 = 0, p3 = 0;
    for (size_t g = 0; g < 8; ++g) {
      uint64_t x;
      std::memcpy(&x, k + 64 * w + 8 * g, 8);
      p0 |= gather_bit(x, 0) << (8 * g);
      p1 |= gather_bit(x, 1) << (8 * g);
      p2 |= gather_bit(x, 2) << (8 * g);
      p3 |= gather_bit(x, 3) << (8 * g);
    }
    planes[w] = p0, planes[words_ + w] = p1, planes[2 * words_ + w] = p2, planes[3 * words_ + w] = p3;
  }
  BitsQuery& bq = sc.bits_query;
  bq.planes = planes;
  bq.words = words_;
  bq.width = 2.0f * delta;
  bq.low = 2.0f * lo;
  bq.sum = (float)sum;
  bq.add = (float)add;
}

}  // namespace quiver
