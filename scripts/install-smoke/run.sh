#!/usr/bin/env bash
# Installs quiverdb from its release tarballs into a fresh app whose PATH has node
# and npm but no compiler, CMake or make, times the install, checks that nothing
# was compiled or fetched for a build, and runs app.mjs there (ESM and CJS, a
# durable store round trip, an HNSW search, the LangChain entry).
#   bash scripts/install-smoke/run.sh [tarball dir]   (default: build-packages, from scripts/pack-release.mjs)
# With QUIVER_SMOKE_ARM64_NODE=<node for arm64> it also installs the packages for
# arm64 (npm --cpu=arm64) and runs app.mjs under qemu-aarch64.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
pkgs=$(cd "${1:-$root/build-packages}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

main_tgz=$(ls "$pkgs"/quiverdb-[0-9]*.tgz)
# Every platform tarball stands in for its registry package (npm overrides), so
# quiverdb's optional dependencies resolve as they would from the registry.
overrides=$(cd "$pkgs" && for f in quiverdb-linux-*.tgz; do name=${f%-[0-9]*.tgz}; printf '"%s":"file:%s",' "$name" "$pkgs/$f"; done)
make_app() {
  mkdir -p "$1"
  printf '{"name":"smoke-app","private":true,"type":"module","dependencies":{"quiverdb":"file:%s"},"overrides":{%s}}\n' \
    "$main_tgz" "${overrides%,}" > "$1/package.json"
  cp "$root/scripts/install-smoke/app.mjs" "$1/"
}

# A PATH with node, npm and a shell (npm runs scripts with sh), and nothing else.
bin=$work/bin
mkdir -p "$bin"
ln -s "$(command -v node)" "$bin/node"
ln -s "$(readlink -f "$(command -v npm)")" "$bin/npm"
ln -s "$(readlink -f /bin/sh)" "$bin/sh"
for tool in cmake make cc c++ gcc g++ clang clang++ python3; do
  if PATH=$bin command -v "$tool" >/dev/null; then echo "install smoke: $tool is on the restricted PATH" >&2; exit 1; fi
done
sandboxed() { env PATH="$bin" "$@"; }

app=$work/app
make_app "$app"
cd "$app"
t0=$(date +%s.%N)
sandboxed npm install --no-audit --no-fund --prefer-offline --loglevel=error
t1=$(date +%s.%N)
install_s=$(node -e "console.log((${t1} - ${t0}).toFixed(1))")

# Nothing was built and no build tooling came along.
for absent in node_modules/quiverdb/build node_modules/cmake-js node_modules/node-addon-api node_modules/node-api-headers; do
  if [ -e "$absent" ]; then echo "install smoke: $absent exists: the install built from source or fetched build tools" >&2; exit 1; fi
done
native=$(sandboxed node -e "console.log(require.resolve('quiverdb-linux-$(node -p process.arch)-gnu'))")
echo "install smoke: npm install took ${install_s} s ($(ls node_modules | wc -l) packages; addon: ${native#$app/})"

echo "install smoke: app without @langchain/core: $(sandboxed node app.mjs)"
sandboxed npm install --no-audit --no-fund --prefer-offline --loglevel=error --no-save @langchain/core@1 >/dev/null
echo "install smoke: app with @langchain/core: $(sandboxed node app.mjs)"

# Without a matching binary (as on a platform with no prebuilt package, install
# scripts skipped as pnpm does): one clear error at first use, naming what to do.
bare=$work/app-no-binary
make_app "$bare"
cd "$bare"
sandboxed npm install --no-audit --no-fund --prefer-offline --loglevel=error --omit=optional --ignore-scripts >/dev/null
if message=$(sandboxed node -e "require('quiverdb').simdLevel()" 2>&1); then
  echo "install smoke: quiverdb loaded without its binary" >&2; exit 1
fi
echo "$message" | grep -q "QUIVER_BUILD_FROM_SOURCE=1 npm rebuild quiverdb" || { echo "install smoke: unclear error: $message" >&2; exit 1; }
echo "install smoke: without a binary, first use fails with:"
echo "$message" | grep -v "^ *at \|^Node.js\|^$\|throw\|^ *^" | sed 's/^/    /'

if [ -n "${QUIVER_SMOKE_ARM64_NODE:-}" ]; then
  arm=$work/app-arm64
  make_app "$arm"
  cd "$arm"
  # Installed as an arm64 machine would; the install hook would run on that machine.
  sandboxed npm install --no-audit --no-fund --prefer-offline --loglevel=error --cpu=arm64 --ignore-scripts
  test -f node_modules/quiverdb-linux-arm64-gnu/quiverdb.linux-arm64-gnu.node
  test ! -e node_modules/quiverdb-linux-x64-gnu
  t0=$(date +%s)
  echo "install smoke: arm64 app under qemu: $(QEMU_LD_PREFIX=/usr/aarch64-linux-gnu sandboxed "$(command -v qemu-aarch64)" "$QUIVER_SMOKE_ARM64_NODE" app.mjs) ($(( $(date +%s) - t0 )) s)"
fi
