#!/usr/bin/env node
// Batch exact search, two quiverdb builds (e.g. before/after a change to the flat scan) in ONE
// process: 1,000 queries over n x dim (the data of bench/flat-bench.mjs: uniform in [-0.5, 0.5)),
// k 10, one thread, rounds interleaved (A, B; next round B, A; ...), queries per CPU-second,
// medians. Checks that both builds return the same labels and distances.
//   node bench/reports/exact-avx2/ab-flat.mjs <distA/index.js> <distB/index.js> [n] [dim] [rounds] [metrics] [nq]
import { resolve } from 'node:path';
import { flatBenchData } from '../../lib/flat-data.mjs';

const [pathA, pathB, nArg = '100000', dimArg = '128', roundsArg = '7', metricsArg = 'euclidean,cosine,ip', nqArg = '1000'] =
  process.argv.slice(2);
const A = await import(resolve(pathA)), B = await import(resolve(pathB));
const n = Number(nArg), dim = Number(dimArg), rounds = Number(roundsArg), nq = Number(nqArg), k = 10;
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const data = flatBenchData(n, dim, 3), queries = flatBenchData(nq, dim, 4);
const labels = Float64Array.from({ length: n }, (_, i) => i);
console.log(`${nq} queries over ${n} x ${dim}, k ${k}, 1 thread, ${rounds} rounds; A = ${pathA}, B = ${pathB}`);
for (const metric of metricsArg.split(',')) {
  const idx = { A: new A.FlatIndex({ dim, metric }), B: new B.FlatIndex({ dim, metric }) };
  idx.A.add(labels, data);
  idx.B.add(labels, data);
  const qps = { A: [], B: [] }, last = {};
  for (let r = 0; r < rounds; r++) {
    for (const key of r % 2 ? ['B', 'A'] : ['A', 'B']) {
      const c0 = process.cpuUsage();
      last[key] = idx[key].searchBatch(queries, k, { threads: 1 });
      const c = process.cpuUsage(c0);
      qps[key].push(nq / ((c.user + c.system) / 1e6));
    }
  }
  const same = last.A.labels.every((l, i) => l === last.B.labels[i]) &&
    last.A.distances.every((d, i) => d === last.B.distances[i]);
  const a = med(qps.A), b = med(qps.B);
  console.log(`${metric.padEnd(10)} A ${a.toFixed(0).padStart(6)}  B ${b.toFixed(0).padStart(6)}  B/A ${(b / a).toFixed(2)}x  ` +
    `GFLOP/s A ${(a * 2 * n * dim / 1e9).toFixed(1)} B ${(b * 2 * n * dim / 1e9).toFixed(1)}  same results: ${same}`);
}
