#include "probes.h"

#include "../kernels/dispatch.h"
#include "stream.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace quiver {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
volatile float g_sink_f;
}  // namespace

double time_kernel(const KernelTable& kt, char op, size_t dim, size_t n, size_t reps) {
  std::vector<float> data(n * dim), q(dim);
  for (size_t i = 0; i < data.size(); ++i) data[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;
  for (size_t i = 0; i < dim; ++i) q[i] = (float)((i * 40503u) % 1000) / 1000.0f;
  auto fn = op == 'l' ? kt.l2sq : kt.dot;
  float acc = 0;
  for (size_t i = 0; i < n; ++i) acc += fn(q.data(), data.data() + i * dim, dim);  // warm the cache
  const auto t0 = Clock::now();
  for (size_t r = 0; r < reps; ++r)
    for (size_t i = 0; i < n; ++i) acc += fn(q.data(), data.data() + i * dim, dim);
  const double s = seconds_since(t0);
  g_sink_f = acc;
  return s;
}

double read_bandwidth(size_t bytes, size_t reps) {
  const size_t n = bytes / sizeof(float);
  std::unique_ptr<float[]> buf(new float[n]);
  for (size_t i = 0; i < n; ++i) buf[i] = (float)(i & 1023);  // touch every page first
  // The widest loads the active kernels use: a narrower loop under-reports what
  // one core can stream (64-bit loads reach about half of it on AVX-512 parts).
  const SimdLevel level = kernels().level;
  double best = 0;
  for (size_t r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    float total = 0;
    if (level == SimdLevel::Avx512) {
      total = stream_sum_avx512(buf.get(), n);
    } else if (level == SimdLevel::Avx2) {
      total = stream_sum_avx2(buf.get(), n);
    } else {
      // Eight independent sums: limited by memory, not by add latency.
      float s[8] = {0};
      for (size_t i = 0; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; ++j) s[j] += buf[i + j];
      for (float v : s) total += v;
    }
    const double secs = seconds_since(t0);
    g_sink_f = total;
    best = std::max(best, (double)(n * sizeof(float)) / secs);
  }
  return best;
}

}  // namespace quiver
