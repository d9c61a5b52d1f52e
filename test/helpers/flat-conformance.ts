// Flat search against a float64 brute force over varied data. Shared by the
// in-process test and the per-SIMD-level child processes (fixtures/flat-level.ts).
import { FlatIndex, type Metric } from '../../src/index.js';
import { bruteForce, randomVectors, rows } from './reference.js';

export interface Mismatch { metric: Metric; dim: number; n: number; k: number; query: number; detail: string }

// Distances may differ from float64 by float32 rounding; labels must agree except
// where two reference distances are closer than that rounding (then either order is right).
const TOL = 2e-5;

export function checkFlat(metrics: Metric[] = ['cosine', 'euclidean', 'ip']): Mismatch[] {
  const bad: Mismatch[] = [];
  const cases = [
    { dim: 3, n: 10, k: 20 },
    { dim: 17, n: 100, k: 5 },
    { dim: 128, n: 2000, k: 10 },
    { dim: 768, n: 300, k: 7 },
  ];
  for (const metric of metrics) {
    for (const { dim, n, k } of cases) {
      const data = randomVectors(n, dim, dim * 31 + n, 1);
      // Duplicates create exact ties: they must come back in label order.
      data.copyWithin(dim * 5, 0, dim);
      data.fill(0, dim * 7, dim * 8); // a zero vector
      const labels = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 2 ** 40 + i : n * 2 - i));
      const index = new FlatIndex({ dim, metric });
      index.add(labels, data);
      const queries = randomVectors(12, dim, 99 + dim, 1);
      queries.set(data.subarray(0, dim), 0); // a query equal to a stored (duplicated) vector
      const batch = index.searchBatch(queries, k, { threads: 2 });
      const vecs = rows(data, dim);
      for (let qi = 0; qi < 12; qi++) {
        const q = queries.subarray(qi * dim, (qi + 1) * dim);
        const want = bruteForce(metric, labels, vecs, q, k);
        const single = index.search(q, k);
        const kk = Math.min(k, n);
        if (single.labels.length !== kk || batch.k !== kk) {
          bad.push({ metric, dim, n, k, query: qi, detail: `expected ${kk} results, got ${single.labels.length}/${batch.k}` });
          continue;
        }
        for (let j = 0; j < kk; j++) {
          const bl = batch.labels[qi * kk + j], bd = batch.distances[qi * kk + j];
          if (bl !== single.labels[j] || bd !== single.distances[j])
            bad.push({ metric, dim, n, k, query: qi, detail: `batch and single differ at rank ${j}` });
          if (Math.abs(single.distances[j] - want[j].distance) > TOL * Math.max(1, Math.abs(want[j].distance)))
            bad.push({ metric, dim, n, k, query: qi, detail: `distance at rank ${j}: ${single.distances[j]} vs ${want[j].distance}` });
          if (single.labels[j] !== want[j].label) {
            const other = want.find((h) => h.label === single.labels[j]);
            const nearTie = other && Math.abs(other.distance - want[j].distance) <= TOL * Math.max(1, Math.abs(want[j].distance));
            if (!nearTie) bad.push({ metric, dim, n, k, query: qi, detail: `label at rank ${j}: ${single.labels[j]} vs ${want[j].label}` });
          }
          if (j > 0) {
            const pd = single.distances[j - 1], pl = single.labels[j - 1];
            if (pd > single.distances[j] || (pd === single.distances[j] && pl > single.labels[j]))
              bad.push({ metric, dim, n, k, query: qi, detail: `not sorted at rank ${j}` });
          }
        }
      }
    }
  }
  return bad;
}
