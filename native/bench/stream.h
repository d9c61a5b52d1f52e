// Per-ISA streaming loops for the read-bandwidth probe (bench/ only): each sums
// n floats with the widest loads of its level, in its own translation unit.
#pragma once
#include <cstddef>

namespace quiver {

float stream_sum_avx512(const float* p, size_t n);
float stream_sum_avx2(const float* p, size_t n);

}  // namespace quiver
