// MappedVectors against FlatIndex holding the same vectors (labels = rows):
// identical labels and distances for every metric, with and without an allow
// bitset, single-part and split scans; and the open errors (each an exception).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "index/flat_index.h"
#include "index/mapped_vectors.h"
#include "test_support.h"

using namespace quiver;
using quiver_test::Rng;

namespace {

std::string temp_path(const char* name) {
  return "/tmp/quiver-mapped-test-" + std::to_string(getpid()) + "-" + name;
}

// Writes `offset` bytes of 0xab, then the floats; returns the path.
std::string write_rows(const char* name, const std::vector<float>& data, size_t offset) {
  const std::string path = temp_path(name);
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  std::vector<unsigned char> head(offset, 0xab);
  if (offset) REQUIRE(std::fwrite(head.data(), 1, offset, f) == offset);
  if (!data.empty()) REQUIRE(std::fwrite(data.data(), sizeof(float), data.size(), f) == data.size());
  std::fclose(f);
  return path;
}

void check_same(const SearchResult& got, const SearchResult& want) {
  REQUIRE(got.k == want.k);
  REQUIRE(got.labels.size() == want.labels.size());
  for (size_t i = 0; i < got.labels.size(); ++i) {
    CHECK(got.labels[i] == want.labels[i]);
    CHECK(got.distances[i] == want.distances[i]);
  }
}

}  // namespace

TEST_CASE("MappedVectors equals FlatIndex for every metric, with allow bitsets and split scans") {
  Rng rng(42);
  // 5000 x 300 = 1.5 M floats: above the per-part threshold, so threads = 0
  // splits the scan (on a machine with more than one core).
  for (size_t rows : {size_t(1), size_t(33), size_t(5000)}) {
    const size_t dim = rows == 5000 ? 300 : 7;
    std::vector<float> data = rng.floats(rows * dim);
    for (size_t d = 0; d < dim; ++d) data[d] = 0.0f;  // a zero vector (cosine)
    const std::string path = write_rows("diff", data, 4096);
    std::vector<uint64_t> labels(rows);
    for (size_t i = 0; i < rows; ++i) labels[i] = i;
    for (Metric m : {Metric::Cosine, Metric::Euclidean, Metric::InnerProduct}) {
      CAPTURE(metric_name(m));
      CAPTURE(rows);
      MappedVectors mv(path, 4096, rows, dim, m);
      FlatIndex flat(dim, m);
      flat.add(labels.data(), data.data(), rows);
      const size_t nq = 3;
      std::vector<float> qs = rng.floats(nq * dim);
      std::vector<uint32_t> allow(mv.allow_words(), 0);
      std::vector<uint64_t> allowed;
      for (size_t r = 0; r < rows; ++r)
        if (rng.below(3) == 0) {
          allow[r / 32] |= 1u << (r % 32);
          allowed.push_back(r);
        }
      const LabelFilter filter = LabelFilter::from_labels(allowed.data(), allowed.size());
      for (size_t k : {size_t(1), size_t(10), rows + 2}) {
        // FlatIndex with k >= rows scores every row exactly: the reference order.
        const SearchResult all = flat.search(qs.data(), nq, rows + 2, 1);
        const SearchResult all_allowed = flat.search(qs.data(), nq, rows + 2, 1, &filter);
        for (size_t threads : {size_t(1), size_t(0)}) {
          const SearchResult got = mv.search(qs.data(), nq, k, threads, nullptr);
          const SearchResult got_allowed = mv.search(qs.data(), nq, k, threads, allow.data());
          REQUIRE(got.k == std::min(k, rows));
          REQUIRE(got_allowed.k == std::min(k, allowed.size()));
          for (size_t qi = 0; qi < nq; ++qi) {
            for (size_t j = 0; j < got.k; ++j) {
              CHECK(got.labels[qi * got.k + j] == all.labels[qi * all.k + j]);
              CHECK(got.distances[qi * got.k + j] == all.distances[qi * all.k + j]);
            }
            for (size_t j = 0; j < got_allowed.k; ++j) {
              CHECK(got_allowed.labels[qi * got_allowed.k + j] == all_allowed.labels[qi * all_allowed.k + j]);
              CHECK(got_allowed.distances[qi * got_allowed.k + j] == all_allowed.distances[qi * all_allowed.k + j]);
            }
          }
        }
      }
    }
    std::remove(path.c_str());
  }
}

