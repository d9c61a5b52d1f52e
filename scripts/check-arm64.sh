#!/usr/bin/env bash
# Compile-checks the whole native core for arm64 (NEON) with Debian's cross
# compiler and runs the kernel checker under qemu-user. Installs both if missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++-aarch64-linux-gnu qemu-user) >/dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Every core source must compile for arm64 (the x86 kernel files reduce to stubs there).
core=$(ls "$root"/native/kernels/*.cpp "$root"/native/index/*.cpp "$root"/native/util/*.cpp 2>/dev/null)
aarch64-linux-gnu-g++ -std=c++17 -O2 -Wall -static -pthread -I"$root/native" \
  "$root/native/tests/arm64_kernel_check.cpp" $core -o "$out/check"
qemu-aarch64 "$out/check"
