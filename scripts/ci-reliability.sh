#!/usr/bin/env bash
# The reliability suite as CI runs it (issue #7), after .ci/run has built the
# addon and dist/ (npm ci) and run npm test. Each step is timed; every step runs
# even if an earlier one failed, and the script exits 1 if any failed.
#   1. clang, libclang-rt (libFuzzer, sanitizer runtimes) and doctest from Debian
#   2. native C++ unit tests (npm run test:native: ctest at 3 SIMD levels)
#   3. sanitizers (npm run test:asan): native tests under ASan+UBSan+LSan, then the
#      vitest files that drive the addon, against the ASan+UBSan addon
#   4. fuzzing (npm run fuzz): every native libFuzzer target, then the TS fuzzers
#   5. SIGKILL crash soak (bench/soak-crash.mjs), more rounds than the unit test's 20
# Sizes (chosen so that the whole of .ci/run stays under ~40 min on a 2-core box;
# see RELIABILITY.md for the measured times):
#   CI_FUZZ_SECONDS   per native target, and in total for the TS fuzzers (default 60)
#   CI_CRASH_ROUNDS   SIGKILL rounds (default 300)
#   CI_ASAN_FILES     vitest files run under ASan (default: test-asan.sh's full list)
# Run locally (after npm ci): bash scripts/ci-reliability.sh
set -uo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds=${CI_FUZZ_SECONDS:-60}
crash_rounds=${CI_CRASH_ROUNDS:-300}
# The full sanitizer suite fits (~6 min measured): CI_ASAN_FILES may reduce it.
asan_env=()
[ -n "${CI_ASAN_FILES:-}" ] && asan_env=(ASAN_VITEST_FILES="$CI_ASAN_FILES")

results=()
failed=0
step() {
  local name=$1
  shift
  echo
  echo "== $name"
  local t0=$SECONDS rc=0
  "$@" || rc=$?
  local took=$((SECONDS - t0))
  if [ "$rc" -eq 0 ]; then
    results+=("$(printf '%5d s  ok      %s' "$took" "$name")")
  else
    results+=("$(printf '%5d s  FAILED  %s (exit %d)' "$took" "$name" "$rc")")
    failed=$((failed + 1))
  fi
  echo "== $name: $([ "$rc" -eq 0 ] && echo ok || echo "FAILED (exit $rc)") in ${took} s"
}

start=$SECONDS
step "install clang, libclang-rt, doctest (scripts/install-clang.sh)" bash scripts/install-clang.sh
step "native C++ tests (npm run test:native)" npm run test:native
step "sanitizers: native tests + vitest suite on the ASan addon (npm run test:asan)" env "${asan_env[@]}" npm run test:asan
# Findings of an earlier run on the same machine would count again: start clean.
rm -rf build-fuzz/findings
step "fuzz: native targets and TS fuzzers, ${fuzz_seconds} s each (npm run fuzz)" npm run fuzz -- --seconds "$fuzz_seconds"
step "SIGKILL crash soak, ${crash_rounds} rounds (bench/soak-crash.mjs)" node bench/soak-crash.mjs --rounds "$crash_rounds"

echo
echo "== reliability suite: $((SECONDS - start)) s"
printf '%s\n' "${results[@]}"
[ "$failed" -eq 0 ] || { echo "reliability suite: $failed step(s) failed"; exit 1; }
