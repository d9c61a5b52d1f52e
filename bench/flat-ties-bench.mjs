// FlatIndex batch exact search on tie-heavy data vs random data: 1,000 queries
// over 100k x 128, one thread, k=10, queries per CPU-second (median of 3). Every
// 10th query is stored row 0, so its copies (or, when row 0 is a zero vector under
// cosine, every row) tie at the k-th distance: the cost of returning the lowest
// labels among thousands of tied rows (flat_candidates.h).
// Usage: node bench/flat-ties-bench.mjs [path to a checkout whose dist/ to load]
import { pathToFileURL } from 'node:url';
const root = process.argv[2] ?? new URL('..', import.meta.url).pathname;
const { FlatIndex } = await import(pathToFileURL(root + '/dist/index.js').href);
function randomData(n, dim, seed) { let s = seed >>> 0; const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) { s = (s * 1664525 + 1013904223) >>> 0; out[i] = s / 4294967296 - 0.5; } return out; }
const n = 100000, dim = 128, nq = 1000, k = 10;
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const out = [];
for (const [name, metric, make] of [
  ['random', 'euclidean', () => randomData(n, dim, 3)],
  ['each row x10 copies', 'euclidean', () => { const u = randomData(n / 10, dim, 3); const d = new Float32Array(n * dim); for (let i = 0; i < n; i++) d.set(u.subarray((i % (n / 10)) * dim, (i % (n / 10) + 1) * dim), i * dim); return d; }],
  ['30% zero rows, cosine', 'cosine', () => { const d = randomData(n, dim, 3); for (let i = 0; i < n; i += 3) d.fill(0, i * dim, (i + 1) * dim); return d; }],
  ['10k copies of one row', 'euclidean', () => { const d = randomData(n, dim, 3); for (let i = 1; i < 10000; i++) d.copyWithin(i * 10 * dim, 0, dim); return d; }],
]) {
  const index = new FlatIndex({ dim, metric });
  const data = make();
  index.add(Float64Array.from({ length: n }, (_, i) => i), data);
  // queries: random, plus every 10th a stored row (its copies tie at distance 0)
  const qs = randomData(nq, dim, 4);
  for (let i = 0; i < nq; i += 10) qs.set(data.subarray(0, dim), i * dim);
  const r = [];
  for (let rep = 0; rep < 3; rep++) { const t0 = cpu(); index.searchBatch(qs, k, { threads: 1 }); r.push(nq / (cpu() - t0)); }
  r.sort((a, b) => a - b);
  out.push(`${name}: ${r[1].toFixed(0)} q/s`);
}
console.log(out.join(' | '));
