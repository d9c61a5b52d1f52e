// The loop every batch kernel shares: score one query against the rows picked by
// id from a table with a byte stride (HNSW blocks or the vectors array). Each ISA
// file passes its pairwise kernel as `score`; the loop inlines into each.
#pragma once
#include <cstddef>
#include <cstdint>

namespace quiver {

// out[t] = score((const Row*)(base + ids[t] * stride)) for t < n.
template <class Row, class Score>
inline void score_rows(const char* base, size_t stride, const uint32_t* ids, size_t n, float* out, Score score) {
  for (size_t t = 0; t < n; ++t) out[t] = score(reinterpret_cast<const Row*>(base + (size_t)ids[t] * stride));
}

}  // namespace quiver
