// corpus: hnsw_load
// libFuzzer target: arbitrary bytes as an HNSW index file (header and checksums
// included). Mostly exercises the header, length and checksum checks.
#include "hnsw_fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return quiver_fuzz::load_and_exercise(data, size);
}
