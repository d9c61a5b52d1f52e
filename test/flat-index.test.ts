import { describe, expect, it } from 'vitest';
import { FlatIndex, availableSimdLevels, type Metric } from '../src/index.js';
import { checkFlat } from './helpers/flat-conformance.js';
import { bruteForce, randomVectors, rows } from './helpers/reference.js';
import { runNode } from './helpers/run-child.js';

const METRICS: Metric[] = ['cosine', 'euclidean', 'ip'];

describe('FlatIndex search equals float64 brute force', () => {
  it('at the active SIMD level, for all metrics, with ties, zero vectors and labels above 2^32', () => {
    expect(checkFlat()).toEqual([]);
  });

  it.each(availableSimdLevels())('at level %s (child process with QUIVER_SIMD)', async (level) => {
    const child = await runNode(['node_modules/vite-node/vite-node.mjs', 'test/fixtures/flat-level.ts'], {
      env: { ...process.env, QUIVER_SIMD: level },
      timeout: 120_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const out = child.stdout;
    const res = JSON.parse(out.slice(out.indexOf('{')));
    expect(res.level).toBe(level);
    expect(res.mismatches).toEqual([]);
  }, 130_000);
});

describe('FlatIndex behaviour', () => {
  it('orders exact ties by label ascending', () => {
    const idx = new FlatIndex({ dim: 2, metric: 'euclidean' });
    idx.add([9, 3, 7, 1], [[1, 0], [1, 0], [0, 1], [0, 1]]);
    const r = idx.search([0, 0], 4);
    expect([...r.labels]).toEqual([1, 3, 7, 9]);
    expect([...r.distances]).toEqual([1, 1, 1, 1]);
  });

  it('returns every vector when k exceeds the size, and nothing from an empty index', () => {
    const idx = new FlatIndex({ dim: 4, metric: 'cosine' });
    expect(idx.search([1, 0, 0, 0], 5).labels.length).toBe(0);
    const b = idx.searchBatch([[1, 0, 0, 0], [0, 1, 0, 0]], 3);
    expect(b.labels.length).toBe(0);
    expect(b.k).toBe(0);
    idx.add([1, 2], [[1, 0, 0, 0], [0, 1, 0, 0]]);
    expect(idx.search([1, 0, 0, 0], 1e9).labels.length).toBe(2);
  });

  it('gives cosine distance 1 (never NaN) for zero vectors, stored or queried', () => {
    const idx = new FlatIndex({ dim: 3, metric: 'cosine' });
    idx.add([1, 2], [[0, 0, 0], [1, 0, 0]]);
    const r = idx.search([1, 0, 0], 2);
    expect([...r.labels]).toEqual([2, 1]);
    expect(r.distances[1]).toBe(1);
    const z = idx.search([0, 0, 0], 2);
    expect([...z.distances]).toEqual([1, 1]);
    expect([...z.labels]).toEqual([1, 2]);
  });

  it('reports distances in the documented conventions', () => {
    const e = new FlatIndex({ dim: 2, metric: 'euclidean' });
    e.add([1], [[3, 4]]);
    expect(e.search([0, 0], 1).distances[0]).toBe(5); // not squared
    const ip = new FlatIndex({ dim: 2, metric: 'ip' });
    ip.add([1], [[0.5, 0.5]]);
    expect(ip.search([1, 1], 1).distances[0]).toBe(0); // 1 - dot
    const c = new FlatIndex({ dim: 2, metric: 'cosine' });
    c.add([1], [[0, 2]]);
    expect(c.search([3, 0], 1).distances[0]).toBeCloseTo(1, 6); // orthogonal
  });

  it('keeps labels above 2^32 intact, up to 2^53-1', () => {
    const idx = new FlatIndex({ dim: 2, metric: 'euclidean' });
    const big = [2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER];
    idx.add(big, [[0, 0], [1, 1], [2, 2]]);
    expect([...idx.search([0, 0], 3).labels]).toEqual(big);
    expect(idx.has(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect([...idx.get(2 ** 32 + 1)!]).toEqual([1, 1]);
  });

  it('replaces the vector of an existing label, and the last duplicate in a batch wins', () => {
    const idx = new FlatIndex({ dim: 2, metric: 'euclidean' });
    idx.add([1, 2], [[0, 0], [5, 5]]);
    idx.add([1], [[10, 10]]);
    expect(idx.size).toBe(2);
    expect([...idx.get(1)!]).toEqual([10, 10]);
    idx.add([3, 3], [[1, 1], [2, 2]]);
    expect([...idx.get(3)!]).toEqual([2, 2]);
    expect([...idx.search([10, 10], 1).labels]).toEqual([1]);
  });

  it('removes labels, ignores unknown ones, and never returns removed vectors', () => {
    const dim = 8;
    const data = randomVectors(500, dim, 5);
    const labels = Array.from({ length: 500 }, (_, i) => i);
    const idx = new FlatIndex({ dim, metric: 'euclidean' });
    idx.add(labels, data);
    const gone = labels.filter((l) => l % 3 === 0);
    expect(idx.remove([...gone, 10_000, 20_000])).toBe(gone.length);
    expect(idx.size).toBe(500 - gone.length);
    expect(idx.has(3)).toBe(false);
    expect(idx.get(3)).toBeUndefined();
    const keep = labels.filter((l) => l % 3 !== 0);
    const vecs = rows(data, dim);
    const q = randomVectors(1, dim, 77);
    const want = bruteForce('euclidean', keep, keep.map((l) => vecs[l]), q, 20).map((h) => h.label);
    expect([...idx.search(q, 20).labels]).toEqual(want);
    expect(idx.remove(gone)).toBe(0);
  });

  it('accepts every documented input form with the same result', () => {
    const dim = 4;
    const data = randomVectors(20, dim, 8);
    const labelsArr = Array.from({ length: 20 }, (_, i) => i + 1);
    const forms: Array<[unknown, unknown]> = [
      [labelsArr, data],
      [Float64Array.from(labelsArr), rows(data, dim)],
      [Uint32Array.from(labelsArr), rows(data, dim).map((r) => Array.from(r))],
    ];
    const results = forms.map(([l, v]) => {
      const idx = new FlatIndex({ dim, metric: 'ip' });
      idx.add(l as number[], v as Float32Array);
      return Array.from(idx.search(Array.from(data.subarray(0, dim)), 5).labels);
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it.each(METRICS)('async variants give the same results as the sync ones (%s)', async (metric) => {
    const dim = 32;
    const data = randomVectors(3000, dim, 3);
    const idx = new FlatIndex({ dim, metric });
    idx.add(Array.from({ length: 3000 }, (_, i) => i), data);
    const qs = randomVectors(50, dim, 4);
    const sync = idx.searchBatch(qs, 10);
    const asyncRes = await idx.searchBatchAsync(qs, 10, { threads: 2 });
    expect(asyncRes).toEqual(sync);
    const one = await idx.searchAsync(qs.subarray(0, dim), 10);
    expect(one).toEqual(idx.search(qs.subarray(0, dim), 10));
  });

  it('splits a large index across threads without changing results', () => {
    const dim = 24;
    const n = 40_000; // large enough that a batch of fewer queries than threads splits the vectors
    const data = randomVectors(n, dim, 21);
    const idx = new FlatIndex({ dim, metric: 'cosine' });
    idx.add(Array.from({ length: n }, (_, i) => i * 3), data);
    const qs = randomVectors(3, dim, 22);
    const one = idx.searchBatch(qs, 15, { threads: 1 });
    const many = idx.searchBatch(qs, 15, { threads: 4 });
    expect(many).toEqual(one);
    expect(idx.search(qs.subarray(0, dim), 15).labels).toEqual(one.labels.slice(0, 15));
  });

  it('filters by allow-list and by predicate, never returning short results', () => {
    const dim = 16;
    const n = 4000;
    const data = randomVectors(n, dim, 12);
    const labels = Array.from({ length: n }, (_, i) => i);
    const idx = new FlatIndex({ dim, metric: 'euclidean' });
    idx.add(labels, data);
    const vecs = rows(data, dim);
    const q = randomVectors(1, dim, 13);
    for (const frac of [1, 0.5, 0.1, 0.01, 0.001]) {
      const allowed = labels.filter((l) => (l * 2654435761) % 1000 < frac * 1000);
      const want = bruteForce('euclidean', allowed, allowed.map((l) => vecs[l]), q, 10).map((h) => h.label);
      expect([...idx.search(q, 10, { filter: allowed }).labels]).toEqual(want);
      const set = new Set(allowed);
      expect([...idx.search(q, 10, { filter: (l) => set.has(l) }).labels]).toEqual(want);
    }
    expect(idx.search(q, 10, { filter: [] }).labels.length).toBe(0);
    expect([...idx.search(q, 10, { filter: [5, 999_999] }).labels]).toEqual([5]);
  });
});
