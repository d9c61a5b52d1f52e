// AVX2 int8 first pass of FlatIndex's batch scan (kernels.h: flat_quantize_i8,
// flat_i8_tile). Compiled with -mavx2 -mfma only; reached through the AVX2
// kernel table after CPUID checks.
//
// Why int8 here: on AVX2 the float32 tile is bound by the FMA ports (8 x 2
// multiply-adds per cycle); vpmaddubsw multiplies 32 byte pairs per instruction,
// and with vpmaddwd + vpaddd to widen the sums exactly into int32 it does about
// 1.75x the multiply-adds per cycle of FMA (bench/probes/int8-mac-peak.cpp).
//
// Code layout of a block of kBlockLanes vectors: groups of 4 dimensions, each
// group 16 lanes x 4 bytes (64 bytes): byte (g * 64 + lane * 4 + j) is lane's
// code for dimension 4g + j, stored as code + 128 (unsigned, 1..255); dimensions
// past dim are code 0. A query's codes are signed, in [-64, 64], 4 * groups
// bytes with zeros past dim, so a pair sum of vpmaddubsw is at most
// 2 * 255 * 64 = 32640 and never saturates.
#include "flat_i8_avx2.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cmath>
#include <cstring>

namespace quiver {
namespace {

// Upper bound on a double as a float (the bounds here must never round down).
inline float up(double v) { return std::nextafter((float)v, INFINITY); }

void quantize_block(const float* block, size_t dim, uint8_t* out, float* steps, float* errors) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m0 = _mm256_setzero_ps(), m1 = _mm256_setzero_ps();
  for (size_t d = 0; d < dim; ++d) {
    m0 = _mm256_max_ps(m0, _mm256_andnot_ps(sign, _mm256_loadu_ps(block + d * kBlockLanes)));
    m1 = _mm256_max_ps(m1, _mm256_andnot_ps(sign, _mm256_loadu_ps(block + d * kBlockLanes + 8)));
  }
  alignas(32) float maxabs[kBlockLanes], inv[kBlockLanes];
  _mm256_store_ps(maxabs, m0);
  _mm256_store_ps(maxabs + 8, m1);
  for (size_t l = 0; l < kBlockLanes; ++l) {
    // A vector this small (or zero) gets all-zero codes and its whole length as
    // the error: 127 / maxabs would overflow.
    const bool coded = maxabs[l] >= 1e-30f;
    steps[l] = coded ? maxabs[l] / 127.0f : 0.0f;
    inv[l] = coded ? 127.0f / maxabs[l] : 0.0f;
  }
  const __m256 inv0 = _mm256_load_ps(inv), inv1 = _mm256_load_ps(inv + 8);
  const __m256 lim = _mm256_set1_ps(127.0f), nlim = _mm256_set1_ps(-127.0f);
  const __m256i bias = _mm256_set1_epi32(128), low_byte = _mm256_set1_epi32(0xff);
  // Error norms in double: e = x - step * c exactly enough that the float bound
  // taken from it (rounded up) is an upper bound.
  __m256d step_d[4], err_d[4];
  for (int h = 0; h < 4; ++h) {
    step_d[h] = _mm256_cvtps_pd(_mm_loadu_ps(steps + 4 * h));
    err_d[h] = _mm256_setzero_pd();
  }
  const size_t groups = (dim + 3) / 4;
  for (size_t g = 0; g < groups; ++g) {
    __m256i packed0 = _mm256_setzero_si256(), packed1 = _mm256_setzero_si256();
    for (size_t j = 0; j < 4; ++j) {
      const size_t d = 4 * g + j;
      __m256i c0 = bias, c1 = bias;
      if (d < dim) {
        const __m256 x0 = _mm256_loadu_ps(block + d * kBlockLanes), x1 = _mm256_loadu_ps(block + d * kBlockLanes + 8);
        const __m256 r0 = _mm256_min_ps(lim, _mm256_max_ps(nlim, _mm256_round_ps(_mm256_mul_ps(x0, inv0),
                                                                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)));
        const __m256 r1 = _mm256_min_ps(lim, _mm256_max_ps(nlim, _mm256_round_ps(_mm256_mul_ps(x1, inv1),
                                                                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)));
        c0 = _mm256_and_si256(_mm256_add_epi32(_mm256_cvtps_epi32(r0), bias), low_byte);
        c1 = _mm256_and_si256(_mm256_add_epi32(_mm256_cvtps_epi32(r1), bias), low_byte);
        const __m256 xs[2] = {x0, x1}, rs[2] = {r0, r1};
        for (int h = 0; h < 4; ++h) {
          const __m128 xh = (h & 1) ? _mm256_extractf128_ps(xs[h >> 1], 1) : _mm256_castps256_ps128(xs[h >> 1]);
          const __m128 rh = (h & 1) ? _mm256_extractf128_ps(rs[h >> 1], 1) : _mm256_castps256_ps128(rs[h >> 1]);
          const __m256d e = _mm256_sub_pd(_mm256_cvtps_pd(xh), _mm256_mul_pd(step_d[h], _mm256_cvtps_pd(rh)));
          err_d[h] = _mm256_fmadd_pd(e, e, err_d[h]);
        }
      }
      packed0 = _mm256_or_si256(packed0, _mm256_slli_epi32(c0, (int)(8 * j)));
      packed1 = _mm256_or_si256(packed1, _mm256_slli_epi32(c1, (int)(8 * j)));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + g * 64), packed0);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + g * 64 + 32), packed1);
  }
  alignas(32) double sq[kBlockLanes];
  for (int h = 0; h < 4; ++h) _mm256_store_pd(sq + 4 * h, err_d[h]);
  // Relative slack for the double rounding of dim terms (far above dim * 2^-53).
  const double slack = 1.0 + 1e-9 * (double)(dim + 8);
  for (size_t l = 0; l < kBlockLanes; ++l) errors[l] = up(std::sqrt(sq[l]) * slack + 1e-300);
}

