// HnswIndex behaviour: recall against exact search (generated and real data),
// deletes, churn, updates, filters, batch/async agreement and save/load.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlatIndex, HnswIndex, type Metric } from '../src/index.js';
import { generateGaussianMixture } from '../bench/lib/gaussian-mixture.mjs';
import { mixture, recall, rng } from './helpers/reference.js';


function row(data: Float32Array, dim: number, i: number): Float32Array {
  return data.subarray(i * dim, (i + 1) * dim);
}


function readVecs(path: string, int: boolean): { dim: number; data: Float32Array | Int32Array } {
  const buf = readFileSync(path);
  const dim = buf.readInt32LE(0);
  const n = buf.length / (4 * (dim + 1));
  const data = int ? new Int32Array(n * dim) : new Float32Array(n * dim);
  for (let i = 0; i < n; i++)
    for (let d = 0; d < dim; d++)
      data[i * dim + d] = int ? buf.readInt32LE(4 * (i * (dim + 1) + 1 + d)) : buf.readFloatLE(4 * (i * (dim + 1) + 1 + d));
  return { dim, data };
}

const METRICS: Metric[] = ['euclidean', 'cosine', 'ip'];
const dim = 24;
const n = 4000;
// Base vectors, queries and replacement vectors all drawn from one distribution.
const all = mixture(n + 300, dim, 7);
const data = all.subarray(0, n * dim);
const queries = all.subarray(n * dim, (n + 100) * dim);
const replacements = all.subarray((n + 100) * dim);
const labels = Float64Array.from({ length: n }, (_, i) => i * 7 + 3);

