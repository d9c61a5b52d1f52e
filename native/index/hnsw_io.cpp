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
// Five sections always; int8 indexes (version 2) add QNT8 (the quantizer),
// rabitq indexes (version 3) RBQ1 (the coder) in its place.
constexpr uint32_t kSectionCount = 5;
constexpr uint32_t kMaxSections = 6;
constexpr uint32_t kTags[kMaxSections] = {0x4C42414C /*LABL*/, 0x4154454D /*META*/, 0x53434556 /*VECS*/,
                                          0x304B4E4C /*LNK0*/, 0x554B4E4C /*LNKU*/, 0x38544E51 /*QNT8*/};
const char* const kTagNames[kMaxSections] = {"LABL", "META", "VECS", "LNK0", "LNKU", "QNT8"};
constexpr uint32_t kRabitqTag = 0x31514252; /*RBQ1*/
constexpr uint32_t kQuantInt8 = 1, kQuantBits1 = 2;
// The sixth section's tag and name for a quantization id.
uint32_t tag_of(uint32_t i, uint32_t quantization) {
  return i == 5 && quantization == kQuantBits1 ? kRabitqTag : kTags[i];
}
const char* tag_name(uint32_t i, uint32_t quantization) {
  return i == 5 && quantization == kQuantBits1 ? "RBQ1" : kTagNames[i];
}
// The oldest format version that holds a quantization (files are written in it,
// so that older quiverdb releases still read indexes that do not use rabitq).
uint32_t version_for(uint32_t quantization) { return quantization == kQuantBits1 ? 3 : 2; }

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

// ---- validation (shared by load, and by save on what it is about to write)

// A reason a file would be rejected; load() turns it into "cannot load ...",
// save() into "cannot save ...".
struct BadFile : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] void bad(const std::string& why) { throw BadFile(why); }

[[noreturn]] void reject(const std::string& path, const std::string& why) {
  throw std::runtime_error("cannot load HNSW index from " + path + ": " + why);
}

// The accepted component range (napi_util.h kMaxComponent): a file holding
// anything else could only come from damage or an older quiverdb, and searching
// it could overflow float32.
constexpr float kMaxComponent = 1e15f;

struct Header {
  uint32_t version, metric, dim, M, efc, efs, entry, nsections, quantization;
  int32_t top;
  uint64_t seed, used, live;
};

Header check_header(const char* h) {
  if (std::memcmp(h, kMagic, 8) != 0) bad("not a quiverdb HNSW index file (bad magic bytes)");
  Header x;
  x.version = get<uint32_t>(h + 8);
  if (x.version > HnswFile::kVersion)
    bad("format version " + std::to_string(x.version) + " is newer than this quiverdb reads (" +
        std::to_string(HnswFile::kVersion) + "); upgrade quiverdb");
  if (x.version == 0) bad("invalid format version 0");
  if (Checksum64::of(h, 88) != get<uint64_t>(h + 88)) bad("header checksum mismatch (file is corrupted)");
  if (get<uint32_t>(h + 12) != kHeaderBytes) bad("bad header size");
  x.metric = get<uint32_t>(h + 16), x.dim = get<uint32_t>(h + 20), x.M = get<uint32_t>(h + 24);
  x.efc = get<uint32_t>(h + 28), x.efs = get<uint32_t>(h + 32);
  x.top = get<int32_t>(h + 36);
  x.seed = get<uint64_t>(h + 40), x.used = get<uint64_t>(h + 48), x.live = get<uint64_t>(h + 56);
  x.entry = get<uint32_t>(h + 64), x.nsections = get<uint32_t>(h + 68);
  if (x.metric > 2) bad("unknown metric id " + std::to_string(x.metric));
  if (x.dim < 1 || x.dim > 65536) bad("dimension " + std::to_string(x.dim) + " out of range");
  if (x.M < 2 || x.M > 2048) bad("M " + std::to_string(x.M) + " out of range");
  if (x.efc < 1 || x.efc > (1u << 24) || x.efs < 1 || x.efs > (1u << 24)) bad("ef parameters out of range");
  if (x.used >= kNoSlot) bad("slot count out of range");
  if (x.live > x.used) bad("live count exceeds slot count");
  if (x.top < -1 || x.top > kMaxHnswLevel) bad("top level out of range");
  if ((x.top == -1) != (x.entry == kNoSlot)) bad("entry point and top level disagree");
  if (x.entry != kNoSlot && x.entry >= x.used) bad("entry point out of range");
  // Version 1 has no quantization field (its bytes were written as zero and never read).
  x.quantization = x.version >= 2 ? get<uint32_t>(h + 72) : 0;
  if (x.quantization > kQuantBits1 || (x.quantization == kQuantBits1 && x.version < 3))
    bad("unknown quantization id " + std::to_string(x.quantization));
  if (x.version >= 2 && (get<uint32_t>(h + 76) != 0 || get<uint64_t>(h + 80) != 0))
    bad("reserved header bytes are not zero");
  if (x.nsections != kSectionCount + (x.quantization != 0 ? 1 : 0)) bad("unexpected section count");
  return x;
}

