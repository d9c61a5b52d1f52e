// Distance kernels at every SIMD level this CPU runs, against float64 references:
// every dimension 1..1536 (all tail lengths), unaligned inputs, exact tail checks,
// and the blocked tile kernel for every (queries, blocks) shape.
#include <doctest/doctest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "kernels/dispatch.h"
#include "kernels/flat_i8_avx512.h"
#include "test_support.h"

using namespace quiver;
using quiver_test::Rng;

namespace {
// Rigorous float32 summation bound (any order, with or without FMA): n * u * sum|terms|.
double tolerance(size_t n, double abs_sum) { return 1.5 * (double)(n + 2) * (FLT_EPSILON / 2) * abs_sum + 1e-30; }
}  // namespace

TEST_CASE("the scalar level always exists and the active table is one of the runnable ones") {
  REQUIRE(kernels_for(SimdLevel::Scalar) != nullptr);
  bool found = false;
  for (const auto* t : quiver_test::runnable_levels()) found |= (t == &kernels());
  CHECK(found);
  CHECK(kernels_for(detected_simd_level()) != nullptr);
}

TEST_CASE("SIMD level names round-trip and unknown names are rejected") {
  for (auto l : {SimdLevel::Scalar, SimdLevel::Neon, SimdLevel::Avx2, SimdLevel::Avx512}) {
    SimdLevel parsed;
    REQUIRE(parse_simd_level(simd_level_name(l), &parsed));
    CHECK(parsed == l);
  }
  SimdLevel dummy;
  CHECK_FALSE(parse_simd_level("", &dummy));
  CHECK_FALSE(parse_simd_level("AVX2", &dummy));
  CHECK_FALSE(parse_simd_level("sse", &dummy));
}

TEST_CASE("l2sq and dot match float64 for every dimension 1..1536 at every level") {
  Rng rng(42);
  // One long buffer; inputs start at offsets 0..3 so unaligned loads are exercised.
  const size_t max_dim = 1536;
  for (const auto* kt : quiver_test::runnable_levels()) {
    CAPTURE(kt->name);
    for (size_t dim = 1; dim <= max_dim; ++dim) {
      const size_t off_a = dim % 4, off_b = (dim / 4) % 4;
      // Exact-size vectors (std::vector) so AddressSanitizer flags any over-read.
      std::vector<float> abuf = rng.floats(dim + off_a), bbuf = rng.floats(dim + off_b);
      const float* a = abuf.data() + off_a;
      const float* b = bbuf.data() + off_b;
      const double ref_dot = quiver_test::dot64(a, b, dim);
      const double ref_l2 = quiver_test::l2sq64(a, b, dim);
      const float got_dot = kt->dot(a, b, dim), got_l2 = kt->l2sq(a, b, dim);
      CAPTURE(dim);
      REQUIRE(std::fabs(got_dot - ref_dot) <= tolerance(dim, quiver_test::abs_dot64(a, b, dim)));
      REQUIRE(std::fabs(got_l2 - ref_l2) <= tolerance(dim, ref_l2));
    }
  }
}

TEST_CASE("every component counts: a single non-zero component anywhere gives the exact product") {
  // Summing zeros is exact, so any lane or tail element that is skipped or read
  // twice shows up as an exact mismatch, independent of rounding.
  Rng rng(7);
  for (const auto* kt : quiver_test::runnable_levels()) {
    CAPTURE(kt->name);
    for (size_t dim : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 384, 767, 1536}) {
      for (size_t p = 0; p < dim; p += (dim > 70 ? 13 : 1)) {
        std::vector<float> a(dim, 0.0f), b = rng.floats(dim);
        a[p] = 3.0f;
        CAPTURE(dim);
        CAPTURE(p);
        REQUIRE(kt->dot(a.data(), b.data(), dim) == 3.0f * b[p]);
        std::vector<float> c(a);
        c[p] = 1.0f;  // a and c differ only at p, by 2
        REQUIRE(kt->l2sq(a.data(), c.data(), dim) == 4.0f);
      }
      // The last component specifically (the tail loop).
      std::vector<float> a(dim, 0.0f), b(dim, 0.0f);
      a[dim - 1] = 2.0f;
      b[dim - 1] = -5.0f;
      CHECK(kt->dot(a.data(), b.data(), dim) == -10.0f);
      CHECK(kt->l2sq(a.data(), b.data(), dim) == 49.0f);
    }
  }
}

