// The 1-bit code kernel (KernelTable::bits1_batch) at every SIMD level this CPU
// runs: the integer sum exact against a bit-by-bit model for every code length
// 1..40 words (every 4- and 8-word tail), and every level bit-identical to the
// scalar one on random factors, unaligned strides and repeated ids.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "kernels/dispatch.h"
#include "test_support.h"

using namespace quiver;
using quiver_test::Rng;

namespace {
struct Case {
  size_t words, stride, rows;
  std::vector<uint64_t> planes;
  std::vector<char> base;
  std::vector<uint32_t> ids;
};

Case make_case(Rng& rng, size_t words, size_t rows, bool all_ones) {
  Case c;
  c.words = words;
  c.rows = rows;
  // Odd strides (plus a 3-byte offset below) keep code loads unaligned.
  c.stride = 8 * words + 12 + (words % 3) * 4 + 1;
  c.planes.resize(4 * words);
  for (auto& w : c.planes) w = all_ones ? ~0ULL : rng.next();
  c.base.assign(3 + rows * c.stride, 0);
  for (size_t r = 0; r < rows; ++r) {
    char* x = c.base.data() + 3 + r * c.stride;
    for (size_t w = 0; w < words; ++w) {
      const uint64_t v = all_ones ? ~0ULL : rng.next() & rng.next();  // denser and sparser words
      std::memcpy(x + 8 * w, &v, 8);
    }
  }
  for (size_t t = 0; t < 2 * rows; ++t) c.ids.push_back((uint32_t)rng.below(rows));
  return c;
}

void set_factors(Case& c, size_t r, float f_add, float f_rescale, float pc) {
  const float f[3] = {f_add, f_rescale, pc};
  std::memcpy(c.base.data() + 3 + r * c.stride + 8 * c.words, f, sizeof f);
}

// sum over dimensions of bit(code) * 4-bit query code, one bit at a time.
uint64_t model_sum(const Case& c, uint32_t id) {
  const char* x = c.base.data() + 3 + (size_t)id * c.stride;
  uint64_t s = 0;
  for (size_t i = 0; i < 64 * c.words; ++i) {
    uint64_t w;
    std::memcpy(&w, x + 8 * (i / 64), 8);
    if (!((w >> (i % 64)) & 1)) continue;
    unsigned k = 0;
    for (int j = 0; j < 4; ++j) k |= (unsigned)((c.planes[j * c.words + i / 64] >> (i % 64)) & 1) << j;
    s += k;
  }
  return s;
}

BitsQuery query_of(const Case& c, float width, float low, float sum, float add) {
  BitsQuery q;
  q.planes = c.planes.data();
  q.words = c.words;
  q.width = width;
  q.low = low;
  q.sum = sum;
  q.add = add;
  return q;
}
}  // namespace

TEST_CASE("bits1_batch: the integer sum is exact for every code length 1..40 words at every level") {
  Rng rng(11);
  for (size_t words = 1; words <= 40; ++words) {
    for (bool ones : {false, true}) {
      Case c = make_case(rng, words, 7, ones);
      // Factors (0, 1, 0) and query (1, 0, 0, 0) make each key the integer sum itself.
      for (size_t r = 0; r < c.rows; ++r) set_factors(c, r, 0.0f, 1.0f, 0.0f);
      const BitsQuery q = query_of(c, 1.0f, 0.0f, 0.0f, 0.0f);
      for (const auto* kt : quiver_test::runnable_levels()) {
        CAPTURE(kt->name);
        CAPTURE(words);
        std::vector<float> out(c.ids.size());
        kt->bits1_batch(&q, c.base.data() + 3, c.stride, c.ids.data(), c.ids.size(), out.data());
        for (size_t t = 0; t < c.ids.size(); ++t) REQUIRE(out[t] == (float)model_sum(c, c.ids[t]));
        if (ones) CHECK(out[0] == (float)(15 * 64 * words));  // every bit set: 15 per dimension
      }
    }
  }
}

TEST_CASE("bits1_batch: every level returns the scalar level's bits on random factors and queries") {
  Rng rng(12);
  const KernelTable* scalar = kernels_for(SimdLevel::Scalar);
  for (size_t words : {1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 24, 25, 31, 1024}) {
    Case c = make_case(rng, words, 9, false);
    for (size_t r = 0; r < c.rows; ++r)
      set_factors(c, r, (float)rng.uniform(0, 4), (float)rng.uniform(-3, 0), (float)rng.below(64 * words));
    const BitsQuery q = query_of(c, (float)rng.uniform(0.01, 0.2), (float)rng.uniform(-2, 0),
                                 (float)rng.uniform(-5, 5), (float)rng.uniform(0, 3));
    std::vector<float> want(c.ids.size());
    scalar->bits1_batch(&q, c.base.data() + 3, c.stride, c.ids.data(), c.ids.size(), want.data());
    for (const auto* kt : quiver_test::runnable_levels()) {
      CAPTURE(kt->name);
      CAPTURE(words);
      std::vector<float> got(c.ids.size());
      kt->bits1_batch(&q, c.base.data() + 3, c.stride, c.ids.data(), c.ids.size(), got.data());
      for (size_t t = 0; t < c.ids.size(); ++t) REQUIRE(std::memcmp(&got[t], &want[t], 4) == 0);
      // n = 0 writes nothing.
      float sentinel = 12345.0f;
      kt->bits1_batch(&q, c.base.data() + 3, c.stride, c.ids.data(), 0, &sentinel);
      CHECK(sentinel == 12345.0f);
    }
  }
}