describe('HnswIndex recall against exact search', () => {
  it.each(METRICS)('%s: recall@10 >= 0.95 at default parameters, distances as FlatIndex', (metric) => {
    const h = new HnswIndex({ dim, metric });
    const f = new FlatIndex({ dim, metric });
    h.add(labels, data);
    f.add(labels, data);
    expect(h.size).toBe(n);
    const got = h.searchBatch(queries, 10);
    const truth = f.searchBatch(queries, 10);
    expect(got.k).toBe(10);
    expect(recall(got.labels, truth.labels, 100, 10)).toBeGreaterThanOrEqual(0.95);
    // Same distance meaning as FlatIndex: where labels agree, distances agree.
    for (let i = 0; i < 100 * 10; i++)
      if (got.labels[i] === truth.labels[i]) expect(got.distances[i]).toBeCloseTo(truth.distances[i], 4);
    for (let i = 0; i < 100; i++) {
      const d = got.distances.subarray(i * 10, (i + 1) * 10);
      for (let j = 1; j < 10; j++) expect(d[j]).toBeGreaterThanOrEqual(d[j - 1]);
    }
  });

  const datasets: Array<[string, Metric]> = [['ngt_sift5k', 'euclidean'], ['glove_twitter_25d_subset12k', 'cosine']];
  const root = join(__dirname, '../../shared/datasets');
  // ef 200: sift needs more than the default ef 64 for 0.95 (so does hnswlib: ef 128).
  it.each(datasets)('real data %s: recall@10 >= 0.95 at ef 200 against the published ground truth', (name, metric) => {
    const dir = join(root, name);
    if (!existsSync(dir)) {
      console.warn(`skipped: ${dir} is absent (real datasets live in ../shared/datasets)`);
      return;
    }
    const base = readVecs(join(dir, 'base.fvecs'), false);
    const q = readVecs(join(dir, 'query.fvecs'), false);
    const gtFile = readdirSync(dir).find((f) => f.startsWith('groundtruth') && f.endsWith('.ivecs') && !f.includes('.dist.'))!;
    const gt = readVecs(join(dir, gtFile), true);
    const nb = base.data.length / base.dim;
    const h = new HnswIndex({ dim: base.dim, metric });
    h.add(Float64Array.from({ length: nb }, (_, i) => i), base.data as Float32Array);
    const nq = Math.min(300, q.data.length / q.dim);
    const got = h.searchBatch((q.data as Float32Array).subarray(0, nq * q.dim), 10, { ef: 200 });
    const truth = new Float64Array(nq * 10);
    for (let i = 0; i < nq; i++) for (let j = 0; j < 10; j++) truth[i * 10 + j] = gt.data[i * gt.dim + j];
    expect(recall(got.labels, truth, nq, 10)).toBeGreaterThanOrEqual(0.95);
  }, 60_000);

  // ngt_sift5k's queries are another SIFT sample than its base vectors, as user queries
  // rarely look like the stored documents. A graph pruned to a few diverse links per node
  // strands such searches (0.894 at ef 64 before each selection was topped up to M links
  // and a new node's own links used alpha 1.1; hnswlib-node gets 0.898 there).
  it('real data with out-of-sample queries (ngt_sift5k): recall@10 >= 0.95 at the default ef 64', () => {
    const dir = join(root, 'ngt_sift5k');
    if (!existsSync(dir)) {
      console.warn(`skipped: ${dir} is absent (real datasets live in ../shared/datasets)`);
      return;
    }
    const base = readVecs(join(dir, 'base.fvecs'), false);
    const q = readVecs(join(dir, 'query.fvecs'), false);
    const gt = readVecs(join(dir, 'groundtruth_l2_top100.ivecs'), true);
    const nb = base.data.length / base.dim, nq = q.data.length / q.dim;
    const h = new HnswIndex({ dim: base.dim, metric: 'euclidean', seed: 1 });
    h.add(Float64Array.from({ length: nb }, (_, i) => i), base.data as Float32Array, { threads: 1 });
    const got = h.searchBatch(q.data as Float32Array, 10);
    const truth = new Float64Array(nq * 10);
    for (let i = 0; i < nq; i++) for (let j = 0; j < 10; j++) truth[i * 10 + j] = gt.data[i * gt.dim + j];
    expect(recall(got.labels, truth, nq, 10)).toBeGreaterThanOrEqual(0.95);
  }, 60_000);

  // High-dimensional cosine data: a new node's links picked by one relaxed (alpha 1.1)
  // heuristic pass filled its M slots with near-duplicate directions and left out the
  // diverse links hnswlib keeps; recall at equal ef fell below hnswlib-node's (issue 15).
  // Here the old construction gave 0.9736 at ef 64 (0.9724 and 0.9766 with generator
  // seeds 2 and 3), the strict-then-relaxed selection 0.9812 (0.9786, 0.9820).
  it('high-dimensional cosine mixture (3000 x 768, 4 clusters): recall@10 >= 0.978 at ef 64', () => {
    const d = 768, nb = 3000, nq = 500, clusters = 4;
    const r = rng(1);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: d }, gauss));
    const draw = (m: number) => {
      const out = new Float32Array(m * d);
      for (let i = 0; i < m; i++) {
        const c = centres[Math.floor(r() * clusters)];
        let s = 0;
        for (let j = 0; j < d; j++) {
          const v = c[j] + gauss();
          out[i * d + j] = v;
          s += v * v;
        }
        for (let j = 0; j < d; j++) out[i * d + j] /= Math.sqrt(s);
      }
      return out;
    };
    const base = draw(nb), q = draw(nq);
    const ids = Float64Array.from({ length: nb }, (_, i) => i);
    const h = new HnswIndex({ dim: d, metric: 'cosine', M: 16, efConstruction: 200, seed: 1 });
    const f = new FlatIndex({ dim: d, metric: 'cosine' });
    h.add(ids, base, { threads: 1 });
    f.add(ids, base);
    const got = h.searchBatch(q, 10, { ef: 64 });
    expect(recall(got.labels, f.searchBatch(q, 10).labels, nq, 10)).toBeGreaterThanOrEqual(0.978);
  }, 60_000);

  // A new node's links: when the strict pass saw only its nearest 6M candidates, the
  // relaxed pass (nearest first) spent the free slots on near links before it reached
  // the far diverse ones, and recall topped out below hnswlib's on 100k+ graphs (0.997
  // at ef 256 on 100k x 384). Small M shows it at this size: the narrow scope gave
  // 0.9912 here (both metrics), a strict pass over every candidate 0.9992.
  for (const metric of ['euclidean', 'cosine'] as const) {
    it(`${metric} low-rank mixture (10k x 128, M 8): recall@10 >= 0.996 at ef 64`, () => {
      const d = 128, nb = 10_000, nq = 500;
      const g = generateGaussianMixture({ n: nb, dim: d, queries: nq });
      const unit = (x: Float32Array) => {
        for (let at = 0; at < x.length; at += d) {
          let s = 0;
          for (let j = 0; j < d; j++) s += x[at + j] * x[at + j];
          for (let j = 0; j < d; j++) x[at + j] /= Math.sqrt(s);
        }
        return x;
      };
      const base = unit(Float32Array.from(g.base)), q = unit(Float32Array.from(g.queries));
      const ids = Float64Array.from({ length: nb }, (_, i) => i);
      const h = new HnswIndex({ dim: d, metric, M: 8, efConstruction: 200, seed: 1 });
      const f = new FlatIndex({ dim: d, metric });
      h.add(ids, base, { threads: 1 });
      f.add(ids, base);
      const got = h.searchBatch(q, 10, { ef: 64 });
      expect(recall(got.labels, f.searchBatch(q, 10).labels, nq, 10)).toBeGreaterThanOrEqual(0.996);
    }, 60_000);
  }

  // On clustered data a greedy descent through the upper levels can end in another
  // cluster; a search entering level 0 from that one node then misses all of the
  // query's neighbours, whatever ef (hnswlib does the same). Queries now enter level 0
  // from a small beam search of level 1. Entering from the greedy end, seed 2's graph
  // lost queries 58 and 648 here.
  // The builds run off the JS thread (addAsync): a synchronous one blocked the test worker past
  // vitest's 60 s RPC timeout on a loaded box under ASan.
  it('clustered mixture (50k x 256, 32 clusters): no query misses all its 10 neighbours at ef 48', async () => {
    const d = 256, nb = 50_000, nq = 1000;
    const g = generateGaussianMixture({ n: nb, dim: d, queries: nq, clusters: 32 });
    const base = Float32Array.from(g.base), q = Float32Array.from(g.queries);
    const ids = Float64Array.from({ length: nb }, (_, i) => i);
    const f = new FlatIndex({ dim: d, metric: 'cosine' });
    f.add(ids, base);
    const truth = (await f.searchBatchAsync(q, 10)).labels;
    for (const seed of [2, 3]) {
      const h = new HnswIndex({ dim: d, metric: 'cosine', M: 16, efConstruction: 200, seed });
      await h.addAsync(ids, base, { threads: 1 });
      const got = (await h.searchBatchAsync(q, 10, { ef: 48 })).labels;
      const lost: number[] = [];
      for (let i = 0; i < nq; i++) {
        const t = new Set(truth.subarray(i * 10, i * 10 + 10));
        if (!got.subarray(i * 10, i * 10 + 10).some((l) => t.has(l))) lost.push(i);
      }
      expect(lost, `seed ${seed}`).toEqual([]);
    }
  }, 180_000);

  it('single, batch and async searches agree', async () => {
    const h = new HnswIndex({ dim, metric: 'euclidean' });
    h.add(labels, data);
    const batch = h.searchBatch(queries.subarray(0, 20 * dim), 5, { ef: 40 });
    const batchAsync = await h.searchBatchAsync(queries.subarray(0, 20 * dim), 5, { ef: 40, threads: 2 });
    expect([...batchAsync.labels]).toEqual([...batch.labels]);
    for (let i = 0; i < 20; i++) {
      const one = h.search(row(queries, dim, i), 5, { ef: 40 });
      const oneAsync = await h.searchAsync(Array.from(row(queries, dim, i)), 5, { ef: 40 });
      expect([...one.labels]).toEqual([...batch.labels.subarray(i * 5, i * 5 + 5)]);
      expect([...oneAsync.labels]).toEqual([...one.labels]);
      expect([...one.distances]).toEqual([...batch.distances.subarray(i * 5, i * 5 + 5)]);
    }
  });

  it('ef below k is raised to k; k above size returns everything; empty index returns nothing', () => {
    const h = new HnswIndex({ dim: 2, metric: 'euclidean' });
    expect(h.search([0, 0], 3).labels.length).toBe(0);
    expect(h.searchBatch([[0, 0]], 3).k).toBe(0);
    h.add([5, 1, 9], [[1, 0], [2, 0], [3, 0]]);
    const r = h.search([0, 0], 10, { ef: 1 });
    expect([...r.labels]).toEqual([5, 1, 9]);
    expect([...r.distances]).toEqual([1, 2, 3]);
    const big = new HnswIndex({ dim, metric: 'cosine' });
    big.add(labels, data);
    expect(big.search(row(queries, dim, 0), 50, { ef: 1 }).labels.length).toBe(50);
  });

  it('orders exact ties by label', () => {
    const h = new HnswIndex({ dim: 2, metric: 'euclidean' });
    h.add([9, 3, 7, 1], [[1, 0], [1, 0], [0, 1], [0, 1]]);
    const r = h.search([0, 0], 4);
    expect([...r.labels]).toEqual([1, 3, 7, 9]);
  });
});

