// A read-only view of float32 vectors memory-mapped from a file (row-major,
// row r at byte_offset + r * dim * 4), searched exactly. Read-only follower
// processes map a snapshot's vectors.qvec this way, so every process shares the
// page cache's one copy instead of loading a private one.
//
// Distances are FlatIndex's (metric.h exact_distance, the same kernels), so
// results of the two can be merged; ties are ordered by row ascending.
// The file must not be truncated while mapped (reading a page past its end
// raises SIGBUS): snapshots are written to a new file and renamed, never
// rewritten in place.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "flat_index.h"  // SearchResult
#include "metric.h"
#include "topk.h"

namespace quiver {

class MappedVectors {
 public:
  // Maps rows * dim floats starting at byte_offset of the file at path. Throws
  // std::invalid_argument / std::runtime_error (naming the path and the sizes)
  // when the file cannot be opened or mapped, is too short, or the arguments are
  // out of range. byte_offset must be a multiple of 4 (float alignment); the
  // mapping itself starts at the page boundary at or below it.
  MappedVectors(const std::string& path, uint64_t byte_offset, size_t rows, size_t dim, Metric metric);
  ~MappedVectors();
  MappedVectors(const MappedVectors&) = delete;
  MappedVectors& operator=(const MappedVectors&) = delete;

  size_t rows() const { return rows_; }
  size_t dim() const { return dim_; }
  Metric metric() const { return metric_; }
  // Words of an allow bitset covering every row: bit r of word r / 32 allows row r.
  size_t allow_words() const { return (rows_ + 31) / 32; }
  // Row r (r < rows()), dim floats in the mapping.
  const float* row(size_t r) const { return data_ + r * dim_; }

  // Exact top-k for nq queries (row-major, stride dim, finite values) on up to
  // `threads` threads (0 = the pool's). With `allow` (allow_words() words) only
  // allowed rows are candidates. Labels are row numbers; each query gets
  // min(k, allowed rows) results. A row whose squared norm is not finite (a NaN
  // or infinite component, or one beyond ~1.8e19) is at distance +Infinity.
  // Safe to call from several threads at once.
  SearchResult search(const float* queries, size_t nq, size_t k, size_t threads, const uint32_t* allow) const;

 private:
  float distance(const KernelTable& kt, const float* q, float qnorm, size_t r) const;
  // Allowed rows of [begin, end) (begin a multiple of 32) into one heap per query.
  void scan(const KernelTable& kt, const float* queries, const float* qnorms, size_t nq, size_t begin, size_t end,
            const uint32_t* allow, TopK* heaps) const;
  size_t allowed_count(const uint32_t* allow) const;
  // Parts a scan on `threads` threads is split into, and where part p starts
  // (a multiple of 32 rows, so no allow word is shared by two parts; p = parts: rows).
  size_t parts_for(size_t threads) const;
  size_t part_begin(size_t p, size_t parts) const;
  // Fills sq_norms_ once, on the first search.
  void ensure_norms(size_t threads) const;

  size_t rows_;
  size_t dim_;
  Metric metric_;
  void* map_ = nullptr;  // the whole mapping (from a page boundary), null when rows == 0
  size_t map_bytes_ = 0;
  const float* data_ = nullptr;  // row 0
  // Squared norm of every row (kernel dot(x, x), as FlatIndex computes it when a
  // vector is added), computed by the first search in one extra pass and kept:
  // 4 private bytes a row (1/dim of the mapping) that save a second dot product
  // per row in every later scan (~20% of a 200k x 384 scan).
  mutable std::vector<float> sq_norms_;
  mutable std::atomic<bool> norms_ready_{false};
  mutable std::mutex norms_mu_;
};

}  // namespace quiver
