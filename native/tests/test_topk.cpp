// TopK keeps the best k by (key, label): equal keys come out in ascending label
// order, whatever order they were pushed in.
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>

#include "index/topk.h"
#include "test_support.h"

using namespace quiver;

namespace {
std::vector<Candidate> sorted_items(TopK& h) {
  std::vector<Candidate> v = h.items();
  sort_candidates(v);
  return v;
}
}  // namespace

TEST_CASE("TopK returns exactly the k smallest (key, label) pairs of a random stream") {
  quiver_test::Rng rng(11);
  for (int round = 0; round < 200; ++round) {
    const size_t n = rng.below(300), k = rng.below(40);
    std::vector<Candidate> all;
    TopK h(k);
    for (size_t i = 0; i < n; ++i) {
      // Few distinct keys so that ties are frequent.
      Candidate c{(float)rng.below(20), rng.next() % 1000, (uint32_t)i};
      all.push_back(c);
      h.push(c);
    }
    sort_candidates(all);
    all.resize(std::min(k, all.size()));
    auto got = sorted_items(h);
    REQUIRE(got.size() == all.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].key == all[i].key);
      CHECK(got[i].label == all[i].label);
    }
  }
}

TEST_CASE("TopK ties are broken by ascending label regardless of push order") {
  for (int order = 0; order < 2; ++order) {
    TopK h(3);
    std::vector<uint64_t> labels = {50, 10, 40, 20, 30};
    if (order) std::reverse(labels.begin(), labels.end());
    for (uint64_t l : labels) h.push({1.0f, l, 0});
    auto got = sorted_items(h);
    REQUIRE(got.size() == 3);
    CHECK(got[0].label == 10);
    CHECK(got[1].label == 20);
    CHECK(got[2].label == 30);
  }
}

TEST_CASE("TopK threshold is infinite until full, then the worst kept key") {
  TopK h(2);
  CHECK(h.threshold() == std::numeric_limits<float>::infinity());
  h.push({5, 1, 0});
  CHECK(h.threshold() == std::numeric_limits<float>::infinity());
  h.push({3, 2, 0});
  CHECK(h.threshold() == 5.0f);
  h.push({4, 3, 0});
  CHECK(h.threshold() == 4.0f);
  h.push({9, 4, 0});  // worse: ignored
  CHECK(h.threshold() == 4.0f);
  CHECK(h.size() == 2);
}

TEST_CASE("TopK with capacity 0 keeps nothing; reset changes capacity and clears") {
  TopK h(0);
  h.push({1, 1, 0});
  CHECK(h.size() == 0);
  h.reset(1);
  h.push({2, 2, 0});
  h.push({1, 1, 0});
  REQUIRE(h.size() == 1);
  CHECK(h.items()[0].label == 1);
  h.reset(5);
  CHECK(h.size() == 0);
}

TEST_CASE("better() is a strict weak order: irreflexive and label-decided on equal keys") {
  Candidate a{1, 1, 0}, b{1, 2, 0}, c{0.5f, 9, 0};
  CHECK_FALSE(better(a, a));
  CHECK(better(a, b));
  CHECK_FALSE(better(b, a));
  CHECK(better(c, a));
}
