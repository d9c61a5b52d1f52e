#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer run (npm run test:asan):
#   1. the native C++ unit tests built with -fsanitize=address,undefined, run by
#      ctest with LeakSanitizer on (any leak, over-read or UB fails the run);
#   2. the addon built the same way (into build-asan/, never touching build/), and a
#      reduced vitest suite run against it under Node with the ASan runtime preloaded
#      (Node itself is not instrumented, so its own exit-time leaks are not checked).
# Options: --native-only | --node-only.  Env ASAN_VITEST_FILES overrides the test list.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
jobs=${JOBS:-2}
start=$SECONDS

# Leaks, bad frees and UB stop the process with a report; UBSan prints a stack.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ "$mode" != "--node-only" ]; then
  echo "== native tests under ASan+UBSan (LeakSanitizer on)"
  cmake -S . -B build-asan-tests -DQUIVER_BUILD_TESTS=ON -DQUIVER_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-asan-tests -j "$jobs"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1} \
    ctest --test-dir build-asan-tests --output-on-failure
  echo "native tests under sanitizers: passed ($((SECONDS - start)) s)"
fi

if [ "$mode" != "--native-only" ]; then
  echo "== addon under ASan+UBSan (build-asan/)"
  npx cmake-js compile --out build-asan --config RelWithDebInfo --CDQUIVER_SANITIZE=ON >/tmp/quiver-asan-build.log 2>&1 \
    || { tail -40 /tmp/quiver-asan-build.log; exit 1; }
  addon=$PWD/build-asan/RelWithDebInfo/quiverdb.node
  [ -f "$addon" ] || addon=$PWD/build-asan/Release/quiverdb.node
  [ -f "$addon" ] || { echo "ASan addon not found under build-asan/"; exit 1; }
  # Refuse to run a suite that would silently test an uninstrumented addon.
  ldd "$addon" | grep libasan >/dev/null || { echo "$addon is not linked against libasan"; exit 1; }
  libasan=$(g++ -print-file-name=libasan.so)
  default_files="test/kernels.test.ts test/flat-index.test.ts test/index-errors.test.ts test/hostile*.test.ts \
    test/hnsw*.test.ts test/reliability-faults.test.ts test/reliability-concurrency.test.ts test/model*.test.ts test/store*.test.ts \
    test/mapped*.test.ts"
  files=()
  # store-large (multi-GB stores, minutes without ASan) and the byte-by-byte corruption sweep
  # exercise the TypeScript persistence layer; the native calls they make are covered by the
  # other files, so they stay out of the ~3x slower sanitizer run unless named in ASAN_VITEST_FILES.
  for f in ${ASAN_VITEST_FILES:-$default_files}; do
    if [ -z "${ASAN_VITEST_FILES:-}" ] && { [ "$f" = test/store-large.test.ts ] || [ "$f" = test/store-corruption.test.ts ]; }; then continue; fi
    [ -f "$f" ] && files+=("$f")
  done
  echo "vitest files: ${files[*]}"
  # detect_leaks=0: Node's own allocations are never freed at exit.
  # QUIVER_ASAN=1 lets timing-sensitive tests know everything runs ~3x slower.
  LD_PRELOAD="$libasan" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 QUIVER_NATIVE_PATH="$addon" QUIVER_ASAN=1 \
    QUIVER_MODEL_RUNS=${QUIVER_MODEL_RUNS:-10} QUIVER_FILTER_RUNS=${QUIVER_FILTER_RUNS:-100} QUIVER_FOLLOWER_ROUNDS=${QUIVER_FOLLOWER_ROUNDS:-15} \
    npx vitest run --pool=forks "${files[@]}"
fi
echo "test:asan passed in $((SECONDS - start)) s"
