// Replays the fuzz seed corpus and every saved fuzz finding through the same
// harness the libFuzzer targets use, in the ordinary (gcc) and sanitizer builds:
// each file must load and be usable, or be rejected with an exception.
// Findings live in native/fuzz/regressions/<target>/ (see RELIABILITY.md).
#include <doctest/doctest.h>

#include <dirent.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../fuzz/hnsw_fuzz_common.h"

namespace {
std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') out.push_back(dir + "/" + e->d_name);
    closedir(d);
  }
  return out;
}
std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}
const std::string kFuzzDir = QUIVER_SOURCE_DIR "/native/fuzz";
}  // namespace

// The operations fuzz target (native/fuzz/fuzz_hnsw_ops.cpp, linked into this binary).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

TEST_CASE("every HNSW seed file loads and survives search, insert, remove, compact and re-save") {
  const auto seeds = files_in(kFuzzDir + "/corpus/hnsw_load");
  REQUIRE(seeds.size() >= 5);
  for (const auto& path : seeds) {
    CAPTURE(path);
    auto index = quiver::HnswIndex::load(path);  // valid seeds must not be rejected
    REQUIRE(index);
    quiver_fuzz::exercise(*index);
  }
}

TEST_CASE("saved fuzz findings are rejected cleanly or load and work (raw and checksum-fixed)") {
  for (const auto& path : files_in(kFuzzDir + "/regressions/hnsw_load")) {
    CAPTURE(path);
    const auto bytes = read_bytes(path);
    quiver_fuzz::load_and_exercise(bytes.data(), bytes.size());
    const auto fixed = quiver_fuzz::fix_checksums(bytes.data(), bytes.size());
    quiver_fuzz::load_and_exercise(fixed.data(), fixed.size());
  }
}

TEST_CASE("corrupting any single byte of a valid file is detected or harmless") {
  // Deterministic single-byte flips of a real file: the checksum must reject
  // every flip outside the checksum fields themselves.
  const auto bytes = read_bytes(kFuzzDir + "/corpus/hnsw_load/l2_40.hnsw");
  REQUIRE(bytes.size() > 96);
  size_t rejected = 0, flips = 0;
  for (size_t i = 0; i < bytes.size(); i += 7) {
    auto b = bytes;
    b[i] ^= 0x5a;
    const std::string path = quiver_fuzz::scratch_path(".flip");
    quiver_fuzz::write_all(path, b.data(), b.size());
    ++flips;
    try {
      quiver::HnswIndex::load(path);
    } catch (const std::exception&) {
      ++rejected;
    }
    std::remove(path.c_str());
  }
  CHECK(rejected == flips);
}

TEST_CASE("operation programs: the seed corpus and saved findings keep the index equal to its model") {
  // The target aborts with "invariant broken: ..." on any disagreement.
  auto files = files_in(kFuzzDir + "/corpus/hnsw_ops");
  REQUIRE(files.size() >= 4);
  for (const auto& f : files_in(kFuzzDir + "/regressions/hnsw_ops")) files.push_back(f);
  for (const auto& path : files) {
    CAPTURE(path);
    const auto bytes = read_bytes(path);
    CHECK(LLVMFuzzerTestOneInput(bytes.data(), bytes.size()) == 0);
  }
}
