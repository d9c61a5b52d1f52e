// The size of the CPU's last-level cache, for heuristics that ask whether a structure
// stays in cache (the HNSW search's prefetch line).
#pragma once
#include <cstddef>

namespace quiver {

// Bytes of the highest-level data or unified cache one core sees; 0 when the system
// does not say. Read once and cached.
size_t last_level_cache_bytes();

// Parses a sysfs cache size ("32768K", "32M", "512"): bytes, or 0 if malformed.
size_t parse_cache_size(const char* text);

}  // namespace quiver
