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
# Build against Node headers already on the machine: node-gyp would otherwise
# download them, and only the npm registry is reachable here.
nodedir=""
for prefix in /usr "$(cd "$(dirname "$(command -v node)")/.." && pwd)"; do
  if [ -f "$prefix/include/node/node_api.h" ] && [ -f "$prefix/include/node/common.gypi" ]; then nodedir=$prefix; break; fi
done
if [ -z "$nodedir" ]; then
  echo "build-gyp-check: no Node headers found under /usr/include/node or next to $(command -v node); install them (Debian: libnode-dev, or a Node tarball's include/)" >&2
  exit 1
fi
gyp_args+=(--nodedir="$nodedir")
(cd "$work" && "$root/node_modules/.bin/node-gyp" "${gyp_args[@]}" >"$work/gyp.log" 2>&1) || { tail -40 "$work/gyp.log"; exit 1; }
echo "node-gyp build ok: $work/build/Release/quiverdb.node"
cd "$root"
QUIVER_NATIVE_PATH="$work/build/Release/quiverdb.node" npx vitest run test/flat-index.test.ts test/kernels.test.ts
