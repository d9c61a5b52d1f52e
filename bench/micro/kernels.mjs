// Distance kernel throughput per SIMD level and dimension, one JS call per distance
// (addon.kernelDistance(level, op, a, b)), with benchmark.js. At small dims the call
// dominates; at 768+ the kernel does. The native-timed kernel loop without the call is
// bench/kernels-bench.mjs.
// Usage: node bench/micro/kernels.mjs [--quick]
import { addon } from '../native-addon.mjs';
import { printTable, quick, runSuite } from './suite.mjs';

const dims = quick ? [128, 768] : [16, 128, 384, 768, 1536];
const levels = addon.simdLevels();
const random = (n) => Float32Array.from({ length: n }, () => Math.random() - 0.5);

const rows = [];
for (const op of ['dot', 'l2sq']) {
  const cases = [];
  for (const dim of dims) {
    const a = random(dim), b = random(dim);
    for (const level of levels) {
      cases.push({ name: `${op} ${level} d${dim}`, fn: () => addon.kernelDistance(level, op, a, b), extra: { op, level, dim } });
    }
  }
  const results = await runSuite(`kernel ${op}`, cases, quick ? { minTime: 0.1, maxTime: 0.3 } : {});
  for (const dim of dims) {
    const scalar = results.find((r) => r.dim === dim && r.level === 'scalar');
    for (const r of results.filter((x) => x.dim === dim)) {
      rows.push([op, dim, r.level, `${(r.hz / 1e6).toFixed(2)}M`, `${((2 * dim * r.hz) / 1e9).toFixed(2)}`, `±${r.rme.toFixed(1)}%`, `${(r.hz / scalar.hz).toFixed(2)}x`]);
    }
  }
}
printTable(`Distance kernels through one JS call each (SIMD levels on this CPU: ${levels.join(', ')})`,
  ['op', 'dim', 'level', 'calls/s', 'GFLOP/s', 'rme', 'vs scalar'], rows);
