// FlatIndex against a float64 brute-force model: random add / replace / remove
// sequences, searches with and without allow-lists, every metric, both the
// single-query and the split-vectors batch paths, and concurrent readers/writers.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "index/flat_index.h"
#include "test_support.h"

using namespace quiver;
using quiver_test::Rng;

namespace {

double ref_distance(Metric m, const float* q, const float* x, size_t dim) {
  switch (m) {
    case Metric::Euclidean: return std::sqrt(quiver_test::l2sq64(q, x, dim));
    case Metric::InnerProduct: return 1.0 - quiver_test::dot64(q, x, dim);
    case Metric::Cosine: {
      const double nq = std::sqrt(quiver_test::dot64(q, q, dim)), nx = std::sqrt(quiver_test::dot64(x, x, dim));
      if (nq == 0 || nx == 0) return 1.0;
      return 1.0 - quiver_test::dot64(q, x, dim) / (nq * nx);
    }
  }
  return 0;
}

using Model = std::map<uint64_t, std::vector<float>>;

// Checks one query's results: right count, allowed live labels, correct distances,
// sorted by (distance, label), and nothing better left out.
void check_query(const FlatIndex& idx, const Model& model, const float* q, size_t k, const SearchResult& r,
                 size_t qi, const std::set<uint64_t>* allow) {
  const size_t dim = idx.dim();
  std::vector<double> ref_all;
  for (const auto& [label, v] : model)
    if (!allow || allow->count(label)) ref_all.push_back(ref_distance(idx.metric(), q, v.data(), dim));
  std::sort(ref_all.begin(), ref_all.end());
  REQUIRE(r.k == std::min(k, ref_all.size()));
  const double tol = 2e-4;  // float32 distances of unit-scale vectors vs float64
  std::set<uint64_t> seen;
  for (size_t j = 0; j < r.k; ++j) {
    const uint64_t label = r.labels[qi * r.k + j];
    const float d = r.distances[qi * r.k + j];
    CAPTURE(j);
    CAPTURE(label);
    auto it = model.find(label);
    REQUIRE(it != model.end());
    if (allow) REQUIRE(allow->count(label) == 1);
    REQUIRE(seen.insert(label).second);
    REQUIRE(std::fabs(d - ref_distance(idx.metric(), q, it->second.data(), dim)) <= tol);
    REQUIRE(d <= ref_all[j] + tol);  // the j-th result is as good as the true j-th
    if (j > 0) {
      const float prev = r.distances[qi * r.k + j - 1];
      REQUIRE(prev <= d);
      if (prev == d) REQUIRE(r.labels[qi * r.k + j - 1] < label);
    }
  }
}

void check_contents(const FlatIndex& idx, const Model& model) {
  REQUIRE(idx.size() == model.size());
  auto labels = idx.labels();
  REQUIRE(std::set<uint64_t>(labels.begin(), labels.end()).size() == model.size());
  std::vector<float> out(idx.dim());
  for (const auto& [label, v] : model) {
    REQUIRE(idx.has(label));
    REQUIRE(idx.get(label, out.data()));
    REQUIRE(out == v);
  }
  std::vector<uint64_t> snap_labels;
  std::vector<float> snap_vecs;
  idx.snapshot(&snap_labels, &snap_vecs);
  REQUIRE(snap_labels.size() == model.size());
  for (size_t i = 0; i < snap_labels.size(); ++i) {
    const auto& v = model.at(snap_labels[i]);
    REQUIRE(std::equal(v.begin(), v.end(), snap_vecs.begin() + i * idx.dim()));
  }
}

void random_sequence(Metric metric, size_t dim, uint64_t seed, int steps, size_t label_space) {
  Rng rng(seed);
  FlatIndex idx(dim, metric);
  Model model;
  for (int step = 0; step < steps; ++step) {
    CAPTURE(step);
    const size_t op = rng.below(10);
    if (op < 4) {  // add / replace a batch (duplicates in a batch: the last one wins)
      const size_t n = 1 + rng.below(60);
      std::vector<uint64_t> labels(n);
      for (auto& l : labels) l = rng.below(label_space);
      auto vecs = rng.floats(n * dim);
      if (metric == Metric::Cosine && rng.below(4) == 0) std::fill(vecs.begin(), vecs.begin() + dim, 0.0f);
      idx.add(labels.data(), vecs.data(), n);
      for (size_t i = 0; i < n; ++i) model[labels[i]] = std::vector<float>(vecs.begin() + i * dim, vecs.begin() + (i + 1) * dim);
    } else if (op < 6) {  // remove, some labels absent
      const size_t n = 1 + rng.below(20);
      std::vector<uint64_t> labels(n);
      for (auto& l : labels) l = rng.below(label_space);
      std::set<uint64_t> distinct_present;
      for (auto l : labels) if (model.count(l)) distinct_present.insert(l);
      REQUIRE(idx.remove(labels.data(), n) == distinct_present.size());
      for (auto l : labels) model.erase(l);
    } else {  // search, sometimes filtered
      const size_t nq = 1 + rng.below(20), k = 1 + rng.below(40);
      auto qs = rng.floats(nq * dim);
      std::set<uint64_t> allow;
      std::optional<LabelFilter> filter;
      if (op == 9) {
        std::vector<uint64_t> allow_v;
        const size_t n = rng.below(label_space / 2 + 1);
        for (size_t i = 0; i < n; ++i) allow_v.push_back(rng.below(label_space));
        allow.insert(allow_v.begin(), allow_v.end());
        filter = LabelFilter::from_labels(allow_v.data(), allow_v.size());
      }
      const size_t threads = rng.below(3);
      auto r = idx.search(qs.data(), nq, k, threads, filter ? &*filter : nullptr);
      for (size_t qi = 0; qi < nq; ++qi) check_query(idx, model, qs.data() + qi * dim, k, r, qi, filter ? &allow : nullptr);
    }
    if (step % 10 == 0) check_contents(idx, model);
  }
  check_contents(idx, model);
}

}  // namespace

