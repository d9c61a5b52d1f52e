// AVX2 rabitq kernels. The 1-bit code kernel (KernelTable::bits1_batch): this box
// class has no VPOPCNTQ, so bytes are counted with the nibble-table PSHUFB trick, 4
// words at a time; leftover words use POPCNT. The Walsh-Hadamard transform
// (KernelTable::fwht): its first three stages inside each 8-float register, the rest
// on contiguous runs. Built with -mavx2 -mfma -mpopcnt -ffp-contract=off.
#include "kernels_bits.h"
#include "score_rows.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace quiver {
namespace {

inline __m256i popcount_bytes(__m256i v, __m256i lut, __m256i low4) {
  const __m256i lo = _mm256_and_si256(v, low4);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

}  // namespace

void bits1_batch_avx2(const BitsQuery* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                      float* out) {
  const size_t words = q->words;
  const uint64_t* p = q->planes;
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2,
                                       2, 3, 2, 3, 3, 4);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const __m256i zero = _mm256_setzero_si256();
  const size_t wide = words & ~(size_t)3;
  score_rows<char>(base, stride, ids, n, out, [&](const char* x) {
    __m256i acc = zero;
    for (size_t w = 0; w < wide; w += 4) {
      const __m256i c = _mm256_loadu_si256((const __m256i*)(x + 8 * w));
      // Horner over the planes: byte counts are <= 8, so 8 * 15 fits a byte.
      __m256i s = popcount_bytes(_mm256_and_si256(c, _mm256_loadu_si256((const __m256i*)(p + 3 * words + w))), lut, low4);
      s = _mm256_add_epi8(_mm256_add_epi8(s, s),
                          popcount_bytes(_mm256_and_si256(c, _mm256_loadu_si256((const __m256i*)(p + 2 * words + w))), lut, low4));
      s = _mm256_add_epi8(_mm256_add_epi8(s, s),
                          popcount_bytes(_mm256_and_si256(c, _mm256_loadu_si256((const __m256i*)(p + words + w))), lut, low4));
      s = _mm256_add_epi8(_mm256_add_epi8(s, s),
                          popcount_bytes(_mm256_and_si256(c, _mm256_loadu_si256((const __m256i*)(p + w))), lut, low4));
      acc = _mm256_add_epi64(acc, _mm256_sad_epu8(s, zero));
    }
    const __m128i a2 = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    uint64_t s = (uint64_t)_mm_cvtsi128_si64(a2) + (uint64_t)_mm_extract_epi64(a2, 1);
    for (size_t w = wide; w < words; ++w) {
      const uint64_t c = load_word(x + 8 * w);
      s += (uint64_t)_mm_popcnt_u64(c & p[w]) + 2 * (uint64_t)_mm_popcnt_u64(c & p[words + w]) +
           4 * (uint64_t)_mm_popcnt_u64(c & p[2 * words + w]) + 8 * (uint64_t)_mm_popcnt_u64(c & p[3 * words + w]);
    }
    return bits1_key(q, x, s);
  });
}

// One butterfly stage inside each 8-float register: `partner` holds each lane's
// butterfly partner; lanes in kHi (the second of each pair) take partner - own. The
// mask is a template argument: vblendps takes it as an immediate (clang insists).
template <int kHi>
inline __m256 butterfly8(__m256 v, __m256 partner) {
  return _mm256_blend_ps(_mm256_add_ps(v, partner), _mm256_sub_ps(partner, v), kHi);
}

void fwht_avx2(float* x, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    v = butterfly8<0xAA>(v, _mm256_permute_ps(v, 0xB1));          // length 1
    v = butterfly8<0xCC>(v, _mm256_permute_ps(v, 0x4E));          // length 2
    v = butterfly8<0xF0>(v, _mm256_permute2f128_ps(v, v, 0x01));  // length 4
    _mm256_storeu_ps(x + i, v);
  }
  fwht_stages_from(x, n, 8);
}

}  // namespace quiver

#else
namespace quiver {
void bits1_batch_avx2(const BitsQuery* q, const char* base, size_t stride, const uint32_t* ids, size_t n, float* out) {
  bits1_batch_scalar(q, base, stride, ids, n, out);  // never selected off x86-64
}
void fwht_avx2(float* x, size_t n) { fwht_scalar(x, n); }
}  // namespace quiver
#endif
