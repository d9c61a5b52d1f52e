// Peak FMA throughput of one core: independent FMA chains, no memory traffic.
// Compiled on the fly by bench/flat-bench.mjs (bench-only: it uses ISA flags
// that release code never does) to put the batch figure in context. Built with
// -mavx512f it measures 512-bit FMAs, with -mavx2 -mfma 256-bit ones.
// Prints "GFLOP/s checksum" (per CPU-second of the thread).
#include <immintrin.h>

#include <time.h>

#include <cstdio>

#if defined(__AVX512F__)
typedef __m512 vec;
#define SET1 _mm512_set1_ps
#define FMADD _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define STORE _mm512_storeu_ps
constexpr int kLanes = 16;
#else
typedef __m256 vec;
#define SET1 _mm256_set1_ps
#define FMADD _mm256_fmadd_ps
#define ADD _mm256_add_ps
#define STORE _mm256_storeu_ps
constexpr int kLanes = 8;
#endif

// CPU time of this thread: the machine may be shared, and only the cycles this
// thread ran count.
static double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main() {
  // 12 chains: enough to cover FMA latency x throughput (4-5 cycles x 2 ports)
  // and still fit in the 16 ymm registers of AVX2.
  constexpr int kChains = 12;
  vec acc[kChains];
  for (int i = 0; i < kChains; i++) acc[i] = SET1(1.0f + i * 1e-7f);
  const vec m = SET1(0.999999f), c = SET1(1e-7f);
  const long iters = 100000000;
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    const double t0 = thread_seconds();
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 16
      for (int i = 0; i < kChains; i++) acc[i] = FMADD(acc[i], m, c);
    }
    const double s = thread_seconds() - t0;
    const double flops = iters * (double)kChains * kLanes * 2;
    if (flops / s > best) best = flops / s;
  }
  vec t = acc[0];
  for (int i = 1; i < kChains; i++) t = ADD(t, acc[i]);
  // The checksum keeps the compiler from removing the loop.
  float lanes[kLanes];
  STORE(lanes, t);
  double sum = 0;
  for (int i = 0; i < kLanes; i++) sum += lanes[i];
  std::printf("%.3f %g\n", best / 1e9, sum);
}
