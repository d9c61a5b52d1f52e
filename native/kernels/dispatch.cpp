#include "dispatch.h"

#include <cstdlib>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace quiver {
namespace {

#if defined(__x86_64__) || defined(_M_X64)
// XCR0 tells which register states the OS saves on context switch; a CPU flag
// alone is not enough (an OS without AVX-512 state support would corrupt zmm).
uint64_t read_xcr0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

SimdLevel detect() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return SimdLevel::Scalar;
  const bool osxsave = c & (1u << 27), fma = c & (1u << 12), avx = c & (1u << 28);
  const bool popcnt = c & (1u << 23);  // the 1-bit code kernels use POPCNT (every AVX2 CPU has it)
  if (!osxsave || !avx) return SimdLevel::Scalar;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return SimdLevel::Scalar;
  const bool avx2 = b & (1u << 5);
  const bool avx512f = b & (1u << 16), avx512dq = b & (1u << 17), avx512bw = b & (1u << 30),
             avx512vl = b & (1u << 31);
  if (zmm_state && avx512f && avx512dq && avx512bw && avx512vl && fma && popcnt) return SimdLevel::Avx512;
  if (ymm_state && avx2 && fma && popcnt) return SimdLevel::Avx2;
  return SimdLevel::Scalar;
}
bool detect_vnni() {
  unsigned a, b, c, d;
  if (detected_simd_level() != SimdLevel::Avx512 || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  return c & (1u << 11);  // CPUID.(EAX=7,ECX=0):ECX.AVX512_VNNI
}
#elif defined(__aarch64__)
SimdLevel detect() { return SimdLevel::Neon; }
bool detect_vnni() { return false; }
#else
SimdLevel detect() { return SimdLevel::Scalar; }
bool detect_vnni() { return false; }
#endif

std::string g_env_warning;

const KernelTable* choose() {
  const SimdLevel best = detect();
  SimdLevel want = best;
  if (const char* env = std::getenv("QUIVER_SIMD"); env && *env) {
    SimdLevel forced;
    if (!parse_simd_level(env, &forced)) {
      g_env_warning = std::string("QUIVER_SIMD=") + env + " is not one of scalar, neon, avx2, avx512; using " +
                      simd_level_name(best);
    } else if (!kernels_for(forced)) {
      g_env_warning = std::string("QUIVER_SIMD=") + env + " is not supported by this CPU; using " +
                      simd_level_name(best);
    } else {
      want = forced;
    }
  }
  return kernels_for(want);
}

}  // namespace

SimdLevel detected_simd_level() {
  static const SimdLevel level = detect();
  return level;
}

bool cpu_has_avx512_vnni() {
  static const bool vnni = detect_vnni();
  return vnni;
}

const KernelTable* kernels_for(SimdLevel level) {
  const SimdLevel best = detected_simd_level();
  switch (level) {
    case SimdLevel::Scalar: return scalar_kernels();
    case SimdLevel::Neon: return best == SimdLevel::Neon ? neon_kernels() : nullptr;
    case SimdLevel::Avx2: return (best == SimdLevel::Avx2 || best == SimdLevel::Avx512) ? avx2_kernels() : nullptr;
    case SimdLevel::Avx512: return best == SimdLevel::Avx512 ? avx512_kernels() : nullptr;
  }
  return nullptr;
}

const KernelTable& kernels() {
  static const KernelTable* table = choose();
  return *table;
}

const std::string& simd_env_warning() {
  kernels();
  return g_env_warning;
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::Scalar: return "scalar";
    case SimdLevel::Neon: return "neon";
    case SimdLevel::Avx2: return "avx2";
    case SimdLevel::Avx512: return "avx512";
  }
  return "unknown";
}

bool parse_simd_level(const std::string& name, SimdLevel* out) {
  if (name == "scalar") *out = SimdLevel::Scalar;
  else if (name == "neon") *out = SimdLevel::Neon;
  else if (name == "avx2") *out = SimdLevel::Avx2;
  else if (name == "avx512") *out = SimdLevel::Avx512;
  else return false;
  return true;
}

}  // namespace quiver
