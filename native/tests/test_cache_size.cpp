// The last-level cache size behind the HNSW search's prefetch line: sysfs's size
// strings parse exactly, malformed ones give 0 (the caller's fallback), and the
// detected size is either unknown or a plausible cache.
#include <doctest/doctest.h>

#include <fstream>
#include <initializer_list>
#include <string>

#include "util/cache_size.h"

using namespace quiver;

TEST_CASE("sysfs cache sizes parse, malformed ones give 0") {
  CHECK(parse_cache_size("32768K\n") == (size_t{32} << 20));
  CHECK(parse_cache_size("512K") == (size_t{512} << 10));
  CHECK(parse_cache_size("32M") == (size_t{32} << 20));
  CHECK(parse_cache_size("1G") == (size_t{1} << 30));
  CHECK(parse_cache_size("4096") == 4096);
  for (const char* bad : {"", "K", "-1K", "0K", "12X", "12K junk", "99999999999999999999K", "2000000G"}) {
    CAPTURE(bad);
    CHECK(parse_cache_size(bad) == 0);
  }
}

TEST_CASE("the detected last-level cache is unknown or between 64 KiB and 4 GiB") {
  const size_t b = last_level_cache_bytes();
  CHECK((b == 0 || (b >= (size_t{64} << 10) && b <= (size_t{4} << 30))));
  CHECK(last_level_cache_bytes() == b);  // cached
}

#if defined(__linux__)
// The kernel's cache topology wins over glibc's sysconf, which on AMD reads another CPUID
// leaf (a 2-vCPU EPYC VM: sysconf 256 MiB, sysfs 32 MiB, and the prefetch line moved 4x).
TEST_CASE("on Linux the size is cpu0's highest data or unified cache in sysfs") {
  size_t want = 0;
  int want_level = 0;
  for (int i = 0; i < 16; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::ifstream level(dir + "level"), type(dir + "type"), size(dir + "size");
    if (!level) break;
    int l = 0;
    std::string t, sz;
    level >> l;
    type >> t;
    size >> sz;
    if (t == "Instruction" || sz.empty()) continue;
    if (l > want_level) {
      want_level = l;
      want = parse_cache_size(sz.c_str());
    }
  }
  if (want == 0) return;  // no sysfs cache topology here: sysconf's answer is all there is
  CHECK(last_level_cache_bytes() == want);
}
#endif