// Per-slot levels and states; returns the exact length of LNKU in bytes.
uint64_t check_meta(const Header& x, const uint8_t* meta) {
  uint64_t upper_words = 0, live_seen = 0;
  int top_seen = -1;
  for (uint64_t s = 0; s < x.used; ++s) {
    const uint8_t level = meta[2 * s], st = meta[2 * s + 1];
    if (st > 2) bad("slot " + std::to_string(s) + " has an invalid state");
    if (level > kMaxHnswLevel) bad("slot " + std::to_string(s) + " has an invalid level");
    if (st == 2 && level != 0) bad("free slot " + std::to_string(s) + " has a level");
    if (st != 2) {
      upper_words += (uint64_t)level * (1 + x.M);
      top_seen = std::max<int>(top_seen, level);
    }
    live_seen += st == 0;
  }
  if (live_seen != x.live) bad("live count does not match the slots");
  if (top_seen != x.top) bad("top level does not match the slots");
  if (x.entry != kNoSlot && (meta[2 * x.entry + 1] == 2 || meta[2 * x.entry] != x.top))
    bad("entry point is not a node of the top level");
  if (x.live > 0 && x.entry == kNoSlot) bad("live vectors but no entry point");
  return upper_words * 4;
}

// rows vectors of dim floats starting at slot `first`.
void check_vector_rows(const char* p, uint64_t first, uint64_t rows, uint32_t dim) {
  for (uint64_t i = 0; i < rows * dim; ++i) {
    float v;
    std::memcpy(&v, p + i * 4, 4);
    if (!std::isfinite(v)) bad("vector " + std::to_string(first + i / dim) + " has a non-finite value");
    if (!(std::fabs(v) <= kMaxComponent))
      bad("vector " + std::to_string(first + i / dim) + " has a component outside |x| <= 1e15");
  }
}

// One link list: count within bounds, every id an existing, non-free node tall enough.
void check_link_list(const Header& x, const uint8_t* meta, const char* p, uint64_t s, int level, uint64_t cap) {
  const uint32_t n = get<uint32_t>(p);
  if (n > cap) bad("slot " + std::to_string(s) + " has too many links at level " + std::to_string(level));
  for (uint32_t j = 0; j < n; ++j) {
    const uint32_t t = get<uint32_t>(p + 4 + 4 * j);
    if (t >= x.used || meta[2 * t + 1] == 2 || meta[2 * t] < level || t == s)
      bad("slot " + std::to_string(s) + " has an invalid link at level " + std::to_string(level));
  }
}

