// AVX2 + FMA kernels (x86-64). This file alone is compiled with -mavx2 -mfma;
// dispatch.cpp only calls into it after CPUID says the CPU and OS support both.
#include "kernels.h"
#include "flat_tile_avx2.h"
#include "flat_i8_avx2.h"
#include "score_rows.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace quiver {
namespace {

inline float hsum256(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

float l2sq_avx2(const float* a, const float* b, size_t dim) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
    __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
    s0 = _mm256_fmadd_ps(d0, d0, s0); s1 = _mm256_fmadd_ps(d1, d1, s1);
    s2 = _mm256_fmadd_ps(d2, d2, s2); s3 = _mm256_fmadd_ps(d3, d3, s3);
  }
  for (; i + 8 <= dim; i += 8) {
    __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    s0 = _mm256_fmadd_ps(d, d, s0);
  }
  float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; i < dim; ++i) { float d = a[i] - b[i]; s += d * d; }
  return s;
}

float dot_avx2(const float* a, const float* b, size_t dim) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= dim; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; i < dim; ++i) s += a[i] * b[i];
  return s;
}

inline int32_t hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// int8 -> int16 widening, then vpmaddwd: pairs of 16-bit products summed into int32.
inline int32_t l2sq_i8_avx2(const int8_t* a, const int8_t* b, size_t dim) {
  __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    const __m256i d0 = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(a + i))),
                                        _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(b + i))));
    const __m256i d1 = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(a + i + 16))),
                                        _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(b + i + 16))));
    s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(d0, d0));
    s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(d1, d1));
  }
  for (; i + 16 <= dim; i += 16) {
    const __m256i d = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(a + i))),
                                       _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(b + i))));
    s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(d, d));
  }
  int32_t s = hsum_epi32(_mm256_add_epi32(s0, s1));
  for (; i < dim; ++i) {
    const int32_t d = (int32_t)a[i] - (int32_t)b[i];
    s += d * d;
  }
  return s;
}

inline int32_t dot_i8_avx2(const int8_t* a, const int8_t* b, size_t dim) {
  __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(a + i))),
                                                _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(b + i)))));
    s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(a + i + 16))),
                                                _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(b + i + 16)))));
  }
  for (; i + 16 <= dim; i += 16)
    s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(a + i))),
                                                _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(b + i)))));
  int32_t s = hsum_epi32(_mm256_add_epi32(s0, s1));
  for (; i < dim; ++i) s += (int32_t)a[i] * (int32_t)b[i];
  return s;
}

void l2sq_i8_batch_avx2(const int8_t* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                        size_t dim, float* out) {
  score_rows<int8_t>(base, stride, ids, n, out, [&](const int8_t* x) { return (float)l2sq_i8_avx2(q, x, dim); });
}

void neg_dot_i8_batch_avx2(const int8_t* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                           size_t dim, float* out) {
  score_rows<int8_t>(base, stride, ids, n, out, [&](const int8_t* x) { return -(float)dot_i8_avx2(q, x, dim); });
}

void l2sq_batch_avx2(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                   float* out) {
  score_rows<float>(base, stride, ids, n, out, [&](const float* x) { return l2sq_avx2(q, x, dim); });
}

void dot_batch_avx2(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                  float* out) {
  score_rows<float>(base, stride, ids, n, out, [&](const float* x) { return dot_avx2(q, x, dim); });
}

// The flat block scan lives in flat_tile_avx2.cpp (register tiling for 16 ymm),
// its int8 first pass in flat_i8_avx2.cpp.
const KernelTable kTable = {SimdLevel::Avx2, "avx2", l2sq_avx2, dot_avx2, flat_tile_avx2,
                            l2sq_batch_avx2, dot_batch_avx2,
                            l2sq_i8_batch_avx2, neg_dot_i8_batch_avx2, bits1_batch_avx2,
                            kAvx2QueryTile, flat_quantize_i8_avx2, flat_i8_tile_avx2, fwht_avx2};

}  // namespace

const KernelTable* avx2_kernels() { return &kTable; }

}  // namespace quiver

#else
namespace quiver { const KernelTable* avx2_kernels() { return nullptr; } }
#endif