TEST_CASE("random add/replace/remove/search sequences match the brute-force model (every metric)") {
  for (Metric m : {Metric::Euclidean, Metric::Cosine, Metric::InnerProduct}) {
    for (size_t dim : {1, 3, 16, 17, 100}) {
      CAPTURE(metric_name(m));
      CAPTURE(dim);
      random_sequence(m, dim, 1000 + dim * 3 + (size_t)m, 120, 300);
    }
  }
}

TEST_CASE("huge labels (up to 2^53-1) and a sparse allow-list") {
  FlatIndex idx(4, Metric::Euclidean);
  const uint64_t big = (uint64_t(1) << 53) - 1;
  std::vector<uint64_t> labels = {big, big - 1, uint64_t(1) << 40, 0};
  std::vector<float> v = {0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0};
  idx.add(labels.data(), v.data(), 4);
  const float q[4] = {0, 0, 0, 0};
  auto r = idx.search(q, 1, 10, 1);
  REQUIRE(r.k == 4);
  CHECK(r.labels == std::vector<uint64_t>{big, big - 1, uint64_t(1) << 40, 0});
  std::vector<uint64_t> allow = {0, big};
  auto f = LabelFilter::from_labels(allow.data(), allow.size());
  auto rf = idx.search(q, 1, 10, 1, &f);
  REQUIRE(rf.k == 2);
  CHECK(rf.labels == std::vector<uint64_t>{big, 0});
}

TEST_CASE("equal distances come out in ascending label order") {
  FlatIndex idx(2, Metric::Euclidean);
  std::vector<uint64_t> labels;
  std::vector<float> vecs;
  for (uint64_t l = 100; l > 0; --l) {  // inserted in descending order
    labels.push_back(l * 7);
    vecs.push_back(1);
    vecs.push_back(0);
  }
  idx.add(labels.data(), vecs.data(), labels.size());
  const float q[2] = {0, 0};
  auto r = idx.search(q, 1, 30, 1);
  REQUIRE(r.k == 30);
  for (size_t j = 0; j < 30; ++j) CHECK(r.labels[j] == (j + 1) * 7);
}

