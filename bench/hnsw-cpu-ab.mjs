// Queries per CPU-second (process.cpuUsage: robust to other processes on a shared box),
// quiverdb vs hnswlib-node, same ef grid, on a cached index.
import { loadTexmexFolder, generatedDataset, ensureGroundTruth } from './lib/datasets.mjs';
import * as q from '../dist/index.js';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const [name = 'ngt_sift5k', efList = '64,128', withPeer = '1'] = process.argv.slice(2);
let ds = name === 'mixture' ? generatedDataset({ n: 100000, dim: 128, queries: 1000, metric: 'euclidean' }) : loadTexmexFolder('/work/shared/datasets/' + name);
ds = await ensureGroundTruth(ds, 10);
const file = `/tmp/cyc-${name}.hnsw`, hfile = `/tmp/cyc-${name}.hnswlib`;
let idx;
if (existsSync(file) && !process.env.REBUILD) idx = q.HnswIndex.loadSync(file);
else { idx = new q.HnswIndex({ dim: ds.dim, metric: ds.metric, M: 16, efConstruction: 200, seed: 1 }); idx.add(Float64Array.from({ length: ds.n }, (_, i) => i), ds.base, { threads: 2 }); idx.saveSync(file); }
let h = null;
if (withPeer === '1') {
  const { HierarchicalNSW } = require('hnswlib-node');
  const space = { euclidean: 'l2', cosine: 'cosine', ip: 'ip' }[ds.metric];
  h = new HierarchicalNSW(space, ds.dim);
  if (existsSync(hfile)) h.readIndexSync(hfile);
  else { h.initIndex(ds.n, 16, 200, 1); for (let i = 0; i < ds.n; i++) h.addPoint(Array.from(ds.base.subarray(i * ds.dim, (i + 1) * ds.dim)), i); h.writeIndexSync(hfile); }
}
const qs = Array.from({ length: ds.nq }, (_, i) => ds.queries.slice(i * ds.dim, (i + 1) * ds.dim));
const qa = qs.map((x) => Array.from(x));
const gt = ds.groundTruth;
function measure(fn) {
  let hit = 0;
  qs.forEach((x, i) => { const r = fn(i); const t = new Set(gt.ids.subarray(i * gt.k, i * gt.k + 10)); for (const l of r) if (t.has(l)) hit++; });
  const c0 = process.cpuUsage(); let n = 0;
  do { for (let i = 0; i < qs.length; i++) fn(i); n += qs.length; } while ((process.cpuUsage(c0).user) < 700_000);
  const cpu = process.cpuUsage(c0); return { recall: hit / qs.length / 10, qps: n / ((cpu.user + cpu.system) / 1e6) };
}
for (const ef of efList.split(',').map(Number)) {
  const a = measure((i) => idx.search(qs[i], 10, { ef }).labels);
  let line = `ef ${ef}: quiverdb recall ${a.recall.toFixed(4)} qps/cpu ${a.qps.toFixed(0)}`;
  if (h) { h.setEf(ef); const b = measure((i) => h.searchKnn(qa[i], 10).neighbors); line += ` | hnswlib recall ${b.recall.toFixed(4)} qps/cpu ${b.qps.toFixed(0)} | ratio ${(a.qps / b.qps).toFixed(2)}`; }
  console.log(line);
}
