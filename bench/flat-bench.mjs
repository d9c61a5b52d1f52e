// Exact search benchmarks for FlatIndex, side by side with usearch's exact search
// in the same process run. Prints medians and ratios.
//   1. single-thread memory read bandwidth (native probe) vs one query over 1M x 128
//   2. batch exact search, 1,000 queries over 100k x 128, per metric: batch vs a loop
//      of search() vs usearch.exactSearch vs FAISS IndexFlat (a /usr/bin/python3 child
//      with faiss, OMP/OpenBLAS on one thread; skipped with a note when missing), per
//      CPU-second, and GFLOP/s against the measured FMA peak of one core (and, on AVX2, where
//      batches run an int8 first pass, the measured int8 multiply-add peak)
//   3. the cost of one JS -> native search() call on a tiny index
// Usage: node bench/flat-bench.mjs [--quick] [--reps 3] [--json out.json]
//          [--metrics euclidean,cosine,ip] [--only bandwidth,batch,overhead]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { addon, median } from './native-addon.mjs';
import { flatBenchData } from './lib/flat-data.mjs';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string', default: '3' },
    json: { type: 'string' },
    metrics: { type: 'string', default: 'euclidean,cosine,ip' },
    only: { type: 'string' }, // e.g. --only batch: skip sections 1 and 3
  },
});
const REPS = Number(values.reps);
const metrics = values.metrics.split(',');
const sections = values.only ? values.only.split(',') : ['bandwidth', 'batch', 'overhead'];
const quick = values.quick;
const { FlatIndex, simdLevel, defaultThreads } = await import('../dist/index.js');
const require = createRequire(import.meta.url);
let usearch = null;
try { usearch = require('usearch'); } catch (e) { console.log(`usearch unavailable: ${e.message}`); }

// Peak FMA rate of one core at the active SIMD level, from bench/probes/fma-peak.cpp
// compiled on the fly (null when there is no compiler or the level has no FMA).
function fmaPeak() {
  const flags = { avx512: ['-mavx512f', '-mfma'], avx2: ['-mavx2', '-mfma'] }[simdLevel()];
  if (!flags) return null;
  const out = runProbe('fma-peak', flags);
  return out ? Number(out.split(' ')[0]) : null;
}

// On AVX2 the batch scan runs an int8 first pass: its peak is int8 multiply-adds
// (vpmaddubsw, exact int32 sums) per second, from bench/probes/int8-mac-peak.cpp.
function int8MacPeak() {
  if (simdLevel() !== 'avx2') return null;
  const out = runProbe('int8-mac-peak', ['-mavx2', '-mfma']);
  const line = out && out.split('\n').find((l) => l.startsWith('i8->i32'));
  return line ? Number(line.split(' ')[1]) : null;
}

function runProbe(name, flags) {
  try {
    const exe = join(tmpdir(), `quiver-${name}-${process.pid}`);
    const src = new URL(`./probes/${name}.cpp`, import.meta.url).pathname;
    execFileSync('g++', ['-O2', ...flags, src, '-o', exe]);
    const out = execFileSync(exe, { encoding: 'utf8' });
    rmSync(exe, { force: true });
    return out;
  } catch {
    return null;
  }
}