describe('HnswIndex deletes, churn and updates', () => {
  it('removed labels never come back and results are not short', () => {
    const h = new HnswIndex({ dim, metric: 'euclidean' });
    h.add(labels, data);
    const gone = labels.filter((_, i) => i % 2 === 0);
    expect(h.remove(gone)).toBe(n / 2);
    expect(h.remove(gone)).toBe(0);
    expect(h.size).toBe(n / 2);
    expect(h.has(gone[0])).toBe(false);
    expect(h.get(gone[0])).toBeUndefined();
    const goneSet = new Set(gone);
    const r = h.searchBatch(queries, 10);
    expect(r.k).toBe(10);
    for (const l of r.labels) expect(goneSet.has(l)).toBe(false);
    // Searching right at a removed vector still gives k live results.
    const at = h.search(row(data, dim, 0), 25);
    expect(at.labels.length).toBe(25);
    for (const l of at.labels) expect(goneSet.has(l)).toBe(false);
    // Leave 3 live vectors: every search returns exactly those 3.
    const keep = labels.filter((_, i) => i % 2 === 1);
    h.remove(keep.slice(3));
    expect(h.size).toBe(3);
    expect([...h.search(row(queries, dim, 0), 10).labels].sort((a, b) => a - b)).toEqual([...keep.slice(0, 3)]);
    h.remove(keep.slice(0, 3));
    expect(h.search(row(queries, dim, 0), 10).labels.length).toBe(0);
    h.add([1], [row(data, dim, 5)]);
    expect([...h.search(row(data, dim, 5), 3).labels]).toEqual([1]);
  });

  it('churn: 10 rounds of removing half and adding as many keeps recall and bounded capacity', () => {
    const size = 3000;
    const pool = mixture(size * 6, dim, 11);
    const h = new HnswIndex({ dim, metric: 'euclidean' });
    const live = new Map<number, number>(); // label -> row in pool
    let next = 0;
    const addRows = (count: number) => {
      const ls = new Float64Array(count);
      const vs = new Float32Array(count * dim);
      for (let i = 0; i < count; i++) {
        const r = next % pool.length === 0 ? 0 : next % (size * 6);
        ls[i] = next;
        vs.set(row(pool, dim, r), i * dim);
        live.set(next, r);
        next++;
      }
      h.add(ls, vs);
    };
    addRows(size);
    const initialCapacity = h.capacity;
    const r = rng(5);
    for (let round = 0; round < 10; round++) {
      const victims = [...live.keys()].filter(() => r() < 0.5);
      h.remove(victims);
      for (const v of victims) live.delete(v);
      addRows(victims.length);
      expect(h.size).toBe(live.size);
    }
    expect(h.capacity).toBeLessThanOrEqual(initialCapacity * 1.5);
    const f = new FlatIndex({ dim, metric: 'euclidean' });
    const ls = Float64Array.from(live.keys());
    const vs = new Float32Array(ls.length * dim);
    ls.forEach((l, i) => vs.set(row(pool, dim, live.get(l)!), i * dim));
    f.add(ls, vs);
    const got = h.searchBatch(queries, 10);
    const truth = f.searchBatch(queries, 10);
    expect(recall(got.labels, truth.labels, 100, 10)).toBeGreaterThanOrEqual(0.95);
  });

  it('adding an existing label replaces its vector and the graph finds the new one', () => {
    const h = new HnswIndex({ dim, metric: 'cosine' });
    // Built and updated on all threads (H3: inserts racing in one chunk used to leave
    // about one run in six with a replaced vector unfound at ef 200).
    h.add(labels, data);
    const moved = Array.from({ length: 200 }, (_, i) => labels[i * 10]);
    const fresh = replacements;
    h.add(moved, fresh);
    expect(h.size).toBe(n);
    for (let i = 0; i < 200; i += 7) {
      expect([...h.get(moved[i])!]).toEqual([...row(fresh, dim, i)]);
      const r = h.search(row(fresh, dim, i), 1, { ef: 200 });
      expect(r.labels[0]).toBe(moved[i]);
      expect(r.distances[0]).toBeCloseTo(0, 5);
    }
    // Duplicates inside one batch: the last vector wins.
    h.add([1, 1], [row(fresh, dim, 0), row(fresh, dim, 1)]);
    expect([...h.get(1)!]).toEqual([...row(fresh, dim, 1)]);
    h.compact();
    expect(h.deletedCount).toBe(0);
    const f = new FlatIndex({ dim, metric: 'cosine' });
    for (const l of h.labels()) f.add([l], [h.get(l)!]);
    expect(recall(h.searchBatch(queries, 10).labels, f.searchBatch(queries, 10).labels, 100, 10)).toBeGreaterThanOrEqual(0.95);
  });
});

