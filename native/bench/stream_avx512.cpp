// Read-bandwidth probe loop with 64-byte loads (bench/ only). Compiled with
// AVX-512 flags like kernels_avx512.cpp; probes.cpp calls it only when the
// active kernel level is avx512, so the probe reads memory as the kernels do.
#include "stream.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace quiver {

float stream_sum_avx512(const float* p, size_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    s0 = _mm512_add_ps(s0, _mm512_loadu_ps(p + i));
    s1 = _mm512_add_ps(s1, _mm512_loadu_ps(p + i + 16));
    s2 = _mm512_add_ps(s2, _mm512_loadu_ps(p + i + 32));
    s3 = _mm512_add_ps(s3, _mm512_loadu_ps(p + i + 48));
  }
  float s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  for (; i < n; ++i) s += p[i];
  return s;
}

}  // namespace quiver
#else
namespace quiver { float stream_sum_avx512(const float*, size_t) { return 0.0f; } }
#endif
