// The int8 coder (index/int8_codes.h) against its definition: the float expression
// (x * scale - off) / step, rounded half to even by std::nearbyint, clamped to +-127.
// The coder is vectorised by the compiler, so its lanes, its scalar tail and every
// rounding boundary are covered: lengths 0-70, values on and beside each half-integer
// from -130 to 130, huge magnitudes, zero step (not fitted) and random inputs.
#include <doctest/doctest.h>

#include <cfenv>
#include <cmath>
#include <limits>
#include <vector>

#include "index/int8_codes.h"
#include "test_support.h"

using namespace quiver;

namespace {
int8_t reference_code(float x, float off, float scale, float step) {
  const float inv = step > 0.0f ? 1.0f / step : 0.0f;
  const float v = (x * scale - off) * inv;
  const float r = std::nearbyint(v);  // default rounding mode: half to even
  return (int8_t)(r > 127.0f ? 127 : r < -127.0f ? -127 : (int)r);
}

void check_against_reference(const std::vector<float>& x, const std::vector<float>& off, float scale, float step) {
  const size_t n = x.size();
  std::vector<int8_t> got(n + 1, 0x55);  // one guard byte past the end
  encode_int8_codes(x.data(), off.data(), scale, step, n, got.data());
  for (size_t d = 0; d < n; ++d) {
    INFO("d " << d << " of " << n << ", x " << x[d] << ", off " << off[d] << ", scale " << scale << ", step " << step);
    CHECK((int)got[d] == (int)reference_code(x[d], off[d], scale, step));
  }
  CHECK(got[n] == 0x55);
}
}  // namespace

TEST_CASE("int8 coder: every half-integer boundary, rounded half to even and clamped, at every position") {
  REQUIRE(std::fegetround() == FE_TONEAREST);
  // Values k + 0.5 and one float either side, for k in [-130, 130]: ties go to the even
  // neighbour, the others to the nearer one; beyond +-127 everything clamps.
  std::vector<float> values;
  for (int k = -130; k <= 130; ++k) {
    const float h = (float)k + 0.5f;
    values.push_back(h);
    values.push_back(std::nextafter(h, -1e9f));
    values.push_back(std::nextafter(h, 1e9f));
    values.push_back((float)k);
  }
  for (float big : {1e30f, -1e30f, 128.0f, -128.0f, 127.49999f, -127.49999f, 0.0f, -0.0f,
                    std::numeric_limits<float>::max(), -std::numeric_limits<float>::max()})
    values.push_back(big);
  // Every value at every lane position of a 16-wide vector and in the scalar tail.
  for (size_t shift = 0; shift < 17; ++shift) {
    std::vector<float> x(values.size() + shift, 0.25f);
    for (size_t i = 0; i < values.size(); ++i) x[shift + i] = values[i];
    check_against_reference(x, std::vector<float>(x.size(), 0.0f), 1.0f, 1.0f);
  }
}

TEST_CASE("int8 coder: random inputs, offsets, scales and steps, lengths 0-70") {
  quiver_test::Rng rng(11);
  for (size_t n = 0; n <= 70; ++n)
    for (int rep = 0; rep < 20; ++rep) {
      const float step = rep == 0 ? 0.0f : (float)rng.uniform(1e-4, 0.1);  // 0: not fitted, all codes 0
      const float scale = rep % 3 == 0 ? 1.0f : (float)rng.uniform(0.1, 10.0);
      std::vector<float> x = rng.floats(n, -2.0, 2.0);
      std::vector<float> off = rng.floats(n, -0.5, 0.5);
      check_against_reference(x, off, scale, step);
    }
}
