#!/usr/bin/env node
// Recall after replacing part of an HNSW index, against a graph built fresh on the same final
// vectors (issue 15's churn bar: within 0.01 of a fresh build): build n rows, replace a seeded
// sample of --replace of them by new rows of the same mixture (add() with existing labels),
// then recall@10 at each ef for the replaced index, for it again after compact() (which repairs
// the removed-but-still-linked nodes the last chunks left), and for a fresh build.
//
//   node bench/hnsw-replace-quality.mjs [--n 100000] [--dim 384] [--metric cosine] [--replace 0.2]
//        [--threads 1] [--ef 32,64,128,256] [--queries 1000] [--quantization none|int8|rabitq]
//
// Data: bench/lib/gaussian-mixture.mjs, unit rows; k 10, M 16, efConstruction 200, seed 1.
import { parseArgs } from 'node:util';
import { generateGaussianMixture } from './lib/gaussian-mixture.mjs';
import { normalizeRows } from './lib/normalize.mjs';
import { computeGroundTruth } from './lib/ground-truth.mjs';
import { seededRandom } from './lib/rng.mjs';
import { lostQueries, recallAtK } from './lib/stats.mjs';
import { loadQuiverdb } from './lib/quiverdb.mjs';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '384' },
    metric: { type: 'string', default: 'cosine' },
    replace: { type: 'string', default: '0.2' },
    threads: { type: 'string', default: '1' },
    ef: { type: 'string', default: '32,64,128,256' },
    queries: { type: 'string', default: '1000' },
    quantization: { type: 'string', default: 'none' },
  },
});
const K = 10;
const n = Number(args.n), dim = Number(args.dim), metric = args.metric, threads = Number(args.threads);
const nq = Number(args.queries), nr = Math.round(n * Number(args.replace));
const efs = args.ef.split(',').map(Number);
const { HnswIndex } = await loadQuiverdb();
const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);

const g = generateGaussianMixture({ n: n + nr, dim, queries: nq });
normalizeRows(g.base, dim);
normalizeRows(g.queries, dim);
const base = g.base.subarray(0, n * dim), replacements = g.base.subarray(n * dim);
const rows = seededRandom(7).sample(n, nr).sort();
const after = Float32Array.from(base);
for (let i = 0; i < nr; i++) after.set(replacements.subarray(i * dim, (i + 1) * dim), rows[i] * dim);
const allLabels = Float64Array.from({ length: n }, (_, i) => i);
const truth = await computeGroundTruth({ base: after, n, dim, queries: g.queries, nq, metric, k: K, threads });

const build = (data) => {
  const index = new HnswIndex({ dim, metric, M: 16, efConstruction: 200, seed: 1, quantization: args.quantization });
  index.add(allLabels, data, { threads });
  return index;
};
const cpu = (fn) => {
  const c0 = process.cpuUsage();
  const value = fn();
  const c = process.cpuUsage(c0);
  return { value, seconds: (c.user + c.system) / 1e6 };
};
const res = new Int32Array(nq * K);
// Per ef: recall@10, and the queries that found none of their neighbours (a search stranded in
// another region, which no ef rescues: what a damaged graph shows first).
const curve = (index) => efs.map((ef) => {
  res.fill(-1);
  for (let i = 0; i < nq; i++) res.set(index.search(g.queries.subarray(i * dim, (i + 1) * dim), K, { ef }).labels, i * K);
  return { recall: recallAtK(res, K, truth.ids, truth.k, K, nq), lost: lostQueries(res, K, truth.ids, truth.k, K, nq) };
});
const show = (name, c) => log(`${name.padEnd(22)} ${c.map((p) => p.recall.toFixed(4)).join('  ')}` +
  (c[0].lost === undefined ? '' : `   (queries with no hit: ${c.map((p) => p.lost).join(' / ')})`));

log(`${n} x ${dim} ${metric} (${args.quantization}), replacing ${nr} rows, ${threads} thread(s); recall@${K} at ef ${efs.join(' / ')}`);
const index = build(base);
const replaced = cpu(() => index.add(Float64Array.from(rows), replacements, { threads }));
log(`replaced in ${replaced.seconds.toFixed(1)} CPU s; ${index.deletedCount} removed nodes still linked`);
const r1 = curve(index);
show('replaced', r1);
const compacted = cpu(() => index.compact({ threads }));
log(`compact(): ${compacted.value} nodes repaired in ${compacted.seconds.toFixed(1)} CPU s`);
const r2 = curve(index);
show('replaced + compact()', r2);
const r3 = curve(build(after));
show('fresh build', r3);
show('replaced - fresh', r1.map((p, i) => ({ recall: p.recall - r3[i].recall })));
