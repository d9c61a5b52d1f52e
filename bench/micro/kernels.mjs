// Distance kernel throughput per SIMD level and dimension. Each level runs in its own child
// process with QUIVER_SIMD=<level> (the kernel table is chosen once at load), where
// benchmark.js times FlatIndex work that is all kernel: searchBatch of 32 queries over 16k
// vectors on one thread (the blocked GEMM-like tile kernel) and a single search() (one
// query streamed against every vector). Reported as GFLOP/s (2 flops per dim per pair).
// The per-call cost of crossing into native code is bench/micro/call-overhead.mjs.
// Usage: node bench/micro/kernels.mjs [--quick]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadQuiverdb } from '../lib/quiverdb.mjs';
import { printTable, quick, runSuite } from './suite.mjs';

const N = 16_384, NQ = 32;
const DIMS = quick ? [128, 768] : [32, 128, 384, 768, 1536];

async function child(level) {
  const { FlatIndex, simdLevel } = await loadQuiverdb();
  if (simdLevel() !== level) throw new Error(`QUIVER_SIMD=${level} but the addon runs ${simdLevel()}`);
  const rows = [];
  for (const dim of DIMS) {
    const index = new FlatIndex({ dim, metric: 'ip' });
    index.add(Float64Array.from({ length: N }, (_, i) => i), Float32Array.from({ length: N * dim }, () => Math.random() - 0.5));
    const queries = Float32Array.from({ length: NQ * dim }, () => Math.random() - 0.5);
    const q = queries.subarray(0, dim);
    const opts = quick ? { minTime: 0.1, maxTime: 0.4 } : { minTime: 0.3, maxTime: 1.5 };
    const [batch, single] = await runSuite(`${level} d${dim}`, [
      { name: `${level} d${dim} searchBatch`, fn: () => index.searchBatch(queries, 10, { threads: 1 }) },
      { name: `${level} d${dim} search`, fn: () => index.search(q, 10) },
    ], opts);
    rows.push({ level, dim, batchGflops: (2 * dim * N * NQ * batch.hz) / 1e9, singleGflops: (2 * dim * N * single.hz) / 1e9, batchRme: batch.rme, singleRme: single.rme });
  }
  process.stdout.write(JSON.stringify(rows));
}

async function parent() {
  const { availableSimdLevels } = await loadQuiverdb();
  const self = fileURLToPath(import.meta.url);
  const all = [];
  for (const level of availableSimdLevels()) {
    process.stderr.write(`level ${level}\n`);
    const out = execFileSync(process.execPath, [self, '--child', level, ...(quick ? ['--quick'] : [])], {
      env: { ...process.env, QUIVER_SIMD: level }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
    });
    all.push(...JSON.parse(out));
  }
  const rows = all.map((r) => {
    const scalar = all.find((x) => x.dim === r.dim && x.level === 'scalar');
    return [r.dim, r.level, r.batchGflops.toFixed(1), `±${r.batchRme.toFixed(0)}%`, `${(r.batchGflops / scalar.batchGflops).toFixed(1)}x`,
      r.singleGflops.toFixed(1), `±${r.singleRme.toFixed(0)}%`, `${(r.singleGflops / scalar.singleGflops).toFixed(1)}x`];
  }).sort((a, b) => a[0] - b[0]);
  printTable(`Kernel throughput, GFLOP/s on 1 thread (${N} vectors; batch of ${NQ} queries / one query)`,
    ['dim', 'level', 'batch', 'rme', 'vs scalar', 'single', 'rme', 'vs scalar'], rows);
}

const at = process.argv.indexOf('--child');
if (at >= 0) await child(process.argv[at + 1]);
else await parent();
