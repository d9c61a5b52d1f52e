#!/usr/bin/env bash
# Builds the addon with node-gyp from binding.gyp in a scratch copy (so the
# cmake-js build in ./build stays in place) and runs the flat-index tests on it,
# so that binding.gyp cannot silently drift from CMakeLists.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/native" "$root/binding.gyp" "$root/package.json" "$work/"
ln -s "$root/node_modules" "$work/node_modules"
gyp_args=(rebuild -j 2)
# Build against the machine's installed Node headers when present (no download).
if [ -f /usr/include/node/node_api.h ]; then gyp_args+=(--nodedir=/usr); fi
(cd "$work" && "$root/node_modules/.bin/node-gyp" "${gyp_args[@]}" >"$work/gyp.log" 2>&1) || { tail -40 "$work/gyp.log"; exit 1; }
echo "node-gyp build ok: $work/build/Release/quiverdb.node"
cd "$root"
QUIVER_NATIVE_PATH="$work/build/Release/quiverdb.node" npx vitest run test/flat-index.test.ts test/kernels.test.ts
