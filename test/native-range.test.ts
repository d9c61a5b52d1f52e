// Issue 11, defect 3: values whose squares overflow float32. The indexes accept
// components with |x| <= 1e15 (MAX_COMPONENT) in stored vectors and queries and
// refuse anything larger with a RangeError naming the argument and the limit;
// inside the bound no kernel of any metric can overflow (dim <= 65536), so every
// accepted search returns existing labels with finite distances that match a
// float64 brute force. Defect 17: k may be any positive safe integer.
import { describe, expect, it } from 'vitest';
import { FlatIndex, HnswIndex, type Metric } from '../src/index.js';
import { distance64, rng } from './helpers/reference.js';

const MAX = 1e15;
const METRICS: Metric[] = ['euclidean', 'cosine', 'ip'];
const KINDS = ['flat', 'hnsw'] as const;

function make(kind: (typeof KINDS)[number], dim: number, metric: Metric, quantization: 'none' | 'int8' | 'rabitq' = 'none') {
  return kind === 'flat'
    ? new FlatIndex({ dim, metric })
    : new HnswIndex({ dim, metric, M: 8, efConstruction: 64, efSearch: 256, quantization });
}

// Components near the boundary (both sides), at ordinary scales and zero.
function component(r: () => number, inRange: boolean): number {
  const sign = r() < 0.5 ? -1 : 1;
  if (!inRange) {
    const big = [1.0001e15, 1.5e15, 2e19, 1e30, 3e38, 3.4028234663852886e38];
    return sign * big[Math.floor(r() * big.length)];
  }
  const pick = r();
  if (pick < 0.3) return sign * MAX;
  if (pick < 0.5) return sign * MAX * (0.9 + 0.1 * r());
  if (pick < 0.7) return sign * r() * MAX;
  if (pick < 0.85) return sign * r();
  return 0;
}

function scaleOf(metric: Metric, q: Float32Array, x: Float32Array): number {
  const n = (v: Float32Array) => Math.sqrt(v.reduce((s, a) => s + a * a, 0));
  if (metric === 'euclidean') return n(q) + n(x) + 1;
  if (metric === 'ip') return n(q) * n(x) + 1;
  return 1;
}