// Many rows tied at the k-th distance whose ranking keys differ by rounding
// (dim 1 under cosine: every positive row is at distance 0 from a positive query),
// exact copies (thousands: the window's exact mode), zero rows. Labels run against
// slot order. Expected: the full (distance, label) order of exact distances.
TEST_CASE("ties at the k-th distance come out lowest labels first, however many rows tie (batch and single)") {
  for (Metric metric : {Metric::Cosine, Metric::Euclidean, Metric::InnerProduct}) {
    CAPTURE(metric_name(metric));
    for (size_t dim : {1, 4}) {
      CAPTURE(dim);
      Rng rng(77 + dim);
      const size_t n = 5000;
      FlatIndex idx(dim, metric);
      std::vector<uint64_t> labels(n);
      std::vector<float> vecs(n * dim);
      for (size_t i = 0; i < n; ++i) {
        labels[i] = (n - i) * 3;  // descending in slot order
        float* v = vecs.data() + i * dim;
        if (i % 5 == 0) continue;                                         // zero row
        if (i % 5 == 1 && i > 5) { std::copy(vecs.data() + dim, vecs.data() + 2 * dim, v); continue; }  // copy of row 1
        for (size_t d = 0; d < dim; ++d) v[d] = (float)rng.uniform(-3, 3);
      }
      idx.add(labels.data(), vecs.data(), n);
      std::vector<float> queries(4 * dim, 0.0f);  // query 0: zero vector
      std::copy(vecs.data() + dim, vecs.data() + 2 * dim, queries.data() + dim);  // row 1 (1000 copies)
      for (size_t d = 0; d < dim; ++d) queries[2 * dim + d] = (float)rng.uniform(-3, 3);
      for (size_t d = 0; d < dim; ++d) queries[3 * dim + d] = -queries[dim + d];
      const KernelTable& kt = kernels();
      for (size_t k : {1, 3, 10, 50, 400, 1500}) {
        CAPTURE(k);
        auto batch = idx.search(queries.data(), 4, k, 2);
        for (size_t qi = 0; qi < 4; ++qi) {
          CAPTURE(qi);
          const float* q = queries.data() + qi * dim;
          const float qn = vector_norm(kt, q, dim);
          std::vector<Candidate> all(n);
          for (size_t i = 0; i < n; ++i) {
            const float* x = vecs.data() + i * dim;
            all[i] = {exact_distance(kt, metric, q, qn, x, vector_norm(kt, x, dim), dim), labels[i], (uint32_t)i};
          }
          std::sort(all.begin(), all.end(), better);
          auto one = idx.search(q, 1, k, 1);
          REQUIRE(batch.k == k);
          REQUIRE(one.k == k);
          for (size_t j = 0; j < k; ++j) {
            CAPTURE(j);
            REQUIRE(batch.labels[qi * k + j] == all[j].label);
            REQUIRE(batch.distances[qi * k + j] == all[j].key);
            REQUIRE(one.labels[j] == all[j].label);
            REQUIRE(one.distances[j] == all[j].key);
          }
        }
      }
    }
  }
}

TEST_CASE("k larger than the index, k far larger (1e9), empty index, nq = 0") {
  FlatIndex idx(3, Metric::Cosine);
  const float q[3] = {1, 0, 0};
  auto empty = idx.search(q, 1, 5, 0);
  CHECK(empty.k == 0);
  CHECK(empty.labels.empty());
  std::vector<uint64_t> labels = {1, 2};
  std::vector<float> v = {1, 0, 0, 0, 1, 0};
  idx.add(labels.data(), v.data(), 2);
  auto r = idx.search(q, 1, 1000000000, 0);
  CHECK(r.k == 2);
  CHECK(r.labels.size() == 2);
  auto none = idx.search(q, 0, 5, 0);
  CHECK(none.labels.empty());
}

TEST_CASE("large index: the split-vectors batch path (>= 16384 vectors, few queries) matches brute force") {
  const size_t dim = 8, n = 20000;
  Rng rng(77);
  FlatIndex idx(dim, Metric::Euclidean);
  Model model;
  std::vector<uint64_t> labels(n);
  auto vecs = rng.floats(n * dim);
  for (size_t i = 0; i < n; ++i) {
    labels[i] = i * 3 + 1;
    model[labels[i]] = std::vector<float>(vecs.begin() + i * dim, vecs.begin() + (i + 1) * dim);
  }
  idx.add(labels.data(), vecs.data(), n);
  for (size_t nq : {1, 2, 9}) {
    auto qs = rng.floats(nq * dim);
    auto r = idx.search(qs.data(), nq, 25, 0);
    for (size_t qi = 0; qi < nq; ++qi) check_query(idx, model, qs.data() + qi * dim, 25, r, qi, nullptr);
  }
  // Remove half, then the same checks (slots got compacted by moving the last vector).
  std::vector<uint64_t> gone;
  for (size_t i = 0; i < n; i += 2) gone.push_back(labels[i]);
  CHECK(idx.remove(gone.data(), gone.size()) == gone.size());
  for (auto l : gone) model.erase(l);
  auto qs = rng.floats(3 * dim);
  auto r = idx.search(qs.data(), 3, 10, 0);
  for (size_t qi = 0; qi < 3; ++qi) check_query(idx, model, qs.data() + qi * dim, 10, r, qi, nullptr);
  check_contents(idx, model);
}

