// AVX-512 (F) kernels (x86-64). This file alone is compiled with -mavx512f -mavx512dq
// -mavx512bw -mavx512vl -mfma; dispatch.cpp only calls into it after CPUID and XGETBV
// say the CPU and OS support AVX-512 state.
#include "kernels.h"

#include "dispatch.h"
#include "flat_i8_avx2.h"
#include "flat_i8_avx512.h"
#include "score_rows.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace quiver {
namespace {

inline __mmask16 tail_mask(size_t n) { return (__mmask16)((1u << n) - 1u); }

// Up to 32 dimensions: two masked loads per vector and one reduction. The batch
// kernels keep the query in two registers for the whole list; the row kernels
// take the same path for these dims, so row and batch keys are bit-identical.
inline float l2sq_small(__m512 q0, __m512 q1, const float* x, __mmask16 m0, __mmask16 m1) {
  const __m512 d0 = _mm512_sub_ps(q0, _mm512_maskz_loadu_ps(m0, x));
  const __m512 d1 = _mm512_sub_ps(q1, _mm512_maskz_loadu_ps(m1, x + 16));
  return _mm512_reduce_add_ps(_mm512_fmadd_ps(d1, d1, _mm512_mul_ps(d0, d0)));
}
inline float dot_small(__m512 q0, __m512 q1, const float* x, __mmask16 m0, __mmask16 m1) {
  return _mm512_reduce_add_ps(_mm512_fmadd_ps(q1, _mm512_maskz_loadu_ps(m1, x + 16),
                                              _mm512_mul_ps(q0, _mm512_maskz_loadu_ps(m0, x))));
}
inline __mmask16 small_mask(size_t dim, size_t from) {
  return dim <= from ? (__mmask16)0 : dim - from >= 16 ? (__mmask16)0xFFFF : tail_mask(dim - from);
}

float l2sq_avx512(const float* a, const float* b, size_t dim) {
  if (dim <= 32) {
    const __mmask16 m0 = small_mask(dim, 0), m1 = small_mask(dim, 16);
    return l2sq_small(_mm512_maskz_loadu_ps(m0, a), _mm512_maskz_loadu_ps(m1, a + 16), b, m0, m1);
  }
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= dim; i += 64) {
    __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
    __m512 d2 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32));
    __m512 d3 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48));
    s0 = _mm512_fmadd_ps(d0, d0, s0); s1 = _mm512_fmadd_ps(d1, d1, s1);
    s2 = _mm512_fmadd_ps(d2, d2, s2); s3 = _mm512_fmadd_ps(d3, d3, s3);
  }
  for (; i + 16 <= dim; i += 16) {
    __m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    s0 = _mm512_fmadd_ps(d, d, s0);
  }
  if (i < dim) {  // masked tail: lanes past dim load as zero and add nothing
    const __mmask16 m = tail_mask(dim - i);
    __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
    s1 = _mm512_fmadd_ps(d, d, s1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

float dot_avx512(const float* a, const float* b, size_t dim) {
  if (dim <= 32) {
    const __mmask16 m0 = small_mask(dim, 0), m1 = small_mask(dim, 16);
    return dot_small(_mm512_maskz_loadu_ps(m0, a), _mm512_maskz_loadu_ps(m1, a + 16), b, m0, m1);
  }
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= dim; i += 64) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
    s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
  }
  for (; i + 16 <= dim; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
  if (i < dim) {
    const __mmask16 m = tail_mask(dim - i);
    s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

// One block row (16 lanes) is one zmm. One block: each query gets two
// accumulators (even and odd d), so 8 queries keep 16 independent FMA chains.
template <size_t NQ>
inline void score_tile1(const float* qs, const float* block, size_t dim, __m512* acc) {
  __m512 a0[NQ], a1[NQ];
  for (size_t i = 0; i < NQ; ++i) a0[i] = a1[i] = _mm512_setzero_ps();
  size_t d = 0;
  for (; d + 2 <= dim; d += 2) {
    const __m512 r0 = _mm512_loadu_ps(block + d * kBlockLanes);
    const __m512 r1 = _mm512_loadu_ps(block + (d + 1) * kBlockLanes);
    for (size_t i = 0; i < NQ; ++i) {
      a0[i] = _mm512_fmadd_ps(_mm512_set1_ps(qs[i * dim + d]), r0, a0[i]);
      a1[i] = _mm512_fmadd_ps(_mm512_set1_ps(qs[i * dim + d + 1]), r1, a1[i]);
    }
  }
  if (d < dim) {
    const __m512 r0 = _mm512_loadu_ps(block + d * kBlockLanes);
    for (size_t i = 0; i < NQ; ++i) a0[i] = _mm512_fmadd_ps(_mm512_set1_ps(qs[i * dim + d]), r0, a0[i]);
  }
  for (size_t i = 0; i < NQ; ++i) acc[i * 2] = _mm512_add_ps(a0[i], a1[i]);
}

// Two adjacent blocks: each broadcast of q_i[d] feeds two FMAs, so a tile of
// 8 queries x 32 vectors needs 10 loads per 16 FMAs (the one-block form needs 18).
template <size_t NQ>
inline void score_tile2(const float* qs, const float* blocks, size_t dim, __m512* acc) {
  __m512 a0[NQ], a1[NQ];
  for (size_t i = 0; i < NQ; ++i) a0[i] = a1[i] = _mm512_setzero_ps();
  const float* b1 = blocks + kBlockLanes * dim;
  for (size_t d = 0; d < dim; ++d) {
    const __m512 r0 = _mm512_loadu_ps(blocks + d * kBlockLanes);
    const __m512 r1 = _mm512_loadu_ps(b1 + d * kBlockLanes);
    for (size_t i = 0; i < NQ; ++i) {
      const __m512 q = _mm512_set1_ps(qs[i * dim + d]);
      a0[i] = _mm512_fmadd_ps(q, r0, a0[i]);
      a1[i] = _mm512_fmadd_ps(q, r1, a1[i]);
    }
  }
  for (size_t i = 0; i < NQ; ++i) {
    acc[i * 2] = a0[i];
    acc[i * 2 + 1] = a1[i];
  }
}

// One query (the single-query scan): one block at a time with four accumulators
// (d mod 4). The tile forms above give a lone query one FMA chain per block, whose
// latency, not memory, then bounds the scan; four short chains over one stream
// let it run at the machine's read bandwidth.
inline void score_one_query(const float* q, const float* block, size_t dim, __m512* acc) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
  size_t d = 0;
  for (; d + 4 <= dim; d += 4) {
    a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), _mm512_loadu_ps(block + d * kBlockLanes), a0);
    a1 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 1]), _mm512_loadu_ps(block + (d + 1) * kBlockLanes), a1);
    a2 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 2]), _mm512_loadu_ps(block + (d + 2) * kBlockLanes), a2);
    a3 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 3]), _mm512_loadu_ps(block + (d + 3) * kBlockLanes), a3);
  }
  for (; d < dim; ++d) a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), _mm512_loadu_ps(block + d * kBlockLanes), a0);
  *acc = _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3));
}

