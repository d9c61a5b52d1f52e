// VectorStore benchmarks. Every comparison runs side by side in one process,
// alternating engines, and reports medians and ratios (the machine is shared).
//   query   VectorStore.query vs the raw index on the same data (HNSW and flat),
//           unfiltered and with 1% / 50% filters
//   filter  filter evaluation over 1,000,000 records (bit set from the field indexes)
//   upsert  durable (fsync) upserts of 1,000-record batches, vs durability 'none'
//   reopen  VectorStore.open of a closed 100k x 384 store
// Usage: node bench/store-bench.mjs [--section query|filter|upsert|reopen|all] [--n 50000] [--reps 5] [--json out.json]
// (imports ../dist; set QUIVER_DIST to a built index.js to use another build)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generateGaussianMixture } from './lib/gaussian-mixture.mjs';
import { median } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    section: { type: 'string', default: 'all' }, n: { type: 'string', default: '50000' },
    reps: { type: 'string', default: '5' }, json: { type: 'string' },
  },
});
const REPS = Number(values.reps);
const dist = process.env.QUIVER_DIST ? pathToFileURL(resolve(process.env.QUIVER_DIST)).href : new URL('../dist/index.js', import.meta.url).href;
const { VectorStore, HnswIndex, FlatIndex } = await import(dist);
const results = {};
const run = (name) => values.section === 'all' || values.section === name;
const now = () => performance.now();
const fmt = (x, d = 1) => x.toFixed(d);
const CATS = 100;
const metaFor = (i) => ({ cat: `c${i % CATS}`, year: 1900 + (i % 120), score: ((i * 2654435761) % 1000003) / 1000003 });

/**
 * Queries per second of each engine over the same queries. Engines take turns
 * on chunks of 100 queries, so load from other processes hits all of them alike;
 * the median of REPS passes is reported.
 */
const CHUNK = 100;
async function qpsSideBySide(engines, queries, dim) {
  const nq = queries.length / dim;
  const names = Object.keys(engines);
  const rates = Object.fromEntries(names.map((k) => [k, []]));
  for (const fn of Object.values(engines)) for (let i = 0; i < Math.min(nq, 50); i++) await fn(queries.subarray(i * dim, (i + 1) * dim));
  for (let rep = 0; rep < REPS; rep++) {
    const spent = Object.fromEntries(names.map((k) => [k, 0]));
    for (let start = 0; start < nq; start += CHUNK) {
      for (const name of names) {
        const t = now();
        for (let i = start; i < Math.min(nq, start + CHUNK); i++) await engines[name](queries.subarray(i * dim, (i + 1) * dim));
        spent[name] += now() - t;
      }
    }
    for (const name of names) rates[name].push(nq / (spent[name] / 1000));
  }
  return Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
}

