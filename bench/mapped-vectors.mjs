// Exact search over memory-mapped vectors (MappedVectors) against FlatIndex on
// the same vectors: milliseconds per query, one query at a time, at one thread
// and at all threads. The file is written once (a 4096-byte header page, then
// float32 rows) and read through the page cache, as a follower maps vectors.qvec.
// Each cell is the best of --rounds per-round medians (the rounds interleave the
// engines, so a busy machine slows all of them alike).
//   node bench/mapped-vectors.mjs [--n 200000] [--dim 384] [--queries 20] [--rounds 3] [--metrics cosine,euclidean,ip]
// (imports ../dist: run `npm run build:ts` first)
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { seededRandom } from './lib/rng.mjs';
import { median } from './lib/stats.mjs';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '200000' },
    dim: { type: 'string', default: '384' },
    queries: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    metrics: { type: 'string', default: 'cosine,euclidean,ip' },
  },
});
const n = Number(args.n), dim = Number(args.dim), nq = Number(args.queries);
const { FlatIndex, MappedVectors, simdLevel, defaultThreads } = await import('../dist/index.js');
// The addon directly, for the one-thread mapped search (the public API uses the pool).
const { addon } = await import('./native-addon.mjs');

const rand = seededRandom(1).uniform;
const data = new Float32Array(n * dim);
for (let i = 0; i < data.length; i++) data[i] = rand() * 2 - 1;
const queries = Array.from({ length: nq }, () => Float32Array.from({ length: dim }, () => rand() * 2 - 1));
const path = join(tmpdir(), `quiver-mapped-bench-${process.pid}.qvec`);
const file = Buffer.alloc(4096 + data.byteLength);
Buffer.from(data.buffer).copy(file, 4096);
writeFileSync(path, file);

/** Median ms per query of `search(q)` over the queries (after one warm-up pass). */
async function msPerQuery(search) {
  for (const q of queries.slice(0, 2)) await search(q);
  const times = [];
  for (const q of queries) {
    const t0 = performance.now();
    await search(q);
    times.push(performance.now() - t0);
  }
  return median(times);
}

console.log(`${n} x ${dim} float32 (${((n * dim * 4) / 2 ** 20).toFixed(0)} MiB), k = 10, ${nq} queries, ` +
  `SIMD ${simdLevel()}, ${defaultThreads()} threads`);
const rows = [];
for (const metric of args.metrics.split(',')) {
  const mv = MappedVectors.open(path, { byteOffset: 4096, rows: n, dim, metric });
  const raw = new addon.NativeMappedVectors(path, 4096, n, dim, metric);
  const flat = new FlatIndex({ dim, metric });
  flat.add(Float64Array.from({ length: n }, (_, i) => i), data);
  // Same answers (spot check), then the timings.
  const a = mv.search(queries[0], 10), b = flat.search(queries[0], 10);
  if (a.labels.join() !== b.labels.join()) throw new Error(`${metric}: MappedVectors and FlatIndex disagree`);
  const engines = {
    'mapped search (1 thread)': (q) => raw.search(q, 1, 10, 1),
    'mapped search (all threads)': (q) => mv.search(q, 10),
    'mapped searchAsync': (q) => mv.searchAsync(q, 10),
    'flat search (1 thread)': (q) => flat.search(q, 10),
    'flat searchBatch nq=1 (all threads)': (q) => flat.searchBatch(q, 10),
  };
  const row = { metric };
  for (let round = 0; round < Number(args.rounds); round++)
    for (const [name, search] of Object.entries(engines)) row[name] = Math.min(row[name] ?? Infinity, await msPerQuery(search));
  rows.push(row);
  mv.close();
  raw.close();
}
rmSync(path);
console.log('median ms per query:');
console.table(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? +v.toFixed(2) : v]))));