// QNT8 payload (4 + 4 * dim bytes). A step of 0 is an index never given a vector
// (the quantizer is fitted to the first add): allowed only with no slots and zero offsets.
HnswQuantizer check_quantizer(const Header& x, const char* p) {
  HnswQuantizer q;
  std::memcpy(&q.step, p, 4);
  q.offset.resize(x.dim);
  std::memcpy(q.offset.data(), p + 4, 4 * (size_t)x.dim);
  const bool unfitted = q.step == 0.0f && x.used == 0 &&
                        std::all_of(q.offset.begin(), q.offset.end(), [](float o) { return o == 0.0f; });
  if (!unfitted && (!std::isfinite(q.step) || !(q.step > 0.0f))) bad("quantizer step is not a positive number");
  for (uint32_t d = 0; d < x.dim; ++d)
    if (!std::isfinite(q.offset[d])) bad("quantizer offset " + std::to_string(d) + " is not finite");
  return q;
}

// RBQ1 payload (16 + 4 * dim bytes): u64 rotation seed, u64 fitted count, float centroid[dim].
HnswRabitq check_rabitq(const Header& x, const char* p) {
  HnswRabitq r;
  std::memcpy(&r.seed, p, 8);
  std::memcpy(&r.fitted, p + 8, 8);
  r.centroid.resize(x.dim);
  std::memcpy(r.centroid.data(), p + 16, 4 * (size_t)x.dim);
  for (uint32_t d = 0; d < x.dim; ++d)
    if (!std::isfinite(r.centroid[d]) || !(std::fabs(r.centroid[d]) <= kMaxComponent))
      bad("rabitq centroid component " + std::to_string(d) + " is not a finite number within 1e15");
  if (r.fitted == 0 && std::any_of(r.centroid.begin(), r.centroid.end(), [](float c) { return c != 0.0f; }))
    bad("rabitq centroid is set but fitted to no vectors");
  return r;
}

// ---- reading

// Reads a file with positioned reads (no whole-file buffer, any size). Opened
// with O_NONBLOCK so that a FIFO (or another special file) cannot block the
// open; anything but a regular file is refused before a byte is read.
class FileReader {
 public:
  explicit FileReader(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) reject(path, errno_text());
    struct stat st;
    if (::fstat(fd_, &st) != 0) reject(path, errno_text());
    if (!S_ISREG(st.st_mode)) reject(path, "not a regular file");
    size_ = (uint64_t)st.st_size;
    // Regular files ignore O_NONBLOCK, but clear it anyway.
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0) ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
  }
  ~FileReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  uint64_t size() const { return size_; }
  void read_at(uint64_t offset, void* dst, size_t n) const {
    char* p = static_cast<char*>(dst);
    while (n > 0) {
      const ssize_t r = ::pread(fd_, p, std::min<size_t>(n, (size_t)1 << 30), (off_t)offset);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) bad(errno_text());
      if (r == 0) bad("file shrank while reading");
      p += r;
      offset += (uint64_t)r;
      n -= (size_t)r;
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// Reads one section's payload front to back through a bounded buffer, keeping its
// checksum; records never straddle a call to next().
class SectionStream {
 public:
  static constexpr size_t kChunk = (size_t)8 << 20;
  SectionStream(const FileReader& f, uint64_t offset, uint64_t len, const char* name)
      : f_(f), offset_(offset), left_(len), name_(name), buf_(std::min<uint64_t>(len, kChunk) + 64) {}
  // The next n bytes (n <= kChunk).
  const char* next(size_t n) {
    if (n > have_ - pos_) {
      const size_t keep = have_ - pos_;
      std::memmove(buf_.data(), buf_.data() + pos_, keep);
      const size_t want = (size_t)std::min<uint64_t>(left_, kChunk - keep);
      if (buf_.size() < keep + want) buf_.resize(keep + want);
      f_.read_at(offset_, buf_.data() + keep, want);
      sum_.update(buf_.data() + keep, want);
      offset_ += want;
      left_ -= want;
      have_ = keep + want;
      pos_ = 0;
      if (n > have_) bad(std::string("section ") + name_ + " is shorter than its records");
    }
    const char* p = buf_.data() + pos_;
    pos_ += n;
    return p;
  }
  // Verifies the checksum once every byte has been consumed.
  void finish(uint64_t expected) {
    if (left_ != 0 || pos_ != have_) bad(std::string("section ") + name_ + " has the wrong length");
    if (sum_.digest() != expected) bad(std::string("section ") + name_ + " checksum mismatch (file is corrupted)");
  }

 private:
  const FileReader& f_;
  uint64_t offset_, left_;
  const char* name_;
  std::vector<char> buf_;
  size_t have_ = 0, pos_ = 0;
  Checksum64 sum_;
};

// A whole (small) section, checksum verified.
std::vector<char> read_section(const FileReader& f, uint64_t offset, uint64_t len, uint64_t checksum,
                               const char* name) {
  std::vector<char> out((size_t)len);
  f.read_at(offset, out.data(), out.size());
  if (Checksum64::of(out.data(), out.size()) != checksum)
    bad(std::string("section ") + name + " checksum mismatch (file is corrupted)");
  return out;
}

}  // namespace

