// Peak integer multiply-accumulate throughput of one core (AVX2), to set against
// fma-peak.cpp: would an int8 first pass of the exact search (scan on 8-bit codes,
// rescore a bounded window in float32) do more multiply-adds per cycle than the
// float32 tile? Independent chains, no memory traffic, per CPU-second of the thread.
// Prints one line per form, in GMAC/s (multiply-adds, not flops):
//   i8->i32   vpmaddubsw, vpmaddwd by ones, vpaddd: exact int32 sums of u8 x s8 products
//   i16->i32  vpmaddwd, vpaddd: 16-bit codes
//   i8->i16   vpmaddubsw, vpaddw: 16-bit sums, which overflow unless the codes are small
//   f32 fma   vfmadd (for the ratio; fma-peak.cpp reports the same in GFLOP/s)
// Build: g++ -O2 -mavx2 -mfma bench/probes/int8-mac-peak.cpp -o /tmp/int8-mac-peak
#include <immintrin.h>
#include <time.h>

#include <cstdio>

static double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// 6 chains, each fed its own input: the inputs differ, so no product can be
// hoisted out of the loop, and 6 accumulators + 6 inputs + 2 constants fit the
// 16 ymm registers without spills.
constexpr int kChains = 6;
constexpr long kIters = 100000000;

template <class Step>
static double best_rate(double macs_per_iter, Step step) {
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    const double t0 = thread_seconds();
    step();
    const double s = thread_seconds() - t0;
    if (kIters * macs_per_iter / s > best) best = kIters * macs_per_iter / s;
  }
  return best / 1e9;
}

int main() {
  __m256i in[kChains], acc[kChains];
  for (int j = 0; j < kChains; j++) in[j] = _mm256_set1_epi8((char)(j + 1));
  __m256i q = _mm256_set1_epi8(3);
  const __m256i ones = _mm256_set1_epi16(1);
  long check = 0;

  for (int j = 0; j < kChains; j++) acc[j] = _mm256_setzero_si256();
  const double i8i32 = best_rate(kChains * 32.0, [&] {
    for (long it = 0; it < kIters; it++) {
#pragma GCC unroll 8
      for (int j = 0; j < kChains; j++)
        acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(_mm256_maddubs_epi16(in[j], q), ones));
      asm volatile("" : "+x"(q));
    }
  });
  for (int j = 0; j < kChains; j++) check += _mm256_extract_epi32(acc[j], 0);

  for (int j = 0; j < kChains; j++) acc[j] = _mm256_setzero_si256();
  const double i16i32 = best_rate(kChains * 16.0, [&] {
    for (long it = 0; it < kIters; it++) {
#pragma GCC unroll 8
      for (int j = 0; j < kChains; j++) acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(in[j], q));
      asm volatile("" : "+x"(q));
    }
  });
  for (int j = 0; j < kChains; j++) check += _mm256_extract_epi32(acc[j], 0);

  for (int j = 0; j < kChains; j++) acc[j] = _mm256_setzero_si256();
  const double i8i16 = best_rate(kChains * 32.0, [&] {
    for (long it = 0; it < kIters; it++) {
#pragma GCC unroll 8
      for (int j = 0; j < kChains; j++) acc[j] = _mm256_add_epi16(acc[j], _mm256_maddubs_epi16(in[j], q));
      asm volatile("" : "+x"(q));
    }
  });
  for (int j = 0; j < kChains; j++) check += _mm256_extract_epi16(acc[j], 0);

  // 10 FMA chains on one multiplier: latency x ports needs ~10 in flight.
  __m256 facc[10];
  for (int j = 0; j < 10; j++) facc[j] = _mm256_set1_ps(1.0f + j * 1e-7f);
  __m256 m = _mm256_set1_ps(0.999999f);
  const __m256 c = _mm256_set1_ps(1e-7f);
  const double f32 = best_rate(10 * 8.0, [&] {
    for (long it = 0; it < kIters; it++) {
#pragma GCC unroll 10
      for (int j = 0; j < 10; j++) facc[j] = _mm256_fmadd_ps(facc[j], m, c);
      asm volatile("" : "+x"(m));
    }
  });
  float fcheck = 0;
  for (int j = 0; j < 10; j++) fcheck += facc[j][0];

  std::printf("i8->i32 %.1f GMAC/s\ni16->i32 %.1f GMAC/s\ni8->i16 %.1f GMAC/s\nf32 fma %.1f GMAC/s\nchecksum %ld %g\n",
              i8i32, i16i32, i8i16, f32, check, fcheck);
}
