// HnswIndex: recall against brute force, replace/remove/compact semantics,
// filtered search, edge cases of k and size, save/load round trips, and
// searches racing inserts and removes.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <thread>
#include <sys/stat.h>
#include <unistd.h>

#include "index/hnsw_index.h"
#include "test_support.h"

using namespace quiver;
using quiver_test::Rng;

namespace {
HnswParams params(size_t dim, Metric m = Metric::Euclidean, uint32_t M = 12) {
  HnswParams p;
  p.dim = dim;
  p.metric = m;
  p.M = M;
  p.ef_construction = 100;
  p.ef_search = 64;
  p.seed = 3;
  return p;
}

std::vector<uint64_t> brute_topk(const std::map<uint64_t, std::vector<float>>& model, const float* q, size_t dim, size_t k) {
  std::vector<std::pair<double, uint64_t>> all;
  for (const auto& [l, v] : model) all.push_back({quiver_test::l2sq64(q, v.data(), dim), l});
  std::sort(all.begin(), all.end());
  std::vector<uint64_t> out;
  for (size_t i = 0; i < std::min(k, all.size()); ++i) out.push_back(all[i].second);
  return out;
}

double recall_at(const HnswIndex& idx, const std::map<uint64_t, std::vector<float>>& model, size_t dim, size_t nq, uint64_t seed) {
  Rng rng(seed);
  size_t hit = 0, total = 0;
  for (size_t i = 0; i < nq; ++i) {
    auto q = rng.floats(dim);
    auto truth = brute_topk(model, q.data(), dim, 10);
    auto r = idx.search(q.data(), 1, 10, 64, 1, nullptr);
    std::set<uint64_t> got(r.labels.begin(), r.labels.end());
    for (auto l : truth) hit += got.count(l);
    total += truth.size();
  }
  return total ? (double)hit / (double)total : 1.0;
}

std::string temp_path(const char* name) { return "/tmp/quiver-test-" + std::to_string(getpid()) + "-" + name; }
}  // namespace

TEST_CASE("recall@10 against brute force on 3000 x 16, and every vector finds itself") {
  const size_t dim = 16, n = 3000;
  Rng rng(1);
  HnswIndex idx(params(dim));
  std::map<uint64_t, std::vector<float>> model;
  std::vector<uint64_t> labels(n);
  auto data = rng.floats(n * dim);
  for (size_t i = 0; i < n; ++i) {
    labels[i] = i * 2 + 7;
    model[labels[i]] = std::vector<float>(data.begin() + i * dim, data.begin() + (i + 1) * dim);
  }
  idx.add(labels.data(), data.data(), n, 0);
  REQUIRE(idx.size() == n);
  CHECK(recall_at(idx, model, dim, 200, 9) >= 0.9);
  size_t self = 0;
  for (size_t i = 0; i < n; i += 10) {
    auto r = idx.search(data.data() + i * dim, 1, 1, 64, 1, nullptr);
    self += r.k == 1 && r.labels[0] == labels[i];
  }
  CHECK(self >= 295);  // of 300
}

TEST_CASE("replace, remove and compact: removed labels never come back, slots are reused") {
  const size_t dim = 8;
  Rng rng(2);
  HnswIndex idx(params(dim, Metric::Cosine, 8));
  std::map<uint64_t, std::vector<float>> model;
  for (int round = 0; round < 6; ++round) {
    const size_t n = 400;
    std::vector<uint64_t> labels(n);
    auto data = rng.floats(n * dim);
    for (size_t i = 0; i < n; ++i) {
      labels[i] = rng.below(1500);
      model[labels[i]] = std::vector<float>(data.begin() + i * dim, data.begin() + (i + 1) * dim);
    }
    idx.add(labels.data(), data.data(), n, 0);
    std::vector<uint64_t> gone;
    for (int i = 0; i < 150; ++i) gone.push_back(rng.below(1500));
    std::set<uint64_t> present;
    for (auto l : gone) if (model.count(l)) present.insert(l);
    CHECK(idx.remove(gone.data(), gone.size()) == present.size());
    for (auto l : gone) model.erase(l);
    if (round % 2 == 1) idx.compact(0);
    REQUIRE(idx.size() == model.size());
    // Contents: get() returns the latest vector, removed labels are gone.
    std::vector<float> out(dim);
    for (const auto& [l, v] : model) {
      REQUIRE(idx.get(l, out.data()));
      REQUIRE(out == v);
    }
    for (auto l : gone) REQUIRE_FALSE(idx.has(l));
    // No search returns a removed label; every result row is full.
    for (int q = 0; q < 30; ++q) {
      auto qv = rng.floats(dim);
      auto r = idx.search(qv.data(), 1, 20, 64, 1, nullptr);
      REQUIRE(r.k == std::min<size_t>(20, model.size()));
      for (auto l : r.labels) REQUIRE(model.count(l) == 1);
    }
  }
  const size_t cap = idx.capacity();
  idx.compact(0);
  CHECK(idx.deleted() == 0);
  CHECK(idx.capacity() == cap);  // compaction frees slots for reuse, it does not shrink
}

