// LabelFilter answers membership identically in its dense (bit set) and sparse
// (sorted array) forms, counts distinct labels and enumerates them ascending.
#include <doctest/doctest.h>

#include <set>

#include "index/label_filter.h"
#include "test_support.h"

using namespace quiver;

namespace {
void check_against_set(const LabelFilter& f, const std::set<uint64_t>& want, const std::vector<uint64_t>& probes) {
  CHECK(f.count() == want.size());
  std::vector<uint64_t> seen;
  f.for_each([&](uint64_t l) { seen.push_back(l); });
  CHECK(seen == std::vector<uint64_t>(want.begin(), want.end()));
  for (uint64_t p : probes) {
    CAPTURE(p);
    CHECK(f.allows(p) == (want.count(p) != 0));
  }
}
}  // namespace

TEST_CASE("dense labels (small, close together) with duplicates") {
  quiver_test::Rng rng(5);
  for (int round = 0; round < 50; ++round) {
    std::vector<uint64_t> labels;
    std::set<uint64_t> want;
    const size_t n = 1 + rng.below(500);
    for (size_t i = 0; i < n; ++i) {
      uint64_t l = rng.below(2000);
      labels.push_back(l);
      labels.push_back(l);  // duplicates must count once
      want.insert(l);
    }
    auto f = LabelFilter::from_labels(labels.data(), labels.size());
    std::vector<uint64_t> probes;
    for (uint64_t p = 0; p < 2200; ++p) probes.push_back(p);
    probes.push_back(UINT64_MAX);
    probes.push_back(uint64_t(1) << 40);
    check_against_set(f, want, probes);
  }
}

TEST_CASE("sparse labels (huge values, beyond 2^32 and up to 2^53-1)") {
  quiver_test::Rng rng(6);
  std::vector<uint64_t> labels = {0, 1, (uint64_t(1) << 53) - 1, uint64_t(1) << 32, (uint64_t(1) << 32) - 1};
  for (int i = 0; i < 1000; ++i) labels.push_back(rng.next() >> 11);
  std::set<uint64_t> want(labels.begin(), labels.end());
  auto f = LabelFilter::from_labels(labels.data(), labels.size());
  std::vector<uint64_t> probes(labels);
  for (int i = 0; i < 1000; ++i) probes.push_back(rng.next() >> 11);
  probes.push_back(2);
  probes.push_back(UINT64_MAX);
  check_against_set(f, want, probes);
}

TEST_CASE("a few labels spread far apart use the sparse form but answer the same") {
  std::vector<uint64_t> labels = {3, 5000000, 70000000};
  auto f = LabelFilter::from_labels(labels.data(), labels.size());
  check_against_set(f, {3, 5000000, 70000000}, {0, 2, 3, 4, 4999999, 5000000, 5000001, 70000000, 70000001});
}

TEST_CASE("empty allow-list allows nothing; default-constructed too") {
  auto f = LabelFilter::from_labels(nullptr, 0);
  check_against_set(f, {}, {0, 1, 63, 64, UINT64_MAX});
  LabelFilter d;
  check_against_set(d, {}, {0, 1, 12345});
}

TEST_CASE("word boundaries of the bit set: 63, 64, 127, 128") {
  std::vector<uint64_t> labels = {63, 64, 127, 128};
  auto f = LabelFilter::from_labels(labels.data(), labels.size());
  check_against_set(f, {63, 64, 127, 128}, {0, 62, 63, 64, 65, 126, 127, 128, 129, 191, 192, 1u << 20});
}
