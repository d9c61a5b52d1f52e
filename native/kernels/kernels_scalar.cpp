// Portable reference kernels: plain C++ with no vector intrinsics. Built with
// auto-vectorisation off (see CMakeLists.txt) so this level really is scalar and
// runs on any CPU; it is the fallback and the baseline the SIMD levels are measured against.
#include "kernels.h"
#include "score_rows.h"

namespace quiver {
namespace {

float l2sq_scalar(const float* a, const float* b, size_t dim) {
  // Four independent accumulators hide FP add latency without changing the ISA.
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= dim; i += 4) {
    float d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1], d2 = a[i + 2] - b[i + 2], d3 = a[i + 3] - b[i + 3];
    s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
  }
  for (; i < dim; ++i) { float d = a[i] - b[i]; s0 += d * d; }
  return (s0 + s1) + (s2 + s3);
}

float dot_scalar(const float* a, const float* b, size_t dim) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= dim; i += 4) {
    s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1]; s2 += a[i + 2] * b[i + 2]; s3 += a[i + 3] * b[i + 3];
  }
  for (; i < dim; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

void block_score_tile_scalar(const float* qs, size_t nq, const float* blocks, size_t nblocks, const float* bias,
                             const float* scale, size_t dim, const float* thresholds, float* keys,
                             uint32_t* masks) {
  for (size_t i = 0; i < nq; ++i) {
    const float* q = qs + i * dim;
    uint32_t m = 0;
    for (size_t b = 0; b < nblocks; ++b) {
      float acc[kBlockLanes] = {0};
      const float* block = blocks + b * kBlockLanes * dim;
      for (size_t d = 0; d < dim; ++d) {
        const float qd = q[d];
        const float* row = block + d * kBlockLanes;
        for (size_t l = 0; l < kBlockLanes; ++l) acc[l] += qd * row[l];
      }
      for (size_t l = 0; l < kBlockLanes; ++l) {
        const size_t lane = b * kBlockLanes + l;
        const float key = bias[lane] + scale[lane] * acc[l];
        keys[i * kTileLanes + lane] = key;
        if (key <= thresholds[i]) m |= 1u << lane;
      }
    }
    masks[i] = m;
  }
}

void l2sq_i8_batch_scalar(const int8_t* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                          size_t dim, float* out) {
  score_rows<int8_t>(base, stride, ids, n, out, [&](const int8_t* x) {
    int32_t s = 0;
    for (size_t i = 0; i < dim; ++i) {
      const int32_t d = (int32_t)q[i] - (int32_t)x[i];
      s += d * d;
    }
    return (float)s;
  });
}

void neg_dot_i8_batch_scalar(const int8_t* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                             size_t dim, float* out) {
  score_rows<int8_t>(base, stride, ids, n, out, [&](const int8_t* x) {
    int32_t s = 0;
    for (size_t i = 0; i < dim; ++i) s += (int32_t)q[i] * (int32_t)x[i];
    return -(float)s;
  });
}

void l2sq_batch_scalar(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                   float* out) {
  score_rows<float>(base, stride, ids, n, out, [&](const float* x) { return l2sq_scalar(q, x, dim); });
}

void dot_batch_scalar(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                  float* out) {
  score_rows<float>(base, stride, ids, n, out, [&](const float* x) { return dot_scalar(q, x, dim); });
}

const KernelTable kTable = {SimdLevel::Scalar, "scalar", l2sq_scalar, dot_scalar, block_score_tile_scalar,
                            l2sq_batch_scalar, dot_batch_scalar,
                            l2sq_i8_batch_scalar, neg_dot_i8_batch_scalar,
                            bits1_batch_scalar};

}  // namespace

const KernelTable* scalar_kernels() { return &kTable; }

}  // namespace quiver
