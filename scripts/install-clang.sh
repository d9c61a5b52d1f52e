#!/usr/bin/env bash
# Installs what the reliability tooling needs from Debian's own packages:
#   clang + libclang-rt-dev (libFuzzer and the sanitizer runtimes), doctest (C++ unit tests).
# Idempotent: skips packages that are already present. Needs root (CI images run as root).
set -euo pipefail
want=()
command -v clang++ >/dev/null 2>&1 || want+=(clang)
# libFuzzer ships in libclang-rt-<N>-dev on bookworm (N = clang's major version).
major=$( (clang++ --version 2>/dev/null || true) | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
major=${major:-14}
[ -e "/usr/lib/llvm-${major}/lib/clang" ] && ls /usr/lib/llvm-${major}/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
  || want+=("libclang-rt-${major}-dev")
[ -f /usr/include/doctest/doctest.h ] || want+=(doctest-dev)
if [ ${#want[@]} -eq 0 ]; then echo "install-clang: nothing to install"; exit 0; fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}"
clang++ --version | head -1
