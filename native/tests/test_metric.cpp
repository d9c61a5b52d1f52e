// Distance conventions shared by every index (metric.h).
#include <doctest/doctest.h>

#include <cmath>

#include "index/metric.h"

using namespace quiver;

TEST_CASE("metric names parse and print") {
  Metric m;
  REQUIRE(parse_metric("euclidean", &m));
  CHECK(m == Metric::Euclidean);
  REQUIRE(parse_metric("l2", &m));
  CHECK(m == Metric::Euclidean);
  REQUIRE(parse_metric("cosine", &m));
  CHECK(std::string(metric_name(m)) == "cosine");
  REQUIRE(parse_metric("ip", &m));
  CHECK(std::string(metric_name(m)) == "ip");
  CHECK_FALSE(parse_metric("Cosine", &m));
  CHECK_FALSE(parse_metric("", &m));
}

TEST_CASE("exact_distance: euclidean is not squared, ip is 1 - dot, cosine of a zero vector is 1") {
  const KernelTable& kt = kernels();
  const float a[3] = {3, 0, 0}, b[3] = {0, 4, 0}, z[3] = {0, 0, 0};
  const float na = vector_norm(kt, a, 3), nb = vector_norm(kt, b, 3);
  CHECK(na == 3.0f);
  CHECK(exact_distance(kt, Metric::Euclidean, a, na, b, nb, 3) == doctest::Approx(5.0));
  CHECK(exact_distance(kt, Metric::InnerProduct, a, na, a, na, 3) == doctest::Approx(1 - 9.0));
  CHECK(exact_distance(kt, Metric::Cosine, a, na, b, nb, 3) == doctest::Approx(1.0));
  CHECK(exact_distance(kt, Metric::Cosine, a, na, a, na, 3) == doctest::Approx(0.0));
  CHECK(exact_distance(kt, Metric::Cosine, z, 0, a, na, 3) == 1.0f);
  const float neg[3] = {-3, 0, 0};
  CHECK(exact_distance(kt, Metric::Cosine, a, na, neg, na, 3) == doctest::Approx(2.0));
}

TEST_CASE("cosine distance stays within [0, 2] despite rounding") {
  const KernelTable& kt = kernels();
  const float a[5] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
  const float n = vector_norm(kt, a, 5);
  const float d = exact_distance(kt, Metric::Cosine, a, n, a, n, 5);
  CHECK(d >= 0.0f);
  CHECK(d < 1e-6f);
}
