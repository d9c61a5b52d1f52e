#!/usr/bin/env node
// Recall@10 at equal ef over several build seeds: one quiverdb graph per seed (built with
// build A, one thread), searched with build A and build B (same graph, so only the search
// differs), and one hnswlib-node graph per seed. Prints, per seed and engine, recall and the
// number of "lost" queries (none of the 10 true neighbours returned), then the means.
// A single seed's curve moves by more than the differences between engines on clustered data.
//   node bench/reports/graph-quality/seed-spread.mjs <distA/index.js> <distB/index.js> <dataset> [seeds] [efs]
// e.g. ... mixture:200000:768:cosine:norm 1,2,3,4,5 32,48,64,96,128,192,256,384
// Graphs: k 10, M 16, efConstruction 200; 1,000 queries. Datasets: bench/hnsw-datasets.mjs.
import { ensureGroundTruth, limitQueries } from '../../lib/datasets.mjs';
import { loadNamedDataset } from '../../hnsw-datasets.mjs';
import { buildHnswlib } from '../../engines/hnswlib-node.mjs';
import { lostQueries, recallAtK } from '../../lib/stats.mjs';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';

const [pathA, pathB, name, seedArg = '1,2,3', efArg = '32,48,64,96,128,192,256,384'] = process.argv.slice(2);
const A = await import(resolve(pathA)), B = await import(resolve(pathB));
const seeds = seedArg.split(',').map(Number), efs = efArg.split(',').map(Number);
const ds = await ensureGroundTruth(limitQueries(loadNamedDataset(name), 1000), 10);
const gt = ds.groundTruth;
const queries = Array.from({ length: ds.nq }, (_, i) => ds.queries.subarray(i * ds.dim, (i + 1) * ds.dim));

function curve(search) {
  const found = new Int32Array(ds.nq * 10);
  return efs.map((ef) => {
    found.fill(-1);
    queries.forEach((qv, i) => found.set(search(qv, ef, i), i * 10));
    return { ef, recall: recallAtK(found, 10, gt.ids, gt.k, 10, ds.nq), lost: lostQueries(found, 10, gt.ids, gt.k, 10, ds.nq) };
  });
}
const fmt = (c) => c.map((p) => `${p.recall.toFixed(4)}/${p.lost}`.padStart(12)).join('');
console.log(`# ${ds.name}: ${ds.n} x ${ds.dim} ${ds.metric}, ${ds.nq} queries; recall@10/lost queries`);
console.log('seed engine     ' + efs.map((ef) => `ef ${ef}`.padStart(12)).join(''));
const all = { A: [], B: [], hnswlib: [] };
for (const seed of seeds) {
  const h = new A.HnswIndex({ dim: ds.dim, metric: ds.metric, M: 16, efConstruction: 200, seed });
  h.add(Float64Array.from({ length: ds.n }, (_, i) => i), ds.base.subarray(0, ds.n * ds.dim), { threads: 1 });
  const file = `/tmp/seed-spread-${process.pid}.qv`;
  await h.save(file);
  const hb = await B.HnswIndex.load(file);
  rmSync(file, { force: true });
  const curves = {
    A: curve((qv, ef) => h.search(qv, 10, { ef }).labels),
    B: curve((qv, ef) => hb.search(qv, 10, { ef }).labels),
  };
  const hl = buildHnswlib(ds.dim, ds.metric, ds.base.subarray(0, ds.n * ds.dim), { M: 16, efConstruction: 200, seed });
  const arrays = queries.map((qv) => Array.from(qv));
  curves.hnswlib = curve((qv, ef, i) => { hl.setEf(ef); return hl.searchKnn(arrays[i], 10).neighbors; });
  for (const [k, c] of Object.entries(curves)) {
    all[k].push(c);
    console.log(`${String(seed).padStart(4)} ${k.padEnd(10)}${fmt(c)}`);
  }
}
console.log('mean:');
for (const [k, cs] of Object.entries(all)) {
  const mean = efs.map((ef, j) => ({ ef, recall: cs.reduce((s, c) => s + c[j].recall, 0) / cs.length, lost: cs.reduce((s, c) => s + c[j].lost, 0) }));
  console.log(`     ${k.padEnd(10)}${fmt(mean)}   (lost: summed over seeds)`);
}
