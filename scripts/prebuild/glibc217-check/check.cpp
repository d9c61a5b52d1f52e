// Runs on the real glibc 2.17 of the cross-toolchain sysroot (prebuild.mjs starts it
// with that sysroot's ld-2.17.so; arm64 under qemu): Node 20 itself needs glibc 2.28,
// so this is how the 2.17 floor is exercised for real.
//  1. dlopen(addon, RTLD_NOW): every symbol and version the addon needs resolves on
//     glibc 2.17 and its static constructors run.
//  2. The compat fallbacks of native/compat/glibc_compat.cpp (linked in here the
//     same way as in the addon): thread_local destructors through the
//     __cxa_thread_atexit_impl fallback (2.17 has none), std::random_device
//     (getentropy/arc4random), shared_ptr reference counts (__libc_single_threaded).
#include <dlfcn.h>
#include <gnu/libc-version.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace {
std::atomic<int> destroyed{0};
struct Counted {
  int touched = 0;
  ~Counted() { destroyed.fetch_add(1); }
};
thread_local Counted per_thread;
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: glibc217_check <addon.node>\n");
    return 2;
  }
  bool ok = true;
  void* addon = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!addon) {
    std::printf("dlopen FAILED: %s\n", dlerror());
    ok = false;
  } else if (!dlsym(addon, "napi_register_module_v1")) {
    std::printf("napi_register_module_v1 not exported\n");
    ok = false;
  }

  std::vector<std::thread> threads;
  for (int i = 0; i < 4; i++) threads.emplace_back([] { per_thread.touched++; });
  for (auto& t : threads) t.join();
  if (destroyed.load() != 4) {
    std::printf("thread_local destructors ran %d times for 4 threads\n", destroyed.load());
    ok = false;
  }

  std::random_device rd;
  unsigned a = rd(), b = rd(), c = rd();
  if (a == b && b == c) {
    std::printf("std::random_device returned %u three times\n", a);
    ok = false;
  }

  auto shared = std::make_shared<int>(7);
  std::thread([copy = shared] { (void)*copy; }).join();
  if (shared.use_count() != 1) {
    std::printf("shared_ptr use_count %ld after the copy died\n", shared.use_count());
    ok = false;
  }

  std::printf("glibc %s: %s (dlopen RTLD_NOW, thread_local dtors %d/4, random_device, shared_ptr)\n",
              gnu_get_libc_version(), ok ? "ok" : "FAILED", destroyed.load());
  return ok ? 0 : 1;
}
