// AVX-512 (F/BW) rabitq kernels. The 1-bit code kernel (KernelTable::bits1_batch):
// the AVX2 kernel's nibble-table byte count on 8 words at a time, then 4 words with
// AVX2, then POPCNT; the dispatch level does not require VPOPCNTDQ, so it is not
// used. The Walsh-Hadamard transform (KernelTable::fwht): its first four stages
// inside each 16-float register, the rest on contiguous runs.
// Built with the AVX-512 flags plus -mpopcnt -ffp-contract=off.
#include "kernels_bits.h"
#include "score_rows.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace quiver {
namespace {

inline __m512i popcount_bytes512(__m512i v, __m512i lut, __m512i low4) {
  const __m512i lo = _mm512_and_si512(v, low4);
  const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
  return _mm512_add_epi8(_mm512_shuffle_epi8(lut, lo), _mm512_shuffle_epi8(lut, hi));
}

inline __m256i popcount_bytes256(__m256i v, __m256i lut, __m256i low4) {
  const __m256i lo = _mm256_and_si256(v, low4);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

}  // namespace

void bits1_batch_avx512(const BitsQuery* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                        float* out) {
  const size_t words = q->words;
  const uint64_t* p = q->planes;
  const __m256i lut256 = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1,
                                          2, 2, 3, 2, 3, 3, 4);
  const __m512i lut = _mm512_broadcast_i64x4(lut256);
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const __m256i low4_256 = _mm256_set1_epi8(0x0f);
  const size_t wide8 = words & ~(size_t)7;
  const size_t wide4 = words & ~(size_t)3;
  score_rows<char>(base, stride, ids, n, out, [&](const char* x) {
    __m512i acc = _mm512_setzero_si512();
    for (size_t w = 0; w < wide8; w += 8) {
      const __m512i c = _mm512_loadu_si512((const void*)(x + 8 * w));
      __m512i s = popcount_bytes512(_mm512_and_si512(c, _mm512_loadu_si512((const void*)(p + 3 * words + w))), lut, low4);
      s = _mm512_add_epi8(_mm512_add_epi8(s, s),
                          popcount_bytes512(_mm512_and_si512(c, _mm512_loadu_si512((const void*)(p + 2 * words + w))), lut, low4));
      s = _mm512_add_epi8(_mm512_add_epi8(s, s),
                          popcount_bytes512(_mm512_and_si512(c, _mm512_loadu_si512((const void*)(p + words + w))), lut, low4));
      s = _mm512_add_epi8(_mm512_add_epi8(s, s),
                          popcount_bytes512(_mm512_and_si512(c, _mm512_loadu_si512((const void*)(p + w))), lut, low4));
      acc = _mm512_add_epi64(acc, _mm512_sad_epu8(s, _mm512_setzero_si512()));
    }
    uint64_t s = (uint64_t)_mm512_reduce_add_epi64(acc);
    if (wide4 > wide8) {
      const size_t w = wide8;
      const __m256i c = _mm256_loadu_si256((const __m256i*)(x + 8 * w));
      __m256i b = popcount_bytes256(_mm256_and_si256(c, _mm256_loadu_si256((const __m256i*)(p + 3 * words + w))), lut256, low4_256);
      b = _mm256_add_epi8(_mm256_add_epi8(b, b),
                          popcount_bytes256(_mm256_and_si256(c, _mm256_loadu_si256((const __m256i*)(p + 2 * words + w))), lut256, low4_256));
      b = _mm256_add_epi8(_mm256_add_epi8(b, b),
                          popcount_bytes256(_mm256_and_si256(c, _mm256_loadu_si256((const __m256i*)(p + words + w))), lut256, low4_256));
      b = _mm256_add_epi8(_mm256_add_epi8(b, b),
                          popcount_bytes256(_mm256_and_si256(c, _mm256_loadu_si256((const __m256i*)(p + w))), lut256, low4_256));
      const __m256i sad = _mm256_sad_epu8(b, _mm256_setzero_si256());
      const __m128i a2 = _mm_add_epi64(_mm256_castsi256_si128(sad), _mm256_extracti128_si256(sad, 1));
      s += (uint64_t)_mm_cvtsi128_si64(a2) + (uint64_t)_mm_extract_epi64(a2, 1);
    }
    for (size_t w = wide4; w < words; ++w) {
      const uint64_t c = load_word(x + 8 * w);
      s += (uint64_t)_mm_popcnt_u64(c & p[w]) + 2 * (uint64_t)_mm_popcnt_u64(c & p[words + w]) +
           4 * (uint64_t)_mm_popcnt_u64(c & p[2 * words + w]) + 8 * (uint64_t)_mm_popcnt_u64(c & p[3 * words + w]);
    }
    return bits1_key(q, x, s);
  });
}

// One butterfly stage inside each 16-float register: `partner` holds each lane's
// butterfly partner; lanes in `hi` (the second of each pair) take partner - own.
inline __m512 butterfly16(__m512 v, __m512 partner, __mmask16 hi) {
  return _mm512_mask_sub_ps(_mm512_add_ps(v, partner), hi, partner, v);
}

void fwht_avx512(float* x, size_t n) {
  for (size_t i = 0; i < n; i += 16) {
    __m512 v = _mm512_loadu_ps(x + i);
    v = butterfly16(v, _mm512_permute_ps(v, 0xB1), 0xAAAA);           // length 1
    v = butterfly16(v, _mm512_permute_ps(v, 0x4E), 0xCCCC);           // length 2
    v = butterfly16(v, _mm512_shuffle_f32x4(v, v, 0xB1), 0xF0F0);     // length 4
    v = butterfly16(v, _mm512_shuffle_f32x4(v, v, 0x4E), 0xFF00);     // length 8
    _mm512_storeu_ps(x + i, v);
  }
  fwht_stages_from(x, n, 16);
}

}  // namespace quiver

#else
namespace quiver {
void bits1_batch_avx512(const BitsQuery* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                        float* out) {
  bits1_batch_scalar(q, base, stride, ids, n, out);  // never selected off x86-64
}
void fwht_avx512(float* x, size_t n) { fwht_scalar(x, n); }
}  // namespace quiver
#endif
