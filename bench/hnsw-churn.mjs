#!/usr/bin/env node
// Recall of HnswIndex under churn: 10k uniform random vectors (dim 32), then `rounds` rounds
// of removing `per` random labels and adding as many new vectors; every `every` rounds,
// recall@10 (ef 64, 1000 queries) against exact search, next to a graph freshly built over
// the same live vectors, and again after compact().
//   node bench/hnsw-churn.mjs [rounds=60] [per=1000] [every=20]     (FORCE=1: compact before each add)
// The decay this bench used to show (0.9995 -> 0.971 after 20k single operations) came from
// its generator: (s * 1103515245 + 12345) >>> 0 in doubles cycles after 6,063 numbers, so
// the live set filled up with copies of the same vectors (6,103 distinct of 10k at the
// start, 2,715 after 20k rounds) and a fresh graph over it did no better. See
// bench/reports/churn/README.md.
import * as q from '../dist/index.js';
const dim = 32, n = 10000, rounds = Number(process.argv[2] ?? 60), per = Number(process.argv[3] ?? 1000);
let s = 12345; // mulberry32
const rnd = () => { s = (s + 0x6d2b79f5) >>> 0; let t = Math.imul(s ^ (s >>> 15), s | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
const centres = Array.from({ length: 30 }, () => Float32Array.from({ length: dim }, () => gauss() * 2));
const vec = () => Float32Array.from({ length: dim }, () => rnd() * 2 - 1);
const opts = { dim, metric: 'euclidean' };
const idx = new q.HnswIndex(opts);
const live = new Map(); let next = 0;
const addN = (m) => { const ls = new Float64Array(m), vs = new Float32Array(m * dim); for (let i = 0; i < m; i++) { const v = vec(); ls[i] = next; vs.set(v, i * dim); live.set(next++, v); } idx.add(ls, vs, { threads: 1 }); };
addN(n);
const queries = Array.from({ length: 1000 }, vec);
const liveArrays = () => { const ls = [...live.keys()]; const vs = new Float32Array(ls.length * dim); ls.forEach((l, i) => vs.set(live.get(l), i * dim)); return [Float64Array.from(ls), vs]; };
// A hit: a returned label no farther than the 10th exact neighbour (ties count either way).
const recall = (index = idx) => { const f = new q.FlatIndex({ dim, metric: 'euclidean' }); f.add(...liveArrays()); let h = 0; for (const x of queries) { const kth = f.search(x, 10).distances[9]; for (const d of index.search(x, 10).distances) if (d <= kth * (1 + 1e-5)) h++; } return h / (10 * queries.length); };
const fresh = () => { const g = new q.HnswIndex(opts); g.add(...liveArrays(), { threads: 1 }); return recall(g); };
const out = [`round 0 recall ${recall().toFixed(4)}`];
for (let r = 1; r <= rounds; r++) {
  const keys = [...live.keys()]; const victims = [];
  for (let i = 0; i < per; i++) { const j = Math.floor(rnd() * keys.length); victims.push(keys[j]); keys[j] = keys[keys.length - 1]; keys.pop(); }
  idx.remove(victims); for (const v of victims) live.delete(v); if (process.env.FORCE) idx.compact(); addN(per);
  if (r % Number(process.argv[4] ?? 20) === 0) { const a = recall(); const d = idx.deletedCount; idx.compact(); out.push(`round ${r} recall ${a.toFixed(4)} (deleted ${d}) after compact ${recall().toFixed(4)}, fresh graph ${fresh().toFixed(4)}`); }
}
console.log(out.join(' | '));
