// Cross-compiled for arm64 and run under qemu-user by scripts/check-arm64.sh:
// the NEON kernels (and the dispatch on arm64) against a double-precision
// reference, since no arm64 machine is at hand.
#include <cmath>
#include <cstring>
#include <cstdio>
#include <random>
#include <vector>

#include "kernels/dispatch.h"

using namespace quiver;

int main() {
  const KernelTable& kt = kernels();
  std::printf("active level: %s\n", kt.name);
  if (kt.level != SimdLevel::Neon) {
    std::printf("FAIL: expected the neon level on arm64\n");
    return 1;
  }
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  int failures = 0;
  for (size_t dim : {1, 3, 15, 16, 17, 127, 128, 768, 1536}) {
    std::vector<float> a(dim), b(dim);
    for (auto& x : a) x = u(rng);
    for (auto& x : b) x = u(rng);
    double dot = 0, l2 = 0, na = 0, nb = 0;
    for (size_t i = 0; i < dim; ++i) {
      dot += (double)a[i] * b[i];
      l2 += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
      na += (double)a[i] * a[i];
      nb += (double)b[i] * b[i];
    }
    if (std::fabs(kt.dot(a.data(), b.data(), dim) - dot) > 1e-5 * std::sqrt(na * nb)) ++failures;
    if (std::fabs(kt.l2sq(a.data(), b.data(), dim) - l2) > 1e-5 * (na + nb)) ++failures;
    // Tile kernel: 3 queries against 2 blocks of 16 transposed copies of b.
    std::vector<float> blocks(2 * kBlockLanes * dim), bias(kTileLanes, 0.0f), scale(kTileLanes, 1.0f),
        thr(3, 1e30f), keys(3 * kTileLanes), qs(3 * dim);
    std::vector<uint32_t> masks(3);
    for (size_t l = 0; l < kTileLanes; ++l)
      for (size_t d = 0; d < dim; ++d) blocks[(l / kBlockLanes) * kBlockLanes * dim + d * kBlockLanes + l % kBlockLanes] = b[d];
    for (size_t i = 0; i < 3; ++i)
      for (size_t d = 0; d < dim; ++d) qs[i * dim + d] = a[d];
    kt.block_score_tile(qs.data(), 3, blocks.data(), 2, bias.data(), scale.data(), dim, thr.data(), keys.data(), masks.data());
    for (size_t i = 0; i < 3; ++i) {
      if (masks[i] != 0xffffffffu) ++failures;
      for (size_t l = 0; l < kTileLanes; ++l)
        if (std::fabs(keys[i * kTileLanes + l] - dot) > 1e-5 * std::sqrt(na * nb)) ++failures;
    }
  }
  // 1-bit code kernel: with factors (0, 1, 0) and query (1, 0, 0, 0) each key is the
  // integer sum of the 4-bit query codes over the code's set bits.
  std::mt19937_64 bits(9);
  for (size_t words : {1, 3, 4, 5, 12, 24}) {
    const size_t stride = 8 * words + 12 + 4;
    std::vector<uint64_t> planes(4 * words);
    for (auto& w : planes) w = bits();
    std::vector<char> base(3 * stride, 0);
    std::vector<uint32_t> ids = {2, 0, 1};
    for (size_t r = 0; r < 3; ++r) {
      for (size_t w = 0; w < words; ++w) {
        const uint64_t v = bits();
        std::memcpy(base.data() + r * stride + 8 * w, &v, 8);
      }
      const float f[3] = {0.0f, 1.0f, 0.0f};
      std::memcpy(base.data() + r * stride + 8 * words, f, sizeof f);
    }
    BitsQuery q{planes.data(), words, 1.0f, 0.0f, 0.0f, 0.0f};
    std::vector<float> out(3);
    kt.bits1_batch(&q, base.data(), stride, ids.data(), 3, out.data());
    for (size_t t = 0; t < 3; ++t) {
      uint64_t want = 0;
      for (size_t i = 0; i < 64 * words; ++i) {
        uint64_t c;
        std::memcpy(&c, base.data() + ids[t] * stride + 8 * (i / 64), 8);
        if (!((c >> (i % 64)) & 1)) continue;
        for (int j = 0; j < 4; ++j) want += ((planes[j * words + i / 64] >> (i % 64)) & 1) << j;
      }
      if (out[t] != (float)want) ++failures;
    }
  }
  // The rabitq rotation's transform: the NEON table's gives fwht_scalar's bits.
  if (!kt.fwht) {
    std::printf("FAIL: the neon table has no fwht\n");
    ++failures;
  } else {
    for (size_t n = 64; n <= 4096; n *= 2) {
      std::vector<float> x(n);
      for (auto& v : x) v = u(rng);
      std::vector<float> want(x);
      fwht_scalar(want.data(), n);
      kt.fwht(x.data(), n);
      if (std::memcmp(x.data(), want.data(), 4 * n) != 0) ++failures;
    }
  }
  std::printf("%s: %d failures\n", failures ? "FAIL" : "ok", failures);
  return failures ? 1 : 0;
}
