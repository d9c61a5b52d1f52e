#!/usr/bin/env node
// Packs what a release publishes, without publishing: the quiverdb tarball with
// its platform packages as optional dependencies (what `napi pre-publish` adds
// at release time), and one tarball per npm/<target> that holds its binary.
//   node scripts/pack-release.mjs [--out build-packages]
// Run `npm run prebuild` first for the platform packages; prints each tarball and its size.
// Packing builds dist/ (npm run build:ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const outArg = process.argv.indexOf('--out');
const out = resolve(root, outArg > 0 ? process.argv[outArg + 1] : 'build-packages');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const npm = (args, cwd = root) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
/** `npm pack --json` of a folder into `out`; returns the tarball's file name. */
const pack = (dir, extra = []) => JSON.parse(npm(['pack', dir, '--json', '--pack-destination', out, ...extra]))[0].filename;

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tarballs = [];

// Platform packages that have their binary (others cannot be published from here).
const optionalDependencies = {};
for (const target of readdirSync(join(root, 'npm')).sort()) {
  const dir = join(root, 'npm', target);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!existsSync(join(dir, pkg.main))) {
    console.log(`skip ${pkg.name}: ${pkg.main} is not built (npm run prebuild)`);
    continue;
  }
  if (pkg.version !== manifest.version) throw new Error(`${pkg.name} is ${pkg.version}, quiverdb is ${manifest.version}: run npx napi version`);
  optionalDependencies[pkg.name] = pkg.version;
  tarballs.push(pack(dir));
}

// The root package: dist/ built, packed, unpacked, given its optional
// dependencies, packed again (without scripts: their output would mix with --json).
execFileSync('npm', ['run', 'build:ts', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const staging = mkdtempSync(join(tmpdir(), 'quiverdb-pack-'));
try {
  const first = pack(root, ['--ignore-scripts']);
  execFileSync('tar', ['xzf', join(out, first), '-C', staging]);
  rmSync(join(out, first));
  const stagedManifest = join(staging, 'package', 'package.json');
  const staged = JSON.parse(readFileSync(stagedManifest, 'utf8'));
  staged.optionalDependencies = { ...staged.optionalDependencies, ...optionalDependencies };
  writeFileSync(stagedManifest, `${JSON.stringify(staged, null, 2)}\n`);
  tarballs.unshift(pack(join(staging, 'package'), ['--ignore-scripts']));
} finally {
  rmSync(staging, { recursive: true, force: true });
}

for (const file of tarballs) console.log(`${join(out, file)}\t${(statSync(join(out, file)).size / 1024).toFixed(1)} KiB`);
