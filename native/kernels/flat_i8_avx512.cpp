// flat_i8_tile on AVX-512BW (vpmaddubsw + vpmaddwd): flat_i8_avx512_tile.h. Compiled
// with the AVX-512 level's flags; reached through its kernel table after CPUID checks.
#include "flat_i8_avx512.h"

#if defined(__x86_64__) || defined(_M_X64)
#include "flat_i8_avx512_tile.h"

namespace quiver {
void flat_i8_tile_avx512(const int8_t* qcodes, size_t nq, const uint8_t* codes, size_t nblocks, size_t groups,
                         const FlatI8Lanes* lanes, const FlatI8Query* queries, const float* thresholds, float* keys,
                         uint32_t* masks) {
  i8_tile(qcodes, nq, codes, nblocks, groups, lanes, queries, thresholds, keys, masks);
}
}  // namespace quiver
#else
namespace quiver {
void flat_i8_tile_avx512(const int8_t*, size_t, const uint8_t*, size_t, size_t, const FlatI8Lanes*,
                         const FlatI8Query*, const float*, float*, uint32_t*) {}
}  // namespace quiver
#endif