void HnswFile::save(const HnswIndex& index, const std::string& path) {
  std::shared_lock<std::shared_mutex> lock(index.mu_);
  const HnswGraph& g = index.graph_;
  const HnswParams& p = g.params();
  const size_t used = g.used(), dim = p.dim, m0 = 2 * (size_t)p.M;

  std::vector<char> header(kHeaderBytes, 0);
  std::memcpy(header.data(), kMagic, 8);
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
  const bool bits1 = p.quantization == Quantization::Bits1;
  const uint32_t nsections = int8 || bits1 ? kSectionCount + 1 : kSectionCount;
  put<uint32_t>(header, 8, version_for((uint32_t)p.quantization));
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
  if (bits1) {
    const HnswRabitq& r = g.rabitq();
    sections[5].resize(16 + 4 * dim);
    std::memcpy(sections[5].data(), &r.seed, 8);
    std::memcpy(sections[5].data() + 8, &r.fitted, 8);
    std::memcpy(sections[5].data() + 16, r.centroid.data(), 4 * dim);
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

  // Check what is about to be written with the loader's own rules: a file load
  // would reject must never replace a good one.
  try {
    const Header x = check_header(header.data());
    const uint8_t* meta = reinterpret_cast<const uint8_t*>(sections[1].data());
    if (check_meta(x, meta) != sections[4].size()) bad("section LNKU has the wrong length");
    check_vector_rows(sections[2].data(), 0, used, x.dim);
    const char* up = sections[4].data();
    for (uint64_t s = 0; s < used; ++s) {
      if (meta[2 * s + 1] == 2) continue;
      check_link_list(x, meta, sections[3].data() + s * (1 + m0) * 4, s, 0, m0);
      for (int l = 1; l <= meta[2 * s]; ++l, up += (1 + x.M) * 4) check_link_list(x, meta, up, s, l, x.M);
    }
    if (int8) check_quantizer(x, sections[5].data());
    if (bits1) check_rabitq(x, sections[5].data());
    std::vector<uint64_t> live;
    live.reserve(index.live_);
    for (size_t s = 0; s < used; ++s)
      if (meta[2 * s + 1] == 0) live.push_back(g.label((uint32_t)s));
    std::sort(live.begin(), live.end());
    if (std::adjacent_find(live.begin(), live.end()) != live.end()) bad("a label appears twice");
  } catch (const BadFile& e) {
    throw std::runtime_error("cannot save HNSW index to " + path + ": the file would not load (" + e.what() +
                             "); nothing was written");
  }

  static std::atomic<uint64_t> counter{0};
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  try {
    FileWriter w(tmp);
    w.write(header.data(), header.size());
    for (uint32_t i = 0; i < nsections; ++i) write_section(w, tag_of(i, (uint32_t)p.quantization), sections[i]);
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
  try {
    return load_file(path);
  } catch (const BadFile& e) {
    reject(path, e.what());
  }
}

// The loader. Memory: the index being built, plus one 8 MiB read buffer and the
// small per-slot sections (labels, levels/states); sections stream from the file
// with positioned reads straight into the index's storage, so the peak is about
// the index itself, not file + index. Every length is checked against the header
// and the file size before anything is allocated; every checksum is verified
// (the big sections as they stream: a mismatch discards the half-built index).
std::unique_ptr<HnswIndex> HnswFile::load_file(const std::string& path) {
  const FileReader f(path);
  const uint64_t size = f.size();
  char h[kHeaderBytes];
  if (size < kHeaderBytes) {
    const size_t n = (size_t)size;
    if (n > 0) f.read_at(0, h, n);
    if (n >= 8 && std::memcmp(h, kMagic, 8) == 0) bad("file is truncated (incomplete header)");
    bad("not a quiverdb HNSW index file (too short)");
  }
  f.read_at(0, h, kHeaderBytes);
  const Header x = check_header(h);
  const uint32_t dim = x.dim, M = x.M;
  const uint64_t used = x.used;

  // Section sizes follow from the header; check them against the file length
  // before allocating anything.
  const uint64_t m0 = 2 * (uint64_t)M;
  const uint64_t expected[kMaxSections] = {used * 8, used * 2, used * dim * 4, used * (1 + m0) * 4, 0,
                                           (x.quantization == kQuantBits1 ? 16 : 4) + 4 * (uint64_t)dim};
  uint64_t off[kMaxSections] = {}, len[kMaxSections] = {}, sum[kMaxSections] = {};
  uint64_t at = kHeaderBytes;
  for (uint32_t i = 0; i < x.nsections; ++i) {
    const char* name = tag_name(i, x.quantization);
    if (size - at < kSectionHeaderBytes) bad(std::string("file is truncated before section ") + name);
    char sh[kSectionHeaderBytes];
    f.read_at(at, sh, kSectionHeaderBytes);
    if (get<uint32_t>(sh) != tag_of(i, x.quantization) || get<uint32_t>(sh + 4) != 0)
      bad(std::string("expected section ") + name + " (file is corrupted)");
    len[i] = get<uint64_t>(sh + 8);
    sum[i] = get<uint64_t>(sh + 16);
    if (i != 4 && len[i] != expected[i]) bad(std::string("section ") + name + " has the wrong length");
    if (len[i] > size - at - kSectionHeaderBytes) bad(std::string("file is truncated in section ") + name);
    off[i] = at + kSectionHeaderBytes;
    at = off[i] + len[i];
  }
  if (at != size) bad("unexpected bytes after the last section");

  // Small sections first: levels and states (which every other check needs), the
  // quantizer (needed to encode vectors as they arrive) and the labels.
  const std::vector<char> meta_bytes = read_section(f, off[1], len[1], sum[1], "META");
  const uint8_t* meta = reinterpret_cast<const uint8_t*>(meta_bytes.data());
  if (check_meta(x, meta) != len[4]) bad("section LNKU has the wrong length");
  HnswQuantizer quantizer;
  if (x.quantization == kQuantInt8) {
    const std::vector<char> q = read_section(f, off[5], len[5], sum[5], "QNT8");
    quantizer = check_quantizer(x, q.data());
  }
  HnswRabitq rabitq;
  if (x.quantization == kQuantBits1) {
    const std::vector<char> r = read_section(f, off[5], len[5], sum[5], "RBQ1");
    rabitq = check_rabitq(x, r.data());
  }
  const std::vector<char> labels = read_section(f, off[0], len[0], sum[0], "LABL");

  HnswParams params;
  params.quantization = static_cast<Quantization>(x.quantization);
  params.dim = dim;
  params.metric = static_cast<Metric>(x.metric);
  params.M = M;
  params.ef_construction = x.efc;
  params.ef_search = x.efs;
  params.seed = x.seed;
  auto index = std::make_unique<HnswIndex>(params);
  // Advance the level generator so new inserts do not repeat the saved levels.
  index->rng_.seed(x.seed ^ (used * 0x9E3779B97F4A7C15ULL));
  HnswGraph& g = index->graph_;
  if (x.quantization == kQuantInt8) g.set_quantizer(quantizer);
  if (x.quantization == kQuantBits1) g.set_rabitq(rabitq);
  g.reserve(used);

  {
    // Vectors, a chunk of rows at a time, checked then copied into their slots.
    SectionStream vs(f, off[2], len[2], "VECS");
    const size_t row = (size_t)dim * 4, per = std::max<size_t>(1, SectionStream::kChunk / row);
    std::vector<float> vec(dim);  // aligned copy of one row
    for (uint64_t s0 = 0; s0 < used; s0 += per) {
      const size_t rows = (size_t)std::min<uint64_t>(per, used - s0);
      const char* p = vs.next(rows * row);
      check_vector_rows(p, s0, rows, dim);
      for (size_t r = 0; r < rows; ++r) {
        const uint64_t s = s0 + r;
        std::memcpy(vec.data(), p + r * row, row);
        g.restore_slot((uint32_t)s, get<uint64_t>(labels.data() + s * 8), meta[2 * s],
                       static_cast<SlotState>(meta[2 * s + 1]), vec.data());
      }
    }
    vs.finish(sum[2]);
  }
  {
    // Level-0 links, checked, then copied.
    SectionStream ls(f, off[3], len[3], "LNK0");
    const size_t row = (size_t)(1 + m0) * 4, per = std::max<size_t>(1, SectionStream::kChunk / row);
    for (uint64_t s0 = 0; s0 < used; s0 += per) {
      const size_t rows = (size_t)std::min<uint64_t>(per, used - s0);
      const char* p = ls.next(rows * row);
      for (size_t r = 0; r < rows; ++r) {
        const uint64_t s = s0 + r;
        const char* p0 = p + r * row;
        if (meta[2 * s + 1] == 2) {
          if (get<uint32_t>(p0) != 0) bad("free slot " + std::to_string(s) + " has links");
          continue;
        }
        check_link_list(x, meta, p0, s, 0, m0);
        std::memcpy(g.links((uint32_t)s, 0), p0, (1 + (size_t)get<uint32_t>(p0)) * 4);
      }
    }
    ls.finish(sum[3]);
  }
  {
    // Upper levels of non-free slots, in slot order.
    SectionStream us(f, off[4], len[4], "LNKU");
    const size_t list = (size_t)(1 + M) * 4;
    for (uint64_t s = 0; s < used; ++s) {
      const int level = meta[2 * s];
      if (meta[2 * s + 1] == 2 || level == 0) continue;
      const char* p = us.next(list * (size_t)level);
      for (int l = 1; l <= level; ++l, p += list) {
        check_link_list(x, meta, p, s, l, M);
        std::memcpy(g.links((uint32_t)s, l), p, list);
      }
    }
    us.finish(sum[4]);
  }
  g.set_used(used);
  g.set_entry(x.entry, x.top);
  index->map_.reserve(x.live, g.labels());
  for (uint64_t s = 0; s < used; ++s) {
    const uint32_t slot = (uint32_t)s;
    if (g.state(slot) == SlotState::Free) {
      index->free_.push_back(slot);
    } else if (g.state(slot) == SlotState::Deleted) {
      ++index->deleted_;
    } else {
      if (index->map_.find(g.label(slot), g.labels()) != LabelSlotMap::kMissing)
        bad("label " + std::to_string(g.label(slot)) + " appears twice");
      index->map_.insert(g.label(slot), slot, g.labels());
    }
  }
  std::sort(index->free_.begin(), index->free_.end(), [](uint32_t a, uint32_t b) { return a > b; });
  index->live_ = x.live;
  return index;
}

void HnswIndex::save(const std::string& path) const { HnswFile::save(*this, path); }

std::unique_ptr<HnswIndex> HnswIndex::load(const std::string& path) { return HnswFile::load(path); }

}  // namespace quiver