TEST_CASE("filtered search returns only allowed labels, exactly min(k, allowed live) of them") {
  const size_t dim = 6, n = 2000;
  Rng rng(3);
  HnswIndex idx(params(dim));
  std::vector<uint64_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = i;
  auto data = rng.floats(n * dim);
  idx.add(labels.data(), data.data(), n, 0);
  for (size_t allowed_count : {1, 5, 40, 900}) {
    std::vector<uint64_t> allow;
    for (size_t i = 0; i < allowed_count; ++i) allow.push_back(rng.below(n));
    allow.push_back(999999);  // not in the index
    auto f = LabelFilter::from_labels(allow.data(), allow.size());
    std::set<uint64_t> allowed_live(allow.begin(), allow.end());
    allowed_live.erase(999999);
    auto q = rng.floats(dim);
    auto r = idx.search(q.data(), 1, 10, 64, 1, &f);
    CAPTURE(allowed_count);
    REQUIRE(r.k == std::min<size_t>(10, allowed_live.size()));
    for (auto l : r.labels) REQUIRE(allowed_live.count(l) == 1);
  }
}

TEST_CASE("k above the size, an empty index, and k = 1e9") {
  HnswIndex idx(params(3));
  const float q[3] = {0, 0, 0};
  CHECK(idx.search(q, 1, 10, 64, 1, nullptr).k == 0);
  std::vector<uint64_t> labels = {1, 2, 3};
  std::vector<float> v = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  idx.add(labels.data(), v.data(), 3, 1);
  auto r = idx.search(q, 1, 1000000000, 64, 1, nullptr);
  CHECK(r.k == 3);
  CHECK(r.labels.size() == 3);
}

TEST_CASE("save/load round trip keeps labels, vectors, parameters and search results") {
  const size_t dim = 12, n = 1500;
  Rng rng(4);
  HnswIndex idx(params(dim, Metric::InnerProduct, 10));
  std::vector<uint64_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = (uint64_t(1) << 40) + i;
  auto data = rng.floats(n * dim);
  idx.add(labels.data(), data.data(), n, 0);
  std::vector<uint64_t> gone(labels.begin(), labels.begin() + 200);
  idx.remove(gone.data(), gone.size());
  const std::string path = temp_path("roundtrip.hnsw");
  idx.save(path);
  auto loaded = HnswIndex::load(path);
  std::remove(path.c_str());
  REQUIRE(loaded->size() == idx.size());
  CHECK(loaded->params().M == 10);
  CHECK(loaded->metric() == Metric::InnerProduct);
  std::vector<float> a(dim), b(dim);
  for (size_t i = 200; i < n; ++i) {
    REQUIRE(loaded->get(labels[i], a.data()));
    REQUIRE(idx.get(labels[i], b.data()));
    REQUIRE(a == b);
  }
  for (size_t i = 0; i < 200; ++i) REQUIRE_FALSE(loaded->has(labels[i]));
  for (int q = 0; q < 50; ++q) {
    auto qv = rng.floats(dim);
    auto r1 = idx.search(qv.data(), 1, 10, 64, 1, nullptr);
    auto r2 = loaded->search(qv.data(), 1, 10, 64, 1, nullptr);
    REQUIRE(r1.labels == r2.labels);
  }
  // The loaded index keeps working: inserts after load do not collide with saved slots.
  std::vector<uint64_t> more = {5, 6};
  auto mv = rng.floats(2 * dim);
  loaded->add(more.data(), mv.data(), 2, 1);
  CHECK(loaded->size() == idx.size() + 2);
}

