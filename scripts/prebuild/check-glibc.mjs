#!/usr/bin/env node
// Checks what a Linux .node (or any ELF shared object) needs from the system, from
// `objdump -T`: the highest GLIBC_ version (fails above --max-glibc), any
// GLIBCXX_/CXXABI_ requirement (fails: prebuilt binaries carry libstdc++ inside),
// the highest GCC_ version (libgcc_s; fails above --max-gcc when given), and
// undefined symbols with no version (fails: an old glibc would not resolve them),
// except Node-API (napi_*, node_api_*), which Node provides, and weak ones, which
// resolve to null when absent.
//
//   node scripts/prebuild/check-glibc.mjs <file.node> [--max-glibc 2.17] [--max-gcc 4.8.0]
//        [--objdump <path>] [--json]
//
// As a module: checkGlibc(file, { maxGlibc, maxGcc, objdump }) -> report.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Compares dotted versions numerically: '2.17' < '2.2.5' is false. */
export function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function highest(versions) {
  return [...versions].sort(compareVersions).at(-1) ?? null;
}

const NODE_API = /^(napi_|node_api_)/;

/**
 * Parses `objdump -T` lines. Undefined lines look like
 *   0000000000000000      DF *UND*	0000000000000000 (GLIBC_2.14)  memcpy
 *   0000000000000000  w   D  *UND*	0000000000000000              __gmon_start__
 * (objdump puts a version in parentheses when it is not the default one, and
 * without them otherwise; both are read).
 */
export function parseDynamicSymbols(text) {
  const symbols = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^[0-9a-f]{8,16}\s(.{7})\s(\S+)\s+[0-9a-f]+\s+(.*)$/);
    if (!m) continue;
    const [, flags, section, rest] = m;
    const parts = rest.trim().split(/\s+/);
    let version = null;
    let name;
    if (parts.length >= 2) {
      version = parts[0].replace(/^\(|\)$/g, '');
      name = parts.at(-1);
    } else {
      name = parts[0];
    }
    if (version === 'Base') version = null;
    symbols.push({ name, version, undefined: section === '*UND*', weak: flags[1] === 'w', local: flags[0] === 'l' });
  }
  return symbols;
}

export function checkGlibc(file, { maxGlibc = '2.17', maxGcc = null, objdump = 'objdump' } = {}) {
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  const text = execFileSync(objdump, ['-T', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const symbols = parseDynamicSymbols(text);
  if (symbols.length === 0) throw new Error(`${file}: objdump -T listed no dynamic symbols (not an ELF shared object?)`);
  const byPrefix = (prefix) =>
    symbols.filter((s) => s.undefined && s.version?.startsWith(prefix)).map((s) => ({ ...s, v: s.version.slice(prefix.length) }));
  const glibc = byPrefix('GLIBC_');
  const glibcxx = [...byPrefix('GLIBCXX_'), ...byPrefix('CXXABI_')];
  const gcc = byPrefix('GCC_');
  const report = {
    file,
    maxGlibc: highest(glibc.map((s) => s.v)),
    maxGlibcxx: highest(byPrefix('GLIBCXX_').map((s) => s.v)),
    maxCxxabi: highest(byPrefix('CXXABI_').map((s) => s.v)),
    maxGcc: highest(gcc.map((s) => s.v)),
    napiImports: symbols.filter((s) => s.undefined && NODE_API.test(s.name)).length,
    exports: symbols.filter((s) => !s.undefined && !s.local && s.version === null).map((s) => s.name).filter((n) => !/^(_init|_fini|_end|_edata|__bss_start|__bss_start__|__bss_end__|_bss_end__|__end__)$/.test(n)),
    weakUnversioned: symbols.filter((s) => s.undefined && s.weak && s.version === null).map((s) => s.name),
    errors: [],
  };
  const tooNew = glibc.filter((s) => compareVersions(s.v, maxGlibc) > 0);
  for (const s of tooNew) report.errors.push(`${s.name} needs GLIBC_${s.v} (> ${maxGlibc})`);
  if (glibcxx.length)
    report.errors.push(
      `${glibcxx.length} symbols need the system libstdc++ (GLIBCXX_${report.maxGlibcxx ?? '-'}, CXXABI_${report.maxCxxabi ?? '-'}; ` +
        `e.g. ${glibcxx[0].name}): prebuilt binaries must link it statically`,
    );
  if (maxGcc) for (const s of gcc.filter((x) => compareVersions(x.v, maxGcc) > 0)) report.errors.push(`${s.name} needs GCC_${s.v} (> ${maxGcc})`);
  for (const s of symbols) {
    if (s.undefined && !s.weak && s.version === null && !NODE_API.test(s.name))
      report.errors.push(`${s.name} is undefined with no version: nothing guarantees it on glibc ${maxGlibc}`);
  }
  return report;
}

export function formatReport(r) {
  const lines = [
    `${r.file}`,
    `  highest GLIBC_ needed: ${r.maxGlibc ?? 'none'}`,
    `  GLIBCXX_/CXXABI_ needed: ${r.maxGlibcxx || r.maxCxxabi ? `GLIBCXX_${r.maxGlibcxx ?? '-'} CXXABI_${r.maxCxxabi ?? '-'}` : 'none'}`,
    `  highest GCC_ (libgcc_s) needed: ${r.maxGcc ?? 'none'}`,
    `  Node-API imports: ${r.napiImports}; exported: ${r.exports.length > 4 ? `${r.exports.length} symbols` : r.exports.join(', ') || 'nothing'}`,
    `  weak undefined without version (resolve to null if absent): ${r.weakUnversioned.length}`,
  ];
  const shown = r.errors.slice(0, 25).map((e) => `    ${e}`);
  if (r.errors.length > shown.length) shown.push(`    ... and ${r.errors.length - shown.length} more`);
  if (r.errors.length) lines.push(`  FAILED (${r.errors.length}):`, ...shown);
  else lines.push('  ok');
  return lines.join('\n');
}

function main(argv) {
  const opts = { maxGlibc: '2.17', maxGcc: null, objdump: 'objdump' };
  const files = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--max-glibc') opts.maxGlibc = argv[++i];
    else if (a === '--max-gcc') opts.maxGcc = argv[++i];
    else if (a === '--objdump') opts.objdump = argv[++i];
    else if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: check-glibc.mjs <file.node>... [--max-glibc 2.17] [--max-gcc 4.8.0] [--objdump path] [--json]');
      return 0;
    } else files.push(a);
  }
  if (files.length === 0) {
    console.error('check-glibc: no file given (usage: check-glibc.mjs <file.node> [--max-glibc 2.17])');
    return 2;
  }
  let failed = false;
  const reports = [];
  for (const f of files) {
    try {
      const r = checkGlibc(f, opts);
      reports.push(r);
      if (r.errors.length) failed = true;
      if (!json) console.log(formatReport(r));
    } catch (err) {
      failed = true;
      console.error(`check-glibc: ${err.message}`);
    }
  }
  if (json) console.log(JSON.stringify(reports, null, 2));
  return failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main(process.argv.slice(2));
