// Distance kernels: one table of function pointers per instruction set.
// Each ISA lives in its own translation unit compiled with only its own flags
// (kernels_scalar.cpp, kernels_avx2.cpp, kernels_avx512.cpp, kernels_neon.cpp);
// dispatch.cpp picks one table at load time from CPUID and QUIVER_SIMD.
#pragma once
#include <cstddef>
#include <cstdint>

namespace quiver {

enum class SimdLevel : int { Scalar = 0, Neon = 1, Avx2 = 2, Avx512 = 3 };

// A query of the 1-bit code kernels (the HNSW 'rabitq' traversal mode), coded to
// 4 bits per dimension and stored as 4 bit planes: bit j of dimension i's code is
// bit i % 64 of planes[j * words + i / 64]. See bits1_batch below.
struct BitsQuery {
  const uint64_t* planes;
  size_t words;  // 64-bit words per plane, and per stored code
  float width, low, sum, add;
};

// Vectors in the flat index are stored in blocks of kBlockLanes vectors,
// transposed so that element d of the 16 vectors is contiguous:
//   block[d * kBlockLanes + lane]. This lets a query broadcast q[d] and update
// 16 distances with one FMA, with no horizontal reductions (GEMM-style).
constexpr size_t kBlockLanes = 16;

// Per-lane terms of flat_i8_tile, arrays indexed by lane (from the first block).
struct FlatI8Lanes {
  const float *bias, *scale, *ra, *rb, *rc;
};
// Per-query terms of flat_i8_tile.
struct FlatI8Query {
  float step, norm, error;
  int32_t corr;
};

struct KernelTable {
  SimdLevel level;
  const char* name;
  // Row kernels: a and b are contiguous vectors of length dim.
  float (*l2sq)(const float* a, const float* b, size_t dim);
  float (*dot)(const float* a, const float* b, size_t dim);
  // Blocked scoring of nq queries (rows of `qs`, stride dim; nq <= kMaxQueryTile)
  // against nblocks (1 or 2) adjacent blocks of kBlockLanes transposed vectors,
  // i.e. lanes 0..16*nblocks-1:
  //   key[i][lane] = bias[lane] + scale[lane] * dot(q_i, x_lane)
  // A key orders candidates for one query the same way the metric's distance does
  // (see flat_index.cpp). Keys go to keys[i * kTileLanes + lane]; masks[i] gets
  // bit `lane` set where key <= thresholds[i], so callers only touch candidates.
  void (*block_score_tile)(const float* qs, size_t nq, const float* blocks, size_t nblocks, const float* bias,
                           const float* scale, size_t dim, const float* thresholds, float* keys,
                           uint32_t* masks);
  // Batch row kernels: for t < n, with x_t = (const float*)(base + ids[t] * stride),
  // out[t] = l2sq(q, x_t) or dot(q, x_t), exactly as the row kernels compute them.
  // One call scores a whole neighbour list (the HNSW layer search).
  void (*l2sq_batch)(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                     float* out);
  void (*dot_batch)(const float* q, const char* base, size_t stride, const uint32_t* ids, size_t n, size_t dim,
                    float* out);
  // Quantized batch kernels over int8 codes (the HNSW int8 traversal mode):
  // for t < n, with x_t = base + ids[t] * stride (dim int8 codes),
  //   l2sq_i8_batch:    out[t] = sum_d (q[d] - x_t[d])^2
  //   neg_dot_i8_batch: out[t] = -sum_d q[d] * x_t[d]
  // computed exactly in int32 (codes are in [-127, 127], so any dim < 2^17 fits)
  // and stored as float. One call scores a whole neighbour list.
  void (*l2sq_i8_batch)(const int8_t* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                        size_t dim, float* out);
  void (*neg_dot_i8_batch)(const int8_t* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                           size_t dim, float* out);
  // 1-bit codes against a 4-bit query: for t < n, x_t = base + ids[t] * stride holds
  //   u64 bits[q->words], float f_add, float f_rescale, float pc (the popcount of bits).
  // With S_t = sum_i bit_i(x_t) * qcode_i (exact, an integer), each out[t] is
  //   (f_add + f_rescale * ((q->width * S_t + q->low * pc) - q->sum)) + q->add,
  // every operation rounded separately (these files are built with
  // -ffp-contract=off), so every level returns the same bits. The codes' meaning
  // (a RaBitQ estimate of the distance) is in native/index/hnsw_rabitq.cpp.
  void (*bits1_batch)(const BitsQuery* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                      float* out);
  // Queries per block_score_tile call the flat scan should use (<= kMaxQueryTile):
  // the kernel's register tile. 0 (tables that leave it out) means kMaxQueryTile.
  size_t flat_query_tile;
  // Int8 first pass of the flat batch scan (flat_index.cpp: scan_blocks_i8); null
  // in tables without one, where the scan stays in float32.
  // flat_quantize_i8 codes nblocks transposed blocks (kBlockLanes vectors of dim
  // floats each) to bytes, per vector x with step s = max_d |x_d| / 127 and
  // c_d = round(x_d / s) in [-127, 127]: block b's codes take groups * 64 bytes
  // (groups = ceil(dim / 4)), byte g * 64 + lane * 4 + j holding c_{4g+j} + 128
  // (128 past dim). steps[lane] = s (0 for a vector below 1e-30, coded as zeros),
  // errors[lane] >= |x - s c| (an upper bound, never rounded down).
  void (*flat_quantize_i8)(const float* blocks, size_t nblocks, size_t dim, uint8_t* codes, float* steps,
                           float* errors);
  // For nq <= kMaxQueryTile queries of 4 * groups signed codes in [-64, 64]
  // (zeros past dim), rows at qcodes + i * 4 * groups, against nblocks (1 or 2)
  // coded blocks: with dot = sum_d (c_d + 128) * qcode_d (exact in int32, as
  // dim <= 65536) and the terms below,
  //   key[i][lane] = (bias + scale * (step_i * (float)(dot - corr_i)))
  //                  - (ra * norm_i + rb * error_i + rc)
  // goes to keys[i * kTileLanes + lane], and masks[i] gets bit `lane` where
  // key <= thresholds[i] (flat_index.cpp: scan_blocks_i8 says what they mean).
  void (*flat_i8_tile)(const int8_t* qcodes, size_t nq, const uint8_t* codes, size_t nblocks, size_t groups,
                       const FlatI8Lanes* lanes, const FlatI8Query* queries, const float* thresholds,
                       float* keys, uint32_t* masks);
  // In-place unnormalised Walsh-Hadamard transform of n floats (n a power of two,
  // at least 64): stage by stage, butterfly length 1, 2, 4, ..., n / 2, each
  // butterfly (a, b) -> (a + b, a - b). Every level gives fwht_scalar's bits.
  // The rabitq mode's rotation (native/index/hnsw_rabitq.cpp) runs it per query
  // and per stored vector. Null in tables without one: use fwht_scalar.
  void (*fwht)(float* x, size_t n);
};

// The rabitq kernels (1-bit codes, the rotation's transform) live in files of their
// own (kernels_bits_*.cpp, built with -ffp-contract=off); each level's table points
// at its version. Off x86-64 the AVX ones are stubs that are never selected.
void bits1_batch_scalar(const BitsQuery* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                        float* out);
void bits1_batch_avx2(const BitsQuery* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                      float* out);
void bits1_batch_avx512(const BitsQuery* q, const char* base, size_t stride, const uint32_t* ids, size_t n,
                        float* out);
void fwht_scalar(float* x, size_t n);
void fwht_avx2(float* x, size_t n);
void fwht_avx512(float* x, size_t n);

constexpr size_t kMaxQueryTile = 8;
constexpr size_t kMaxTileBlocks = 2;
constexpr size_t kTileLanes = kBlockLanes * kMaxTileBlocks;

// Tables compiled in per-ISA files. Null where the ISA is not built for this target.
const KernelTable* scalar_kernels();
const KernelTable* avx2_kernels();
const KernelTable* avx512_kernels();
const KernelTable* neon_kernels();

}  // namespace quiver
