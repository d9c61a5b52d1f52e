#!/usr/bin/env node
// Churn soak: at least 1,000,000 upsert/delete operations over 10,000 live ids in
// a durable VectorStore (HNSW index), in batches. Every `--sample` operations it
// records process memory (rss, V8 heap, external/array buffers), the store's size
// on disk and wall time; every `--recall-every` operations (and at the start and the
// end) it measures recall@10 of the store's queries against exact brute force over the
// live records, next to that of a graph freshly built over the same live records.
// Prints the memory/disk curve as a table, the recall curve, and a JSON summary line (SOAK-SUMMARY).
//   node bench/soak-churn.mjs [--ops 1000000] [--live 10000] [--dim 32] [--batch 1000] [--sample 50000]
//                             [--recall-every 100000] [--queries 1000] [--dir path]
// Needs the built package (npm run build:native, npm run build:ts). Checks: the bounded-growth criteria in
// the summary (the second half of the run peaks no higher than 1.25x the first
// half, for RSS and for disk; recall@10 at the end within 0.02 of the start and within
// 0.01 of a freshly built graph); exits 1 otherwise.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HnswIndex, VectorStore } from '../dist/index.js';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const OPS = Number(args.ops ?? 1_000_000);
const LIVE = Number(args.live ?? 10_000);
const DIM = Number(args.dim ?? 32);
const BATCH = Number(args.batch ?? 1000);
const SAMPLE = Number(args.sample ?? 50_000);
const RECALL_EVERY = Number(args['recall-every'] ?? 100_000);
const QUERIES = Number(args.queries ?? 1000);
const dir = args.dir ?? mkdtempSync(join(tmpdir(), 'quiver-soak-'));

// mulberry32. (The LCG this bench used before, (seed * 1103515245 + 12345) >>> 0 in
// doubles, lost the product's low bits and cycled after 6,063 numbers: the live set
// held ~5,000 distinct vectors, up to 8 copies each, every query equalled a stored
// vector, and ties among copies made id-based recall meaningless.)
function generator(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const rand = generator(12345);
// Queries come from their own stream, so the churn does not depend on how often recall is sampled.
const queryRand = generator(54321);
function vector(r = rand) {
  const v = new Float32Array(DIM);
  for (let d = 0; d < DIM; d++) v[d] = r() * 2 - 1;
  return v;
}

function diskBytes(path) {
  let total = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    total += e.isDirectory() ? diskBytes(p) : statSync(p).size;
  }
  return total;
}

const mb = (b) => (b / 2 ** 20).toFixed(1);
const live = new Map(); // id -> Float32Array (the model)
const idPool = Array.from({ length: LIVE * 2 }, (_, i) => `doc-${i}`);

// Recall@10: a hit is a returned live id no farther than the 10th exact neighbour
// (distances from the model, so ties at the 10th place count either way).
async function recall(store, queries) {
  const vecs = [...live.values()];
  const dist = (v, query) => {
    let s = 0;
    for (let d = 0; d < DIM; d++) s += (v[d] - query[d]) ** 2;
    return s;
  };
  let hit = 0, total = 0;
  const top = new Float64Array(10);
  for (const query of queries) {
    top.fill(Infinity); // the 10 smallest distances, ascending
    for (const v of vecs) {
      const s = dist(v, query);
      if (s >= top[9]) continue;
      let j = 9;
      while (j > 0 && top[j - 1] > s) top[j] = top[--j];
      top[j] = s;
    }
    const got = await store.query(query, { topK: 10, efSearch: 64, includeMetadata: false });
    for (const h of got) if (live.has(h.id) && dist(live.get(h.id), query) <= top[9]) hit++;
    total += 10;
  }
  return hit / total;
}
const queryVectors = () => Array.from({ length: QUERIES }, () => vector(queryRand));

const store = await VectorStore.open(dir, { dim: DIM, metric: 'euclidean', index: { type: 'hnsw', M: 16, efConstruction: 100 }, snapshotBytes: 4 * 2 ** 20 });
const t0 = performance.now();
// Fill to LIVE ids.
for (let i = 0; i < LIVE; i += BATCH) {
  const recs = [];
  for (let j = i; j < Math.min(LIVE, i + BATCH); j++) {
    const v = vector();
    live.set(idPool[j], v);
    recs.push({ id: idPool[j], vector: v, metadata: { g: j % 10 } });
  }
  await store.upsert(recs);
}
// The store builds its HNSW index in the background after a write: wait for it,
// so that recall is measured on the graph, not on the exact fallback.
await store.flush();
if (store.activeIndex !== 'hnsw') throw new Error(`expected the HNSW index to be active, got ${store.activeIndex}`);
const recallStart = await recall(store, queryVectors());
console.log(`filled ${LIVE} x ${DIM} in ${((performance.now() - t0) / 1000).toFixed(1)} s; recall@10 at start ${recallStart.toFixed(3)} (${store.activeIndex})`);

// Baseline: a graph freshly built with the same parameters over the current live set.
async function freshRecall(queries) {
  const ids = [...live.keys()];
  const fresh = new HnswIndex({ dim: DIM, metric: 'euclidean', M: 16, efConstruction: 100 });
  const data = new Float32Array(ids.length * DIM);
  ids.forEach((id, i) => data.set(live.get(id), i * DIM));
  fresh.add(ids.map((_, i) => i), data);
  const shim = { query: async (q, o) => Array.from(fresh.search(q, o.topK, { ef: o.efSearch }).labels, (l) => ({ id: ids[l] })) };
  return recall(shim, queries);
}
const recallCurve = [];
async function sampleRecall(ops) {
  const queries = queryVectors();
  const row = { ops, store: await recall(store, queries), fresh: await freshRecall(queries) };
  recallCurve.push(row);
  console.log(`${String(ops).padStart(9)} ops  recall@10 ${row.store.toFixed(4)}  fresh graph ${row.fresh.toFixed(4)}  (${QUERIES} queries)`);
  return row;
}

