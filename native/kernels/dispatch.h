// Run-time choice of the kernel table: detected once, at load.
#pragma once
#include <string>
#include "kernels.h"

namespace quiver {

// Highest level this CPU (and OS) supports.
SimdLevel detected_simd_level();
// Whether the AVX-512 level may use AVX512-VNNI (vpdpbusd) too: an extension some
// AVX-512 CPUs lack (Skylake-SP), so it picks one kernel, not a level.
bool cpu_has_avx512_vnni();
// The active table: the detected level, lowered by QUIVER_SIMD if set.
const KernelTable& kernels();
// Table for a given level, or nullptr when this CPU cannot run it.
const KernelTable* kernels_for(SimdLevel level);
const char* simd_level_name(SimdLevel level);
// Parses "scalar" | "neon" | "avx2" | "avx512"; returns false on anything else.
bool parse_simd_level(const std::string& name, SimdLevel* out);
// A warning for an unusable QUIVER_SIMD value (empty when there is none).
const std::string& simd_env_warning();

}  // namespace quiver