describe('HnswIndex.compactAsync', () => {
  it('frees the same slots and leaves the same graph as compact(), off the JS thread', async () => {
    const build = () => {
      const h = new HnswIndex({ dim, metric: 'euclidean', seed: 5 });
      h.add(labels, data, { threads: 1 });
      h.remove(labels.filter((_, i) => i % 3 === 0));
      return h;
    };
    const sync = build(), async = build();
    const freedSync = sync.compact({ threads: 1 });
    const pending = async.compactAsync({ threads: 1 });
    let ticked = false;
    setImmediate(() => { ticked = true; });
    await new Promise((r) => setImmediate(r));
    expect(ticked).toBe(true);
    const freedAsync = await pending;
    expect(freedSync).toBe(Math.ceil(n / 3));
    expect(freedAsync).toBe(freedSync);
    expect([async.size, async.deletedCount]).toEqual([sync.size, 0]);
    const a = async.searchBatch(queries, 10), b = sync.searchBatch(queries, 10);
    expect([...a.labels]).toEqual([...b.labels]);
    expect([...a.distances]).toEqual([...b.distances]);
    // Nothing left to free: resolves 0; a bad option rejects.
    expect(await async.compactAsync()).toBe(0);
    await expect(async.compactAsync({ threads: -1 })).rejects.toThrow(RangeError);
  });
});

