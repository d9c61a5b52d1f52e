// AVX2 + FMA register-tiled scoring for FlatIndex's block scan (kernels.h:
// block_score_tile). Compiled with -mavx2 -mfma only; reached through the AVX2
// kernel table after CPUID checks.
//
// Tiling for 16 ymm registers: a micro-tile of up to 6 queries x 16 lanes (one
// transposed block) keeps 12 accumulators; each step d loads the block row
// (2 x 8 lanes) once and broadcasts q_i[d] once per query, so 8 loads feed 12
// FMAs and 12 independent chains cover the FMA latency x 2 ports. The table
// asks flat_index.cpp for query tiles of 6 (flat_query_tile).
#include "flat_tile_avx2.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace quiver {
namespace {

// NQ queries (rows of qs, stride dim) against one block: acc[i][h] holds lanes
// 8h..8h+7 of dot(q_i, x_lane).
template <int NQ>
inline void tile_dots(const float* qs, size_t dim, const float* block, __m256 (&acc)[6][2]) {
  for (int i = 0; i < NQ; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  const float* q[NQ];
  for (int i = 0; i < NQ; ++i) q[i] = qs + i * dim;
#pragma GCC unroll 2
  for (size_t d = 0; d < dim; ++d) {
    const __m256 r0 = _mm256_loadu_ps(block + d * kBlockLanes);
    const __m256 r1 = _mm256_loadu_ps(block + d * kBlockLanes + 8);
    for (int i = 0; i < NQ; ++i) {
      const __m256 b = _mm256_broadcast_ss(q[i] + d);
      acc[i][0] = _mm256_fmadd_ps(b, r0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(b, r1, acc[i][1]);
    }
  }
}

// A lone query (the single-query scan, bound by memory bandwidth): four
// accumulators per half-row (d mod 4) so FMA latency does not limit the stream.
inline void one_query_dots(const float* q, size_t dim, const float* block, __m256 (&acc)[6][2]) {
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
  acc[0][0] = _mm256_add_ps(_mm256_add_ps(lo[0], lo[1]), _mm256_add_ps(lo[2], lo[3]));
  acc[0][1] = _mm256_add_ps(_mm256_add_ps(hi[0], hi[1]), _mm256_add_ps(hi[2], hi[3]));
}

// key = bias + scale * dot, stored; mask bit where key <= the query's threshold.
template <int NQ>
inline void finish(const __m256 (&acc)[6][2], const float* bias, const float* scale, const float* thresholds,
                   float* keys, uint32_t* masks, unsigned shift) {
  const __m256 b0 = _mm256_loadu_ps(bias), b1 = _mm256_loadu_ps(bias + 8);
  const __m256 c0 = _mm256_loadu_ps(scale), c1 = _mm256_loadu_ps(scale + 8);
  for (int i = 0; i < NQ; ++i) {
    const __m256 k0 = _mm256_fmadd_ps(c0, acc[i][0], b0);
    const __m256 k1 = _mm256_fmadd_ps(c1, acc[i][1], b1);
    float* out = keys + i * kTileLanes;
    _mm256_storeu_ps(out, k0);
    _mm256_storeu_ps(out + 8, k1);
    const __m256 t = _mm256_set1_ps(thresholds[i]);
    const uint32_t m0 = (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(k0, t, _CMP_LE_OQ));
    const uint32_t m1 = (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(k1, t, _CMP_LE_OQ));
    masks[i] |= (m0 | (m1 << 8)) << shift;
  }
}

template <int NQ>
void group(const float* qs, size_t dim, const float* blocks, size_t nblocks, const float* bias, const float* scale,
           const float* thresholds, float* keys, uint32_t* masks) {
  __m256 acc[6][2];
  for (size_t b = 0; b < nblocks; ++b) {
    const float* block = blocks + b * kBlockLanes * dim;
    if (NQ == 1) one_query_dots(qs, dim, block, acc);
    else tile_dots<NQ>(qs, dim, block, acc);
    finish<NQ>(acc, bias + b * kBlockLanes, scale + b * kBlockLanes, thresholds, keys + b * kBlockLanes, masks,
               (unsigned)(b * kBlockLanes));
  }
}

}  // namespace

void flat_tile_avx2(const float* qs, size_t nq, const float* blocks, size_t nblocks, const float* bias,
                    const float* scale, size_t dim, const float* thresholds, float* keys, uint32_t* masks) {
  for (size_t i = 0; i < nq; ++i) masks[i] = 0;
  for (size_t g = 0; g < nq; g += 6) {
    const size_t n = nq - g < 6 ? nq - g : 6;
    const float* q = qs + g * dim;
    float* k = keys + g * kTileLanes;
    switch (n) {
      case 6: group<6>(q, dim, blocks, nblocks, bias, scale, thresholds + g, k, masks + g); break;
      case 5: group<5>(q, dim, blocks, nblocks, bias, scale, thresholds + g, k, masks + g); break;
      case 4: group<4>(q, dim, blocks, nblocks, bias, scale, thresholds + g, k, masks + g); break;
      case 3: group<3>(q, dim, blocks, nblocks, bias, scale, thresholds + g, k, masks + g); break;
      case 2: group<2>(q, dim, blocks, nblocks, bias, scale, thresholds + g, k, masks + g); break;
      default: group<1>(q, dim, blocks, nblocks, bias, scale, thresholds + g, k, masks + g); break;
    }
  }
}

}  // namespace quiver
#endif
