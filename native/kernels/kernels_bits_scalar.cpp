// Portable rabitq kernels: the 1-bit code kernel (KernelTable::bits1_batch) on plain
// 64-bit words with a SWAR popcount, no vector or POPCNT instructions, and the
// Walsh-Hadamard transform (KernelTable::fwht). Also serve the NEON table.
#include "kernels_bits.h"
#include "score_rows.h"

namespace quiver {

void bits1_batch_scalar(const BitsQuery* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                        float* out) {
  const size_t words = q->words;
  const uint64_t* p = q->planes;
  score_rows<char>(base, stride, ids, n, out, [&](const char* x) {
    uint64_t s = 0;
    for (size_t w = 0; w < words; ++w) {
      const uint64_t c = load_word(x + 8 * w);
      s += bits_popcount_swar(c & p[w]) + 2 * bits_popcount_swar(c & p[words + w]) +
           4 * bits_popcount_swar(c & p[2 * words + w]) + 8 * bits_popcount_swar(c & p[3 * words + w]);
    }
    return bits1_key(q, x, s);
  });
}

void fwht_scalar(float* x, size_t n) { fwht_portable(x, n); }

}  // namespace quiver