TEST_CASE("loading a missing, empty or truncated file throws, never crashes") {
  CHECK_THROWS(HnswIndex::load("/nonexistent/quiver.hnsw"));
  const std::string path = temp_path("empty.hnsw");
  { FILE* f = std::fopen(path.c_str(), "wb"); std::fclose(f); }
  CHECK_THROWS(HnswIndex::load(path));
  HnswIndex idx(params(4));
  std::vector<uint64_t> labels = {1, 2, 3, 4};
  std::vector<float> v(16, 0.5f);
  idx.add(labels.data(), v.data(), 4, 1);
  idx.save(path);
  FILE* f = std::fopen(path.c_str(), "rb");
  std::vector<char> bytes(1 << 16);
  bytes.resize(std::fread(bytes.data(), 1, bytes.size(), f));
  std::fclose(f);
  for (size_t cut = 0; cut < bytes.size(); cut += 13) {
    FILE* w = std::fopen(path.c_str(), "wb");
    std::fwrite(bytes.data(), 1, cut, w);
    std::fclose(w);
    CAPTURE(cut);
    CHECK_THROWS(HnswIndex::load(path));
  }
  std::remove(path.c_str());
}

TEST_CASE("searches racing inserts and removes return consistent results") {
  const size_t dim = 4;
  HnswIndex idx(params(dim, Metric::Euclidean, 8));
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread writer([&] {
    Rng rng(5);
    while (!stop.load()) {
      std::vector<uint64_t> labels(16);
      std::vector<float> v(16 * dim, 0.0f);
      for (size_t i = 0; i < 16; ++i) {
        labels[i] = rng.below(3000);
        v[i * dim] = (float)labels[i];
      }
      idx.add(labels.data(), v.data(), 16, 1);
      std::vector<uint64_t> gone(8);
      for (auto& l : gone) l = rng.below(3000);
      idx.remove(gone.data(), gone.size());
    }
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&, t] {
      Rng rng(50 + t);
      for (int i = 0; i < 400; ++i) {
        const float q[4] = {(float)rng.below(3000), 0, 0, 0};
        auto r = idx.search(q, 1, 5, 32, 1, nullptr);
        for (size_t j = 0; j < r.k; ++j)
          if (std::fabs(r.distances[j] - std::fabs(q[0] - (float)r.labels[j])) > 1e-2f) bad++;
      }
    });
  for (auto& t : readers) t.join();
  stop = true;
  writer.join();
  CHECK(bad.load() == 0);
}

namespace {
// Builds the H1 scenario: 2000 vectors, then 4 batches of 3000 (dim 16, M 16,
// efConstruction 64), either one after the other on one thread (deterministic) or
// as 4 concurrent add() calls with a remove racing them.
struct H1Build {
  std::vector<std::vector<float>> vecs;
  std::vector<std::vector<uint64_t>> labels;
};
H1Build h1_build(HnswIndex& idx, uint64_t seed, bool concurrent) {
  const size_t dim = 16, initial = 2000, per = 3000, nb = 4;
  Rng rng(seed);
  H1Build b;
  b.vecs.push_back(rng.floats(initial * dim));
  b.labels.emplace_back(initial);
  for (size_t i = 0; i < initial; ++i) b.labels[0][i] = i;
  for (size_t k = 1; k <= nb; ++k) {
    b.vecs.push_back(rng.floats(per * dim));
    b.labels.emplace_back(per);
    for (size_t i = 0; i < per; ++i) b.labels[k][i] = 100000 * k + i;
  }
  idx.add(b.labels[0].data(), b.vecs[0].data(), initial, concurrent ? 2 : 1);
  if (!concurrent) {
    for (size_t k = 1; k <= nb; ++k) idx.add(b.labels[k].data(), b.vecs[k].data(), per, 1);
    return b;
  }
  std::vector<std::thread> ts;
  for (size_t k = 1; k <= nb; ++k) ts.emplace_back([&, k] { idx.add(b.labels[k].data(), b.vecs[k].data(), per, 2); });
  const uint64_t gone[3] = {0, 1, 2};
  idx.remove(gone, 3);
  for (auto& t : ts) t.join();
  b.labels[0].erase(b.labels[0].begin(), b.labels[0].begin() + 3);
  b.vecs[0].erase(b.vecs[0].begin(), b.vecs[0].begin() + 3 * dim);
  return b;
}
size_t h1_self_misses(const HnswIndex& idx, const H1Build& b) {
  size_t misses = 0;
  for (size_t k = 0; k < b.labels.size(); ++k)
    for (size_t i = 0; i < b.labels[k].size(); ++i) {
      auto r = idx.search(b.vecs[k].data() + i * 16, 1, 10, 200, 1, nullptr);
      misses += std::find(r.labels.begin(), r.labels.end(), b.labels[k][i]) == r.labels.end();
    }
  return misses;
}
HnswParams h1_params() {
  HnswParams p = params(16, Metric::Euclidean, 16);
  p.ef_construction = 64;
  p.seed = 42;
  return p;
}
}  // namespace

