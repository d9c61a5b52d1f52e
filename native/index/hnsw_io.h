// The HNSW file format (versions 1-3; see kVersion). Little-endian throughout.
//
//   header (96 bytes)
//     0  char[8] magic "QUIVHNSW"        8  u32 format version (1-3)
//     12 u32 header bytes (96)           16 u32 metric (0 euclidean, 1 cosine, 2 ip)
//     20 u32 dim                         24 u32 M
//     28 u32 efConstruction              32 u32 efSearch
//     36 i32 top level (-1 when empty)   40 u64 seed
//     48 u64 slots                       56 u64 live vectors
//     64 u32 entry slot (2^32-1: none)   68 u32 section count (5, 6 when quantized)
//     72 u32 quantization (v2+: 0 none, 1 int8, 2 rabitq (v3+))
//     76 u8[12] reserved (zero)          88 u64 checksum of bytes 0..87
//   then the sections, each: u32 tag, u32 zero, u64 payload bytes, u64 payload checksum, payload
//     "LABL" u64 label per slot
//     "META" per slot: u8 level, u8 state (0 live, 1 deleted, 2 free)
//     "VECS" float32 vector per slot (slots x dim)
//     "LNK0" per slot: u32 count, u32 links[2M]
//     "LNKU" for each non-free slot with level > 0, in slot order: level x (u32 count, u32 links[M])
//     "QNT8" (int8 only) f32 step, f32 offset[dim]
//     "RBQ1" (rabitq only) u64 rotation seed, u64 fitted count, f32 centroid[dim]
//
// save() writes a temporary file beside the target, fsyncs it, renames it over
// the target and fsyncs the directory, so a crash leaves the old file intact.
// load() checks every size against the header and the file length before
// allocating, every checksum, level, state and link id before use, so no file
// can make it read or write out of bounds. It refuses non-regular files (a FIFO
// is opened with O_NONBLOCK, so it cannot block) and streams the sections with
// positioned reads of at most 8 MiB straight into the index's storage (peak
// memory about the index itself; files of any size). save() checks what it is
// about to write with the loader's rules and refuses to write a file load would
// reject.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace quiver {

class HnswIndex;

class HnswFile {
 public:
  // 2: header field quantization (offset 72) and, for int8, a QNT8 section.
  // 3: quantization 2 (rabitq) and its RBQ1 section (u64 rotation seed, u64
  // fitted count, float centroid[dim]); codes are not stored, the loader re-codes
  // the vectors. save() writes the oldest version that holds the index (2 unless
  // rabitq), so older releases still read files that do not need 3.
  // Version 1 and 2 files are still read.
  static constexpr uint32_t kVersion = 3;
  static void save(const HnswIndex& index, const std::string& path);
  static std::unique_ptr<HnswIndex> load(const std::string& path);

 private:
  static std::unique_ptr<HnswIndex> load_file(const std::string& path);
};

}  // namespace quiver