TEST_CASE("concurrent searches while another thread adds and removes: results stay self-consistent") {
  // Vector of label L is (L, 0, 0, 0), so any returned (label, distance) pair can be
  // verified without knowing which writes had happened yet.
  const size_t dim = 4;
  FlatIndex idx(dim, Metric::Euclidean);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread writer([&] {
    Rng rng(1);
    while (!stop.load()) {
      std::vector<uint64_t> labels(32);
      std::vector<float> vecs(32 * dim, 0.0f);
      for (size_t i = 0; i < 32; ++i) {
        labels[i] = rng.below(2000);
        vecs[i * dim] = (float)labels[i];
      }
      idx.add(labels.data(), vecs.data(), 32);
      std::vector<uint64_t> gone(16);
      for (auto& l : gone) l = rng.below(2000);
      idx.remove(gone.data(), gone.size());
    }
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      Rng rng(100 + t);
      for (int i = 0; i < 300; ++i) {
        const float q[4] = {(float)rng.below(2000), 0, 0, 0};
        auto r = idx.search(q, 1, 10, 0);
        for (size_t j = 0; j < r.k; ++j)
          if (std::fabs(r.distances[j] - std::fabs(q[0] - (float)r.labels[j])) > 1e-2f) bad++;
      }
    });
  }
  for (auto& t : readers) t.join();
  stop = true;
  writer.join();
  CHECK(bad.load() == 0);
}

TEST_CASE("storage growth: exact for bulk adds, x1.25 for small ones, reserve() once, remove() shrinks") {
  const size_t dim = 8;
  quiver_test::Rng rng(11);
  {
    FlatIndex idx(dim, Metric::Euclidean);
    std::vector<uint64_t> labels(1000);
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = i;
    auto v = rng.floats(labels.size() * dim);
    idx.add(labels.data(), v.data(), labels.size());
    CHECK(idx.capacity() == 1008);  // 1000 rounded up to a block of 16
    // Replacing every label needs no new slot.
    idx.add(labels.data(), v.data(), labels.size());
    CHECK(idx.capacity() == 1008);
  }
  {
    FlatIndex idx(dim, Metric::InnerProduct);
    auto v = rng.floats(dim);
    size_t prev = 0;
    for (uint64_t l = 0; l < 3000; ++l) {
      idx.add(&l, v.data(), 1);
      const size_t cap = idx.capacity();
      if (cap != prev && prev >= 64) CHECK(cap <= (prev + prev / 4 + 15) / 16 * 16 + 16);
      prev = cap;
    }
    CHECK((double)idx.capacity() / (double)idx.size() <= 1.27);
    // remove() gives storage back below half full, and search still works.
    std::vector<uint64_t> gone(2900);
    for (size_t i = 0; i < gone.size(); ++i) gone[i] = i;
    const size_t before = idx.capacity();
    CHECK(idx.remove(gone.data(), gone.size()) == 2900);
    CHECK(idx.capacity() < before / 4);
    CHECK(idx.size() == 100);
    auto r = idx.search(v.data(), 1, 5, 1);
    CHECK(r.k == 5);
    for (uint64_t l : r.labels) CHECK(l >= 2900);
  }
  {
    FlatIndex idx(dim, Metric::Cosine);
    idx.reserve(5000);
    CHECK(idx.capacity() == 5008);
    auto v = rng.floats(100 * dim);
    std::vector<uint64_t> labels(100);
    for (size_t c = 0; c < 50; ++c) {
      for (size_t i = 0; i < 100; ++i) labels[i] = c * 100 + i;
      idx.add(labels.data(), v.data(), 100);
    }
    CHECK(idx.capacity() == 5008);
    CHECK(idx.memory_bytes() >= 5008 * (dim * 4 + 20));
  }
}