TEST_CASE("H1: every vector stays reachable after concurrent inserts racing a remove, and after repair") {
  // Inserts running in parallel inside one add() used to orphan nodes: a new node
  // overwrote its own link list at each level, dropping the links that concurrent
  // inserts had just added to it, and a neighbour's re-selection could drop a node's
  // last inbound link. Such a node (or a small island behind it) has no path from the
  // entry point, so no search returns it: 0-25 of 14,000 per build here before the fix.
  for (uint64_t seed : {1000, 1001, 1002}) {
    HnswIndex idx(h1_params());
    H1Build b = h1_build(idx, seed, true);
    CHECK(idx.size() == 14000 - 3);
    CHECK(idx.unreachable() == 0);
    // Approximate search may still miss a reachable vector, rarely: 0 in most builds,
    // at most 10 of 14,000 at ef 200 in the runs measured (before the fix: up to 25).
    if (seed == 1000) CHECK(h1_self_misses(idx, b) <= 28);
    if (seed == 1001) {
      // Repair after deletes keeps every live node reachable too.
      std::vector<uint64_t> gone;
      for (size_t i = 0; i < 3000; i += 2) gone.push_back(b.labels[1][i]);
      idx.remove(gone.data(), gone.size());
      idx.compact(2);
      CHECK(idx.unreachable() == 0);
    }
  }
}

namespace {
// Clustered data (7 Gaussian clusters); unit-norm for inner product, where a vector is
// then its own best match as for the other metrics.
std::vector<float> h3_vectors(Rng& rng, size_t n, size_t dim, const std::vector<float>& centres, Metric m) {
  std::vector<float> v(n * dim);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = rng.below(centres.size() / dim);
    double norm = 0;
    for (size_t d = 0; d < dim; ++d) {
      // Sum of uniforms: roughly Gaussian noise around the centre.
      const double noise = rng.uniform() + rng.uniform() + rng.uniform();
      v[i * dim + d] = (float)(centres[c * dim + d] + 0.6 * noise);
      norm += (double)v[i * dim + d] * v[i * dim + d];
    }
    if (m == Metric::InnerProduct)
      for (size_t d = 0; d < dim; ++d) v[i * dim + d] = (float)(v[i * dim + d] / std::sqrt(norm));
  }
  return v;
}
}  // namespace

TEST_CASE("H3: multi-threaded adds replacing many labels leave every replaced vector found by itself, none unreachable") {
  // Inserts racing in one chunk used to leave a node unreachable until the next
  // reachability check: an insert whose search started from a node a concurrent insert
  // had not linked yet kept 1-2 links (two such nodes linked only to each other), or a
  // concurrent insert rewrote its own list over the only link into another new node.
  // test/hnsw-index.test.ts saw it as a replaced vector not found at ef 200 (~1 run in 6).
  const size_t dim = 16, n = 3000, per = 300, rounds = 4;
  for (Metric m : {Metric::Euclidean, Metric::Cosine, Metric::InnerProduct}) {
    for (uint64_t seed : {7, 8, 9}) {
      CAPTURE(metric_name(m));
      CAPTURE(seed);
      Rng rng(seed);
      const std::vector<float> centres = rng.floats(7 * dim, -2.0, 2.0);
      HnswParams p = params(dim, m, 16);
      p.seed = seed;
      HnswIndex idx(p);
      std::vector<uint64_t> labels(n);
      for (size_t i = 0; i < n; ++i) labels[i] = i * 7 + 3;
      const std::vector<float> base = h3_vectors(rng, n, dim, centres, m);
      idx.add(labels.data(), base.data(), n, 2);
      CHECK(idx.unreachable() == 0);
      for (size_t r = 0; r < rounds; ++r) {
        CAPTURE(r);
        std::vector<uint64_t> moved(per);
        for (size_t i = 0; i < per; ++i) moved[i] = labels[rng.below(n)];
        std::sort(moved.begin(), moved.end());
        moved.erase(std::unique(moved.begin(), moved.end()), moved.end());
        const std::vector<float> fresh = h3_vectors(rng, moved.size(), dim, centres, m);
        idx.add(moved.data(), fresh.data(), moved.size(), 2);
        REQUIRE(idx.size() == n);
        CHECK(idx.unreachable() == 0);
        size_t misses = 0;
        std::vector<float> got(dim);
        for (size_t i = 0; i < moved.size(); ++i) {
          REQUIRE(idx.get(moved[i], got.data()));
          CHECK(std::equal(got.begin(), got.end(), fresh.begin() + i * dim));
          auto res = idx.search(fresh.data() + i * dim, 1, 1, 200, 1, nullptr);
          misses += res.labels.empty() || res.labels[0] != moved[i];
        }
        CHECK(misses == 0);
      }
    }
  }
}

