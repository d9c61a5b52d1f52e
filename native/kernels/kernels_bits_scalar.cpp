// Portable rabitq kernels: the 1-bit code kernel (KernelTable::bits1_batch) on plain
// 64-bit words with a SWAR popcount, no vector or POPCNT instructions, and the
// Walsh-Hadamard transform (KernelTable::fwht). Also serve the NEON table.
#include "kernels_bits.h"

namespace quiver {

void bits1_batch_scalar(const BitsQuery* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                        float* out) {
  const size_t words = q->words;
  const uint64_t* p = q->planes;
  for (size_t t = 0; t < n; ++t) {
    const char* x = base + (size_t)ids[t] * stride;
    uint64_t s = 0;
    for (size_t w = 0; w < words; ++w) {
      const uint64_t c = load_word(x + 8 * w);
      s += bits_popcount_swar(c & p[w]) + 2 * bits_popcount_swar(c & p[words + w]) +
           4 * bits_popcount_swar(c & p[2 * words + w]) + 8 * bits_popcount_swar(c & p[3 * words + w]);
    }
    out[t] = bits1_key(q, x, s);
  }
}

void fwht_scalar(float* x, size_t n) {
  // The first three stages on 8 values at a time in registers (short strides are where
  // a plain stage loop spends its time), then the wide stages.
  for (size_t i = 0; i < n; i += 8) {
    float* v = x + i;
    const float a0 = v[0] + v[1], a1 = v[0] - v[1], a2 = v[2] + v[3], a3 = v[2] - v[3];
    const float a4 = v[4] + v[5], a5 = v[4] - v[5], a6 = v[6] + v[7], a7 = v[6] - v[7];
    const float b0 = a0 + a2, b2 = a0 - a2, b1 = a1 + a3, b3 = a1 - a3;
    const float b4 = a4 + a6, b6 = a4 - a6, b5 = a5 + a7, b7 = a5 - a7;
    v[0] = b0 + b4, v[4] = b0 - b4, v[1] = b1 + b5, v[5] = b1 - b5;
    v[2] = b2 + b6, v[6] = b2 - b6, v[3] = b3 + b7, v[7] = b3 - b7;
  }
  fwht_stages_from(x, n, 8);
}

}  // namespace quiver
