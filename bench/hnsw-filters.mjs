#!/usr/bin/env node
// Filtered HNSW search on the generated mixture: recall@10 against exact filtered search
// (FlatIndex with the same allow-list) and query cost relative to the unfiltered query,
// for allowed fractions 100% .. 0.1%, at default parameters (ef 64), with the allow-list
// passed as labels on every call and prepared once as an AllowList.
//   node bench/hnsw-filters.mjs [--n 100000] [--queries 200] [--index /tmp/hnsw-filters.hnsw]
// Query rates are per CPU-second of this process (single-threaded calls), which a shared
// machine disturbs far less than wall time.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generatedDataset } from './lib/datasets.mjs';
import { seededRandom } from './lib/rng.mjs';
import { loadQuiverdb } from './lib/quiverdb.mjs';

const { values: args } = parseArgs({ options: {
  n: { type: 'string', default: '100000' }, queries: { type: 'string', default: '200' },
  index: { type: 'string', default: '' }, metric: { type: 'string', default: 'euclidean' },
} });
const { HnswIndex, FlatIndex, AllowList } = await loadQuiverdb();
const ds = generatedDataset({ n: Number(args.n), dim: 128, queries: Number(args.queries), metric: args.metric });
const K = 10;
const labels = Float64Array.from({ length: ds.n }, (_, i) => i);
const file = args.index || `/tmp/hnsw-filters-${ds.n}-${args.metric}.hnsw`;
let index;
if (existsSync(file)) index = HnswIndex.loadSync(file);
else {
  index = new HnswIndex({ dim: ds.dim, metric: ds.metric });
  index.add(labels, ds.base);
  index.saveSync(file);
}
const flat = new FlatIndex({ dim: ds.dim, metric: ds.metric });
flat.add(labels, ds.base);
const queries = Array.from({ length: ds.nq }, (_, i) => ds.queries.subarray(i * ds.dim, (i + 1) * ds.dim));

function cpuQps(fn) {
  const c0 = process.cpuUsage();
  let n = 0;
  do { for (let i = 0; i < queries.length; i++) fn(i); n += queries.length; } while (process.cpuUsage(c0).user < 1_000_000);
  const c = process.cpuUsage(c0);
  return n / ((c.user + c.system) / 1e6);
}

const base = cpuQps((i) => index.search(queries[i], K));
console.log(`${ds.name} ${ds.metric}, ${ds.nq} queries, k ${K}, ef ${index.efSearch}: unfiltered ${base.toFixed(0)} q/CPU-s`);
console.log('allowed  count  recall@10  labels: q/CPU-s  time vs unfiltered | AllowList: q/CPU-s  time vs unfiltered');
const rand = seededRandom(7).uniform;
for (const fraction of [1, 0.5, 0.1, 0.01, 0.001]) {
  const allow = Float64Array.from(labels.filter(() => rand() < fraction));
  const truth = flat.searchBatch(ds.queries, K, { filter: allow });
  let hits = 0;
  queries.forEach((q, i) => {
    const got = index.search(q, K, { filter: allow }).labels;
    const t = new Set(truth.labels.subarray(i * truth.k, (i + 1) * truth.k));
    for (const l of got) if (t.has(l)) hits++;
  });
  const recall = hits / (ds.nq * truth.k);
  const qps = cpuQps((i) => index.search(queries[i], K, { filter: allow }));
  const prepared = new AllowList(allow);
  const qpsPrepared = cpuQps((i) => index.search(queries[i], K, { filter: prepared }));
  console.log(`${(fraction * 100).toString().padStart(6)}% ${String(allow.length).padStart(6)}  ${recall.toFixed(4)}   ${qps.toFixed(0).padStart(14)}  x${(base / qps).toFixed(2).padEnd(17)} | ${qpsPrepared.toFixed(0).padStart(17)}  x${(base / qpsPrepared).toFixed(2)}`);
}
