# Prebuilt linux-x64-gnu addon: glibc 2.17 baseline (see linux-gnu-glibc217.cmake).
set(QUIVER_TRIPLE x86_64-unknown-linux-gnu)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
# Debian's libstdc++-12-dev (g++-12).
set(QUIVER_LIBSTDCXX_INCLUDE /usr/include/c++/12 /usr/include/x86_64-linux-gnu/c++/12 /usr/include/c++/12/backward)
set(QUIVER_LIBSTDCXX_LIBDIR /usr/lib/gcc/x86_64-linux-gnu/12)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-glibc217.cmake)
