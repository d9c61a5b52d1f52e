#include "hnsw_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "checksum.h"
#include "hnsw_index.h"

namespace quiver {

namespace {

constexpr char kMagic[8] = {'Q', 'U', 'I', 'V', 'H', 'N', 'S', 'W'};
constexpr size_t kHeaderBytes = 96;
constexpr size_t kSectionHeaderBytes = 24;
// Five sections always; int8 indexes (version 2) add QNT8 (the quantizer).
constexpr uint32_t kSectionCount = 5;
constexpr uint32_t kMaxSections = 6;
constexpr uint32_t kTags[kMaxSections] = {0x4C42414C /*LABL*/, 0x4154454D /*META*/, 0x53434556 /*VECS*/,
                                          0x304B4E4C /*LNK0*/, 0x554B4E4C /*LNKU*/, 0x38544E51 /*QNT8*/};
const char* const kTagNames[kMaxSections] = {"LABL", "META", "VECS", "LNK0", "LNKU", "QNT8"};

template <class T>
void put(std::vector<char>& out, size_t at, T v) {
  std::memcpy(out.data() + at, &v, sizeof(T));
}
template <class T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

std::string errno_text() { return std::strerror(errno); }

// ---- writing

class FileWriter {
 public:
  explicit FileWriter(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot create " + path + ": " + errno_text());
  }
  ~FileWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  void write(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, std::min<size_t>(n, 1 << 30));
      if (w < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error("cannot write " + path_ + ": " + errno_text());
      }
      p += w;
      n -= (size_t)w;
    }
  }
  void sync_and_close() {
    if (::fsync(fd_) != 0) throw std::runtime_error("cannot fsync " + path_ + ": " + errno_text());
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw std::runtime_error("cannot close " + path_ + ": " + errno_text());
  }

 private:
  std::string path_;
  int fd_ = -1;
};

void write_section(FileWriter& w, uint32_t tag, const std::vector<char>& payload) {
  std::vector<char> h(kSectionHeaderBytes, 0);
  put<uint32_t>(h, 0, tag);
  put<uint64_t>(h, 8, payload.size());
  put<uint64_t>(h, 16, Checksum64::of(payload.data(), payload.size()));
  w.write(h.data(), h.size());
  if (!payload.empty()) w.write(payload.data(), payload.size());
}

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// ---- reading

[[noreturn]] void reject(const std::string& path, const std::string& why) {
  throw std::runtime_error("cannot load HNSW index from " + path + ": " + why);
}

std::vector<char> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) reject(path, errno_text());
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    reject(path, "not a regular file");
  }
  std::vector<char> data;
  try {
    data.resize((size_t)st.st_size);
  } catch (...) {
    ::close(fd);
    throw;
  }
  size_t got = 0;
  while (got < data.size()) {
    const ssize_t r = ::read(fd, data.data() + got, data.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      ::close(fd);
      reject(path, r == 0 ? "file shrank while reading" : errno_text());
    }
    got += (size_t)r;
  }
  ::close(fd);
  return data;
}

}  // namespace