// NQ (<= 6) queries against 8 lanes of a block (`half` 0 or 1): acc[i] =
// sum_d (code + 128) * qcode for those lanes. NQ accumulators + the row + the
// ones + a broadcast and a product stay within the 16 ymm registers (two halves
// at once would need 16 accumulators and spill). Then the keys and masks.
template <int NQ>
inline void half_keys(const int8_t* qcodes, size_t groups, const uint8_t* block, int half, const FlatI8Lanes& ln,
                      size_t lane0, const FlatI8Query* queries, const float* thresholds, float* keys,
                      uint32_t* masks) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc[NQ];
  for (int i = 0; i < NQ; ++i) acc[i] = _mm256_setzero_si256();
  const uint8_t* row = block + 32 * half;
  for (size_t g = 0; g < groups; ++g, row += 64) {
    const __m256i r = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row));
    for (int i = 0; i < NQ; ++i) {
      int32_t word;
      std::memcpy(&word, qcodes + i * groups * 4 + g * 4, 4);
      acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(_mm256_maddubs_epi16(r, _mm256_set1_epi32(word)), ones));
    }
  }
  const size_t l = lane0 + 8 * half;
  const __m256 bias = _mm256_loadu_ps(ln.bias + l), scale = _mm256_loadu_ps(ln.scale + l);
  const __m256 ra = _mm256_loadu_ps(ln.ra + l), rb = _mm256_loadu_ps(ln.rb + l), rc = _mm256_loadu_ps(ln.rc + l);
  for (int i = 0; i < NQ; ++i) {
    const FlatI8Query& q = queries[i];
    const __m256 dot = _mm256_cvtepi32_ps(_mm256_sub_epi32(acc[i], _mm256_set1_epi32(q.corr)));
    const __m256 est = _mm256_fmadd_ps(scale, _mm256_mul_ps(_mm256_set1_ps(q.step), dot), bias);
    const __m256 r = _mm256_fmadd_ps(ra, _mm256_set1_ps(q.norm), _mm256_fmadd_ps(rb, _mm256_set1_ps(q.error), rc));
    const __m256 key = _mm256_sub_ps(est, r);
    _mm256_storeu_ps(keys + i * kTileLanes + l, key);
    const uint32_t m = (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(key, _mm256_set1_ps(thresholds[i]), _CMP_LE_OQ));
    masks[i] |= m << l;
  }
}

template <int NQ>
void tile_keys(const int8_t* qcodes, size_t groups, const uint8_t* codes, size_t nblocks, const FlatI8Lanes& ln,
               const FlatI8Query* queries, const float* thresholds, float* keys, uint32_t* masks) {
  for (size_t b = 0; b < nblocks; ++b)
    for (int half = 0; half < 2; ++half)
      half_keys<NQ>(qcodes, groups, codes + b * groups * 64, half, ln, b * kBlockLanes, queries, thresholds, keys,
                    masks);
}

}  // namespace

void flat_quantize_i8_avx2(const float* blocks, size_t nblocks, size_t dim, uint8_t* codes, float* steps,
                           float* errors) {
  const size_t groups = (dim + 3) / 4;
  for (size_t b = 0; b < nblocks; ++b)
    quantize_block(blocks + b * kBlockLanes * dim, dim, codes + b * groups * 64, steps + b * kBlockLanes,
                   errors + b * kBlockLanes);
}

void flat_i8_tile_avx2(const int8_t* qcodes, size_t nq, const uint8_t* codes, size_t nblocks, size_t groups,
                       const FlatI8Lanes* lanes, const FlatI8Query* queries, const float* thresholds, float* keys,
                       uint32_t* masks) {
  for (size_t i = 0; i < nq; ++i) masks[i] = 0;
  const FlatI8Lanes& ln = *lanes;
  // At most 6 queries per sweep: GCC issues every broadcast of a step before the
  // products, so 8 queries (8 accumulators + 8 products) would spill.
  for (size_t i0 = 0; i0 < nq; i0 += 6) {
    const int8_t* q = qcodes + i0 * groups * 4;
    const FlatI8Query* qt = queries + i0;
    const float* th = thresholds + i0;
    float* k = keys + i0 * kTileLanes;
    uint32_t* m = masks + i0;
    switch (nq - i0 < 6 ? nq - i0 : 6) {
      case 6: tile_keys<6>(q, groups, codes, nblocks, ln, qt, th, k, m); break;
      case 5: tile_keys<5>(q, groups, codes, nblocks, ln, qt, th, k, m); break;
      case 4: tile_keys<4>(q, groups, codes, nblocks, ln, qt, th, k, m); break;
      case 3: tile_keys<3>(q, groups, codes, nblocks, ln, qt, th, k, m); break;
      case 2: tile_keys<2>(q, groups, codes, nblocks, ln, qt, th, k, m); break;
      default: tile_keys<1>(q, groups, codes, nblocks, ln, qt, th, k, m); break;
    }
  }
}

}  // namespace quiver
#else
namespace quiver {
void flat_quantize_i8_avx2(const float*, size_t, size_t, uint8_t*, float*, float*) {}
void flat_i8_tile_avx2(const int8_t*, size_t, const uint8_t*, size_t, size_t, const FlatI8Lanes*, const FlatI8Query*,
                       const float*, float*, uint32_t*) {}
}  // namespace quiver
#endif