TEST_CASE("get_many copies rows in label order and names the first missing label") {
  const size_t dim = 5;
  FlatIndex idx(dim, Metric::Euclidean);
  quiver_test::Rng rng(12);
  std::vector<uint64_t> labels = {10, 20, 30};
  auto v = rng.floats(3 * dim);
  idx.add(labels.data(), v.data(), 3);
  std::vector<uint64_t> want = {30, 10};
  std::vector<float> out(2 * dim, -1.0f);
  CHECK(idx.get_many(want.data(), 2, out.data()) == 2);
  CHECK(std::equal(out.begin(), out.begin() + dim, v.begin() + 2 * dim));
  CHECK(std::equal(out.begin() + dim, out.end(), v.begin()));
  std::vector<uint64_t> missing = {20, 99, 10};
  std::vector<float> untouched(3 * dim, 7.0f);
  CHECK(idx.get_many(missing.data(), 3, untouched.data()) == 1);
  for (float x : untouched) CHECK(x == 7.0f);
}

namespace {

// Data shapes that stress the int8 first pass of the batch scan (flat_index.cpp:
// scan_blocks_i8): coarse codes (one huge component), norms over 12 decades,
// vectors too small to code, exact and 1-ulp near copies at the k-th distance,
// clusters (many near ties), and vectors the codes represent exactly.
enum class Shape { Uniform, Outlier, NormSpread, Tiny, NearCopies, Clusters, Exact };
constexpr Shape kShapes[] = {Shape::Uniform, Shape::Outlier, Shape::NormSpread, Shape::Tiny,
                             Shape::NearCopies, Shape::Clusters, Shape::Exact};
const char* shape_name(Shape s) {
  switch (s) {
    case Shape::Uniform: return "uniform";
    case Shape::Outlier: return "outlier";
    case Shape::NormSpread: return "norm-spread";
    case Shape::Tiny: return "tiny";
    case Shape::NearCopies: return "near-copies";
    case Shape::Clusters: return "clusters";
    case Shape::Exact: return "exact";
  }
  return "?";
}

std::vector<float> shaped_rows(Shape shape, size_t n, size_t dim, Rng& rng) {
  std::vector<float> v(n * dim);
  std::vector<float> centres = rng.floats(8 * dim, -2, 2);
  for (size_t i = 0; i < n; ++i) {
    float* x = v.data() + i * dim;
    for (size_t d = 0; d < dim; ++d) x[d] = (float)rng.uniform();
    switch (shape) {
      case Shape::Uniform: break;
      case Shape::Outlier: x[rng.below(dim)] *= 1000.0f; break;
      case Shape::NormSpread: {
        const float s = (float)std::pow(10.0, rng.uniform(-6, 6));
        for (size_t d = 0; d < dim; ++d) x[d] *= s;
        break;
      }
      case Shape::Tiny:
        if (i % 3 == 0) for (size_t d = 0; d < dim; ++d) x[d] *= 1e-32f;
        if (i % 7 == 0) std::fill(x, x + dim, 0.0f);
        break;
      case Shape::NearCopies:
        if (i >= 8) {
          std::copy(v.data() + (i % 8) * dim, v.data() + (i % 8 + 1) * dim, x);
          if (i % 2) x[rng.below(dim)] = std::nextafter(x[0], 2.0f);
        }
        break;
      case Shape::Clusters: {
        const float* c = centres.data() + rng.below(8) * dim;
        for (size_t d = 0; d < dim; ++d) x[d] = c[d] + 0.01f * x[d];
        break;
      }
      case Shape::Exact:
        for (size_t d = 0; d < dim; ++d) x[d] = (float)((int)rng.below(255) - 127) * 0.25f;
        break;
    }
  }
  return v;
}

// Every batch result equals the exact top k by (distance, label), distances
// bit-identical to exact_distance, and to the single-query (float32) path.
void check_batch_exact(const FlatIndex& idx, const std::vector<uint64_t>& labels, const std::vector<float>& vecs,
                       const std::vector<float>& qs, size_t nq, size_t k, size_t threads,
                       const std::set<uint64_t>* allow) {
  const size_t dim = idx.dim(), n = labels.size();
  const KernelTable& kt = kernels();
  std::optional<LabelFilter> filter;
  if (allow) {
    std::vector<uint64_t> a(allow->begin(), allow->end());
    filter = LabelFilter::from_labels(a.data(), a.size());
  }
  auto batch = idx.search(qs.data(), nq, k, threads, filter ? &*filter : nullptr);
  for (size_t qi = 0; qi < nq; ++qi) {
    CAPTURE(qi);
    const float* q = qs.data() + qi * dim;
    const float qn = vector_norm(kt, q, dim);
    std::vector<Candidate> all;
    for (size_t i = 0; i < n; ++i) {
      if (allow && !allow->count(labels[i])) continue;
      const float* x = vecs.data() + i * dim;
      all.push_back({exact_distance(kt, idx.metric(), q, qn, x, vector_norm(kt, x, dim), dim), labels[i], (uint32_t)i});
    }
    std::sort(all.begin(), all.end(), better);
    const size_t kk = std::min(k, all.size());
    REQUIRE(batch.k == kk);
    auto one = idx.search(q, 1, k, 1, filter ? &*filter : nullptr);
    for (size_t j = 0; j < kk; ++j) {
      CAPTURE(j);
      CAPTURE(all[j].key);
      CAPTURE(batch.distances[qi * kk + j]);
      REQUIRE(batch.labels[qi * kk + j] == all[j].label);
      REQUIRE(batch.distances[qi * kk + j] == all[j].key);
      REQUIRE(one.labels[j] == all[j].label);
    }
  }
}

}  // namespace