if (run('query')) {
  const n = Number(values.n), dim = 128;
  console.log(`\n## query: VectorStore vs raw index, ${n} x ${dim} Gaussian mixture, euclidean, top-10`);
  const data = generateGaussianMixture({ n, dim, queries: 500 });
  const params = { dim, metric: 'euclidean', M: 16, efConstruction: 200, efSearch: 64 };
  const labels = Float64Array.from({ length: n }, (_, i) => i);
  let t = now();
  const raw = new HnswIndex(params);
  raw.add(labels, data.base);
  const rawBuild = now() - t;
  const store = new VectorStore({ dim, metric: 'euclidean', index: { type: 'hnsw', M: 16, efConstruction: 200, efSearch: 64 } });
  const ids = Array.from({ length: n }, (_, i) => `doc-${i}`);
  t = now();
  for (let s = 0; s < n; s += 10_000) {
    const e = Math.min(n, s + 10_000);
    await store.upsert({ ids: ids.slice(s, e), vectors: data.base.subarray(s * dim, e * dim), metadata: ids.slice(s, e).map((_, j) => metaFor(s + j)) });
  }
  const storeBuild = now() - t;
  console.log(`build: raw HnswIndex.add ${fmt(rawBuild / 1000)} s, VectorStore.upsert (10k batches, in memory) ${fmt(storeBuild / 1000)} s`);
  const q = data.queries;
  // The same 50% allow-list the store computes for { year: { $gte: 1960 } }, for the raw index.
  const half = labels.filter((i) => metaFor(i).year >= 1960);
  // Groups of engines that share a graph run side by side, so that neither gains from a warm cache.
  const vsRaw = await qpsSideBySide({
    'HnswIndex.search': (v) => raw.search(v, 10),
    'VectorStore.query': (v) => store.query(v, { topK: 10 }),
  }, q, dim);
  const variants = await qpsSideBySide({
    'VectorStore.query ': (v) => store.query(v, { topK: 10 }),
    'VectorStore.query (no metadata)': (v) => store.query(v, { topK: 10, includeMetadata: false }),
    'VectorStore.query 1% filter': (v) => store.query(v, { topK: 10, filter: { cat: 'c7' } }),
    'VectorStore.query 50% filter': (v) => store.query(v, { topK: 10, filter: { year: { $gte: 1960 } } }),
  }, q, dim);
  const rawFiltered = await qpsSideBySide({
    'HnswIndex.search ': (v) => raw.search(v, 10),
    'HnswIndex.search 50% allow-list': (v) => raw.search(v, 10, { filter: half }),
  }, q, dim);
  const hnsw = { ...vsRaw, ...variants, ...rawFiltered };
  for (const [k, v] of Object.entries(hnsw)) console.log(`  ${k.padEnd(36)} ${fmt(v, 0)} q/s`);
  const ratio = vsRaw['VectorStore.query'] / vsRaw['HnswIndex.search'];
  const base = variants['VectorStore.query '];
  console.log(`  store / raw (unfiltered, alternating): ${fmt(ratio * 100)}%   latency vs unfiltered store query: 1% filter ${fmt(base / variants['VectorStore.query 1% filter'], 2)}x, 50% filter ${fmt(base / variants['VectorStore.query 50% filter'], 2)}x`);

  const fn = Math.min(n, 20_000);
  const flat = new FlatIndex({ dim, metric: 'euclidean' });
  flat.add(labels.subarray(0, fn), data.base.subarray(0, fn * dim));
  const fstore = new VectorStore({ dim, metric: 'euclidean', index: { type: 'flat' } });
  await fstore.upsert({ ids: ids.slice(0, fn), vectors: data.base.subarray(0, fn * dim), metadata: ids.slice(0, fn).map((_, j) => metaFor(j)) });
  const flatQps = await qpsSideBySide({
    'FlatIndex.search': (v) => flat.search(v, 10),
    'VectorStore.query': (v) => fstore.query(v, { topK: 10 }),
  }, q.subarray(0, 200 * dim), dim);
  console.log(`exact, ${fn} x ${dim}:`);
  for (const [k, v] of Object.entries(flatQps)) console.log(`  ${k.padEnd(36)} ${fmt(v, 0)} q/s`);
  console.log(`  store / raw: ${fmt(flatQps['VectorStore.query'] / flatQps['FlatIndex.search'] * 100)}%`);
  results.query = { n, dim, rawBuildMs: rawBuild, storeBuildMs: storeBuild, hnsw, storeOverRaw: ratio, flat: { n: fn, ...flatQps } };
}

