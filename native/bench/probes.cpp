#include "probes.h"

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
volatile uint64_t g_sink_u;
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
  const size_t words = bytes / sizeof(uint64_t);
  std::unique_ptr<uint64_t[]> buf(new uint64_t[words]);
  for (size_t i = 0; i < words; ++i) buf[i] = i;  // touch every page first
  double best = 0;
  for (size_t r = 0; r < reps; ++r) {
    // Eight independent sums: the loop is limited by memory, not by add latency.
    uint64_t s[8] = {0};
    const auto t0 = Clock::now();
    for (size_t i = 0; i + 8 <= words; i += 8)
      for (size_t j = 0; j < 8; ++j) s[j] += buf[i + j];
    const double secs = seconds_since(t0);
    uint64_t total = 0;
    for (uint64_t v : s) total += v;
    g_sink_u = total;
    best = std::max(best, (double)(words * sizeof(uint64_t)) / secs);
  }
  return best;
}

}  // namespace quiver