TEST_CASE("load refuses a FIFO, a directory and /dev/zero at once (never blocks)") {
  const std::string fifo = temp_path("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const std::string& p : {fifo, std::string("/tmp"), std::string("/dev/zero")}) {
    CAPTURE(p);
    try {
      HnswIndex::load(p);
      FAIL("loaded a non-regular file");
    } catch (const std::exception& e) {
      CHECK(std::string(e.what()).find("not a regular file") != std::string::npos);
    }
  }
  std::remove(fifo.c_str());
}

TEST_CASE("int8: empty, emptied and one-vector indexes save and load back") {
  for (Metric m : {Metric::Euclidean, Metric::Cosine, Metric::InnerProduct}) {
    HnswParams p = params(4, m);
    p.quantization = Quantization::Int8;
    const std::string path = temp_path("int8-states.hnsw");
    HnswIndex empty(p);
    empty.save(path);
    auto a = HnswIndex::load(path);
    CHECK(a->size() == 0);
    // The loaded empty index fits its quantizer to its first add, like a new one.
    std::vector<uint64_t> labels = {1, 2};
    std::vector<float> v = {1, 2, 3, 4, -1, -2, -3, -4};
    a->add(labels.data(), v.data(), 2, 1);
    a->save(path);
    auto b = HnswIndex::load(path);
    CHECK(b->size() == 2);
    b->remove(labels.data(), 2);
    b->save(path);
    CHECK(HnswIndex::load(path)->size() == 0);
    std::remove(path.c_str());
  }
}

TEST_CASE("save refuses to write a file load would reject, and keeps the old file") {
  const std::string path = temp_path("keep.hnsw");
  HnswIndex good(params(2));
  std::vector<uint64_t> labels = {1};
  std::vector<float> ok = {1, 2};
  good.add(labels.data(), ok.data(), 1, 1);
  good.save(path);
  // The core trusts its caller; the binding refuses such values. Save must still
  // never write them (load rejects components outside |x| <= 1e15).
  HnswIndex bad(params(2));
  std::vector<float> huge = {2e19f, 0};
  bad.add(labels.data(), huge.data(), 1, 1);
  CHECK_THROWS_WITH_AS(bad.save(path), doctest::Contains("would not load"), std::runtime_error);
  auto back = HnswIndex::load(path);
  std::vector<float> got(2);
  REQUIRE(back->get(1, got.data()));
  CHECK(got == ok);
  std::remove(path.c_str());
}

TEST_CASE("k above 2^24 and above the size: every vector, no ef error; get_many and reserve") {
  HnswIndex idx(params(2));
  std::vector<uint64_t> labels = {1, 2, 3};
  std::vector<float> v = {0, 0, 1, 0, 2, 0};
  idx.add(labels.data(), v.data(), 3, 1);
  const float q[2] = {0, 0};
  uint64_t out_l[3];
  float out_d[3];
  CHECK(idx.search_into(q, (size_t(1) << 24) + 1, 64, nullptr, out_l, out_d) == 3);
  CHECK(idx.search(q, 1, (size_t(1) << 40), 64, 1, nullptr).k == 3);
  std::vector<uint64_t> want = {3, 1};
  std::vector<float> rows(4);
  CHECK(idx.get_many(want.data(), 2, rows.data()) == 2);
  CHECK(rows == std::vector<float>({2, 0, 0, 0}));
  std::vector<uint64_t> missing = {1, 9};
  CHECK(idx.get_many(missing.data(), 2, rows.data()) == 1);
  idx.reserve(1000);
  CHECK(idx.capacity() == 1000);
  idx.reserve(10);
  CHECK(idx.capacity() == 1000);
}
