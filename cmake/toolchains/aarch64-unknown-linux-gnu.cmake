# Prebuilt linux-arm64-gnu addon: glibc 2.17 baseline (see linux-gnu-glibc217.cmake).
set(QUIVER_TRIPLE aarch64-unknown-linux-gnu)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
# Debian's libstdc++-12-dev-arm64-cross (g++-aarch64-linux-gnu).
set(QUIVER_LIBSTDCXX_INCLUDE /usr/aarch64-linux-gnu/include/c++/12 /usr/aarch64-linux-gnu/include/c++/12/aarch64-linux-gnu
  /usr/aarch64-linux-gnu/include/c++/12/backward)
set(QUIVER_LIBSTDCXX_LIBDIR /usr/lib/gcc-cross/aarch64-linux-gnu/12)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-glibc217.cmake)
