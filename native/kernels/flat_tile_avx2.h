// AVX2 register-tiled block scoring for the flat index (see flat_tile_avx2.cpp).
#pragma once
#include "kernels.h"

namespace quiver {

// block_score_tile for the AVX2 table (same contract as KernelTable::block_score_tile).
void flat_tile_avx2(const float* qs, size_t nq, const float* blocks, size_t nblocks, const float* bias,
                    const float* scale, size_t dim, const float* thresholds, float* keys, uint32_t* masks);

// Queries per tile the AVX2 kernel is built for (6 x 16 lanes = 12 accumulators).
constexpr size_t kAvx2QueryTile = 6;

}  // namespace quiver
