#include "mapped_vectors.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "../util/thread_pool.h"

#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace quiver {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
// Rows are scanned a bitset word (32 rows) at a time; parts of a split scan
// start on a word boundary so that no word is shared by two parts.
constexpr size_t kWordRows = 32;
// Below this many floats per part (4 MiB) handing work to the pool costs more
// than it saves.
constexpr size_t kMinPartFloats = size_t(1) << 20;

std::string describe_size(uint64_t rows, uint64_t dim, uint64_t offset) {
  return std::to_string(rows) + " rows x " + std::to_string(dim) + " floats from byte " + std::to_string(offset);
}

#if !defined(_WIN32)
std::string os_error(int err) {
  char buf[256];
  // strerror_r comes in two flavours (GNU returns the message, XSI fills buf).
  auto pick = [&](auto r) -> const char* {
    if constexpr (std::is_same_v<decltype(r), int>) return r == 0 ? buf : "unknown error";
    else return r;
  };
  return pick(strerror_r(err, buf, sizeof buf));
}

struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};
#endif

}  // namespace

MappedVectors::MappedVectors(const std::string& path, uint64_t byte_offset, size_t rows, size_t dim, Metric metric)
    : rows_(rows), dim_(dim), metric_(metric) {
  if (dim == 0) throw std::invalid_argument("dim must be positive");
  // Rows are read as floats in place: they must be float-aligned.
  if (byte_offset % sizeof(float) != 0)
    throw std::invalid_argument("byte offset " + std::to_string(byte_offset) + " of " + path +
                                " is not a multiple of 4 (the vectors must be float-aligned)");
  const uint64_t row_bytes = (uint64_t)dim * sizeof(float);
  if ((uint64_t)rows > (std::numeric_limits<uint64_t>::max() - byte_offset) / row_bytes)
    throw std::invalid_argument(describe_size(rows, dim, byte_offset) + " overflows a 64-bit file size");
  const uint64_t data_bytes = (uint64_t)rows * row_bytes;
  const uint64_t needed = byte_offset + data_bytes;
#if defined(_WIN32)
  (void)needed;
  throw std::runtime_error("memory-mapped vectors are not implemented on Windows (" + path + ")");
#else
  int fd;
  do fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + os_error(errno));
  // The mapping outlives the descriptor: it is closed on every path out of here.
  FdCloser closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) throw std::runtime_error("cannot stat " + path + ": " + os_error(errno));
  if (!S_ISREG(st.st_mode)) throw std::runtime_error(path + " is not a regular file");
  if ((uint64_t)st.st_size < needed)
    throw std::runtime_error(path + " holds " + std::to_string((uint64_t)st.st_size) + " bytes, fewer than the " +
                             std::to_string(needed) + " needed for " + describe_size(rows, dim, byte_offset) + " (" +
                             std::to_string(needed - (uint64_t)st.st_size) + " bytes short)");
  if (data_bytes == 0) return;
  // mmap wants a page-aligned file offset: map from the page boundary below the
  // data (4096 is not a page boundary where pages are 16 or 64 KiB).
  const long page = ::sysconf(_SC_PAGESIZE);
  const uint64_t start = page > 0 ? byte_offset / (uint64_t)page * (uint64_t)page : 0;
  const uint64_t span = needed - start;
  if (span > (uint64_t)std::numeric_limits<size_t>::max() || start > (uint64_t)std::numeric_limits<off_t>::max())
    throw std::invalid_argument(describe_size(rows, dim, byte_offset) + " does not fit in the address space");
  void* p = ::mmap(nullptr, (size_t)span, PROT_READ, MAP_SHARED, fd, (off_t)start);
  if (p == MAP_FAILED)
    throw std::runtime_error("cannot map " + describe_size(rows, dim, byte_offset) + " of " + path + ": " +
                             os_error(errno));
  // No madvise: the default read-ahead suits both the sequential scans and get();
  // MADV_SEQUENTIAL would let the kernel drop pages other readers still use.
  map_ = p;
  map_bytes_ = (size_t)span;
  data_ = reinterpret_cast<const float*>(static_cast<const char*>(p) + (byte_offset - start));
#endif
}

MappedVectors::~MappedVectors() {
#if !defined(_WIN32)
  if (map_) ::munmap(map_, map_bytes_);
#endif
}

// FlatIndex's distance for the same vector (exact_distance, with the norm as
// vector_norm computes it), so results of the two can be merged.
float MappedVectors::distance(const KernelTable& kt, const float* q, float qnorm, size_t r) const {
  // FlatIndex only holds finite components up to 1e15; a file can hold anything.
  // exact_distance clamps, which would put a NaN row at distance 0 (euclidean,
  // cosine): a row whose squared norm is not finite (a NaN or infinite
  // component, or one beyond ~1.8e19) is at +Infinity for every metric instead.
  const float sq = sq_norms_[r];
  if (!std::isfinite(sq)) return kInf;
  const float d = exact_distance(kt, metric_, q, qnorm, row(r), std::sqrt(std::max(0.0f, sq)), dim_);
  return std::isfinite(d) ? d : kInf;  // an overflowed L2 distance; never NaN into the sort
}