TEST_CASE("levels agree with each other on identical inputs within rounding") {
  Rng rng(99);
  const auto levels = quiver_test::runnable_levels();
  for (size_t dim : {1, 13, 128, 960, 1536}) {
    auto a = rng.floats(dim, -100, 100), b = rng.floats(dim, -100, 100);
    const double tol = tolerance(dim, quiver_test::abs_dot64(a.data(), b.data(), dim)) * 2;
    for (const auto* kt : levels) {
      CAPTURE(kt->name);
      CHECK(std::fabs(kt->dot(a.data(), b.data(), dim) - levels[0]->dot(a.data(), b.data(), dim)) <= tol);
    }
  }
}

TEST_CASE("identical vectors have l2sq exactly 0 and zero vectors give dot 0") {
  Rng rng(3);
  for (const auto* kt : quiver_test::runnable_levels()) {
    for (size_t dim : {1, 16, 17, 1000}) {
      auto a = rng.floats(dim);
      CHECK(kt->l2sq(a.data(), a.data(), dim) == 0.0f);
      std::vector<float> z(dim, 0.0f);
      CHECK(kt->dot(a.data(), z.data(), dim) == 0.0f);
    }
  }
}

namespace {
// Lays out `nblocks * kBlockLanes` row vectors in the transposed block format.
std::vector<float> to_blocks(const std::vector<float>& rows, size_t nblocks, size_t dim) {
  std::vector<float> blocks(nblocks * kBlockLanes * dim);
  for (size_t v = 0; v < nblocks * kBlockLanes; ++v) {
    const size_t b = v / kBlockLanes, lane = v % kBlockLanes;
    for (size_t d = 0; d < dim; ++d) blocks[b * kBlockLanes * dim + d * kBlockLanes + lane] = rows[v * dim + d];
  }
  return blocks;
}
}  // namespace

TEST_CASE("block_score_tile: keys = bias + scale * dot for every query/block shape, masks match thresholds") {
  Rng rng(2024);
  for (const auto* kt : quiver_test::runnable_levels()) {
    CAPTURE(kt->name);
    for (size_t dim : {1, 2, 3, 5, 8, 15, 16, 17, 33, 64, 100, 128, 257, 384, 768, 1536}) {
      for (size_t nblocks = 1; nblocks <= kMaxTileBlocks; ++nblocks) {
        for (size_t nq = 1; nq <= kMaxQueryTile; ++nq) {
          const size_t lanes = nblocks * kBlockLanes;
          auto rows = rng.floats(lanes * dim);
          auto blocks = to_blocks(rows, nblocks, dim);
          auto qs = rng.floats(nq * dim);
          auto bias = rng.floats(lanes, 0, 10), scale = rng.floats(lanes, -2, 2);
          std::vector<float> thresholds(nq);
          // Mixed thresholds: +inf (all pass), -inf (none), and a middle value.
          for (size_t i = 0; i < nq; ++i)
            thresholds[i] = i % 3 == 0 ? std::numeric_limits<float>::infinity()
                            : i % 3 == 1 ? -std::numeric_limits<float>::infinity()
                                         : (float)rng.uniform(0, 10);
          std::vector<float> keys(nq * kTileLanes, std::numeric_limits<float>::quiet_NaN());
          std::vector<uint32_t> masks(nq, 0xdeadbeefu);
          kt->block_score_tile(qs.data(), nq, blocks.data(), nblocks, bias.data(), scale.data(), dim,
                               thresholds.data(), keys.data(), masks.data());
          CAPTURE(dim);
          CAPTURE(nblocks);
          CAPTURE(nq);
          for (size_t i = 0; i < nq; ++i) {
            uint32_t expect_mask = 0;
            for (size_t lane = 0; lane < lanes; ++lane) {
              const float* q = qs.data() + i * dim;
              const float* x = rows.data() + lane * dim;
              const double ref = bias[lane] + (double)scale[lane] * quiver_test::dot64(q, x, dim);
              const double tol = std::fabs(scale[lane]) * tolerance(dim, quiver_test::abs_dot64(q, x, dim)) +
                                 4 * FLT_EPSILON * (std::fabs(bias[lane]) + std::fabs(ref));
              const float key = keys[i * kTileLanes + lane];
              REQUIRE(std::fabs(key - ref) <= tol);
              if (key <= thresholds[i]) expect_mask |= 1u << lane;
            }
            REQUIRE(masks[i] == expect_mask);
          }
        }
      }
    }
  }
}