describe('HnswIndex inner product on hub-heavy data', () => {
  it('keeps recall@10 >= 0.95 at ef 64 when most nodes have no inbound link (a shared offset makes norms dominate)', () => {
    // Regression: relinking orphans by evicting links from full lists took this to 0.44.
    const dim = 48, n = 4000;
    const all = mixture(n + 100, dim, 11, 20, 0.5);
    const labels = Float64Array.from({ length: n }, (_, i) => i);
    const h = new HnswIndex({ dim, metric: 'ip' });
    const f = new FlatIndex({ dim, metric: 'ip' });
    h.add(labels, all.subarray(0, n * dim));
    f.add(labels, all.subarray(0, n * dim));
    const queries = all.subarray(n * dim);
    expect(recall(h.searchBatch(queries, 10, { ef: 64 }).labels, f.searchBatch(queries, 10).labels, 100, 10)).toBeGreaterThanOrEqual(0.95);
  });
});

describe('HnswIndex storage growth', () => {
  it('a bulk load in chunks ends with no spare slots; one-at-a-time adds grow geometrically', () => {
    const dim = 8, r = rng(5);
    const vectors = (n: number) => Float32Array.from({ length: n * dim }, () => r() - 0.5);
    const h = new HnswIndex({ dim, metric: 'euclidean', efConstruction: 16 });
    for (let i = 0; i < 8; i++) h.add(Float64Array.from({ length: 500 }, (_, j) => i * 500 + j), vectors(500));
    expect(h.capacity).toBe(4000); // every chunk was at least 1/16 of what was stored
    h.add([4000], vectors(1));
    expect(h.capacity).toBe(5000); // x1.25, not one slot
    for (let i = 1; i < 1000; i++) h.add([4000 + i], vectors(1));
    expect(h.size).toBe(5000);
    expect(h.capacity).toBe(5000);
  });
});

