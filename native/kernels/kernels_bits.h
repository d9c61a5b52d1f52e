// Shared parts of the rabitq kernels (kernels_bits_*.cpp): turning a code's integer
// sums into its key, and the Walsh-Hadamard stages the rotation shares. Every file
// including this is built with -ffp-contract=off, so the float operations below
// round one at a time and every level returns the same bits (see
// KernelTable::bits1_batch and KernelTable::fwht). Internal linkage (the unnamed
// namespace): each file compiles these for its own instruction set, and the linker
// must not pick one file's copy for another.
#pragma once
#include <cstdint>
#include <cstring>

#include "kernels.h"

namespace quiver {
namespace {

// S = sum over dimensions of bit * 4-bit query code; x is the code's start.
inline float bits1_key(const BitsQuery* q, const char* x, uint64_t s) {
  float f[3];  // f_add, f_rescale, popcount
  std::memcpy(f, x + q->words * 8, sizeof f);
  const float e = (q->width * (float)s + q->low * f[2]) - q->sum;
  return (f[0] + f[1] * e) + q->add;
}

// Portable 64-bit popcount (no POPCNT instruction needed).
inline uint64_t bits_popcount_swar(uint64_t v) {
  v = v - ((v >> 1) & 0x5555555555555555ULL);
  v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
  v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return (v * 0x0101010101010101ULL) >> 56;
}

inline uint64_t load_word(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// The Walsh-Hadamard stages of butterfly length `from` (a power of two) up to n / 2:
// contiguous runs, which the compiler vectorises at the including file's width. Each
// output is the same sum or difference at every level, so the results are identical.
inline void fwht_stages_from(float* x, size_t n, size_t from) {
  for (size_t len = from; len < n; len <<= 1)
    for (size_t i = 0; i < n; i += 2 * len) {
      float* __restrict lo = x + i;
      float* __restrict hi = x + i + len;
      for (size_t j = 0; j < len; ++j) {
        const float a = lo[j], b = hi[j];
        lo[j] = a + b;
        hi[j] = a - b;
      }
    }
}

// The whole transform in portable code: the first three stages on 8 values at a time
// in registers (short strides are where a plain stage loop spends its time), then the
// wide stages. fwht_scalar (built without vectorisation) and the NEON table's
// transform (vectorised by the compiler) both run this.
inline void fwht_portable(float* x, size_t n) {
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

}  // namespace
}  // namespace quiver