// FAISS (Debian's python3-faiss) in a child process: the data goes through raw
// float32 files; each run() times one search of all queries in CPU seconds.
function faissRunner(n, dim, nq, data, queries) {
  const python = '/usr/bin/python3';
  const script = new URL('./faiss-flat.py', import.meta.url).pathname;
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
  const probe = spawnSync(python, ['-c', 'import faiss; print(faiss.__version__)'], { encoding: 'utf8', env });
  if (probe.status !== 0) {
    return { available: false, why: `${python} cannot import faiss (apt-get install python3-faiss)`, cleanup() {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'quiver-faiss-'));
  const base = join(dir, 'base.f32'), qs = join(dir, 'queries.f32');
  writeFileSync(base, data);
  writeFileSync(qs, queries);
  return {
    available: true,
    version: probe.stdout.trim(),
    run(metric, k) {
      const cfg = { n, dim, nq, k, reps: 1, metric, base, queries: qs, threads: 1 };
      const r = spawnSync(python, [script], { input: JSON.stringify(cfg) + '\n', encoding: 'utf8', env });
      if (r.status !== 0) {
        console.log(`FAISS run failed: ${r.stderr.slice(-300)}`);
        return null;
      }
      return JSON.parse(r.stdout.trim().split('\n').pop()).qps[0];
    },
    cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
}

const now = () => performance.now() / 1000;
function timeIt(fn) {
  const t0 = now();
  fn();
  return now() - t0;
}
// CPU seconds of this process (every thread) spent in fn.
function cpuTimeIt(fn) {
  const t0 = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e6;
}
const out = { machine: { simd: simdLevel(), threads: defaultThreads() }, reps: REPS };
const threadsAll = defaultThreads();
console.log(`SIMD ${simdLevel()}, ${threadsAll} threads, median of ${REPS}`);

// 1. Bandwidth and the single query over a set far larger than cache.
if (sections.includes('bandwidth')) {
  const n = quick ? 200_000 : 1_000_000, dim = 128;
  const bw = addon.benchReadBandwidth(512 * 1024 * 1024, 3);
  const index = new FlatIndex({ dim, metric: 'euclidean' });
  const data = flatBenchData(n, dim, 1);
  for (let i = 0; i < n; i += 100_000) {
    const m = Math.min(100_000, n - i);
    index.add(Float64Array.from({ length: m }, (_, j) => i + j), data.subarray(i * dim, (i + m) * dim));
  }
  const queries = flatBenchData(20, dim, 2);
  index.search(queries.subarray(0, dim), 10);
  const qps = [];
  for (let r = 0; r < REPS; r++) {
    const t = timeIt(() => { for (let q = 0; q < 20; q++) index.search(queries.subarray(q * dim, (q + 1) * dim), 10); });
    qps.push(20 / t);
  }
  const q = median(qps);
  const bytesPerQuery = n * dim * 4;
  const achieved = q * bytesPerQuery;
  out.singleQuery = { n, dim, qps: q, readBandwidthGBs: bw / 1e9, achievedGBs: achieved / 1e9, ratio: achieved / bw };
  console.log(`\n[1] one query over ${n} x ${dim} (1 thread): ${q.toFixed(1)} q/s = ${(achieved / 1e9).toFixed(1)} GB/s; ` +
    `read bandwidth probe ${(bw / 1e9).toFixed(1)} GB/s; ratio ${(achieved / bw * 100).toFixed(0)}%`);
}

// 2. Batch exact search, per CPU-second of this process (or of the FAISS child):
// rounds interleave the engines so machine noise hits them alike.
if (sections.includes('batch')) {
  const n = quick ? 20_000 : 100_000, dim = 128, nq = 1000, k = 10;
  const data = flatBenchData(n, dim, 3), queries = flatBenchData(nq, dim, 4);
  const flopsPerQuery = 2 * n * dim;
  const peak = fmaPeak(), i8peak = int8MacPeak();
  out.fmaPeakGflops = peak;
  out.int8MacPeakGmacs = i8peak;
  const faiss = faissRunner(n, dim, nq, data, queries);
  if (!faiss.available) console.log(`\n(FAISS skipped: ${faiss.why})`);
  out.batch = {};
  for (const metric of metrics) {
    const index = new FlatIndex({ dim, metric });
    index.add(Float64Array.from({ length: n }, (_, i) => i), data);
    const usearchMetric = { euclidean: 'l2sq', cosine: 'cos', ip: 'ip' }[metric];
    const engines = {
      batch_1t: () => index.searchBatch(queries, k, { threads: 1 }),
      loop_1t: () => { for (let i = 0; i < nq; i++) index.search(queries.subarray(i * dim, (i + 1) * dim), k); },
      batch_all: () => index.searchBatch(queries, k, { threads: threadsAll }),
    };
    if (usearch) {
      engines.usearch_1t = () => usearch.exactSearch(data, queries, dim, k, usearchMetric, 1);
      engines.usearch_all = () => usearch.exactSearch(data, queries, dim, k, usearchMetric, threadsAll);
    }
    const samples = Object.fromEntries(Object.keys(engines).map((e) => [e, []]));
    samples.faiss_1t = [];
    for (const fn of Object.values(engines)) fn(); // warm-up
    for (let r = 0; r < REPS; r++) {
      for (const [name, fn] of Object.entries(engines)) {
        // 1-thread figures per CPU-second; all-thread ones per wall second.
        const t = name.endsWith('_all') ? timeIt(fn) : cpuTimeIt(fn);
        samples[name].push(nq / t);
      }
      if (faiss.available) {
        const qps = faiss.run(metric, k);
        if (qps) samples.faiss_1t.push(qps);
      }
    }
    const res = { n, dim, nq, k, reps: REPS };
    for (const [name, xs] of Object.entries(samples)) if (xs.length) res[name] = median(xs);
    if (faiss.available) res.faissVersion = faiss.version;
    res.gflops_1t = (res.batch_1t * flopsPerQuery) / 1e9;
    out.batch[metric] = res;
    const line = (label, v, extra = '') => console.log(`  ${label.padEnd(34)} ${v.toFixed(0).padStart(6)}${extra}`);
    console.log(`\n[2] batch exact search, ${metric}, ${nq} queries over ${n} x ${dim}, k=${k} ` +
      `(queries per CPU-second, median of ${REPS}; "${threadsAll} threads" rows per wall second)`);
    line('quiverdb searchBatch 1 thread', res.batch_1t,
      `   ${res.gflops_1t.toFixed(1)} GFLOP/s` + (peak ? ` = ${((res.gflops_1t / peak) * 100).toFixed(0)}% of the ${peak.toFixed(0)} GFLOP/s FMA peak` : '') +
      (i8peak ? ` (float-equivalent: the int8 first pass peaks at ${i8peak.toFixed(0)} GMAC/s = ${(2 * i8peak).toFixed(0)} GOP/s)` : ''));
    line('quiverdb loop of search()', res.loop_1t, `   batch/loop = ${(res.batch_1t / res.loop_1t).toFixed(2)}x`);
    if (res.usearch_1t) line('usearch exactSearch 1 thread', res.usearch_1t, `   quiverdb/usearch = ${(res.batch_1t / res.usearch_1t).toFixed(2)}x`);
    if (res.faiss_1t) line(`FAISS ${faiss.version} IndexFlat 1 thread`, res.faiss_1t,
      `   ${((res.faiss_1t * flopsPerQuery) / 1e9).toFixed(1)} GFLOP/s   quiverdb/FAISS = ${(res.batch_1t / res.faiss_1t).toFixed(2)}x`);
    line(`quiverdb searchBatch ${threadsAll} threads`, res.batch_all);
    if (res.usearch_all) line(`usearch exactSearch ${threadsAll} threads`, res.usearch_all, `   quiverdb/usearch = ${(res.batch_all / res.usearch_all).toFixed(2)}x`);
  }
  faiss.cleanup();
}

// 3. Per-call overhead on a tiny index.
if (sections.includes('overhead')) {
  const index = new FlatIndex({ dim: 8, metric: 'euclidean' });
  index.add([1, 2, 3, 4], flatBenchData(4, 8, 5));
  const q = flatBenchData(1, 8, 6);
  const calls = quick ? 20_000 : 200_000;
  for (let i = 0; i < 1000; i++) index.search(q, 1);
  const ts = [];
  for (let r = 0; r < REPS; r++) ts.push(timeIt(() => { for (let i = 0; i < calls; i++) index.search(q, 1); }));
  const us = (median(ts) / calls) * 1e6;
  const qArr = Array.from(q);
  const tsArr = [];
  for (let r = 0; r < REPS; r++) tsArr.push(timeIt(() => { for (let i = 0; i < calls; i++) index.search(qArr, 1); }));
  out.callOverhead = { usPerCallFloat32Array: us, usPerCallNumberArray: (median(tsArr) / calls) * 1e6 };
  console.log(`\n[3] search() on a 4-vector index: ${us.toFixed(2)} us/call (Float32Array query), ` +
    `${out.callOverhead.usPerCallNumberArray.toFixed(2)} us/call (number[] query)`);
}

if (values.json) writeFileSync(values.json, JSON.stringify(out, null, 2));
