// AVX2 int8 first pass of FlatIndex's batch scan (see flat_i8_avx2.cpp and
// KernelTable::flat_quantize_i8 / flat_i8_tile in kernels.h).
#pragma once
#include "kernels.h"

namespace quiver {

void flat_quantize_i8_avx2(const float* blocks, size_t nblocks, size_t dim, uint8_t* codes, float* steps,
                           float* errors);
void flat_i8_tile_avx2(const int8_t* qcodes, size_t nq, const uint8_t* codes, size_t nblocks, size_t groups,
                       const FlatI8Lanes* lanes, const FlatI8Query* queries, const float* thresholds, float* keys,
                       uint32_t* masks);

}  // namespace quiver