void HnswFile::save(const HnswIndex& index, const std::string& path) {
  std::shared_lock<std::shared_mutex> lock(index.mu_);
  const HnswGraph& g = index.graph_;
  const HnswParams& p = g.params();
  const size_t used = g.used(), dim = p.dim, m0 = 2 * (size_t)p.M;

  std::vector<char> header(kHeaderBytes, 0);
  std::memcpy(header.data(), kMagic, 8);
  put<uint32_t>(header, 8, kVersion);
  put<uint32_t>(header, 12, (uint32_t)kHeaderBytes);
  put<uint32_t>(header, 16, (uint32_t)p.metric);
  put<uint32_t>(header, 20, (uint32_t)dim);
  put<uint32_t>(header, 24, p.M);
  put<uint32_t>(header, 28, p.ef_construction);
  put<uint32_t>(header, 32, p.ef_search);
  put<int32_t>(header, 36, g.max_level());
  put<uint64_t>(header, 40, p.seed);
  put<uint64_t>(header, 48, used);
  put<uint64_t>(header, 56, index.live_);
  const bool int8 = p.quantization == Quantization::Int8;
  const uint32_t nsections = int8 ? kSectionCount + 1 : kSectionCount;
  put<uint32_t>(header, 64, g.entry());
  put<uint32_t>(header, 68, nsections);
  put<uint32_t>(header, 72, (uint32_t)p.quantization);
  put<uint64_t>(header, 88, Checksum64::of(header.data(), 88));

  std::vector<std::vector<char>> sections(nsections);
  if (int8) {
    const HnswQuantizer& qz = g.quantizer();
    sections[5].resize(4 + 4 * dim);
    std::memcpy(sections[5].data(), &qz.step, 4);
    std::memcpy(sections[5].data() + 4, qz.offset.data(), 4 * dim);
  }
  sections[0].assign(reinterpret_cast<const char*>(g.labels()), reinterpret_cast<const char*>(g.labels() + used));
  sections[1].resize(used * 2);
  sections[2].resize(used * dim * 4);
  sections[3].resize(used * (1 + m0) * 4);
  for (size_t s = 0; s < used; ++s) {
    const uint32_t slot = (uint32_t)s;
    const bool free_slot = g.state(slot) == SlotState::Free;
    sections[1][2 * s] = (char)(free_slot ? 0 : g.level(slot));
    sections[1][2 * s + 1] = (char)g.state(slot);
    std::memcpy(sections[2].data() + s * dim * 4, g.vector(slot), dim * 4);
    const uint32_t* l0 = g.links(slot, 0);
    const uint32_t n0 = free_slot ? 0 : l0[0];
    std::memcpy(sections[3].data() + s * (1 + m0) * 4, &n0, 4);
    std::memcpy(sections[3].data() + s * (1 + m0) * 4 + 4, l0 + 1, (size_t)n0 * 4);
    if (free_slot) continue;
    for (int l = 1; l <= g.level(slot); ++l) {
      const uint32_t* lu = g.links(slot, l);
      const size_t at = sections[4].size();
      sections[4].resize(at + (1 + (size_t)p.M) * 4, 0);
      std::memcpy(sections[4].data() + at, lu, (1 + (size_t)lu[0]) * 4);
    }
  }

  static std::atomic<uint64_t> counter{0};
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  try {
    FileWriter w(tmp);
    w.write(header.data(), header.size());
    for (uint32_t i = 0; i < nsections; ++i) write_section(w, kTags[i], sections[i]);
    w.sync_and_close();
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + errno_text());
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  // Make the rename itself durable.
  const int dfd = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::unique_ptr<HnswIndex> HnswFile::load(const std::string& path) {
  const std::vector<char> file = read_file(path);
  const char* h = file.data();
  if (file.size() < kHeaderBytes) {
    if (file.size() >= 8 && std::memcmp(h, kMagic, 8) == 0) reject(path, "file is truncated (incomplete header)");
    reject(path, "not a quiverdb HNSW index file (too short)");
  }
  if (std::memcmp(h, kMagic, 8) != 0) reject(path, "not a quiverdb HNSW index file (bad magic bytes)");
  const uint32_t version = get<uint32_t>(h + 8);
  if (version > kVersion)
    reject(path, "format version " + std::to_string(version) + " is newer than this quiverdb reads (" +
                     std::to_string(kVersion) + "); upgrade quiverdb");
  if (version == 0) reject(path, "invalid format version 0");
  if (Checksum64::of(h, 88) != get<uint64_t>(h + 88)) reject(path, "header checksum mismatch (file is corrupted)");
  if (get<uint32_t>(h + 12) != kHeaderBytes) reject(path, "bad header size");

  const uint32_t metric = get<uint32_t>(h + 16), dim = get<uint32_t>(h + 20), M = get<uint32_t>(h + 24);
  const uint32_t efc = get<uint32_t>(h + 28), efs = get<uint32_t>(h + 32);
  const int32_t top = get<int32_t>(h + 36);
  const uint64_t seed = get<uint64_t>(h + 40), used = get<uint64_t>(h + 48), live = get<uint64_t>(h + 56);
  const uint32_t entry = get<uint32_t>(h + 64), nsections = get<uint32_t>(h + 68);
  if (metric > 2) reject(path, "unknown metric id " + std::to_string(metric));
  if (dim < 1 || dim > 65536) reject(path, "dimension " + std::to_string(dim) + " out of range");
  if (M < 2 || M > 2048) reject(path, "M " + std::to_string(M) + " out of range");
  if (efc < 1 || efc > (1u << 24) || efs < 1 || efs > (1u << 24)) reject(path, "ef parameters out of range");
  if (used >= kNoSlot) reject(path, "slot count out of range");
  if (live > used) reject(path, "live count exceeds slot count");
  if (top < -1 || top > kMaxHnswLevel) reject(path, "top level out of range");
  if ((top == -1) != (entry == kNoSlot)) reject(path, "entry point and top level disagree");
  if (entry != kNoSlot && entry >= used) reject(path, "entry point out of range");
  // Version 1 has no quantization field (its bytes were written as zero and never read).
  const uint32_t quantization = version >= 2 ? get<uint32_t>(h + 72) : 0;
  if (quantization > 1) reject(path, "unknown quantization id " + std::to_string(quantization));
  if (version >= 2 && (get<uint32_t>(h + 76) != 0 || get<uint64_t>(h + 80) != 0))
    reject(path, "reserved header bytes are not zero");
  if (nsections != kSectionCount + quantization) reject(path, "unexpected section count");

  // Section sizes follow from the header; check them against the file length
  // before allocating anything.
  const uint64_t m0 = 2 * (uint64_t)M;
  uint64_t expected[kMaxSections] = {used * 8, used * 2, used * dim * 4, used * (1 + m0) * 4, 0, 4 + 4 * (uint64_t)dim};
  size_t at = kHeaderBytes;
  const char* payload[kMaxSections] = {};
  for (uint32_t i = 0; i < nsections; ++i) {
    if (file.size() - at < kSectionHeaderBytes) reject(path, std::string("file is truncated before section ") + kTagNames[i]);
    if (get<uint32_t>(h + at) != kTags[i] || get<uint32_t>(h + at + 4) != 0)
      reject(path, std::string("expected section ") + kTagNames[i] + " (file is corrupted)");
    const uint64_t len = get<uint64_t>(h + at + 8);
    if (i != 4 && len != expected[i]) reject(path, std::string("section ") + kTagNames[i] + " has the wrong length");
    if (len > file.size() - at - kSectionHeaderBytes)
      reject(path, std::string("file is truncated in section ") + kTagNames[i]);
    payload[i] = h + at + kSectionHeaderBytes;
    if (Checksum64::of(payload[i], len) != get<uint64_t>(h + at + 16))
      reject(path, std::string("section ") + kTagNames[i] + " checksum mismatch (file is corrupted)");
    expected[i] = len;
    at += kSectionHeaderBytes + len;
  }
  if (at != file.size()) reject(path, "unexpected bytes after the last section");

  // Per-slot metadata and the upper-level section's exact length.
  const uint8_t* meta = reinterpret_cast<const uint8_t*>(payload[1]);
  uint64_t upper_words = 0, live_seen = 0;
  int top_seen = -1;
  for (uint64_t s = 0; s < used; ++s) {
    const uint8_t level = meta[2 * s], st = meta[2 * s + 1];
    if (st > 2) reject(path, "slot " + std::to_string(s) + " has an invalid state");
    if (level > kMaxHnswLevel) reject(path, "slot " + std::to_string(s) + " has an invalid level");
    if (st == 2 && level != 0) reject(path, "free slot " + std::to_string(s) + " has a level");
    if (st != 2) {
      upper_words += (uint64_t)level * (1 + M);
      top_seen = std::max<int>(top_seen, level);
    }
    live_seen += st == 0;
  }
  if (live_seen != live) reject(path, "live count does not match the slots");
  if (upper_words * 4 != expected[4]) reject(path, "section LNKU has the wrong length");
  if (top_seen != top) reject(path, "top level does not match the slots");
  if (entry != kNoSlot && (meta[2 * entry + 1] == 2 || meta[2 * entry] != top))
    reject(path, "entry point is not a node of the top level");
  if (live > 0 && entry == kNoSlot) reject(path, "live vectors but no entry point");

  for (uint64_t i = 0; i < used * dim; ++i) {
    float v;
    std::memcpy(&v, payload[2] + i * 4, 4);
    if (!std::isfinite(v)) reject(path, "vector " + std::to_string(i / dim) + " has a non-finite value");
  }
  // Links: counts within bounds, every id an existing, non-free node tall enough.
  auto check_links = [&](const char* p, uint64_t s, int level, uint64_t cap) {
    const uint32_t n = get<uint32_t>(p);
    if (n > cap) reject(path, "slot " + std::to_string(s) + " has too many links at level " + std::to_string(level));
    for (uint32_t j = 0; j < n; ++j) {
      const uint32_t t = get<uint32_t>(p + 4 + 4 * j);
      if (t >= used || meta[2 * t + 1] == 2 || meta[2 * t] < level || t == s)
        reject(path, "slot " + std::to_string(s) + " has an invalid link at level " + std::to_string(level));
    }
  };
  {
    const char* up = payload[4];
    for (uint64_t s = 0; s < used; ++s) {
      const char* p0 = payload[3] + s * (1 + m0) * 4;
      if (meta[2 * s + 1] == 2) {
        if (get<uint32_t>(p0) != 0) reject(path, "free slot " + std::to_string(s) + " has links");
        continue;
      }
      check_links(p0, s, 0, m0);
      for (int l = 1; l <= meta[2 * s]; ++l, up += (1 + M) * 4) check_links(up, s, l, M);
    }
  }

  HnswQuantizer quantizer;
  if (quantization == 1) {
    std::memcpy(&quantizer.step, payload[5], 4);
    quantizer.offset.resize(dim);
    std::memcpy(quantizer.offset.data(), payload[5] + 4, 4 * (size_t)dim);
    if (!std::isfinite(quantizer.step) || !(quantizer.step > 0.0f)) reject(path, "quantizer step is not a positive number");
    for (uint32_t d = 0; d < dim; ++d) {
      if (!std::isfinite(quantizer.offset[d])) reject(path, "quantizer offset " + std::to_string(d) + " is not finite");
    }
  }

  HnswParams params;
  params.quantization = quantization == 1 ? Quantization::Int8 : Quantization::None;
  params.dim = dim;
  params.metric = static_cast<Metric>(metric);
  params.M = M;
  params.ef_construction = efc;
  params.ef_search = efs;
  params.seed = seed;
  auto index = std::make_unique<HnswIndex>(params);
  // Advance the level generator so new inserts do not repeat the saved levels.
  index->rng_.seed(seed ^ (used * 0x9E3779B97F4A7C15ULL));
  HnswGraph& g = index->graph_;
  if (quantization == 1) g.set_quantizer(quantizer);
  g.reserve(used);
  const char* up = payload[4];
  std::vector<float> vec(dim);  // aligned copy: payloads sit at arbitrary offsets
  for (uint64_t s = 0; s < used; ++s) {
    const uint32_t slot = (uint32_t)s;
    const int level = meta[2 * s];
    const SlotState st = static_cast<SlotState>(meta[2 * s + 1]);
    std::memcpy(vec.data(), payload[2] + s * dim * 4, dim * 4);
    g.restore_slot(slot, get<uint64_t>(payload[0] + s * 8), level, st, vec.data());
    const char* p0 = payload[3] + s * (1 + m0) * 4;
    std::memcpy(g.links(slot, 0), p0, (1 + (size_t)get<uint32_t>(p0)) * 4);
    if (st == SlotState::Free) continue;
    for (int l = 1; l <= level; ++l, up += (1 + M) * 4) std::memcpy(g.links(slot, l), up, (1 + (size_t)M) * 4);
  }
  g.set_used(used);
  g.set_entry(entry, top);
  index->map_.reserve(live, g.labels());
  for (uint64_t s = 0; s < used; ++s) {
    const uint32_t slot = (uint32_t)s;
    if (g.state(slot) == SlotState::Free) {
      index->free_.push_back(slot);
    } else if (g.state(slot) == SlotState::Deleted) {
      ++index->deleted_;
    } else {
      if (index->map_.find(g.label(slot), g.labels()) != LabelSlotMap::kMissing)
        reject(path, "label " + std::to_string(g.label(slot)) + " appears twice");
      index->map_.insert(g.label(slot), slot, g.labels());
    }
  }
  std::sort(index->free_.begin(), index->free_.end(), [](uint32_t a, uint32_t b) { return a > b; });
  index->live_ = live;
  return index;
}

void HnswIndex::save(const std::string& path) const { HnswFile::save(*this, path); }

std::unique_ptr<HnswIndex> HnswIndex::load(const std::string& path) { return HnswFile::load(path); }

}  // namespace quiver
