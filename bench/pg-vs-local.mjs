#!/usr/bin/env node
// The same workload on both engines of the store API: the in-process VectorStore
// and PgVectorStore (PostgreSQL + pgvector). Bulk-load rate, recall@10 and QPS,
// unfiltered and with a 10% metadata filter (recall against exact filtered truth).
//
//   npm run build:ts && node bench/pg-vs-local.mjs [texmex folder] [--pg-url postgres://…] [--queries 200]
//
// Without --pg-url, PostgreSQL is PGlite: PostgreSQL and pgvector compiled to
// WebAssembly, running single-threaded in this process. Its figures show that the
// engine works and how recall behaves; they are NOT a native PostgreSQL server's
// speed (expect a native server to be several times faster, and to parallelise
// queries across connections).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VectorStore } from '../dist/index.js';
import { PgVectorStore } from '../dist/pg.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : dflt;
};
const pgUrl = opt('--pg-url');
const nq = Number(opt('--queries', '200'));
const folder = args[0] ?? new URL('../../shared/datasets/glove_twitter_25d_subset12k', import.meta.url).pathname;

function readVecs(path) {
  const buf = readFileSync(path);
  const dim = buf.readInt32LE(0);
  const n = buf.length / (4 * (dim + 1));
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) out[i * dim + j] = buf.readFloatLE(4 * (i * (dim + 1) + 1 + j));
  return { n, dim, data: out };
}
const base = readVecs(join(folder, 'base.fvecs'));
const query = readVecs(join(folder, 'query.fvecs'));
const metric = folder.includes('angular') || folder.includes('glove') || folder.includes('minilm') ? 'cosine' : 'euclidean';
const dim = base.dim;
const Q = Math.min(nq, query.n);
console.log(`dataset ${folder.split('/').pop()}: ${base.n} x ${dim} (${metric}), ${Q} queries, topK 10`);

// Exact truth (brute force, float64), unfiltered and for the filter { bucket: 0 } (10% of records).
function dist(a, ai, b, bi) {
  let s = 0, na = 0, nb = 0;
  for (let j = 0; j < dim; j++) {
    const x = a[ai * dim + j], y = b[bi * dim + j];
    if (metric === 'cosine') (s += x * y), (na += x * x), (nb += y * y);
    else s += (x - y) ** 2;
  }
  return metric === 'cosine' ? 1 - s / Math.sqrt(na * nb || 1) : s;
}
const truth = [], truthF = [];
for (let q = 0; q < Q; q++) {
  const all = Array.from({ length: base.n }, (_, i) => [i, dist(query.data, q, base.data, i)]).sort((a, b) => a[1] - b[1]);
  truth.push(new Set(all.slice(0, 10).map(([i]) => `v${i}`)));
  truthF.push(new Set(all.filter(([i]) => i % 10 === 0).slice(0, 10).map(([i]) => `v${i}`)));
}

const ids = Array.from({ length: base.n }, (_, i) => `v${i}`);
const metadata = ids.map((_, i) => ({ bucket: i % 10, word: `w${i}` }));
const index = { M: 16, efConstruction: 100, efSearch: 64 };

async function run(name, store) {
  let t = performance.now();
  for (let i = 0; i < base.n; i += 1000) {
    const end = Math.min(base.n, i + 1000);
    await store.upsert({ ids: ids.slice(i, end), vectors: base.data.subarray(i * dim, end * dim), metadata: metadata.slice(i, end) });
  }
  const loadS = (performance.now() - t) / 1000;
  const row = { engine: name, 'load rec/s': Math.round(base.n / loadS) };
  for (const [label, filter, want] of [['', undefined, truth], [' (10% filter)', { bucket: 0 }, truthF]]) {
    let hit = 0, returned = 0;
    t = performance.now();
    for (let q = 0; q < Q; q++) {
      const hits = await store.query(query.data.subarray(q * dim, (q + 1) * dim), { topK: 10, filter, includeMetadata: false });
      returned += hits.length;
      for (const h of hits) if (want[q].has(h.id)) hit++;
    }
    const s = (performance.now() - t) / 1000;
    row[`recall@10${label}`] = (hit / (Q * 10)).toFixed(4);
    row[`QPS${label}`] = Math.round(Q / s);
    if (returned !== Q * 10) row[`short answers${label}`] = Q * 10 - returned;
  }
  await store.close();
  return row;
}

const rows = [];
rows.push(await run('in-process VectorStore (HNSW)', new VectorStore({ dim, metric, index: { type: 'hnsw', ...index } })));
let pg;
if (pgUrl) {
  const { default: pgmod } = await import('pg');
  pg = new pgmod.Pool({ connectionString: pgUrl });
  await pg.query('DROP TABLE IF EXISTS bench_pg_vs_local; DROP TABLE IF EXISTS bench_pg_vs_local_quiver');
  rows.push(await run('PgVectorStore (PostgreSQL server)', await PgVectorStore.open({ client: pg, table: 'bench_pg_vs_local', dim, metric, index })));
  await pg.end();
} else {
  const { PGlite } = await import('@electric-sql/pglite');
  const { vector } = await import('@electric-sql/pglite-pgvector');
  const db = await PGlite.create({ extensions: { vector } });
  rows.push(await run('PgVectorStore (PGlite: WASM, not a native server)', await PgVectorStore.open({ client: db, table: 'bench', dim, metric, index })));
  await db.close();
}
console.table(rows);
if (!pgUrl) console.log('PGlite is PostgreSQL compiled to WebAssembly, single-threaded in this process: its load rate and QPS are not a native server\'s.');