template <size_t NQ>
inline void score_tile(const float* qs, const float* blocks, size_t nblocks, size_t dim, __m512* acc) {
  if constexpr (NQ == 1) {
    for (size_t b = 0; b < nblocks; ++b) score_one_query(qs, blocks + b * kBlockLanes * dim, dim, acc + b);
  } else if (nblocks == 2) {
    score_tile2<NQ>(qs, blocks, dim, acc);
  } else {
    score_tile1<NQ>(qs, blocks, dim, acc);
  }
}

void block_score_tile_avx512(const float* qs, size_t nq, const float* blocks, size_t nblocks, const float* bias,
                             const float* scale, size_t dim, const float* thresholds, float* keys,
                             uint32_t* masks) {
  __m512 acc[kMaxQueryTile * kMaxTileBlocks];
  switch (nq) {
    case 8: score_tile<8>(qs, blocks, nblocks, dim, acc); break;
    case 7: score_tile<7>(qs, blocks, nblocks, dim, acc); break;
    case 6: score_tile<6>(qs, blocks, nblocks, dim, acc); break;
    case 5: score_tile<5>(qs, blocks, nblocks, dim, acc); break;
    case 4: score_tile<4>(qs, blocks, nblocks, dim, acc); break;
    case 3: score_tile<3>(qs, blocks, nblocks, dim, acc); break;
    case 2: score_tile<2>(qs, blocks, nblocks, dim, acc); break;
    default: score_tile<1>(qs, blocks, nblocks, dim, acc); break;
  }
  for (size_t i = 0; i < nq; ++i) {
    const __m512 t = _mm512_set1_ps(thresholds[i]);
    uint32_t m = 0;
    for (size_t b = 0; b < nblocks; ++b) {
      const __m512 k = _mm512_fmadd_ps(_mm512_loadu_ps(scale + b * kBlockLanes), acc[i * 2 + b],
                                       _mm512_loadu_ps(bias + b * kBlockLanes));
      _mm512_storeu_ps(keys + i * kTileLanes + b * kBlockLanes, k);
      m |= (uint32_t)_mm512_cmp_ps_mask(k, t, _CMP_LE_OQ) << (b * kBlockLanes);
    }
    masks[i] = m;
  }
}

// int8 codes: 32 at a time widened to int16 (vpmovsxbw), then vpmaddwd sums
// pairs of 16-bit products into int32 lanes (AVX-512BW). The tail is a masked load.
inline __m512i load_i8_as_i16(const int8_t* p) { return _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i*)p)); }
inline __m512i load_i8_as_i16_masked(const int8_t* p, size_t n) {
  const __mmask32 m = (__mmask32)(n >= 32 ? 0xFFFFFFFFu : ((1u << n) - 1u));
  return _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, p));
}