describe('component range (|x| <= 1e15)', () => {
  for (const kind of KINDS)
    for (const metric of METRICS)
      it(`${kind} ${metric}: refuses out-of-range vectors and queries, answers in-range ones like float64`, () => {
        const r = rng(metric.length * 7 + kind.length);
        for (const dim of [1, 2, 3, 17, 64]) {
          const idx = make(kind, dim, metric);
          const n = 40;
          const data = new Float32Array(n * dim);
          for (let i = 0; i < data.length; i++) data[i] = component(r, true);
          idx.add(Float64Array.from({ length: n }, (_, i) => i + 1), data);
          // Out of range: refused, nothing changes.
          for (let t = 0; t < 5; t++) {
            const bad = new Float32Array(dim);
            for (let d = 0; d < dim; d++) bad[d] = component(r, true);
            bad[Math.floor(r() * dim)] = component(r, false);
            expect(() => idx.add([1000 + t], [bad])).toThrow(RangeError);
            expect(() => idx.add([1000 + t], [bad])).toThrow(/vectors.*1e\+?15/);
            expect(() => idx.search(bad, 3)).toThrow(/query.*1e\+?15/);
            expect(() => idx.searchBatch([bad], 3)).toThrow(RangeError);
          }
          expect(idx.size).toBe(n);
          // In range: every returned label exists, distances finite and equal to float64.
          for (let t = 0; t < 10; t++) {
            const q = new Float32Array(dim);
            for (let d = 0; d < dim; d++) q[d] = component(r, true);
            const ref = Array.from({ length: n }, (_, i) =>
              distance64(metric, q, data.subarray(i * dim, (i + 1) * dim))).sort((a, b) => a - b);
            // Rank j must hold the float64 rank-j distance, up to the rounding of any candidate.
            let rankTol = 0;
            for (let i = 0; i < n; i++) rankTol = Math.max(rankTol, 1e-4 * scaleOf(metric, q, data.subarray(i * dim, (i + 1) * dim)));
            const k = 1 + Math.floor(r() * n);
            const res = idx.search(q, k);
            expect(res.labels.length).toBe(k);
            for (let j = 0; j < k; j++) {
              const label = res.labels[j];
              expect(label >= 1 && label <= n, `label ${label}`).toBe(true);
              const x = data.subarray((label - 1) * dim, label * dim);
              const d = res.distances[j];
              expect(Number.isFinite(d)).toBe(true);
              const tol = 1e-4 * scaleOf(metric, q, x);
              expect(Math.abs(d - distance64(metric, q, x)), `${metric} dim ${dim}`).toBeLessThanOrEqual(tol);
              expect(Math.abs(d - ref[j])).toBeLessThanOrEqual(rankTol);
            }
            const batch = idx.searchBatch([q, q], k);
            expect(Array.from(batch.labels.subarray(0, k)).every((l) => l >= 1 && l <= n)).toBe(true);
            expect(Array.from(batch.distances).every(Number.isFinite)).toBe(true);
          }
        }
      });

  it('the largest accepted magnitude at dim 65536 overflows no kernel (all metrics, both indexes)', () => {
    const dim = 65536;
    const a = new Float32Array(dim).fill(MAX), b = new Float32Array(dim).fill(-MAX);
    for (const kind of KINDS)
      for (const metric of METRICS) {
        const idx = make(kind, dim, metric);
        idx.add([1, 2], [a, b]);
        for (const q of [a, b]) {
          const res = idx.search(q, 5);
          expect(Array.from(res.labels).sort()).toEqual([1, 2]);
          for (let j = 0; j < 2; j++) {
            const x = res.labels[j] === 1 ? a : b;
            expect(Number.isFinite(res.distances[j])).toBe(true);
            expect(Math.abs(res.distances[j] - distance64(metric, q, x))).toBeLessThanOrEqual(1e-4 * scaleOf(metric, q, x));
          }
        }
      }
  });

  it('issue example: [2e19, 0] is refused by both indexes instead of inventing label 0 / NaN', () => {
    for (const kind of KINDS)
      for (const metric of METRICS) {
        const idx = make(kind, 2, metric);
        idx.add([5], [[1, 1]]);
        expect(() => idx.add([7], [[2e19, 0]])).toThrow(RangeError);
        const res = idx.search([1, 0], 10);
        expect(Array.from(res.labels)).toEqual([5]);
      }
  });

  it.each(['int8', 'rabitq'] as const)('%s HnswIndex: the extremes of the accepted range quantize and save/load', (quantization) => {
    for (const metric of METRICS) {
      const idx = make('hnsw', 4, metric, quantization) as HnswIndex;
      idx.add([1, 2, 3], [[MAX, -MAX, 0, 1], [-MAX, MAX, 1, 0], [0, 0, 0, 0]]);
      const res = idx.search([MAX, -MAX, 0, 0], 3);
      expect(Array.from(res.distances).every(Number.isFinite)).toBe(true);
      expect(new Set(res.labels).size).toBe(3);
    }
  });
});

describe('HnswIndex k above 2^24 (defect 17)', () => {
  it('clamps k internally and never mentions ef the caller did not pass', async () => {
    const idx = new HnswIndex({ dim: 2, metric: 'euclidean' });
    idx.add([1, 2, 3], [[0, 0], [1, 0], [2, 0]]);
    for (const k of [2 ** 24 + 1, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
      expect(Array.from(idx.search([0, 0], k).labels)).toEqual([1, 2, 3]);
      expect(idx.searchBatch([[0, 0]], k).k).toBe(3);
      expect(Array.from((await idx.searchAsync([0, 0], k)).labels)).toEqual([1, 2, 3]);
      expect((await idx.searchBatchAsync([[0, 0]], k)).k).toBe(3);
      expect(Array.from(idx.search([0, 0], k, { filter: [2, 3] }).labels)).toEqual([2, 3]);
    }
    // An ef the caller passed is still checked, and named.
    expect(() => idx.search([0, 0], 2, { ef: 2 ** 24 + 1 })).toThrow(/ef/);
    const flat = new FlatIndex({ dim: 2, metric: 'euclidean' });
    flat.add([1, 2, 3], [[0, 0], [1, 0], [2, 0]]);
    expect(Array.from(flat.search([0, 0], Number.MAX_SAFE_INTEGER).labels)).toEqual([1, 2, 3]);
  });

  it('the native search methods accept any safe k (no ef in the message)', () => {
    const idx = new HnswIndex({ dim: 2, metric: 'euclidean' });
    idx.add([1, 2], [[0, 0], [1, 0]]);
    let message = '';
    try {
      idx.search([0, 0], 2 ** 25);
    } catch (e) {
      message = String(e);
    }
    expect(message).not.toMatch(/ef/);
  });
});
