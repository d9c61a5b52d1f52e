// ThreadPool: every task runs exactly once, exceptions reach the caller and leave
// the pool usable, and many concurrent (and nested) callers all make progress.
#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "util/thread_pool.h"

using namespace quiver;

TEST_CASE("parallel_for runs each task exactly once for any n and thread count") {
  ThreadPool pool(3);
  CHECK(pool.concurrency() == 4);
  for (size_t n : {0, 1, 2, 3, 7, 64, 1000}) {
    for (size_t threads : {0, 1, 2, 4, 100}) {
      std::vector<std::atomic<int>> hits(n);
      pool.parallel_for(n, threads, [&](size_t i) { hits[i].fetch_add(1); });
      for (size_t i = 0; i < n; ++i) REQUIRE(hits[i].load() == 1);
    }
  }
}

TEST_CASE("an exception thrown by a task is rethrown to the caller and the pool keeps working") {
  ThreadPool pool(3);
  for (size_t threads : {1, 4}) {
    CAPTURE(threads);
    CHECK_THROWS_WITH_AS(pool.parallel_for(100, threads,
                                           [](size_t i) {
                                             if (i == 37) throw std::runtime_error("task 37 failed");
                                           }),
                         "task 37 failed", std::runtime_error);
    std::atomic<size_t> sum{0};
    pool.parallel_for(100, threads, [&](size_t i) { sum += i; });
    CHECK(sum.load() == 4950);
  }
}

TEST_CASE("every task throwing still reports one exception") {
  ThreadPool pool(2);
  CHECK_THROWS_AS(pool.parallel_for(50, 0, [](size_t) { throw std::logic_error("x"); }), std::logic_error);
}

TEST_CASE("concurrent callers on the global pool, with nested parallel_for, all complete correctly") {
  ThreadPool& pool = ThreadPool::global();
  constexpr int kCallers = 8;
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < 30; ++round) {
        const size_t n = 50 + (size_t)c * 7 + (size_t)round;
        std::vector<std::atomic<int>> hits(n);
        pool.parallel_for(n, 0, [&](size_t i) {
          // Nested: a task that itself fans out (e.g. a search inside a batch job).
          std::atomic<int> inner{0};
          pool.parallel_for(4, 0, [&](size_t) { inner++; });
          if (inner.load() != 4) failures++;
          hits[i]++;
        });
        for (size_t i = 0; i < n; ++i)
          if (hits[i].load() != 1) failures++;
      }
    });
  }
  for (auto& t : callers) t.join();
  CHECK(failures.load() == 0);
}

TEST_CASE("a pool can be created and destroyed repeatedly (no leaked or hung threads)") {
  for (int i = 0; i < 20; ++i) {
    ThreadPool pool((size_t)(i % 4));
    std::atomic<int> n{0};
    pool.parallel_for(10, 0, [&](size_t) { n++; });
    CHECK(n.load() == 10);
  }
  CHECK(hardware_threads() >= 1);
}