TEST_CASE("flat_i8_tile: every build gives the keys and masks of an exact integer reference, for every shape") {
  // The kernels: each runnable level's table that has an int8 pass, and on an AVX-512
  // CPU both AVX-512 builds (the table holds only one of them).
  std::vector<std::pair<std::string, decltype(KernelTable::flat_i8_tile)>> builds;
  for (const auto* kt : quiver_test::runnable_levels())
    if (kt->flat_i8_tile) builds.emplace_back(kt->name, kt->flat_i8_tile);
#if defined(__x86_64__) || defined(_M_X64)
  if (detected_simd_level() == SimdLevel::Avx512) builds.emplace_back("avx512bw", flat_i8_tile_avx512);
  if (cpu_has_avx512_vnni()) builds.emplace_back("avx512vnni", flat_i8_tile_avx512_vnni);
#endif
  MESSAGE("int8 tile builds tested: " << builds.size());
  Rng rng(77);
  for (size_t dim : {1, 4, 7, 32, 100, 128, 384, 1024}) {
    const size_t groups = (dim + 3) / 4;
    for (size_t nblocks = 1; nblocks <= kMaxTileBlocks; ++nblocks) {
      for (size_t nq = 1; nq <= kMaxQueryTile; ++nq) {
        const size_t lanes = nblocks * kBlockLanes;
        // Stored codes are code + 128 (any byte); query codes in [-64, 64], zero past dim.
        std::vector<uint8_t> codes(nblocks * groups * 64);
        for (auto& c : codes) c = (uint8_t)rng.below(256);
        std::vector<int8_t> qcodes(nq * groups * 4, 0);
        for (size_t i = 0; i < nq; ++i)
          for (size_t d = 0; d < dim; ++d) qcodes[i * groups * 4 + d] = (int8_t)((int)rng.below(129) - 64);
        std::vector<FlatI8Query> queries(nq);
        for (auto& q : queries)
          q = {(float)rng.uniform(0.001, 0.1), (float)rng.uniform(0, 5), (float)rng.uniform(0, 0.5),
               (int32_t)rng.below(20000) - 10000};
        auto bias = rng.floats(lanes, -5, 5), scale = rng.floats(lanes, -2, 2);
        auto ra = rng.floats(lanes, 0, 1), rb = rng.floats(lanes, 0, 1), rc = rng.floats(lanes, 0, 0.1);
        const FlatI8Lanes ln{bias.data(), scale.data(), ra.data(), rb.data(), rc.data()};
        // Reference keys: the integer dot exactly, then the kernels' float steps one by one.
        std::vector<float> want(nq * kTileLanes);
        for (size_t i = 0; i < nq; ++i)
          for (size_t lane = 0; lane < lanes; ++lane) {
            const size_t b = lane / kBlockLanes, l = lane % kBlockLanes;
            int64_t acc = 0;
            for (size_t g = 0; g < groups; ++g)
              for (size_t j = 0; j < 4; ++j)
                acc += (int64_t)codes[b * groups * 64 + g * 64 + l * 4 + j] * qcodes[i * groups * 4 + g * 4 + j];
            const FlatI8Query& q = queries[i];
            const float dot = (float)(int32_t)(acc - q.corr);
            const float est = std::fma(scale[lane], q.step * dot, bias[lane]);
            const float r = std::fma(ra[lane], q.norm, std::fma(rb[lane], q.error, rc[lane]));
            want[i * kTileLanes + lane] = est - r;
          }
        std::vector<float> thresholds(nq);
        for (size_t i = 0; i < nq; ++i)
          thresholds[i] = i % 3 == 0 ? std::numeric_limits<float>::infinity()
                          : i % 3 == 1 ? -std::numeric_limits<float>::infinity()
                                       : want[i * kTileLanes + rng.below(lanes)];  // some lanes in, some out
        for (const auto& [name, tile] : builds) {
          CAPTURE(name);
          CAPTURE(dim);
          CAPTURE(nblocks);
          CAPTURE(nq);
          std::vector<float> keys(nq * kTileLanes, std::numeric_limits<float>::quiet_NaN());
          std::vector<uint32_t> masks(nq, 0xdeadbeefu);
          tile(qcodes.data(), nq, codes.data(), nblocks, groups, &ln, queries.data(), thresholds.data(), keys.data(),
               masks.data());
          for (size_t i = 0; i < nq; ++i) {
            uint32_t expect_mask = 0;
            for (size_t lane = 0; lane < lanes; ++lane) {
              REQUIRE(keys[i * kTileLanes + lane] == want[i * kTileLanes + lane]);
              if (want[i * kTileLanes + lane] <= thresholds[i]) expect_mask |= 1u << lane;
            }
            REQUIRE(masks[i] == expect_mask);
          }
        }
      }
    }
  }
}

