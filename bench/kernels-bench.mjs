// Distance kernel throughput per SIMD level and dimension, on in-cache data,
// timed inside native code. Prints a table and the best/scalar ratio.
// Usage: node bench/kernels-bench.mjs [--reps 5] [--json out.json]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { addon, median } from './native-addon.mjs';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' }, json: { type: 'string' } } });
const REPS = Number(values.reps);
const DIMS = [128, 384, 768, 1536];
const levels = addon.simdLevels();
const rows = [];

for (const op of ['dot', 'l2sq']) {
  for (const dim of DIMS) {
    const n = Math.max(4, Math.floor((32 * 1024) / (dim * 4))); // ~32 KiB of vectors: stays in L1/L2
    const row = { op, dim };
    for (const level of levels) {
      // Calibrate so one timing lasts ~0.1 s, then take the median of REPS timings.
      let reps = 100;
      while (addon.benchKernel(level, op, dim, n, reps) < 0.05) reps *= 2;
      const secs = [];
      for (let r = 0; r < REPS; r++) secs.push(addon.benchKernel(level, op, dim, n, reps));
      const callsPerSec = (n * reps) / median(secs);
      row[level] = { callsPerSec, gflops: (callsPerSec * 2 * dim) / 1e9 };
    }
    rows.push(row);
  }
}

const best = levels[levels.length - 1];
console.log(`kernel throughput (GFLOP/s, median of ${REPS}); levels: ${levels.join(', ')}`);
console.log(['op', 'dim', ...levels, `${best}/scalar`].map((s) => String(s).padStart(14)).join(''));
for (const r of rows) {
  console.log([r.op, r.dim, ...levels.map((l) => r[l].gflops.toFixed(2)), (r[best].gflops / r.scalar.gflops).toFixed(1) + 'x']
    .map((s) => String(s).padStart(14)).join(''));
}
if (values.json) writeFileSync(values.json, JSON.stringify({ levels, rows }, null, 2));
