#!/usr/bin/env node
// Build cost of quiverdb HnswIndex vs hnswlib-node and usearch (M 16, efConstruction 200) on
// the generated mixture: wall seconds and CPU seconds of this process. Single-threaded CPU
// seconds are each engine's own work, undisturbed by other load on a shared machine; the
// 2-thread speedup can only be read from wall time, so run it on an otherwise idle machine.
//   node bench/hnsw-build.mjs [--n 20000] [--dim 128] [--repeats 2]
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { generatedDataset } from './lib/datasets.mjs';
import { median } from './lib/stats.mjs';
import { loadQuiverdb } from './lib/quiverdb.mjs';

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({ options: {
  n: { type: 'string', default: '20000' }, dim: { type: 'string', default: '128' }, repeats: { type: 'string', default: '2' },
} });
const { HnswIndex } = await loadQuiverdb();
const ds = generatedDataset({ n: Number(args.n), dim: Number(args.dim), queries: 10, metric: 'euclidean' });
const labels = Float64Array.from({ length: ds.n }, (_, i) => i);

const builders = {
  'quiverdb 1 thread': () => new HnswIndex({ dim: ds.dim, metric: 'euclidean', M: 16, efConstruction: 200 }).add(labels, ds.base, { threads: 1 }),
  'quiverdb 2 threads': () => new HnswIndex({ dim: ds.dim, metric: 'euclidean', M: 16, efConstruction: 200 }).add(labels, ds.base, { threads: 2 }),
  'hnswlib-node': () => {
    const { HierarchicalNSW } = require('hnswlib-node');
    const h = new HierarchicalNSW('l2', ds.dim);
    h.initIndex(ds.n, 16, 200, 1);
    for (let i = 0; i < ds.n; i++) h.addPoint(Array.from(ds.base.subarray(i * ds.dim, (i + 1) * ds.dim)), i);
  },
  'usearch 1 thread': () => {
    const { Index } = require('usearch');
    const u = new Index({ dimensions: ds.dim, metric: 'l2sq', quantization: 'f32', connectivity: 16, expansion_add: 200, expansion_search: 64, multi: false });
    const keys = new BigUint64Array(ds.n);
    for (let i = 0; i < ds.n; i++) keys[i] = BigInt(i);
    u.add(keys, ds.base, 1);
  },
};
const runs = Object.fromEntries(Object.keys(builders).map((k) => [k, { wall: [], cpu: [] }]));
for (let r = 0; r < Number(args.repeats); r++)
  for (const [name, build] of Object.entries(builders)) {
    const t0 = performance.now(), c0 = process.cpuUsage();
    build();
    const c = process.cpuUsage(c0);
    runs[name].wall.push((performance.now() - t0) / 1000);
    runs[name].cpu.push((c.user + c.system) / 1e6);
  }
console.log(`${ds.name}: build with M 16, efConstruction 200 (median of ${args.repeats})`);
const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, { wall: median(v.wall), cpu: median(v.cpu) }]));
for (const [k, v] of Object.entries(m)) console.log(`${k.padEnd(20)} wall ${v.wall.toFixed(2)} s  CPU ${v.cpu.toFixed(2)} s`);
const q1 = m['quiverdb 1 thread'], q2 = m['quiverdb 2 threads'], hl = m['hnswlib-node'];
console.log(`quiverdb / hnswlib-node, 1 thread: ${(q1.wall / hl.wall).toFixed(2)} wall, ${(q1.cpu / hl.cpu).toFixed(2)} CPU`);
console.log(`quiverdb 2 threads vs 1: x${(q1.wall / q2.wall).toFixed(2)} wall (CPU work ratio ${(q2.cpu / q1.cpu).toFixed(2)})`);
