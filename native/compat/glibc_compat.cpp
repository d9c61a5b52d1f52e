// Compiled only into the prebuilt binaries (CMakeLists.txt: QUIVER_PORTABLE_LINK;
// scripts/prebuild). Those link gcc 12's libstdc++.a, which was built against a
// recent glibc and references four symbols that the glibc 2.17 baseline lacks.
// Left undefined they would break loading (or the first call) on glibc < 2.36,
// so each gets a conservative definition here. All are hidden: they bind only our
// private libstdc++ copy and never interpose the process's own glibc.
//
// Which objects need them (ld -y): __libc_single_threaded from guard.o,
// stdexcept.o, thread.o, cow-string-inst.o; __cxa_thread_atexit_impl from
// atexit_thread.o (our thread_local HNSW scratch); getentropy and arc4random from
// random.o, pulled in by cow-string-inst.o although nothing here uses
// std::random_device.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#define QUIVER_COMPAT extern "C" __attribute__((visibility("hidden")))

// glibc 2.32. libstdc++ skips atomic reference counting when this is non-zero.
// 0 means "the process may have threads": always the atomic path, which is the
// correct (only slightly slower) choice for a Node addon with a worker pool.
QUIVER_COMPAT char __libc_single_threaded = 0;

namespace {

// Fallback for glibc < 2.18: run thread_local destructors from a pthread key
// destructor (at thread exit) and, for the main thread, from atexit. This is what
// libstdc++ itself does when glibc has no __cxa_thread_atexit_impl. It does not
// pin the DSO while destructors are pending; Node never unloads addons.
struct TlsDtor {
  void (*fn)(void*);
  void* obj;
  TlsDtor* next;
};
pthread_key_t tls_key;
pthread_once_t tls_once = PTHREAD_ONCE_INIT;

void run_tls_dtors(void* head) {
  // Newest first, as glibc does. A destructor may register more: the key
  // destructor is called again while the value is non-null (up to
  // PTHREAD_DESTRUCTOR_ITERATIONS), and the atexit path loops.
  for (auto* e = static_cast<TlsDtor*>(head); e;) {
    TlsDtor* next = e->next;
    e->fn(e->obj);
    std::free(e);
    e = next;
  }
}

void run_main_thread_tls_dtors() {
  while (void* head = pthread_getspecific(tls_key)) {
    pthread_setspecific(tls_key, nullptr);
    run_tls_dtors(head);
  }
}

void init_tls_key() {
  if (pthread_key_create(&tls_key, run_tls_dtors) == 0) std::atexit(run_main_thread_tls_dtors);
  else tls_key = static_cast<pthread_key_t>(-1);
}

int fallback_thread_atexit(void (*fn)(void*), void* obj) {
  pthread_once(&tls_once, init_tls_key);
  if (tls_key == static_cast<pthread_key_t>(-1)) return -1;
  auto* e = static_cast<TlsDtor*>(std::malloc(sizeof(TlsDtor)));
  if (!e) return -1;
  e->fn = fn;
  e->obj = obj;
  e->next = static_cast<TlsDtor*>(pthread_getspecific(tls_key));
  if (pthread_setspecific(tls_key, e) != 0) {
    std::free(e);
    return -1;
  }
  return 0;
}

using ThreadAtexitImpl = int (*)(void (*)(void*), void*, void*);

ThreadAtexitImpl glibc_thread_atexit_impl() {
  // Our own definition below is hidden, so this finds only glibc's (>= 2.18).
  static const ThreadAtexitImpl impl =
#ifdef QUIVER_COMPAT_FORCE_FALLBACK  // tests of the glibc 2.17 path on a newer glibc
      nullptr;
#else
      reinterpret_cast<ThreadAtexitImpl>(dlsym(RTLD_DEFAULT, "__cxa_thread_atexit_impl"));
#endif
  return impl;
}

#if defined(__x86_64__)
constexpr long kSysGetrandom = 318;
#elif defined(__aarch64__)
constexpr long kSysGetrandom = 278;
#endif

}  // namespace

// glibc 2.18: registers the destructor of a thread_local object. Uses glibc's
// when the running glibc has it (keeps the DSO loaded while destructors are
// pending), otherwise the pthread-key fallback above.
QUIVER_COMPAT int __cxa_thread_atexit_impl(void (*fn)(void*), void* obj, void* dso_symbol) {
  if (ThreadAtexitImpl impl = glibc_thread_atexit_impl()) return impl(fn, obj, dso_symbol);
  return fallback_thread_atexit(fn, obj);
}

// glibc 2.25. Same contract: at most 256 bytes, 0 or -1 with errno. getrandom(2)
// (Linux 3.17+), else /dev/urandom for older kernels.
QUIVER_COMPAT int getentropy(void* buffer, size_t length) {
  if (length > 256) {
    errno = EIO;
    return -1;
  }
  auto* p = static_cast<unsigned char*>(buffer);
  size_t done = 0;
  while (done < length) {
    long n = syscall(kSysGetrandom, p + done, length - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    done += static_cast<size_t>(n);
  }
  if (done == length) return 0;
  if (errno != ENOSYS) return -1;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  while (done < length) {
    ssize_t n = read(fd, p + done, length - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      errno = EIO;
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  return 0;
}

// glibc 2.36. Cannot fail by contract; with no entropy source at all, abort
// rather than return predictable numbers.
QUIVER_COMPAT uint32_t arc4random(void) {
  uint32_t value;
  if (getentropy(&value, sizeof value) != 0) std::abort();
  return value;
}
