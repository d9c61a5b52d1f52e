#include "cache_size.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>  // sysconf
#endif

namespace quiver {

size_t parse_cache_size(const char* text) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text, &end, 10);
  if (end == text || n == 0) return 0;
  size_t unit = 1;
  if (*end == 'K') unit = size_t{1} << 10, ++end;
  else if (*end == 'M') unit = size_t{1} << 20, ++end;
  else if (*end == 'G') unit = size_t{1} << 30, ++end;
  while (*end == '\n' || *end == ' ') ++end;
  if (*end != '\0' || n > (size_t{1} << 40) / unit) return 0;
  return (size_t)n * unit;
}

namespace {

#if defined(__linux__)
bool read_line(const std::string& path, char* buf, size_t cap) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return false;
  const bool ok = std::fgets(buf, (int)cap, f) != nullptr;
  std::fclose(f);
  return ok;
}

// The kernel's view of cpu0's caches (from CPUID's cache topology leaves). Preferred
// over sysconf: glibc derives _SC_LEVEL3_CACHE_SIZE on AMD from another CPUID leaf,
// which a hypervisor may fill differently (256 MiB against sysfs's true 32 MiB on a
// 2-vCPU EPYC VM).
size_t sysfs_last_level_cache() {
  int best_level = 0;
  size_t best = 0;
  for (int i = 0; i < 16; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    char level[32], type[32], size[32];
    if (!read_line(dir + "level", level, sizeof level)) break;
    if (!read_line(dir + "type", type, sizeof type) || !read_line(dir + "size", size, sizeof size)) continue;
    if (std::strncmp(type, "Instruction", 11) == 0) continue;
    const int l = std::atoi(level);
    const size_t bytes = parse_cache_size(size);
    if (bytes > 0 && l > best_level) {
      best_level = l;
      best = bytes;
    }
  }
  return best;
}
#endif

size_t detect() {
#if defined(__linux__)
  if (const size_t b = sysfs_last_level_cache()) return b;
#endif
  long llc = 0;
#ifdef _SC_LEVEL3_CACHE_SIZE
  llc = sysconf(_SC_LEVEL3_CACHE_SIZE);  // 0 or -1 where the OS does not say
#endif
  return llc > 0 ? (size_t)llc : 0;
}

}  // namespace

size_t last_level_cache_bytes() {
  static const size_t bytes = detect();
  return bytes;
}

}  // namespace quiver
