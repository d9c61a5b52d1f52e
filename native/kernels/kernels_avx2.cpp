// AVX2 + FMA kernels (x86-64). This file alone is compiled with -mavx2 -mfma;
// dispatch.cpp only calls into it after CPUID says the CPU and OS support both.
#include "kernels.h"

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

// Four queries at a time: 4 queries x 2 half-rows = 8 accumulators, leaving
// registers for the row loads (AVX2 has 16 ymm registers).
void score_group4(const float* const* q, size_t nq, const float* block, size_t dim, __m256 acc[4][2]) {
  for (size_t i = 0; i < 4; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (size_t d = 0; d < dim; ++d) {
    const __m256 r0 = _mm256_loadu_ps(block + d * kBlockLanes);
    const __m256 r1 = _mm256_loadu_ps(block + d * kBlockLanes + 8);
    for (size_t i = 0; i < 4; ++i) {
      if (i >= nq) break;
      const __m256 b = _mm256_broadcast_ss(q[i] + d);
      acc[i][0] = _mm256_fmadd_ps(b, r0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(b, r1, acc[i][1]);
    }
  }
}

// One query (the single-query scan): four accumulators per half-row (d mod 4), so
// the FMA chains are short enough for the scan to run at memory bandwidth; the
// group form gives a lone query one chain per half-row, and its latency bounds it.
void score_one_query(const float* q, const float* block, size_t dim, __m256 acc[2]) {
  __m256 lo[4], hi[4];
  for (size_t j = 0; j < 4; ++j) lo[j] = hi[j] = _mm256_setzero_ps();
  size_t d = 0;
  for (; d + 4 <= dim; d += 4)
    for (size_t j = 0; j < 4; ++j) {
      const __m256 b = _mm256_broadcast_ss(q + d + j);
      lo[j] = _mm256_fmadd_ps(b, _mm256_loadu_ps(block + (d + j) * kBlockLanes), lo[j]);
      hi[j] = _mm256_fmadd_ps(b, _mm256_loadu_ps(block + (d + j) * kBlockLanes + 8), hi[j]);
    }
  for (; d < dim; ++d) {
    const __m256 b = _mm256_broadcast_ss(q + d);
    lo[0] = _mm256_fmadd_ps(b, _mm256_loadu_ps(block + d * kBlockLanes), lo[0]);
    hi[0] = _mm256_fmadd_ps(b, _mm256_loadu_ps(block + d * kBlockLanes + 8), hi[0]);
  }
  acc[0] = _mm256_add_ps(_mm256_add_ps(lo[0], lo[1]), _mm256_add_ps(lo[2], lo[3]));
  acc[1] = _mm256_add_ps(_mm256_add_ps(hi[0], hi[1]), _mm256_add_ps(hi[2], hi[3]));
}

void score_one_block(const float* qs, size_t nq, const float* block, const float* bias, const float* scale,
                     size_t dim, const float* thresholds, float* keys, uint32_t* masks, unsigned shift) {
  const __m256 b0 = _mm256_loadu_ps(bias), b1 = _mm256_loadu_ps(bias + 8);
  const __m256 c0 = _mm256_loadu_ps(scale), c1 = _mm256_loadu_ps(scale + 8);
  for (size_t g = 0; g < nq; g += 4) {
    const size_t n = nq - g < 4 ? nq - g : 4;
    const float* q[4];
    for (size_t i = 0; i < 4; ++i) q[i] = qs + (g + (i < n ? i : 0)) * dim;
    __m256 acc[4][2];
    if (nq == 1) score_one_query(q[0], block, dim, acc[0]);
    else score_group4(q, n, block, dim, acc);
    for (size_t i = 0; i < n; ++i) {
      const __m256 k0 = _mm256_fmadd_ps(c0, acc[i][0], b0);
      const __m256 k1 = _mm256_fmadd_ps(c1, acc[i][1], b1);
      float* out = keys + (g + i) * kTileLanes;
      _mm256_storeu_ps(out, k0);
      _mm256_storeu_ps(out + 8, k1);
      const __m256 t = _mm256_set1_ps(thresholds[g + i]);
      const uint32_t m0 = (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(k0, t, _CMP_LE_OQ));
      const uint32_t m1 = (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(k1, t, _CMP_LE_OQ));
      masks[g + i] |= (m0 | (m1 << 8)) << shift;
    }
  }
}

void block_score_tile_avx2(const float* qs, size_t nq, const float* blocks, size_t nblocks, const float* bias,
                           const float* scale, size_t dim, const float* thresholds, float* keys,
                           uint32_t* masks) {
  for (size_t i = 0; i < nq; ++i) masks[i] = 0;
  for (size_t b = 0; b < nblocks; ++b)
    score_one_block(qs, nq, blocks + b * kBlockLanes * dim, bias + b * kBlockLanes, scale + b * kBlockLanes, dim,
                    thresholds, keys + b * kBlockLanes, masks, (unsigned)(b * kBlockLanes));
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
  for (size_t t = 0; t < n; ++t)
    out[t] = (float)l2sq_i8_avx2(q, reinterpret_cast<const int8_t*>(base + (size_t)ids[t] * stride), dim);
}

void neg_dot_i8_batch_avx2(const int8_t* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                           size_t dim, float* out) {
  for (size_t t = 0; t < n; ++t)
    out[t] = -(float)dot_i8_avx2(q, reinterpret_cast<const int8_t*>(base + (size_t)ids[t] * stride), dim);
}

void l2sq_batch_avx2(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                   float* out) {
  for (size_t t = 0; t < n; ++t)
    out[t] = l2sq_avx2(q, reinterpret_cast<const float*>(base + (size_t)ids[t] * stride), dim);
}

void dot_batch_avx2(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                  float* out) {
  for (size_t t = 0; t < n; ++t)
    out[t] = dot_avx2(q, reinterpret_cast<const float*>(base + (size_t)ids[t] * stride), dim);
}

const KernelTable kTable = {SimdLevel::Avx2, "avx2", l2sq_avx2, dot_avx2, block_score_tile_avx2,
                            l2sq_batch_avx2, dot_batch_avx2,
                            l2sq_i8_batch_avx2, neg_dot_i8_batch_avx2,
                            bits1_batch_avx2};

}  // namespace

const KernelTable* avx2_kernels() { return &kTable; }

}  // namespace quiver

#else
namespace quiver { const KernelTable* avx2_kernels() { return nullptr; } }
#endif
