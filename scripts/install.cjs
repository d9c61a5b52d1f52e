#!/usr/bin/env node
// npm's install hook. When the prebuilt package for this platform is installed
// and loads, there is nothing to do: no compiler runs and no build tooling is
// downloaded. Otherwise (another platform, a repository checkout, or a source
// build requested with QUIVER_BUILD_FROM_SOURCE=1 / --build-from-source) it
// builds the addon with cmake-js into build/Release.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { createRequire } = require('node:module');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');

const root = join(__dirname, '..');
const requireFromRoot = createRequire(join(root, 'package.json'));

/** Why a source build is needed, or null when the prebuilt package serves this platform. */
function whySourceBuild() {
  const targetModule = join(root, 'dist', 'native-target.cjs');
  // A checkout before its first TypeScript build: it has no prebuilt packages either.
  if (!existsSync(targetModule)) return 'a repository checkout builds its own addon';
  const target = require(targetModule);
  if (target.buildFromSourceRequested(process.env)) return 'a source build was requested';
  const pkg = target.platformPackage(target.currentPlatform());
  try {
    requireFromRoot(pkg);
    return null;
  } catch (err) {
    return err && err.code === 'MODULE_NOT_FOUND'
      ? `there is no prebuilt package for ${target.targetName(target.currentPlatform())} (${pkg})`
      : `the prebuilt package ${pkg} did not load (${err && err.message})`;
  }
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    throw new Error(`${[command, ...args].join(' ')} failed (${result.error ? result.error.message : `exit ${result.status}`})`);
  }
}

/** cmake-js and node-addon-api: a checkout's devDependencies, else fetched now into a temporary folder. */
function buildTools() {
  try {
    return {
      cmakeJs: requireFromRoot.resolve('cmake-js/bin/cmake-js'),
      addonApi: dirname(requireFromRoot.resolve('node-addon-api/package.json')),
    };
  } catch {
    const versions = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies;
    const prefix = mkdtempSync(join(tmpdir(), 'quiverdb-build-tools-'));
    const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
    console.log('quiverdb: fetching the build tools (cmake-js, node-addon-api)');
    run(npm[0], [...npm[1], 'install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund',
      `cmake-js@${versions['cmake-js']}`, `node-addon-api@${versions['node-addon-api']}`]);
    return {
      cmakeJs: join(prefix, 'node_modules', 'cmake-js', 'bin', 'cmake-js'),
      addonApi: join(prefix, 'node_modules', 'node-addon-api'),
      cleanup: () => rmSync(prefix, { recursive: true, force: true }),
    };
  }
}

function main() {
  const why = whySourceBuild();
  if (why === null) return;
  console.log(`quiverdb: building the native addon from source, since ${why} (needs CMake and a C++17 compiler; about a minute)`);
  const tools = buildTools();
  try {
    run(process.execPath, [tools.cmakeJs, 'compile', '--out', 'build', `--CDNODE_ADDON_API_DIR=${tools.addonApi}`]);
  } finally {
    if (tools.cleanup) tools.cleanup();
  }
}

try {
  main();
} catch (err) {
  console.error(`quiverdb: the source build failed: ${err.message}`);
  console.error('quiverdb: install CMake and a C++17 compiler (Debian/Ubuntu: apt-get install cmake g++), then `npm rebuild quiverdb`.');
  process.exit(1);
}
