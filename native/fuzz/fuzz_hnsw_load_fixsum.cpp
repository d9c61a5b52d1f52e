// corpus: hnsw_load
// libFuzzer target: the input's checksums are recomputed before loading, so
// mutations get past the integrity checks and reach the structural validation
// (levels, states, link ids, entry point, counts) and the use of the loaded
// graph. This is the target that finds real loader bugs; fuzz_hnsw_load covers
// the checksum rejection path itself.
#include "hnsw_fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> fixed = quiver_fuzz::fix_checksums(data, size);
  return quiver_fuzz::load_and_exercise(fixed.data(), fixed.size());
}
