// The last-level cache size behind the HNSW search's prefetch line: sysfs's size
// strings parse exactly, malformed ones give 0 (the caller's fallback), and the
// detected size is either unknown or a plausible cache.
#include <doctest/doctest.h>

#include <initializer_list>

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
