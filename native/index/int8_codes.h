// The int8 mode's per-component coder, shared by stored vectors and queries
// (hnsw_quantizer.cpp) and checked against std::nearbyint by the native tests.
#pragma once
#include <cstddef>
#include <cstdint>

namespace quiver {

// code_d = clamp(round((x_d * scale - off_d) / step), -127, 127), rounding half to even;
// all 0 while step is 0 (not fitted). Runs per query, so it avoids std::nearbyint (a library
// call per component without SSE4.1): clamped to [-128, 128] first, v + 1.5 * 2^23 lands where
// floats are whole numbers, so the addition rounds v to the nearest integer (ties to even, as
// nearbyint does in the default rounding mode) and the subtraction is exact. Branch-free, so
// the compiler vectorises it (with -fno-trapping-math, which the build sets).
void encode_int8_codes(const float* x, const float* off, float scale, float step, size_t dim, int8_t* out);

}  // namespace quiver