size_t MappedVectors::parts_for(size_t threads) const {
  return std::max<size_t>(1, std::min({threads, allow_words(), rows_ * dim_ / kMinPartFloats}));
}

size_t MappedVectors::part_begin(size_t p, size_t parts) const {
  return std::min(rows_, allow_words() * p / parts * kWordRows);
}

void MappedVectors::ensure_norms(size_t threads) const {
  if (norms_ready_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(norms_mu_);
  if (norms_ready_.load(std::memory_order_relaxed)) return;
  std::vector<float> sq(rows_);
  const KernelTable& kt = kernels();
  const size_t parts = parts_for(threads);
  ThreadPool::global().parallel_for(parts, threads, [&](size_t p) {
    for (size_t r = part_begin(p, parts), end = part_begin(p + 1, parts); r < end; ++r)
      sq[r] = kt.dot(row(r), row(r), dim_);
  });
  sq_norms_.swap(sq);
  norms_ready_.store(true, std::memory_order_release);
}

void MappedVectors::scan(const KernelTable& kt, const float* queries, const float* qnorms, size_t nq, size_t begin,
                         size_t end, const uint32_t* allow, TopK* heaps) const {
  for (size_t w = begin; w < end; w += kWordRows) {
    uint32_t bits = allow ? allow[w / kWordRows] : ~0u;
    const size_t n = std::min(kWordRows, end - w);
    if (n < kWordRows) bits &= (1u << n) - 1u;
    if (!bits) continue;
    // Every query scores these 32 rows while they are in cache.
    for (size_t qi = 0; qi < nq; ++qi) {
      const float* q = queries + qi * dim_;
      for (uint32_t m = bits; m; m &= m - 1) {
        const size_t r = w + (size_t)__builtin_ctz(m);
        heaps[qi].push({distance(kt, q, qnorms[qi], r), (uint64_t)r, 0});
      }
    }
  }
}

size_t MappedVectors::allowed_count(const uint32_t* allow) const {
  if (!allow) return rows_;
  const size_t words = allow_words();
  size_t n = 0;
  for (size_t w = 0; w < words; ++w) {
    uint32_t bits = allow[w];
    // Bits past the last row are ignored.
    if (w + 1 == words && rows_ % kWordRows) bits &= (1u << (rows_ % kWordRows)) - 1u;
    n += (size_t)__builtin_popcount(bits);
  }
  return n;
}

SearchResult MappedVectors::search(const float* queries, size_t nq, size_t k, size_t threads,
                                   const uint32_t* allow) const {
  SearchResult res;
  res.k = std::min(k, allowed_count(allow));
  if (nq == 0 || res.k == 0) return res;
  res.labels.resize(nq * res.k);
  res.distances.resize(nq * res.k);

  const KernelTable& kt = kernels();
  std::vector<float> qnorms(nq, 0.0f);
  if (metric_rules(metric_).by_direction)
    for (size_t qi = 0; qi < nq; ++qi) qnorms[qi] = vector_norm(kt, queries + qi * dim_, dim_);

  ThreadPool& pool = ThreadPool::global();
  if (threads == 0 || threads > pool.concurrency()) threads = pool.concurrency();
  ensure_norms(threads);
  // A large mapping is split into parts scanned in parallel, each into its own
  // heaps; the parts' heaps are merged below.
  const size_t parts = parts_for(threads);
  std::vector<TopK> heaps(parts * nq, TopK(0));
  pool.parallel_for(parts, threads, [&](size_t p) {
    TopK* h = heaps.data() + p * nq;
    for (size_t qi = 0; qi < nq; ++qi) h[qi].reset(res.k);
    scan(kt, queries, qnorms.data(), nq, part_begin(p, parts), part_begin(p + 1, parts), allow, h);
  });

  std::vector<Candidate> all;
  for (size_t qi = 0; qi < nq; ++qi) {
    all.clear();
    for (size_t p = 0; p < parts; ++p)
      for (const Candidate& c : heaps[p * nq + qi].items()) all.push_back(c);
    // Every part keeps its best res.k, so the merge holds at least res.k.
    if (all.size() < res.k) throw std::logic_error("mapped vectors: fewer candidates than allowed rows");
    std::partial_sort(all.begin(), all.begin() + res.k, all.end(), better);
    for (size_t j = 0; j < res.k; ++j) {
      res.labels[qi * res.k + j] = all[j].label;
      res.distances[qi * res.k + j] = all[j].key;
    }
  }
  return res;
}

}  // namespace quiver
