#!/usr/bin/env bash
# Fuzzing (npm run fuzz -- --seconds N):
#   1. native libFuzzer targets (native/fuzz/fuzz_*.cpp), built with clang under
#      ASan + UBSan into build-fuzz/, each run for N seconds from its seed corpus;
#   2. the TypeScript parsers (store snapshot/log readers, filter compiler) with
#      fast-check over random and mutated bytes for about N seconds
#      (test/reliability-fuzz.test.ts, scaled by QUIVER_FUZZ_SECONDS).
# Prints executions and findings per target; exits 1 if anything was found.
# A finding is saved under build-fuzz/findings/<target>/; copy it into
# native/fuzz/regressions/<corpus>/ so test:native replays it forever.
# Options: --seconds N (per target, default 60) --target NAME (one native target)
#          --native-only | --ts-only
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60 only="" mode=all
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --target) only=$2; shift 2 ;;
    --native-only) mode=native; shift ;;
    --ts-only) mode=ts; shift ;;
    --) shift ;;
    *) echo "fuzz.sh: unknown argument $1"; exit 2 ;;
  esac
done
findings=0
summary=()

if [ "$mode" != ts ]; then
  command -v clang++ >/dev/null || { echo "clang++ not found: run bash scripts/install-clang.sh"; exit 1; }
  CXX=clang++ cmake -S . -B build-fuzz -DQUIVER_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-fuzz -j "${JOBS:-2}" >/dev/null
  # UB is a finding too (halt); known, reported issues are listed in ubsan.supp.
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/native/fuzz/ubsan.supp"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
  for src in native/fuzz/fuzz_*.cpp; do
    target=$(basename "$src" .cpp)
    [ -n "$only" ] && [ "$only" != "$target" ] && continue
    # Targets share a corpus by prefix: fuzz_hnsw_load_fixsum uses corpus/hnsw_load.
    corpus_name=$(sed -n 's|.*// corpus: \([a-z_0-9]*\).*|\1|p' "$src" | head -1)
    corpus_name=${corpus_name:-${target#fuzz_}}
    work=build-fuzz/corpus/$target
    out=build-fuzz/findings/$target
    mkdir -p "$work" "$out"
    [ -d "native/fuzz/corpus/$corpus_name" ] && cp -n native/fuzz/corpus/"$corpus_name"/* "$work"/ 2>/dev/null || true
    log=build-fuzz/$target.log
    set +e
    ./build-fuzz/"$target" "$work" -max_total_time="$seconds" -max_len=65536 -timeout=20 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$out/" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    found=$(find "$out" -type f | wc -l)
    [ "$rc" -ne 0 ] && [ "$found" -eq 0 ] && found=1  # died without an artifact: still a finding
    findings=$((findings + found))
    summary+=("$target: ${execs:-?} executions in ${seconds}s, corpus $(ls "$work" | wc -l) files, findings $found")
    [ "$found" -ne 0 ] && { echo "---- $target failed (rc $rc), log tail:"; grep -E "ERROR|runtime error|SUMMARY|#[0-9] " "$log" | head -20; }
  done
fi

if [ "$mode" != native ] && [ -f test/reliability-fuzz.test.ts ]; then
  set +e
  mkdir -p build-fuzz
  # Only the fuzz properties: the regression tests of known findings live in the
  # same file and run with npm test; known finding classes are counted, not fatal.
  QUIVER_FUZZ_SECONDS=$seconds npx vitest run test/reliability-fuzz.test.ts --reporter=verbose \
    -t 'filter compiler|store files' > build-fuzz/ts.log 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/.*FUZZ-STATS \(.*\)/\1/p' build-fuzz/ts.log | tr '\n' ';')
  summary+=("typescript parsers (fast-check): ${runs:-no stats} $([ $rc -eq 0 ] && echo 'findings 0' || echo 'FAILED, see build-fuzz/ts.log')")
  [ $rc -ne 0 ] && findings=$((findings + 1))
  known=$(sed -n 's/.*FUZZ-FINDING \(.*\)/  known (reported) finding: \1/p' build-fuzz/ts.log | cut -c1-220)
  [ -n "$known" ] && summary+=("$known")
fi

echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
[ "$findings" -eq 0 ] || { echo "fuzz: $findings finding(s)"; exit 1; }
