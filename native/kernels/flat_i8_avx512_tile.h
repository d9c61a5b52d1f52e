// The AVX-512 int8 score tile, included by flat_i8_avx512.cpp (AVX-512BW flags) and
// flat_i8_avx512_vnni.cpp (the same plus -mavx512vnni): one source, two builds.
// Code layout and the meaning of keys and masks: flat_i8_avx2.cpp and kernels.h.
// A block's group of 4 dimensions is 16 lanes x 4 bytes, exactly one zmm, so one
// multiply-add step scores a whole block for one query. The integer dots are exact,
// and the float steps after them are the AVX2 kernel's, so both give the same keys.
#pragma once
#include <immintrin.h>

#include <cstring>

#include "flat_i8_avx512.h"

namespace quiver {
// Unnamed: each of the two files gets its own copy, so the linker cannot merge the
// VNNI build of these functions into the other one.
namespace {

// acc + the four-byte dot products of unsigned row codes and signed query codes, per lane.
inline __m512i dot_step(__m512i acc, __m512i row, __m512i q) {
#if defined(__AVX512VNNI__)
  return _mm512_dpbusd_epi32(acc, row, q);
#else
  // A pair sum of vpmaddubsw is at most 2 * 255 * 64 and never saturates (query codes are in [-64, 64]).
  return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(row, q), _mm512_set1_epi16(1)));
#endif
}

// NQ (<= 8) queries against NB (1 or 2) blocks: NB * NQ accumulators, the rows and a
// broadcast fit in the 32 zmm registers.
template <int NQ, int NB>
void tile_keys(const int8_t* qcodes, size_t groups, const uint8_t* codes, const FlatI8Lanes& ln,
               const FlatI8Query* queries, const float* thresholds, float* keys, uint32_t* masks) {
  __m512i acc[NB][NQ];
  for (int b = 0; b < NB; ++b)
    for (int i = 0; i < NQ; ++i) acc[b][i] = _mm512_setzero_si512();
  const size_t block_codes = groups * 64;
  for (size_t g = 0; g < groups; ++g) {
    __m512i row[NB];
    for (int b = 0; b < NB; ++b) row[b] = _mm512_loadu_si512(codes + b * block_codes + g * 64);
    for (int i = 0; i < NQ; ++i) {
      int32_t word;
      std::memcpy(&word, qcodes + i * groups * 4 + g * 4, 4);
      const __m512i q = _mm512_set1_epi32(word);
      for (int b = 0; b < NB; ++b) acc[b][i] = dot_step(acc[b][i], row[b], q);
    }
  }
  for (int b = 0; b < NB; ++b) {
    const size_t l = (size_t)b * kBlockLanes;
    const __m512 bias = _mm512_loadu_ps(ln.bias + l), scale = _mm512_loadu_ps(ln.scale + l);
    const __m512 ra = _mm512_loadu_ps(ln.ra + l), rb = _mm512_loadu_ps(ln.rb + l), rc = _mm512_loadu_ps(ln.rc + l);
    for (int i = 0; i < NQ; ++i) {
      const FlatI8Query& q = queries[i];
      const __m512 dot = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[b][i], _mm512_set1_epi32(q.corr)));
      const __m512 est = _mm512_fmadd_ps(scale, _mm512_mul_ps(_mm512_set1_ps(q.step), dot), bias);
      const __m512 r =
          _mm512_fmadd_ps(ra, _mm512_set1_ps(q.norm), _mm512_fmadd_ps(rb, _mm512_set1_ps(q.error), rc));
      const __m512 key = _mm512_sub_ps(est, r);
      _mm512_storeu_ps(keys + i * kTileLanes + l, key);
      const __mmask16 m = _mm512_cmp_ps_mask(key, _mm512_set1_ps(thresholds[i]), _CMP_LE_OQ);
      masks[i] |= (uint32_t)m << l;
    }
  }
}

template <int NQ>
void tile_blocks(const int8_t* qcodes, size_t groups, const uint8_t* codes, size_t nblocks, const FlatI8Lanes& ln,
                 const FlatI8Query* queries, const float* thresholds, float* keys, uint32_t* masks) {
  if (nblocks == 2) tile_keys<NQ, 2>(qcodes, groups, codes, ln, queries, thresholds, keys, masks);
  else tile_keys<NQ, 1>(qcodes, groups, codes, ln, queries, thresholds, keys, masks);
}

inline void i8_tile(const int8_t* qcodes, size_t nq, const uint8_t* codes, size_t nblocks, size_t groups,
                 const FlatI8Lanes* lanes, const FlatI8Query* queries, const float* thresholds, float* keys,
                 uint32_t* masks) {
  for (size_t i = 0; i < nq; ++i) masks[i] = 0;
  for (size_t i0 = 0; i0 < nq; i0 += 8) {
    const int8_t* q = qcodes + i0 * groups * 4;
    const FlatI8Query* qt = queries + i0;
    const float* th = thresholds + i0;
    float* k = keys + i0 * kTileLanes;
    uint32_t* m = masks + i0;
    switch (nq - i0 < 8 ? nq - i0 : 8) {
      case 8: tile_blocks<8>(q, groups, codes, nblocks, *lanes, qt, th, k, m); break;
      case 7: tile_blocks<7>(q, groups, codes, nblocks, *lanes, qt, th, k, m); break;
      case 6: tile_blocks<6>(q, groups, codes, nblocks, *lanes, qt, th, k, m); break;
      case 5: tile_blocks<5>(q, groups, codes, nblocks, *lanes, qt, th, k, m); break;
      case 4: tile_blocks<4>(q, groups, codes, nblocks, *lanes, qt, th, k, m); break;
      case 3: tile_blocks<3>(q, groups, codes, nblocks, *lanes, qt, th, k, m); break;
      case 2: tile_blocks<2>(q, groups, codes, nblocks, *lanes, qt, th, k, m); break;
      default: tile_blocks<1>(q, groups, codes, nblocks, *lanes, qt, th, k, m); break;
    }
  }
}

}  // namespace
}  // namespace quiver