inline int32_t l2sq_i8_avx512(const int8_t* a, const int8_t* b, size_t dim) {
  __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 64 <= dim; i += 64) {
    const __m512i d0 = _mm512_sub_epi16(load_i8_as_i16(a + i), load_i8_as_i16(b + i));
    const __m512i d1 = _mm512_sub_epi16(load_i8_as_i16(a + i + 32), load_i8_as_i16(b + i + 32));
    s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(d0, d0));
    s1 = _mm512_add_epi32(s1, _mm512_madd_epi16(d1, d1));
  }
  for (; i < dim; i += 32) {
    const __m512i d = _mm512_sub_epi16(load_i8_as_i16_masked(a + i, dim - i), load_i8_as_i16_masked(b + i, dim - i));
    s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(d, d));
  }
  return _mm512_reduce_add_epi32(_mm512_add_epi32(s0, s1));
}

inline int32_t dot_i8_avx512(const int8_t* a, const int8_t* b, size_t dim) {
  __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 64 <= dim; i += 64) {
    s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(load_i8_as_i16(a + i), load_i8_as_i16(b + i)));
    s1 = _mm512_add_epi32(s1, _mm512_madd_epi16(load_i8_as_i16(a + i + 32), load_i8_as_i16(b + i + 32)));
  }
  for (; i < dim; i += 32)
    s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(load_i8_as_i16_masked(a + i, dim - i),
                                                load_i8_as_i16_masked(b + i, dim - i)));
  return _mm512_reduce_add_epi32(_mm512_add_epi32(s0, s1));
}

void l2sq_i8_batch_avx512(const int8_t* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                          size_t dim, float* out) {
  score_rows<int8_t>(base, stride, ids, n, out, [&](const int8_t* x) { return (float)l2sq_i8_avx512(q, x, dim); });
}

void neg_dot_i8_batch_avx512(const int8_t* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                             size_t dim, float* out) {
  score_rows<int8_t>(base, stride, ids, n, out, [&](const int8_t* x) { return -(float)dot_i8_avx512(q, x, dim); });
}

void l2sq_batch_avx512(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                   float* out) {
  if (dim <= 32) {
    const __mmask16 m0 = small_mask(dim, 0), m1 = small_mask(dim, 16);
    const __m512 q0 = _mm512_maskz_loadu_ps(m0, q), q1 = _mm512_maskz_loadu_ps(m1, q + 16);
    score_rows<float>(base, stride, ids, n, out, [&](const float* x) { return l2sq_small(q0, q1, x, m0, m1); });
    return;
  }
  score_rows<float>(base, stride, ids, n, out, [&](const float* x) { return l2sq_avx512(q, x, dim); });
}

void dot_batch_avx512(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                  float* out) {
  if (dim <= 32) {
    const __mmask16 m0 = small_mask(dim, 0), m1 = small_mask(dim, 16);
    const __m512 q0 = _mm512_maskz_loadu_ps(m0, q), q1 = _mm512_maskz_loadu_ps(m1, q + 16);
    score_rows<float>(base, stride, ids, n, out, [&](const float* x) { return dot_small(q0, q1, x, m0, m1); });
    return;
  }
  score_rows<float>(base, stride, ids, n, out, [&](const float* x) { return dot_avx512(q, x, dim); });
}

// flat_query_tile 0: the full 8-query tile. The int8 flat pass codes vectors with the
// AVX2 routine and scores them with vpdpbusd where the CPU has VNNI.
const KernelTable kTable = {SimdLevel::Avx512, "avx512", l2sq_avx512, dot_avx512, block_score_tile_avx512,
                            l2sq_batch_avx512, dot_batch_avx512,
                            l2sq_i8_batch_avx512, neg_dot_i8_batch_avx512,
                            bits1_batch_avx512, 0, flat_quantize_i8_avx2, flat_i8_tile_avx512, fwht_avx512};
const KernelTable kTableVnni = {SimdLevel::Avx512, "avx512", l2sq_avx512, dot_avx512, block_score_tile_avx512,
                                l2sq_batch_avx512, dot_batch_avx512,
                                l2sq_i8_batch_avx512, neg_dot_i8_batch_avx512,
                                bits1_batch_avx512, 0, flat_quantize_i8_avx2, flat_i8_tile_avx512_vnni,
                                fwht_avx512};

}  // namespace

const KernelTable* avx512_kernels() { return cpu_has_avx512_vnni() ? &kTableVnni : &kTable; }

}  // namespace quiver

#else
namespace quiver { const KernelTable* avx512_kernels() { return nullptr; } }
#endif