const curve = [];
function sample(ops) {
  global.gc?.();
  const m = process.memoryUsage();
  const row = { ops, seconds: (performance.now() - t0) / 1000, rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20,
    externalMb: (m.external + m.arrayBuffers) / 2 ** 20, diskMb: diskBytes(dir) / 2 ** 20, live: store.size };
  curve.push(row);
  console.log(`${String(ops).padStart(9)} ops  ${row.seconds.toFixed(0).padStart(5)} s  rss ${mb(m.rss).padStart(7)} MB  heap ${mb(m.heapUsed).padStart(6)} MB  ext ${mb(m.external + m.arrayBuffers).padStart(6)} MB  disk ${row.diskMb.toFixed(1).padStart(6)} MB  live ${store.size}`);
}
sample(0);

// Churn: each batch deletes BATCH/2 live ids and upserts BATCH/2 records (mostly
// new ids, some replacements of live ones), keeping LIVE ids alive.
let ops = 0;
const dead = idPool.filter((id) => !live.has(id));
while (ops < OPS) {
  const liveIds = [...live.keys()];
  const doomed = new Set();
  while (doomed.size < BATCH / 2) doomed.add(liveIds[Math.floor(rand() * liveIds.length)]);
  await store.delete([...doomed]);
  for (const id of doomed) { live.delete(id); dead.push(id); }
  const recs = [];
  const inBatch = new Set();
  // As many inserts (deleted ids coming back) as deletes, plus one replacement of a
  // live record's vector per ten inserts.
  for (let j = 0; j < doomed.size; j++) {
    const id = dead.splice(Math.floor(rand() * dead.length), 1)[0];
    inBatch.add(id);
    recs.push({ id, vector: vector(), metadata: { g: j % 10 } });
    if (j % 10 === 0) {
      const candidate = liveIds[Math.floor(rand() * liveIds.length)];
      if (live.has(candidate) && !inBatch.has(candidate)) {
        inBatch.add(candidate);
        recs.push({ id: candidate, vector: vector(), metadata: { g: -1 } });
      }
    }
  }
  for (const r of recs) live.set(r.id, r.vector);
  await store.upsert(recs);
  ops += doomed.size + recs.length;
  if (store.size !== live.size) throw new Error(`store size ${store.size} != model ${live.size} after ${ops} ops`);
  const before = ops - doomed.size - recs.length;
  if (Math.floor(ops / SAMPLE) !== Math.floor(before / SAMPLE)) sample(ops);
  if (RECALL_EVERY > 0 && ops < OPS && Math.floor(ops / RECALL_EVERY) !== Math.floor(before / RECALL_EVERY)) await sampleRecall(ops);
}
sample(ops);
const { store: recallEnd, fresh: recallFresh } = await sampleRecall(ops);
console.log(`recall@10 at the end ${recallEnd.toFixed(3)}; a freshly built graph over the same live set: ${recallFresh.toFixed(3)}`);
await store.close();
const diskAfterClose = diskBytes(dir) / 2 ** 20;
if (!args.dir) rmSync(dir, { recursive: true, force: true });

const warm = curve[Math.min(2, curve.length - 1)];
const last = curve[curve.length - 1];
// Bounded = no growth trend: the second half of the run peaks no higher than the first half (after warm-up).
const half = Math.floor(curve.length / 2);
const peak = (rows, key) => Math.max(...rows.map((r) => r[key]));
const firstHalf = curve.slice(1, Math.max(2, half)), secondHalf = curve.slice(half);
const summary = {
  ops, live: LIVE, dim: DIM, seconds: Math.round(last.seconds), recallStart: +recallStart.toFixed(4), recallEnd: +recallEnd.toFixed(4), recallFreshGraph: +recallFresh.toFixed(4),
  recallCurve: recallCurve.map((r) => [r.ops, +r.store.toFixed(4), +r.fresh.toFixed(4)]),
  rssMb: { warm: +warm.rssMb.toFixed(1), end: +last.rssMb.toFixed(1), max: +Math.max(...curve.map((r) => r.rssMb)).toFixed(1) },
  diskMb: { warm: +warm.diskMb.toFixed(1), end: +last.diskMb.toFixed(1), max: +Math.max(...curve.map((r) => r.diskMb)).toFixed(1), afterClose: +diskAfterClose.toFixed(1) },
  heapMb: { warm: +warm.heapMb.toFixed(1), end: +last.heapMb.toFixed(1) },
};
const rssBounded = peak(secondHalf, 'rssMb') <= peak(firstHalf, 'rssMb') * 1.25 + 20;
const diskBounded = peak(secondHalf, 'diskMb') <= peak(firstHalf, 'diskMb') * 1.25 + 2;
const recallKept = recallEnd >= Math.min(recallStart, recallFresh) - 0.02 && recallEnd >= recallFresh - 0.01;
const bounded = rssBounded && diskBounded && recallKept;
Object.assign(summary, { rssBounded, diskBounded, recallKept });
console.log(`SOAK-SUMMARY ${JSON.stringify({ ...summary, bounded })}`);
process.exit(bounded ? 0 : 1);
