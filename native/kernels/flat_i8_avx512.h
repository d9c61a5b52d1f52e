// AVX-512 int8 first pass of FlatIndex's batch scan: the score half (flat_i8_tile,
// kernels.h). Coding the vectors stays with the AVX2 routine (flat_quantize_i8_avx2),
// which every AVX-512 CPU runs. Two builds of one kernel: with AVX-512BW's
// vpmaddubsw + vpmaddwd + vpaddd, and with AVX512-VNNI's vpdpbusd, which does the
// three in one instruction; kernels_avx512.cpp picks the second where CPUID has VNNI.
#pragma once
#include "kernels.h"

namespace quiver {

void flat_i8_tile_avx512(const int8_t* qcodes, size_t nq, const uint8_t* codes, size_t nblocks, size_t groups,
                         const FlatI8Lanes* lanes, const FlatI8Query* queries, const float* thresholds, float* keys,
                         uint32_t* masks);
void flat_i8_tile_avx512_vnni(const int8_t* qcodes, size_t nq, const uint8_t* codes, size_t nblocks,
                              size_t groups, const FlatI8Lanes* lanes, const FlatI8Query* queries,
                              const float* thresholds, float* keys, uint32_t* masks);

}  // namespace quiver