if (run('filter')) {
  const n = 1_000_000, dim = 8;
  console.log(`\n## filter: evaluation over ${n.toLocaleString()} records (count() = compile + bit set + popcount), and filtered exact search`);
  const store = new VectorStore({ dim, metric: 'euclidean', index: { type: 'flat' } });
  const vectors = new Float32Array(100_000 * dim);
  let t = now();
  for (let s = 0; s < n; s += 100_000) {
    for (let i = 0; i < vectors.length; i++) vectors[i] = Math.sin(s + i);
    await store.upsert({ ids: Array.from({ length: 100_000 }, (_, j) => `r${s + j}`), vectors, metadata: Array.from({ length: 100_000 }, (_, j) => metaFor(s + j)) });
  }
  console.log(`load: ${fmt((now() - t) / 1000)} s for ${n.toLocaleString()} upserts with 3 indexed fields (in memory)`);
  const filters = {
    'cat = c7 (1%)': { cat: 'c7' },
    'score in [0.25, 0.26) (1%)': { score: { $gte: 0.25, $lt: 0.26 } },
    'year >= 2000 and cat in 10 values (1.7%)': { $and: [{ year: { $gte: 2000 } }, { cat: { $in: ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10'] } }] },
    'cat != c7 (99%)': { cat: { $ne: 'c7' } },
    'year >= 1960 (50%)': { year: { $gte: 1960 } },
  };
  results.filter = { n, evalMs: {}, queryMs: {} };
  const q = new Float32Array(dim).fill(0.1);
  for (const [name, f] of Object.entries(filters)) {
    await store.count(f); // warm (sorts range keys once after the load)
    const evals = [], queries = [];
    let count = 0;
    for (let r = 0; r < 20; r++) {
      let s = now();
      count = await store.count(f);
      evals.push(now() - s);
      s = now();
      await store.query(q, { topK: 10, filter: f, includeMetadata: false });
      queries.push(now() - s);
    }
    results.filter.evalMs[name] = median(evals);
    results.filter.queryMs[name] = median(queries);
    console.log(`  ${name.padEnd(44)} ${count.toString().padStart(7)} matches  eval ${fmt(median(evals), 2)} ms  filtered exact top-10 ${fmt(median(queries), 2)} ms`);
  }
  const un = [];
  for (let r = 0; r < 10; r++) { const s = now(); await store.query(q, { topK: 10, includeMetadata: false }); un.push(now() - s); }
  results.filter.unfilteredQueryMs = median(un);
  console.log(`  unfiltered exact top-10 over 1M x ${dim}: ${fmt(median(un), 2)} ms`);
}

if (run('upsert')) {
  const dim = 384, batch = 1000, batches = 30;
  console.log(`\n## upsert: ${batches} batches of ${batch} x ${dim} with metadata into a durable store`);
  const data = generateGaussianMixture({ n: batch * batches, dim, queries: 1 });
  const ids = Array.from({ length: batch * batches }, (_, i) => `doc-${i}`);
  results.upsert = {};
  for (const [name, opts] of [
    ['fsync (default), flat', { durability: 'fsync', index: { type: 'flat' } }],
    ["durability 'none' + flush(), flat", { durability: 'none', index: { type: 'flat' } }],
    ["fsync, index.type 'auto' (9 batches: below the 10k threshold)", { durability: 'fsync' }],
  ]) {
    const rates = [];
    for (let rep = 0; rep < Math.min(REPS, 3); rep++) {
      const dir = mkdtempSync(join(tmpdir(), 'quiver-store-bench-'));
      const store = await VectorStore.open(dir, { dim, metric: 'cosine', ...opts });
      const limit = name.includes("'auto'") ? 9 : batches;
      const t = now();
      for (let b = 0; b < limit; b++) {
        await store.upsert({ ids: ids.slice(b * batch, (b + 1) * batch), vectors: data.base.subarray(b * batch * dim, (b + 1) * batch * dim),
          metadata: ids.slice(b * batch, (b + 1) * batch).map((_, j) => metaFor(b * batch + j)) });
      }
      await store.flush();
      rates.push((limit * batch) / ((now() - t) / 1000));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    results.upsert[name] = median(rates);
    console.log(`  ${name.padEnd(64)} ${fmt(median(rates), 0)} records/s`);
  }
  // With HNSW answering, the graph insert dominates: compare with HnswIndex.add itself.
  const n = 3 * batch;
  const hdir = mkdtempSync(join(tmpdir(), 'quiver-store-bench-'));
  const hstore = await VectorStore.open(hdir, { dim, metric: 'cosine', index: { type: 'hnsw' } });
  let t = now();
  for (let b = 0; b < 3; b++) await hstore.upsert({ ids: ids.slice(b * batch, (b + 1) * batch), vectors: data.base.subarray(b * batch * dim, (b + 1) * batch * dim) });
  const storeRate = n / ((now() - t) / 1000);
  await hstore.close();
  rmSync(hdir, { recursive: true, force: true });
  const raw = new HnswIndex({ dim, metric: 'cosine' });
  t = now();
  for (let b = 0; b < 3; b++) raw.add(Float64Array.from({ length: batch }, (_, j) => b * batch + j), data.base.subarray(b * batch * dim, (b + 1) * batch * dim));
  const rawRate = n / ((now() - t) / 1000);
  results.upsert.hnswStore = storeRate;
  results.upsert.hnswRawAdd = rawRate;
  console.log(`  fsync, index.type 'hnsw' (graph insert on every batch)            ${fmt(storeRate, 0)} records/s  (raw HnswIndex.add: ${fmt(rawRate, 0)}/s)`);
}

if (run('reopen')) {
  const n = 100_000, dim = 384;
  console.log(`\n## reopen: ${n.toLocaleString()} x ${dim} store with metadata`);
  const data = generateGaussianMixture({ n, dim, queries: 1 });
  const ids = Array.from({ length: n }, (_, i) => `doc-${i}`);
  results.reopen = {};
  for (const type of ['flat', 'auto']) {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-store-bench-'));
    let store = await VectorStore.open(dir, { dim, metric: 'cosine', durability: 'none', index: { type } });
    let t = now();
    for (let s = 0; s < n; s += 10_000) await store.upsert({ ids: ids.slice(s, s + 10_000), vectors: data.base.subarray(s * dim, (s + 10_000) * dim), metadata: ids.slice(s, s + 10_000).map((_, j) => metaFor(s + j)) });
    await store.close();
    const loadMs = now() - t;
    // Each open runs in a fresh process, as a restart would.
    const opens = [], firstFilters = [];
    const child = `const { VectorStore } = await import(${JSON.stringify(dist)});
      let t = performance.now(); const s = await VectorStore.open(${JSON.stringify(dir)}); const open = performance.now() - t;
      t = performance.now(); await s.count({ cat: 'c7' }); const filter = performance.now() - t;
      console.log(JSON.stringify({ open, filter, active: s.activeIndex, size: s.size })); await s.close();`;
    for (let r = 0; r < 3; r++) {
      const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8' }).trim().split('\n').pop());
      opens.push(out.open);
      firstFilters.push(out.filter);
      if (r === 0) console.log(`  index.type '${type}': load + close ${fmt(loadMs / 1000)} s; reopened ${out.size} records answering with ${out.active}`);
    }
    console.log(`  index.type '${type}': first filter after open (completes the background field-index build) ${fmt(median(firstFilters), 0)} ms`);
    results.reopen[type] = median(opens);
    console.log(`  index.type '${type}': open ${fmt(median(opens), 0)} ms (median of 3, fresh process each)`);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));
