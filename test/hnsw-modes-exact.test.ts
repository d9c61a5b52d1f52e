// Every traversal mode (float32, int8, rabitq) x metric x dimension x filter: once ef
// covers the index, an HNSW search visits every reachable node and re-ranks in float32,
// so it must return the exact top k (a float64 JS model), with its distances. The dimensions
// cross every kernel's tail boundary (8 / 16 / 32 / 64 lanes and the 1-bit words), so
// this covers the batch kernels' row loops and tails in each mode, on the SIMD level
// this process runs at (the native tests run each kernel at every level).
import { describe, expect, it } from 'vitest';
import { HnswIndex, type Metric } from '../src/index.js';
import { bruteForce, randomVectors, rows, type Hit } from './helpers/reference.js';

const METRICS: Metric[] = ['euclidean', 'cosine', 'ip'];
const MODES = ['none', 'int8', 'rabitq'] as const;
const DIMS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24, 25, 31, 32, 33, 47, 48, 63, 64, 65, 96, 127, 128, 129, 200, 257];
const N = 160, NQ = 8, K = 7;

type Result = { labels: Float64Array; distances: Float32Array };

// The model's top k of each query (allowed labels only) against an HNSW result of nq x k:
// the same distances rank by rank (float32 against float64), and the same labels wherever
// the distance at that rank is not tied within that noise.
function expectExact(got: Result, truth: Hit[][], what: string) {
  expect(got.labels.length, what).toBe(truth.length * K);
  truth.forEach((want, qi) => {
    const gotLabels = got.labels.subarray(qi * K, (qi + 1) * K), gotDist = got.distances.subarray(qi * K, (qi + 1) * K);
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));
    want.forEach((w, r) => {
      expect(close(gotDist[r], w.distance), `${what} query ${qi} rank ${r}: ${gotDist[r]} vs ${w.distance}`).toBe(true);
      const found = gotLabels.includes(w.label) || want.some((o, j) => j !== r && o.label !== w.label && close(o.distance, w.distance));
      expect(found, `${what} query ${qi}: label ${w.label} (${w.distance}) missing`).toBe(true);
    });
  });
}

function single(h: HnswIndex, qs: Float32Array, dim: number): Result {
  const labels = new Float64Array(NQ * K), distances = new Float32Array(NQ * K);
  for (let i = 0; i < NQ; i++) {
    const r = h.search(qs.subarray(i * dim, (i + 1) * dim), K, { ef: N });
    labels.set(r.labels, i * K);
    distances.set(r.distances, i * K);
  }
  return { labels, distances };
}

describe.each(MODES)('HnswIndex quantization %s: exact once ef covers the index', (quantization) => {
  it.each(METRICS)('%s, every dimension boundary, with and without filters and deletes', (metric) => {
    for (const dim of DIMS) {
      const v = randomVectors(N, dim, 31 * dim + 7, 3);
      const labels = Float64Array.from({ length: N }, (_, i) => 5 * i + 2);
      const h = new HnswIndex({ dim, metric, quantization, M: 6, efConstruction: 32, seed: dim });
      // Three batches: the int8 range widens and the rabitq centroid is refitted as it grows.
      for (let at = 0; at < N; at += 60) h.add(labels.subarray(at, at + 60), v.subarray(at * dim, Math.min(N, at + 60) * dim));
      const qs = randomVectors(NQ, dim, 977 + dim, 3);
      const vs = rows(v, dim), qrows = rows(qs, dim);
      const truth = (live: (label: number) => boolean) => {
        const keep = Array.from(labels).map((l, i) => [l, i] as const).filter(([l]) => live(l));
        return qrows.map((q) => bruteForce(metric, keep.map(([l]) => l), keep.map(([, i]) => vs[i]), q, K));
      };
      const what = `${quantization} ${metric} dim ${dim}`;
      const all = truth(() => true);
      expectExact(h.searchBatch(qs, K, { ef: 2 * N }), all, what);
      expectExact(single(h, qs, dim), all, `${what} search()`);

      // Removed vectors and a filter: the two-heap search, still exact at this ef.
      const gone = new Set(labels.filter((_, i) => i % 7 === 3));
      h.remove(Float64Array.from(gone));
      expectExact(h.searchBatch(qs, K, { ef: 2 * N }), truth((l) => !gone.has(l)), `${what} after removes`);
      const allowed = labels.filter((_, i) => i % 3 !== 1);
      const allowedSet = new Set(allowed);
      expectExact(
        h.searchBatch(qs, K, { ef: 2 * N, filter: allowed }),
        truth((l) => allowedSet.has(l) && !gone.has(l)),
        `${what} filtered`,
      );
    }
  }, 60_000);
});
