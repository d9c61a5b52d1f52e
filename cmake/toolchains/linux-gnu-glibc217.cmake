# Shared part of the prebuilt-binary toolchains (scripts/prebuild): Debian's clang
# cross-compiling against the glibc 2.17 sysroot of a napi-rs cross toolchain
# (@napi-rs/cross-toolchain-x64-target-*), with gcc 12's libstdc++ headers and
# a static libstdc++/libgcc, so the addon loads on glibc >= 2.17 (Amazon Linux 2,
# Debian 10, Ubuntu 18.04 and newer) without a C++ runtime of its own.
#
# Included by <triple>.cmake, which sets QUIVER_TRIPLE, CMAKE_SYSTEM_PROCESSOR,
# QUIVER_LIBSTDCXX_INCLUDE (list), QUIVER_LIBSTDCXX_LIBDIR.
# In: -DQUIVER_XTOOLCHAIN=<dir> (or env QUIVER_XTOOLCHAIN): the extracted
#     <triple>.tar.xz, holding <triple>/sysroot and bin/<triple>-ld.
set(CMAKE_SYSTEM_NAME Linux)

if(NOT QUIVER_XTOOLCHAIN AND DEFINED ENV{QUIVER_XTOOLCHAIN})
  set(QUIVER_XTOOLCHAIN "$ENV{QUIVER_XTOOLCHAIN}")
endif()
if(NOT QUIVER_XTOOLCHAIN OR NOT EXISTS "${QUIVER_XTOOLCHAIN}/${QUIVER_TRIPLE}/sysroot")
  message(FATAL_ERROR "QUIVER_XTOOLCHAIN must name an extracted napi-rs cross toolchain for ${QUIVER_TRIPLE} "
    "(got '${QUIVER_XTOOLCHAIN}'); scripts/prebuild/prebuild.mjs fetches and passes it")
endif()
# try_compile projects re-read this file: hand them the same inputs.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES QUIVER_XTOOLCHAIN)

find_program(QUIVER_CLANG NAMES clang-14 clang REQUIRED)
find_program(QUIVER_CLANGXX NAMES clang++-14 clang++ REQUIRED)
set(CMAKE_C_COMPILER_TARGET ${QUIVER_TRIPLE})
set(CMAKE_CXX_COMPILER_TARGET ${QUIVER_TRIPLE})
set(CMAKE_SYSROOT "${QUIVER_XTOOLCHAIN}/${QUIVER_TRIPLE}/sysroot")

# Compiler flags ride on the compiler "path" (a list: compiler + mandatory args),
# because cmake-js overwrites CMAKE_CXX_FLAGS. --gcc-toolchain points clang at the
# toolchain's own gcc (crt files), never the host's gcc with its newer glibc.
# -nostdinc++ drops that gcc 4.8.5's libstdc++ headers (too old for C++17) for
# gcc 12's. The glibc217 dir comes first: its bits/c++config.h wraps gcc 12's
# and turns off the features gcc 12 was configured with that glibc 2.17 lacks.
set(CMAKE_C_COMPILER "${QUIVER_CLANG}" "--gcc-toolchain=${QUIVER_XTOOLCHAIN}")
set(CMAKE_CXX_COMPILER "${QUIVER_CLANGXX}" "--gcc-toolchain=${QUIVER_XTOOLCHAIN}" -nostdinc++
  -isystem "${CMAKE_CURRENT_LIST_DIR}/glibc217")
foreach(dir IN LISTS QUIVER_LIBSTDCXX_INCLUDE)
  list(APPEND CMAKE_CXX_COMPILER -isystem "${dir}")
endforeach()

# Link: the toolchain's own binutils ld and crt files; gcc 12's libstdc++.a and
# libgcc.a (runtime helpers) linked in statically, named by path (-nostdlib++ drops
# clang's -lstdc++), for every link so CMake's compiler checks link too. The
# unwinder stays the system's libgcc_s.so.1 (clang's default -lgcc_s, resolved
# against the sysroot's gcc 4.8.5 copy: GCC_4.8.0 at most; Node itself loads
# libgcc_s): gcc 12's static libgcc_eh would need _dl_find_object (glibc 2.35)
# and has no fallback without it. CMakeLists.txt's QUIVER_PORTABLE_LINK hides the
# static copies (--exclude-libs) and adds the glibc compat definitions.
set(_quiver_link "--ld-path=${QUIVER_XTOOLCHAIN}/bin/${QUIVER_TRIPLE}-ld -nostdlib++ -Wno-unused-command-line-argument")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_quiver_link}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_quiver_link}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "${_quiver_link}")
set(CMAKE_CXX_STANDARD_LIBRARIES_INIT "${QUIVER_LIBSTDCXX_LIBDIR}/libstdc++.a ${QUIVER_LIBSTDCXX_LIBDIR}/libgcc.a")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
