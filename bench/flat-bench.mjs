// Exact search benchmarks for FlatIndex, side by side with usearch's exact search
// in the same process run. Prints medians and ratios.
//   1. single-thread memory read bandwidth (native probe) vs one query over 1M x 128
//   2. batch exact search, 1,000 queries over 100k x 128: batch vs a loop of search()
//      vs usearch.exactSearch, at 1 thread and at all threads
//   3. the cost of one JS -> native search() call on a tiny index
// Usage: node bench/flat-bench.mjs [--quick] [--reps 3] [--json out.json]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { addon, median } from './native-addon.mjs';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, reps: { type: 'string', default: '3' }, json: { type: 'string' } },
});
const REPS = Number(values.reps);
const quick = values.quick;
const { FlatIndex, simdLevel, defaultThreads } = await import('../dist/index.js');
const require = createRequire(import.meta.url);
let usearch = null;
try { usearch = require('usearch'); } catch (e) { console.log(`usearch unavailable: ${e.message}`); }

// Peak FMA rate of one core, from bench/probes/fma-peak.cpp compiled on the fly
// (null when there is no compiler or no AVX-512).
function fmaPeak() {
  if (simdLevel() !== 'avx512') return null;
  try {
    const exe = join(tmpdir(), `quiver-fma-peak-${process.pid}`);
    const src = new URL('./probes/fma-peak.cpp', import.meta.url).pathname;
    execFileSync('g++', ['-O2', '-mavx512f', '-mfma', src, '-o', exe]);
    return Number(execFileSync(exe, { encoding: 'utf8' }).split(' ')[0]);
  } catch {
    return null;
  }
}

function randomData(n, dim, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}
const now = () => performance.now() / 1000;
function timeIt(fn) {
  const t0 = now();
  fn();
  return now() - t0;
}
const out = { machine: { simd: simdLevel(), threads: defaultThreads() }, reps: REPS };
const threadsAll = defaultThreads();
console.log(`SIMD ${simdLevel()}, ${threadsAll} threads, median of ${REPS}`);

// 1. Bandwidth and the single query over a set far larger than cache.
{
  const n = quick ? 200_000 : 1_000_000, dim = 128;
  const bw = addon.benchReadBandwidth(512 * 1024 * 1024, 3);
  const index = new FlatIndex({ dim, metric: 'euclidean' });
  const data = randomData(n, dim, 1);
  for (let i = 0; i < n; i += 100_000) {
    const m = Math.min(100_000, n - i);
    index.add(Float64Array.from({ length: m }, (_, j) => i + j), data.subarray(i * dim, (i + m) * dim));
  }
  const queries = randomData(20, dim, 2);
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

// 2. Batch exact search.
{
  const n = quick ? 20_000 : 100_000, dim = 128, nq = 1000, k = 10;
  const data = randomData(n, dim, 3), queries = randomData(nq, dim, 4);
  const index = new FlatIndex({ dim, metric: 'euclidean' });
  index.add(Float64Array.from({ length: n }, (_, i) => i), data);
  const res = { n, dim, nq, k };
  const measure = (name, fn) => {
    fn();
    const ts = [];
    for (let r = 0; r < REPS; r++) ts.push(timeIt(fn));
    res[name] = nq / median(ts);
  };
  measure('batch_1t', () => index.searchBatch(queries, k, { threads: 1 }));
  measure('batch_all', () => index.searchBatch(queries, k, { threads: threadsAll }));
  measure('loop_1t', () => { for (let i = 0; i < nq; i++) index.search(queries.subarray(i * dim, (i + 1) * dim), k); });
  if (usearch) {
    measure('usearch_1t', () => usearch.exactSearch(data, queries, dim, k, 'l2sq', 1));
    measure('usearch_all', () => usearch.exactSearch(data, queries, dim, k, 'l2sq', threadsAll));
  }
  out.batch = res;
  console.log(`\n[2] batch exact search, ${nq} queries over ${n} x ${dim}, k=${k} (queries/s)`);
  console.log(`  quiverdb searchBatch 1 thread   ${res.batch_1t.toFixed(0)}`);
  console.log(`  quiverdb searchBatch ${threadsAll} threads  ${res.batch_all.toFixed(0)}`);
  console.log(`  quiverdb loop of search()       ${res.loop_1t.toFixed(0)}   batch/loop = ${(res.batch_1t / res.loop_1t).toFixed(1)}x`);
  if (usearch) {
    console.log(`  usearch exactSearch 1 thread    ${res.usearch_1t.toFixed(0)}   quiverdb/usearch = ${(res.batch_1t / res.usearch_1t).toFixed(1)}x`);
    console.log(`  usearch exactSearch ${threadsAll} threads   ${res.usearch_all.toFixed(0)}   quiverdb/usearch = ${(res.batch_all / res.usearch_all).toFixed(1)}x`);
  }
  const flopsPerQuery = 2 * n * dim;
  res.gflops_1t = (res.batch_1t * flopsPerQuery) / 1e9;
  res.fmaPeakGflops = fmaPeak();
  const peakNote = res.fmaPeakGflops
    ? `; measured AVX-512 FMA peak of one core ${res.fmaPeakGflops.toFixed(0)} GFLOP/s ` +
      `(${((res.gflops_1t / res.fmaPeakGflops) * 100).toFixed(0)}%, limit ${(res.fmaPeakGflops * 1e9 / flopsPerQuery).toFixed(0)} q/s)`
    : '';
  console.log(`  1-thread batch = ${res.gflops_1t.toFixed(0)} GFLOP/s${peakNote}`);
}

// 3. Per-call overhead on a tiny index.
{
  const index = new FlatIndex({ dim: 8, metric: 'euclidean' });
  index.add([1, 2, 3, 4], randomData(4, 8, 5));
  const q = randomData(1, 8, 6);
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