describe('HnswIndex filters', () => {
  const h = new HnswIndex({ dim, metric: 'euclidean' });
  h.add(labels, data);
  const f = new FlatIndex({ dim, metric: 'euclidean' });
  f.add(labels, data);
  it.each([1, 0.1, 0.01, 0.001])('allowed fraction %s: only allowed labels, recall@10 >= 0.95, not short', (fraction) => {
    const r = rng(Math.round(fraction * 1000) + 1);
    const allowed = labels.filter(() => r() < fraction);
    if (allowed.length === 0) allowed[0] = labels[0];
    const allowSet = new Set(allowed);
    const got = h.searchBatch(queries, 10, { filter: allowed });
    const truth = f.searchBatch(queries, 10, { filter: allowed });
    expect(got.k).toBe(Math.min(10, allowed.length));
    for (const l of got.labels) expect(allowSet.has(l)).toBe(true);
    expect(recall(got.labels, truth.labels, 100, got.k)).toBeGreaterThanOrEqual(0.95);
    // A predicate gives the same results as the equivalent allow-list.
    const pred = h.searchBatch(queries, 10, { filter: (l) => allowSet.has(l) });
    expect([...pred.labels]).toEqual([...got.labels]);
    const one = h.search(row(queries, dim, 3), 10, { filter: Float64Array.from(allowed) });
    expect([...one.labels]).toEqual([...got.labels.subarray(3 * got.k, 4 * got.k)]);
  });

  it('filters combine with deletes and labels not in the index', () => {
    const g = new HnswIndex({ dim, metric: 'euclidean' });
    g.add(labels, data);
    const allowed = [...labels.slice(0, 40), 1e12, 5];
    g.remove(labels.slice(0, 20));
    const res = g.search(row(queries, dim, 0), 30, { filter: allowed });
    expect(res.labels.length).toBe(20);
    expect(new Set(res.labels)).toEqual(new Set(labels.slice(20, 40)));
  });
});

describe('HnswIndex save and load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-hnsw-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(METRICS)('%s: a round trip gives identical results, parameters and contents', async (metric) => {
    const h = new HnswIndex({ dim, metric, M: 12, efConstruction: 100, efSearch: 50, seed: 3 });
    h.add(labels, data);
    h.remove(labels.slice(0, 100)); // saved with deleted nodes still in the graph
    const path = join(dir, `${metric}.hnsw`);
    await h.save(path);
    const a = await HnswIndex.load(path);
    const b = HnswIndex.loadSync(path);
    for (const l of [a, b]) {
      expect([l.dim, l.metric, l.M, l.efConstruction, l.efSearch, l.seed]).toEqual([dim, metric, 12, 100, 50, 3]);
      expect(l.size).toBe(h.size);
      expect([...l.get(labels[200])!]).toEqual([...h.get(labels[200])!]);
      expect(l.has(labels[0])).toBe(false);
      const x = l.searchBatch(queries, 10), y = h.searchBatch(queries, 10);
      expect([...x.labels]).toEqual([...y.labels]);
      expect([...x.distances]).toEqual([...y.distances]);
    }
    // The loaded index keeps working: adds, removes, compaction.
    a.add([1, 2], [row(data, dim, 0), row(data, dim, 1)]);
    a.compact();
    expect(a.size).toBe(h.size + 2);
    if (metric !== 'ip') expect(a.search(row(data, dim, 1), 1, { ef: 200 }).labels[0]).toBe(2);
    expect(a.has(2)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('saving over an existing file replaces it; bad paths are clear errors', async () => {
    const path = join(dir, 'over.hnsw');
    const h = new HnswIndex({ dim: 2, metric: 'euclidean' });
    h.add([1], [[0, 0]]);
    h.saveSync(path);
    h.add([2], [[1, 1]]);
    h.saveSync(path);
    expect(HnswIndex.loadSync(path).size).toBe(2);
    await expect(HnswIndex.load(join(dir, 'missing.hnsw'))).rejects.toThrow(/cannot load HNSW index.*missing\.hnsw/);
    expect(() => HnswIndex.loadSync(join(dir, 'missing.hnsw'))).toThrow(/No such file/);
    await expect(h.save(join(dir, 'no/such/dir/x.hnsw'))).rejects.toThrow(/cannot create/);
    expect(() => h.saveSync(42 as never)).toThrow(TypeError);
  });
});
