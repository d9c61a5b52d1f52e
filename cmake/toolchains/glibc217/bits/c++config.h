// Prebuilt builds only (cmake/toolchains/linux-gnu-glibc217.cmake puts this dir
// first on the include path). gcc 12's c++config.h was configured against
// Debian's glibc 2.36; we compile against glibc 2.17, so turn off the libstdc++
// features whose glibc functions 2.17 does not have. Header code then takes
// libstdc++'s own fallbacks (e.g. pthread_cond_timedwait on the system clock
// instead of pthread_cond_clockwait).
#include_next <bits/c++config.h>

#undef _GLIBCXX_USE_PTHREAD_COND_CLOCKWAIT    // glibc 2.30
#undef _GLIBCXX_USE_PTHREAD_MUTEX_CLOCKLOCK   // glibc 2.30
#undef _GLIBCXX_USE_PTHREAD_RWLOCK_CLOCKLOCK  // glibc 2.30
#undef _GLIBCXX_HAVE_ARC4RANDOM               // glibc 2.36
#undef _GLIBCXX_HAVE_GETENTROPY               // glibc 2.25
#undef _GLIBCXX_HAVE___CXA_THREAD_ATEXIT_IMPL // glibc 2.18