TEST_CASE("batch search of >= 32 queries (the int8 first pass where the level has it) is exact on every data shape") {
  for (Metric metric : {Metric::Euclidean, Metric::Cosine, Metric::InnerProduct}) {
    CAPTURE(metric_name(metric));
    for (Shape shape : kShapes) {
      const std::string shape_s = shape_name(shape), metric_s = metric_name(metric);
      CAPTURE(shape_s);
      CAPTURE(metric_s);
      for (size_t dim : {32, 35, 100, 257}) {
        CAPTURE(dim);
        Rng rng(1000 + dim * 7 + (size_t)shape * 131 + (size_t)metric);
        const size_t n = dim > 200 ? 700 : 2000;
        std::vector<uint64_t> labels(n);
        for (size_t i = 0; i < n; ++i) labels[i] = (n - i) * 5 + 3;
        auto vecs = shaped_rows(shape, n, dim, rng);
        FlatIndex idx(dim, metric);
        idx.add(labels.data(), vecs.data(), n);
        // Queries of the same shape, plus a data row, a zero and a tiny query.
        const size_t nq = 32 + rng.below(24);
        auto qs = shaped_rows(shape, nq, dim, rng);
        std::copy(vecs.data() + 3 * dim, vecs.data() + 4 * dim, qs.data());
        std::fill(qs.data() + dim, qs.data() + 2 * dim, 0.0f);
        for (size_t d = 0; d < dim; ++d) qs[2 * dim + d] = (float)rng.uniform() * 1e-31f;
        for (size_t k : {1, 10, 100}) {
          CAPTURE(k);
          check_batch_exact(idx, labels, vecs, qs, nq, k, 1 + rng.below(2), nullptr);
        }
        std::set<uint64_t> allow;
        for (size_t i = 0; i < n; ++i)
          if (rng.below(3) != 0) allow.insert(labels[i]);
        check_batch_exact(idx, labels, vecs, qs, nq, 10, 2, &allow);
      }
    }
  }
}

TEST_CASE("batch search of >= 32 queries over >= 16384 vectors (vectors split across threads) is exact") {
  for (Metric metric : {Metric::Euclidean, Metric::Cosine, Metric::InnerProduct}) {
    CAPTURE(metric_name(metric));
    for (Shape shape : {Shape::NormSpread, Shape::Clusters}) {
      CAPTURE(shape_name(shape));
      const size_t dim = 40, n = 17000;
      Rng rng(4242 + (size_t)shape);
      std::vector<uint64_t> labels(n);
      for (size_t i = 0; i < n; ++i) labels[i] = i * 3 + 1;
      auto vecs = shaped_rows(shape, n, dim, rng);
      FlatIndex idx(dim, metric);
      idx.add(labels.data(), vecs.data(), n);
      auto qs = shaped_rows(shape, 32, dim, rng);
      check_batch_exact(idx, labels, vecs, qs, 32, 10, 2, nullptr);
      // k above 4096: the int8 pass bounds the window by its margin alone.
      check_batch_exact(idx, labels, vecs, qs, 32, 5000, 1, nullptr);
    }
  }
}
