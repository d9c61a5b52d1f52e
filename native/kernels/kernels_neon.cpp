// NEON kernels (arm64). Compiled only on aarch64, where NEON is always present.
#include "kernels.h"
#include "kernels_bits.h"  // fwht_portable
#include "score_rows.h"

#if defined(__aarch64__)
#include <arm_neon.h>

namespace quiver {
namespace {

float l2sq_neon(const float* a, const float* b, size_t dim) {
  float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0);
  size_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    float32x4_t d0 = vsubq_f32(vld1q_f32(a + i), vld1q_f32(b + i));
    float32x4_t d1 = vsubq_f32(vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
    s0 = vfmaq_f32(s0, d0, d0); s1 = vfmaq_f32(s1, d1, d1);
  }
  float s = vaddvq_f32(vaddq_f32(s0, s1));
  for (; i < dim; ++i) { float d = a[i] - b[i]; s += d * d; }
  return s;
}

float dot_neon(const float* a, const float* b, size_t dim) {
  float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0);
  size_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
    s1 = vfmaq_f32(s1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
  }
  float s = vaddvq_f32(vaddq_f32(s0, s1));
  for (; i < dim; ++i) s += a[i] * b[i];
  return s;
}

void block_score_tile_neon(const float* qs, size_t nq, const float* blocks, size_t nblocks, const float* bias,
                           const float* scale, size_t dim, const float* thresholds, float* keys,
                           uint32_t* masks) {
  for (size_t i = 0; i < nq; ++i) {
    const float* q = qs + i * dim;
    uint32_t m = 0;
    for (size_t b = 0; b < nblocks; ++b) {
      const float* block = blocks + b * kBlockLanes * dim;
      float32x4_t acc[4] = {vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0)};
      for (size_t d = 0; d < dim; ++d) {
        const float32x4_t qd = vdupq_n_f32(q[d]);
        for (int j = 0; j < 4; ++j) acc[j] = vfmaq_f32(acc[j], qd, vld1q_f32(block + d * kBlockLanes + 4 * j));
      }
      for (int j = 0; j < 4; ++j) {
        const size_t lane0 = b * kBlockLanes + 4 * j;
        float32x4_t k = vfmaq_f32(vld1q_f32(bias + lane0), vld1q_f32(scale + lane0), acc[j]);
        vst1q_f32(keys + i * kTileLanes + lane0, k);
        float tmp[4];
        vst1q_f32(tmp, k);
        for (int l = 0; l < 4; ++l) if (tmp[l] <= thresholds[i]) m |= 1u << (lane0 + l);
      }
    }
    masks[i] = m;
  }
}

inline int32_t l2sq_i8_neon(const int8_t* a, const int8_t* b, size_t dim) {
  int32x4_t s0 = vdupq_n_s32(0), s1 = vdupq_n_s32(0);
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    const int8x16_t x = vld1q_s8(a + i), y = vld1q_s8(b + i);
    const int16x8_t d0 = vsubl_s8(vget_low_s8(x), vget_low_s8(y));
    const int16x8_t d1 = vsubl_high_s8(x, y);
    s0 = vmlal_s16(s0, vget_low_s16(d0), vget_low_s16(d0));
    s1 = vmlal_high_s16(s1, d0, d0);
    s0 = vmlal_s16(s0, vget_low_s16(d1), vget_low_s16(d1));
    s1 = vmlal_high_s16(s1, d1, d1);
  }
  int32_t s = vaddvq_s32(vaddq_s32(s0, s1));
  for (; i < dim; ++i) {
    const int32_t d = (int32_t)a[i] - (int32_t)b[i];
    s += d * d;
  }
  return s;
}

inline int32_t dot_i8_neon(const int8_t* a, const int8_t* b, size_t dim) {
  int32x4_t s0 = vdupq_n_s32(0), s1 = vdupq_n_s32(0);
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    const int8x16_t x = vld1q_s8(a + i), y = vld1q_s8(b + i);
    s0 = vpadalq_s16(s0, vmull_s8(vget_low_s8(x), vget_low_s8(y)));
    s1 = vpadalq_s16(s1, vmull_high_s8(x, y));
  }
  int32_t s = vaddvq_s32(vaddq_s32(s0, s1));
  for (; i < dim; ++i) s += (int32_t)a[i] * (int32_t)b[i];
  return s;
}

void l2sq_i8_batch_neon(const int8_t* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                        size_t dim, float* out) {
  score_rows<int8_t>(base, stride, ids, n, out, [&](const int8_t* x) { return (float)l2sq_i8_neon(q, x, dim); });
}

void neg_dot_i8_batch_neon(const int8_t* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                           size_t dim, float* out) {
  score_rows<int8_t>(base, stride, ids, n, out, [&](const int8_t* x) { return -(float)dot_i8_neon(q, x, dim); });
}

void l2sq_batch_neon(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                   float* out) {
  score_rows<float>(base, stride, ids, n, out, [&](const float* x) { return l2sq_neon(q, x, dim); });
}

void dot_batch_neon(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                  float* out) {
  score_rows<float>(base, stride, ids, n, out, [&](const float* x) { return dot_neon(q, x, dim); });
}

// The portable transform, here vectorised by the compiler (butterflies only add and
// subtract, so the bits are fwht_scalar's).
void fwht_neon(float* x, size_t n) { fwht_portable(x, n); }

const KernelTable kTable = {SimdLevel::Neon, "neon", l2sq_neon, dot_neon, block_score_tile_neon,
                            l2sq_batch_neon, dot_batch_neon,
                            l2sq_i8_batch_neon, neg_dot_i8_batch_neon,
                            bits1_batch_scalar, 0, nullptr, nullptr, fwht_neon};

}  // namespace

const KernelTable* neon_kernels() { return &kTable; }

}  // namespace quiver

#else
namespace quiver { const KernelTable* neon_kernels() { return nullptr; } }
#endif
