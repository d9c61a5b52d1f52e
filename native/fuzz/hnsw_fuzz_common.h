// Shared body of the HNSW file-loader fuzz targets. The loader takes a path, so
// each input is written to a per-process file on tmpfs (/dev/shm when present)
// and loaded from there. A file that loads must then survive real use: searches
// (graph and filtered), insert, remove, compaction, and a save/load round trip.
// Any std::exception is an accepted rejection; anything else (a crash, an
// ASan/UBSan report, a non-std exception, a hang) is a finding.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <cstring>

#include "index/checksum.h"
#include "index/hnsw_index.h"

namespace quiver_fuzz {

inline std::string scratch_path(const char* suffix) {
  static const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return dir + "/quiver-fuzz-" + std::to_string(getpid()) + suffix;
}

inline void write_all(const std::string& path, const uint8_t* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();  // the harness itself is broken, not the loader
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

// Uses a loaded index the way an application would.
inline void exercise(quiver::HnswIndex& index) {
  const size_t dim = index.dim();
  std::vector<float> q(dim, 0.5f);
  auto r = index.search(q.data(), 1, 5, 16, 1, nullptr);
  if (r.labels.size() != r.k || r.k > index.size()) std::abort();
  auto labels = index.labels();
  if (labels.size() != index.size()) std::abort();
  if (!labels.empty()) {
    std::vector<float> v(dim);
    if (!index.get(labels[0], v.data())) std::abort();
    auto r2 = index.search(v.data(), 1, 3, 8, 1, nullptr);
    quiver::LabelFilter f = quiver::LabelFilter::from_labels(labels.data(), std::min<size_t>(labels.size(), 3));
    auto r3 = index.search(v.data(), 1, 10, 8, 1, &f);
    if (r3.k > 3) std::abort();
    index.remove(labels.data(), 1);
    (void)r2;
  }
  std::vector<float> add(dim, 0.25f);
  const uint64_t fresh = 123456789;
  index.add(&fresh, add.data(), 1, 1);
  index.compact(1);
  index.search(q.data(), 1, 5, 16, 1, nullptr);
  // The saved form of a loaded index must load again with the same contents.
  const std::string out = scratch_path(".resave");
  const size_t before = index.size();
  index.save(out);
  auto again = quiver::HnswIndex::load(out);
  std::remove(out.c_str());
  if (again->size() != before) std::abort();
}

inline int load_and_exercise(const uint8_t* data, size_t size) {
  const std::string path = scratch_path(".bin");
  write_all(path, data, size);
  try {
    auto index = quiver::HnswIndex::load(path);
    exercise(*index);
  } catch (const std::exception&) {
    // Rejected with an error message: the expected outcome for bad files.
  }
  std::remove(path.c_str());
  return 0;
}

// Recomputes the header and section checksums of a candidate file, so mutated
// inputs get past the integrity checks and reach the structural validation.
inline std::vector<uint8_t> fix_checksums(const uint8_t* data, size_t size) {
  constexpr size_t kHeader = 96, kSectionHeader = 24;
  std::vector<uint8_t> f(data, data + size);
  if (f.size() < kHeader) return f;
  const uint64_t hsum = quiver::Checksum64::of(f.data(), 88);
  std::memcpy(f.data() + 88, &hsum, 8);
  size_t at = kHeader;
  while (f.size() - at >= kSectionHeader) {
    uint64_t len;
    std::memcpy(&len, f.data() + at + 8, 8);
    if (len > f.size() - at - kSectionHeader) break;
    const uint64_t sum = quiver::Checksum64::of(f.data() + at + kSectionHeader, len);
    std::memcpy(f.data() + at + 16, &sum, 8);
    at += kSectionHeader + len;
  }
  return f;
}

}  // namespace quiver_fuzz