TEST_CASE("batch kernels equal their row kernels bit for bit, and int8 batches the exact integer sums") {
  // Every list length 0..40 (whole groups of 8 and every remainder), every dim up to 140
  // (all tail lengths of both the small and the general path) and some larger ones.
  Rng rng(91);
  std::vector<size_t> dims;
  for (size_t d = 1; d <= 140; ++d) dims.push_back(d);
  for (size_t d : {255, 256, 257, 384, 768, 1000, 1535, 1536}) dims.push_back(d);
  const size_t rows = 50;
  for (const auto* kt : quiver_test::runnable_levels()) {
    CAPTURE(kt->name);
    // extreme: codes mostly 127, else -126, so at 1,536 dims the int32 sums pass 2^24
    // (where a float no longer holds every integer).
    for (bool extreme : {false, true})
    for (size_t dim : dims) {
      CAPTURE(extreme);
      CAPTURE(dim);
      // Rows of `stride` bytes: a float vector at offset 4 (so not 64-byte aligned), then
      // the int8 codes; the last row ends the buffer, so ASan flags any over-read.
      const size_t stride = 4 + 4 * dim + ((dim + 3) & ~(size_t)3);
      std::vector<char> base(stride * rows);
      for (size_t r = 0; r < rows; ++r) {
        const auto v = rng.floats(dim);
        std::memcpy(base.data() + r * stride + 4, v.data(), 4 * dim);
        for (size_t d = 0; d < dim; ++d)
          base[r * stride + 4 + 4 * dim + d] = (char)(extreme ? (rng.below(8) ? 127 : -126) : (int)rng.below(255) - 127);
      }
      const auto q = rng.floats(dim);
      std::vector<int8_t> qc(dim);
      for (auto& c : qc) c = (int8_t)(extreme ? (rng.below(8) ? 127 : -126) : (int)rng.below(255) - 127);
      const size_t n = rng.below(41);
      CAPTURE(n);
      std::vector<uint32_t> ids(n);
      for (auto& id : ids) id = (uint32_t)rng.below(rows);
      const float kPoison = std::numeric_limits<float>::quiet_NaN();
      std::vector<float> l2(n + 1, kPoison), dt(n + 1, kPoison), il2(n + 1, kPoison), idt(n + 1, kPoison);
      kt->l2sq_batch(q.data(), base.data() + 4, stride, ids.data(), n, dim, l2.data());
      kt->dot_batch(q.data(), base.data() + 4, stride, ids.data(), n, dim, dt.data());
      kt->l2sq_i8_batch(qc.data(), base.data() + 4 + 4 * dim, stride, ids.data(), n, dim, il2.data());
      kt->neg_dot_i8_batch(qc.data(), base.data() + 4 + 4 * dim, stride, ids.data(), n, dim, idt.data());
      for (size_t t = 0; t < n; ++t) {
        CAPTURE(t);
        const char* row = base.data() + (size_t)ids[t] * stride + 4;
        const float* x = reinterpret_cast<const float*>(row);
        const float want_l2 = kt->l2sq(q.data(), x, dim), want_dot = kt->dot(q.data(), x, dim);
        REQUIRE(std::memcmp(&l2[t], &want_l2, 4) == 0);
        REQUIRE(std::memcmp(&dt[t], &want_dot, 4) == 0);
        const int8_t* c = reinterpret_cast<const int8_t*>(row + 4 * dim);
        int64_t sl = 0, sd = 0;
        for (size_t d = 0; d < dim; ++d) {
          sl += ((int64_t)qc[d] - c[d]) * ((int64_t)qc[d] - c[d]);
          sd += (int64_t)qc[d] * c[d];
        }
        REQUIRE(il2[t] == (float)sl);
        REQUIRE(idt[t] == -(float)sd);
      }
      // Nothing is written past the list.
      REQUIRE(std::isnan(l2[n]));
      REQUIRE(std::isnan(dt[n]));
      REQUIRE(std::isnan(il2[n]));
      REQUIRE(std::isnan(idt[n]));
    }
  }
}

