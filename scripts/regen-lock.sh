#!/usr/bin/env bash
# Regenerates package-lock.json from package.json in a scratch folder with no
# node_modules (so every platform's optional packages are recorded, which
# `npm ci` requires), then checks that `npm ci` accepts it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root/package.json" "$work/"
(cd "$work" && npm install --package-lock-only --ignore-scripts --no-audit --no-fund >/dev/null && npm ci --ignore-scripts --dry-run --no-audit --no-fund >/dev/null)
cp "$work/package-lock.json" "$root/package-lock.json"
echo "package-lock.json regenerated and accepted by npm ci"
