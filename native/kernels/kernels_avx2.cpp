// AVX2 + FMA kernels (x86-64). This file alone is compiled with -mavx2 -mfma;
// dispatch.cpp only calls into it after CPUID says the CPU and OS support both.
#include "kernels.h"
#include "flat_tile_avx2.h"
#include "flat_i8_avx2.h"
#include "score_rows.h"

#include <type_traits>

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

// Up to 32 dimensions (glove's 25, say) the general loops below spend more on their
// setup, their unused 32-wide step, the four-way reduction and the scalar tail than on
// the products. Here a vector is C = ceil(dim / 8) chunks of 8 lanes, the last one
// loaded under a mask (lanes past dim read as zero, never touched in memory), over two
// accumulators. The row kernels and the batch kernels run the same instructions, so a
// batch key equals the row key bit for bit; the batch loads the query once.
constexpr size_t kSmallDim = 32;

inline __m256i lanes_below(size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

struct SmallQuery {
  __m256 chunk[4];
  __m256i last;  // lanes of the last chunk inside dim
};

inline SmallQuery load_small(const float* q, size_t dim) {
  SmallQuery s;
  const size_t c = (dim + 7) / 8;
  s.last = lanes_below(dim - 8 * (c - 1));
  for (size_t i = 0; i + 1 < c; ++i) s.chunk[i] = _mm256_loadu_ps(q + 8 * i);
  s.chunk[c - 1] = _mm256_maskload_ps(q + 8 * (c - 1), s.last);
  return s;
}

// Chunk i of x (the last one masked).
template <int C>
inline __m256 small_chunk(const float* x, int i, __m256i last) {
  return i == C - 1 ? _mm256_maskload_ps(x + 8 * i, last) : _mm256_loadu_ps(x + 8 * i);
}

template <int C>
inline float dot_small(const SmallQuery& q, const float* x) {
  __m256 s0 = _mm256_mul_ps(q.chunk[0], small_chunk<C>(x, 0, q.last));
  if constexpr (C == 1) {
    return hsum256(s0);
  } else {
    __m256 s1 = _mm256_mul_ps(q.chunk[1], small_chunk<C>(x, 1, q.last));
    if constexpr (C >= 3) s0 = _mm256_fmadd_ps(q.chunk[2], small_chunk<C>(x, 2, q.last), s0);
    if constexpr (C >= 4) s1 = _mm256_fmadd_ps(q.chunk[3], small_chunk<C>(x, 3, q.last), s1);
    return hsum256(_mm256_add_ps(s0, s1));
  }
}

template <int C>
inline float l2sq_small(const SmallQuery& q, const float* x) {
  const __m256 d0 = _mm256_sub_ps(q.chunk[0], small_chunk<C>(x, 0, q.last));
  __m256 s0 = _mm256_mul_ps(d0, d0);
  if constexpr (C == 1) {
    return hsum256(s0);
  } else {
    const __m256 d1 = _mm256_sub_ps(q.chunk[1], small_chunk<C>(x, 1, q.last));
    __m256 s1 = _mm256_mul_ps(d1, d1);
    if constexpr (C >= 3) {
      const __m256 d = _mm256_sub_ps(q.chunk[2], small_chunk<C>(x, 2, q.last));
      s0 = _mm256_fmadd_ps(d, d, s0);
    }
    if constexpr (C >= 4) {
      const __m256 d = _mm256_sub_ps(q.chunk[3], small_chunk<C>(x, 3, q.last));
      s1 = _mm256_fmadd_ps(d, d, s1);
    }
    return hsum256(_mm256_add_ps(s0, s1));
  }
}

// Calls f.template operator()<C>() for the chunk count of dim (1 to 4).
template <class F>
inline auto with_chunks(size_t dim, F&& f) {
  switch ((dim + 7) / 8) {
    case 1: return f(std::integral_constant<int, 1>{});
    case 2: return f(std::integral_constant<int, 2>{});
    case 3: return f(std::integral_constant<int, 3>{});
    default: return f(std::integral_constant<int, 4>{});
  }
}

float l2sq_wide(const float* a, const float* b, size_t dim) {
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

float dot_wide(const float* a, const float* b, size_t dim) {
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

// A metric's two paths, so that its row and batch kernels are written once (below).
struct L2Paths {
  static float wide(const float* a, const float* b, size_t dim) { return l2sq_wide(a, b, dim); }
  template <int C>
  static float small(const SmallQuery& q, const float* x) { return l2sq_small<C>(q, x); }
};
struct DotPaths {
  static float wide(const float* a, const float* b, size_t dim) { return dot_wide(a, b, dim); }
  template <int C>
  static float small(const SmallQuery& q, const float* x) { return dot_small<C>(q, x); }
};

template <class Paths>
float row_kernel(const float* a, const float* b, size_t dim) {
  if (dim == 0 || dim > kSmallDim) return Paths::wide(a, b, dim);
  const SmallQuery q = load_small(a, dim);
  return with_chunks(dim, [&](auto c) { return Paths::template small<decltype(c)::value>(q, b); });
}

// out[t] = row_kernel<Paths>(q, row t), the small path's query loaded once for the list.
template <class Paths>
void batch_kernel(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                  float* out) {
  if (dim == 0 || dim > kSmallDim) {
    score_rows<float>(base, stride, ids, n, out, [&](const float* x) { return Paths::wide(q, x, dim); });
    return;
  }
  const SmallQuery sq = load_small(q, dim);
  with_chunks(dim, [&](auto c) {
    score_rows<float>(base, stride, ids, n, out,
                      [&](const float* x) { return Paths::template small<decltype(c)::value>(sq, x); });
  });
}

float l2sq_avx2(const float* a, const float* b, size_t dim) { return row_kernel<L2Paths>(a, b, dim); }
float dot_avx2(const float* a, const float* b, size_t dim) { return row_kernel<DotPaths>(a, b, dim); }

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
  batch_kernel<L2Paths>(q, base, stride, ids, n, dim, out);
}

void dot_batch_avx2(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                    float* out) {
  batch_kernel<DotPaths>(q, base, stride, ids, n, dim, out);
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