TEST_CASE("MappedVectors maps from any float-aligned offset and reads rows in place") {
  Rng rng(7);
  const size_t rows = 20, dim = 3;
  const std::vector<float> data = rng.floats(rows * dim);
  for (size_t offset : {size_t(0), size_t(4), size_t(4096), size_t(4096 * 3 + 20)}) {
    CAPTURE(offset);
    const std::string path = write_rows("offset", data, offset);
    MappedVectors mv(path, offset, rows, dim, Metric::Euclidean);
    for (size_t r = 0; r < rows; ++r)
      for (size_t d = 0; d < dim; ++d) CHECK(mv.row(r)[d] == data[r * dim + d]);
    // Row 5 is its own nearest row.
    const SearchResult res = mv.search(data.data() + 5 * dim, 1, 1, 1, nullptr);
    CHECK(res.labels[0] == 5);
    CHECK(res.distances[0] == 0.0f);
    std::remove(path.c_str());
  }
}

TEST_CASE("MappedVectors open errors are exceptions naming the file and sizes") {
  const std::vector<float> data(10 * 4, 1.0f);
  const std::string path = write_rows("errors", data, 4096);
  CHECK_THROWS_WITH_AS(MappedVectors(temp_path("missing"), 4096, 10, 4, Metric::Cosine),
                       doctest::Contains("cannot open"), std::runtime_error);
  CHECK_THROWS_WITH_AS(MappedVectors(path, 4096, 11, 4, Metric::Cosine), doctest::Contains("16 bytes short"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(MappedVectors(path, 4100, 10, 4, Metric::Cosine), doctest::Contains("4 bytes short"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(MappedVectors(path, 4098, 1, 4, Metric::Cosine), doctest::Contains("not a multiple of 4"),
                       std::invalid_argument);
  CHECK_THROWS_AS(MappedVectors(path, 4096, 1, 0, Metric::Cosine), std::invalid_argument);
  CHECK_THROWS_AS(MappedVectors(path, ~uint64_t(0) - 3, 1, 4, Metric::Cosine), std::invalid_argument);
  CHECK_THROWS_WITH_AS(MappedVectors("/tmp", 0, 1, 4, Metric::Cosine), doctest::Contains("not a regular file"),
                       std::runtime_error);
  // Zero rows: nothing mapped, nothing found (the header must still be there).
  MappedVectors empty(path, 4096, 0, 4, Metric::Cosine);
  const std::vector<float> q(4, 1.0f);
  CHECK(empty.search(q.data(), 1, 5, 1, nullptr).k == 0);
  CHECK_THROWS_AS(MappedVectors(path, 8192, 0, 4, Metric::Cosine), std::runtime_error);
  std::remove(path.c_str());
}

TEST_CASE("MappedVectors stays mapped while any holder remains") {
  Rng rng(9);
  const std::vector<float> data = rng.floats(64 * 8);
  const std::string path = write_rows("lifetime", data, 4096);
  auto owner = std::make_shared<const MappedVectors>(path, 4096, 64, 8, Metric::InnerProduct);
  std::shared_ptr<const MappedVectors> search_holder = owner;  // as an async search holds it
  owner.reset();                                                // close()
  std::remove(path.c_str());                                    // the mapping outlives the name too
  const SearchResult res = search_holder->search(data.data() + 8 * 3, 1, 64, 1, nullptr);
  CHECK(res.k == 64);
  CHECK(search_holder->row(63)[7] == data[63 * 8 + 7]);
}

TEST_CASE("MappedVectors: concurrent first searches (the row norms are computed once) agree") {
  Rng rng(11);
  const size_t rows = 3000, dim = 16;
  const std::vector<float> data = rng.floats(rows * dim);
  const std::string path = write_rows("concurrent", data, 4096);
  const std::vector<float> q = rng.floats(dim);
  MappedVectors reference(path, 4096, rows, dim, Metric::Cosine);
  const SearchResult want = reference.search(q.data(), 1, 20, 1, nullptr);
  MappedVectors mv(path, 4096, rows, dim, Metric::Cosine);
  std::vector<SearchResult> got(6);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] { got[t] = mv.search(q.data(), 1, 20, t % 2, nullptr); });
  for (auto& t : threads) t.join();
  for (const SearchResult& r : got) check_same(r, want);
  std::remove(path.c_str());
}