TEST_CASE("fwht: the Walsh-Hadamard transform by definition, and the same bits at every level") {
  Rng rng(93);
  // fwht_scalar against the definition: out_i = sum_j (-1)^popcount(i & j) x_j.
  for (size_t n : {64, 128, 256}) {
    CAPTURE(n);
    const auto x = rng.floats(n);
    std::vector<float> got(x);
    fwht_scalar(got.data(), n);
    for (size_t i = 0; i < n; ++i) {
      double want = 0, mag = 0;
      for (size_t j = 0; j < n; ++j) {
        want += (__builtin_popcountll(i & j) & 1 ? -1.0 : 1.0) * x[j];
        mag += std::fabs(x[j]);
      }
      REQUIRE(std::fabs(got[i] - want) <= tolerance(n, mag));
    }
  }
  // Every level's table (null means the scalar one) against fwht_scalar, bit for bit.
  for (const auto* kt : quiver_test::runnable_levels()) {
    CAPTURE(kt->name);
    const auto fwht = kt->fwht ? kt->fwht : fwht_scalar;
    for (size_t n = 64; n <= 8192; n *= 2) {
      CAPTURE(n);
      // Exact-size buffers at an unaligned offset, so ASan flags any out-of-range access.
      std::vector<float> x = rng.floats(n + 1), want;
      for (size_t i = 0; i < n; i += 7) x[1 + i] = (float)rng.uniform(-1e6, 1e6);  // mixed magnitudes
      want.assign(x.begin() + 1, x.end());
      fwht_scalar(want.data(), n);
      fwht(x.data() + 1, n);
      REQUIRE(std::memcmp(x.data() + 1, want.data(), 4 * n) == 0);
    }
  }
}
