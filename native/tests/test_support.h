// Shared helpers for the native tests: a seeded PRNG (failures reproduce) and
// float64 reference implementations that the float32 code is checked against.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/dispatch.h"

namespace quiver_test {

// splitmix64: tiny, fast, good enough for test data.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi).
  double uniform(double lo = -1.0, double hi = 1.0) { return lo + (hi - lo) * (double)(next() >> 11) * 0x1.0p-53; }
  size_t below(size_t n) { return (size_t)(next() % n); }
  std::vector<float> floats(size_t n, double lo = -1.0, double hi = 1.0) {
    std::vector<float> v(n);
    for (auto& x : v) x = (float)uniform(lo, hi);
    return v;
  }

 private:
  uint64_t s_;
};

inline double dot64(const float* a, const float* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += (double)a[i] * b[i];
  return s;
}
inline double l2sq64(const float* a, const float* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
  return s;
}
// Sum of |a_i * b_i|: float32 accumulation error is bounded by a small multiple of
// this times n * eps, so tolerances scale with it instead of with the (possibly
// cancelling) result.
inline double abs_dot64(const float* a, const float* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += std::fabs((double)a[i] * b[i]);
  return s;
}

// Every kernel level this CPU can run (scalar always).
inline std::vector<const quiver::KernelTable*> runnable_levels() {
  std::vector<const quiver::KernelTable*> out;
  for (auto l : {quiver::SimdLevel::Scalar, quiver::SimdLevel::Neon, quiver::SimdLevel::Avx2, quiver::SimdLevel::Avx512})
    if (const auto* t = quiver::kernels_for(l)) out.push_back(t);
  return out;
}

}  // namespace quiver_test
