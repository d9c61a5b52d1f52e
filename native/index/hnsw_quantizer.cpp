// The int8 scalar quantizer of HnswGraph (see HnswQuantizer in hnsw_graph.h):
// fitting its range to the vectors, coding stored vectors and queries.
#include <algorithm>
#include <cmath>
#include <limits>

#include "hnsw_graph.h"
#include "int8_codes.h"

namespace quiver {
void encode_int8_codes(const float* x, const float* off, float scale, float step, size_t dim, int8_t* out) {
  const float inv = step > 0.0f ? 1.0f / step : 0.0f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
  for (size_t d = 0; d < dim; ++d) {
    const float v = std::min(128.0f, std::max(-128.0f, (x[d] * scale - off[d]) * inv));
    const float c = (v + kRound) - kRound;
    out[d] = (int8_t)(int)std::min(127.0f, std::max(-127.0f, c));
  }
}

void HnswGraph::encode_query(const float* x, int8_t* out) const {
  if (!rules().raw_dot) {
    // L2, and cosine on the normalised query: the stored vectors' quantizer.
    encode_int8_codes(x, quant_.offset.data(), 1.0f, quant_.step, p_.dim, out);
    return;
  }
  // ip: offset 0, a step of its own (only the order of -dot over x matters).
  float a = 0.0f;
  for (size_t d = 0; d < p_.dim; ++d) a = std::max(a, std::fabs(x[d]));
  const std::vector<float> zero(p_.dim, 0.0f);
  encode_int8_codes(x, zero.data(), 1.0f, a > 0.0f && std::isfinite(a) ? a / 127.0f : 1.0f, p_.dim, out);
}

void HnswGraph::encode(uint32_t s) {
  int8_t* out = reinterpret_cast<int8_t*>(block(s) + code_offset_);
  encode_int8_codes(vector(s), quant_.offset.data(), rules().by_direction ? inv_norm(s) : 1.0f, quant_.step, p_.dim, out);
}

void HnswGraph::set_quantizer(const HnswQuantizer& q) {
  quant_ = q;
  qlo_.resize(p_.dim);
  qhi_.resize(p_.dim);
  for (size_t d = 0; d < p_.dim; ++d) {
    qlo_[d] = q.offset[d] - 127.0f * q.step;
    qhi_[d] = q.offset[d] + 127.0f * q.step;
  }
}

void HnswGraph::fit_quantizer(const float* vectors, size_t n) {
  if (bits1() && n > 0) return fit_rabitq(vectors, n);
  if (!quantized() || n == 0) return;
  const size_t dim = p_.dim;
  const bool first = quant_.step == 0.0f;
  std::vector<float> lo(dim), hi(dim);
  if (first) {
    std::fill(lo.begin(), lo.end(), std::numeric_limits<float>::infinity());
    std::fill(hi.begin(), hi.end(), -std::numeric_limits<float>::infinity());
  } else {
    lo = qlo_;
    hi = qhi_;
  }
  bool grew = first;
  std::vector<float> x(dim);
  for (size_t i = 0; i < n; ++i) {
    const float* v = vectors + i * dim;
    const float scale = rules().by_direction ? inverse_norm(dot_(v, v, dim)) : 1.0f;
    for (size_t d = 0; d < dim; ++d) {
      const float e = v[d] * scale;
      if (e < lo[d]) lo[d] = e, grew = true;
      if (e > hi[d]) hi[d] = e, grew = true;
    }
  }
  if (!grew) return;
  if (!first) {
    // Later growth leaves some headroom so a slowly widening range does not
    // re-encode everything on every add.
    for (size_t d = 0; d < dim; ++d) {
      const float w = hi[d] - lo[d];
      lo[d] -= 0.05f * w;
      hi[d] += 0.05f * w;
    }
  }
  // Offsets at the middle of each dimension's range, one step for all.
  double width = 0.0;
  for (size_t d = 0; d < dim; ++d) width = std::max(width, (double)hi[d] - (double)lo[d]);
  double step = width / 254.0;
  if (!(step > 0.0) || !std::isfinite(step) || step < 1e-30) step = 1.0;  // constant data: every code 0
  quant_.step = (float)step;
  for (size_t d = 0; d < dim; ++d)
    quant_.offset[d] = (float)(0.5 * ((double)lo[d] + (double)hi[d]));
  qlo_ = lo;
  qhi_ = hi;
  for (size_t s = 0; s < used_; ++s)
    if (state((uint32_t)s) != SlotState::Free) encode((uint32_t)s);
}

}  // namespace quiver
