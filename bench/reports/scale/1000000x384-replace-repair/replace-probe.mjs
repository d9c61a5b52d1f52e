// Replace-quality probe at scale: base index cached on disk; recall split by whether the true
// neighbour is a replaced (new) row or an old one.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateGaussianMixture } from '../../../lib/gaussian-mixture.mjs';
import { normalizeRows } from '../../../lib/normalize.mjs';
import { computeGroundTruth } from '../../../lib/ground-truth.mjs';
import { seededRandom } from '../../../lib/rng.mjs';
const dist = process.env.QDIST ?? new URL('../../../../dist/index.js', import.meta.url).href;
const { HnswIndex } = await import(dist);
const { values: args } = parseArgs({ options: {
  n: { type: 'string', default: '1000000' }, dim: { type: 'string', default: '384' },
  replace: { type: 'string', default: '0.2' }, threads: { type: 'string', default: '2' },
  ef: { type: 'string', default: '64,128,256,512' }, quantization: { type: 'string', default: 'int8' },
  base: { type: 'string' }, fresh: { type: 'boolean', default: false }, compact: { type: 'boolean', default: false },
} });
const K = 10, n = +args.n, dim = +args.dim, threads = +args.threads, nq = 1000, nr = Math.round(n * +args.replace), metric = 'cosine';
const efs = args.ef.split(',').map(Number);
const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);
const g = generateGaussianMixture({ n: n + nr, dim, queries: nq });
normalizeRows(g.base, dim); normalizeRows(g.queries, dim);
const base = g.base.subarray(0, n * dim), replacements = g.base.subarray(n * dim);
const rows = seededRandom(7).sample(n, nr).sort();
const isNew = new Uint8Array(n); for (const r of rows) isNew[r] = 1;
const after = Float32Array.from(base);
for (let i = 0; i < nr; i++) after.set(replacements.subarray(i * dim, (i + 1) * dim), rows[i] * dim);
const truth = await computeGroundTruth({ base: after, n, dim, queries: g.queries, nq, metric, k: K, threads });
const build = (data) => {
  const index = new HnswIndex({ dim, metric, M: 16, efConstruction: 200, seed: 1, quantization: args.quantization });
  for (let s = 0; s < n; s += 50_000) {
    const c = Math.min(50_000, n - s);
    index.add(Float64Array.from({ length: c }, (_, i) => s + i), data.subarray(s * dim, (s + c) * dim), { threads });
  }
  return index;
};
const curve = (index) => efs.map((ef) => {
  let hitOld = 0, totOld = 0, hitNew = 0, totNew = 0; const hist = new Array(K + 1).fill(0);
  for (let i = 0; i < nq; i++) {
    const got = new Set(index.search(g.queries.subarray(i * dim, (i + 1) * dim), K, { ef }).labels);
    let h = 0; for (let j = 0; j < K; j++) h += got.has(truth.ids[i * truth.k + j]); hist[h]++;
    for (let j = 0; j < K; j++) {
      const t = truth.ids[i * truth.k + j];
      if (isNew[t]) { totNew++; hitNew += got.has(t); } else { totOld++; hitOld += got.has(t); }
    }
  }
  return `ef ${ef}: ${((hitOld + hitNew) / (totOld + totNew)).toFixed(4)} (old ${(hitOld / totOld).toFixed(4)}, new ${(hitNew / totNew).toFixed(4)}) hits/query histogram 0..10: ${hist.join(' ')}`;
});
let index;
if (args.fresh) {
  const t0 = Date.now(); index = build(after); log(`fresh build of the final vectors ${(Date.now() - t0) / 1e3} s`);
  for (const l of curve(index)) log('fresh    ', l);
  process.exit(0);
}
if (args.base && existsSync(args.base)) { index = await HnswIndex.load(args.base); log('loaded', args.base); }
else { index = build(base); if (args.base) await index.save(args.base); log('built'); }
const c0 = process.cpuUsage();
index.add(Float64Array.from(rows), replacements, { threads });
const c = process.cpuUsage(c0);
log(`replaced in ${((c.user + c.system) / 1e6).toFixed(1)} CPU s; ${index.deletedCount} removed still linked`);
for (const l of curve(index)) log('replaced ', l);
if (args.compact) { index.compact({ threads }); for (const l of curve(index)) log('compacted', l); }
