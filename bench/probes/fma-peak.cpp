// Peak AVX-512 FMA throughput of one core: 16 independent FMA chains, no memory
// traffic. Compiled on the fly by bench/flat-bench.mjs (bench-only: it uses
// -mavx512f, which release code never does) to put the batch figure in context.
#include <immintrin.h>

#include <chrono>
#include <cstdio>

int main() {
  __m512 acc[16];
  for (int i = 0; i < 16; i++) acc[i] = _mm512_set1_ps(1.0f + i * 1e-7f);
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  const long iters = 100000000;
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    const auto t0 = std::chrono::steady_clock::now();
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 16
      for (int i = 0; i < 16; i++) acc[i] = _mm512_fmadd_ps(acc[i], m, c);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (iters * 16.0 * 32 / s > best) best = iters * 16.0 * 32 / s;
  }
  __m512 t = acc[0];
  for (int i = 1; i < 16; i++) t = _mm512_add_ps(t, acc[i]);
  // The checksum keeps the compiler from removing the loop.
  std::printf("%.3f %g\n", best / 1e9, (double)_mm512_reduce_add_ps(t));
}
