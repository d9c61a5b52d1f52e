// Measurement probes used by bench/ scripts: timings taken inside native code so
// that the N-API call cost does not hide what is being measured.
#pragma once
#include <cstddef>

#include "../kernels/kernels.h"

namespace quiver {

// Seconds to run `op` ('l' = l2sq, 'd' = dot) of one query against `n` in-cache
// vectors of `dim` floats, `reps` times, with the given kernel table.
double time_kernel(const KernelTable& kt, char op, size_t dim, size_t n, size_t reps);

// Single-thread memory read bandwidth in bytes/second: streams a buffer of
// `bytes` (far larger than the caches) `reps` times and keeps the best pass.
double read_bandwidth(size_t bytes, size_t reps);

}  // namespace quiver
