// The default benchmark dataset: a seeded Gaussian mixture shaped like real embeddings.
// Each cluster is a low-rank Gaussian (a few dominant directions with decaying spread)
// plus isotropic noise, so neighbourhoods have a modest intrinsic dimension like
// sentence embeddings rather than the uniform hardness of i.i.d. random vectors.
// Cluster count, rank and noise are tuned so that HNSW at ef 10 stays clearly below
// recall 1 while high ef reaches ~0.99 (see bench/README.md).
import { seededRandom } from './rng.mjs';

export const DEFAULT_MIXTURE = Object.freeze({
  n: 100_000, dim: 128, queries: 1_000,
  clusters: 32, rank: 48, decay: 0.3, centerSpread: 1.0, clusterSpread: 1.0, noise: 0.25, seed: 42,
});

/**
 * Generates { base: Float32Array (n*dim), queries: Float32Array (queries*dim), n, dim, nq, params }.
 * Same parameters, same bytes, on every machine (pure JS arithmetic, seeded).
 */
export function generateGaussianMixture(options = {}) {
  const p = { ...DEFAULT_MIXTURE, ...options };
  for (const key of ['n', 'dim', 'queries', 'clusters', 'rank']) {
    if (!Number.isInteger(p[key]) || p[key] < 1) throw new RangeError(`${key}: expected a positive integer, got ${p[key]}`);
  }
  const { dim, clusters } = p;
  const rank = Math.min(p.rank, dim);
  const rng = seededRandom(p.seed);

  const centers = new Float64Array(clusters * dim);
  for (let i = 0; i < centers.length; i++) centers[i] = rng.normal() * p.centerSpread;
  // Column j of cluster c's basis has variance ∝ (j+1)^-decay (a decaying spectrum), normalised
  // so the low-rank part adds clusterSpread² of variance per coordinate.
  let harmonic = 0;
  for (let j = 0; j < rank; j++) harmonic += (j + 1) ** -p.decay;
  const bases = new Float64Array(clusters * rank * dim);
  for (let c = 0; c < clusters; c++) {
    for (let j = 0; j < rank; j++) {
      const scale = p.clusterSpread * Math.sqrt((j + 1) ** -p.decay / harmonic);
      const at = (c * rank + j) * dim;
      for (let d = 0; d < dim; d++) bases[at + d] = rng.normal() * scale;
    }
  }
  // Unequal cluster sizes, as in real corpora.
  const weights = Float64Array.from({ length: clusters }, () => 0.25 + rng.uniform());
  const cumulative = new Float64Array(clusters);
  let sum = 0;
  for (let c = 0; c < clusters; c++) { sum += weights[c]; cumulative[c] = sum; }
  const pickCluster = () => {
    const u = rng.uniform() * sum;
    let lo = 0, hi = clusters - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cumulative[mid] < u) lo = mid + 1; else hi = mid; }
    return lo;
  };

  const z = new Float64Array(rank);
  const row = new Float64Array(dim);
  const draw = (out, count) => {
    for (let i = 0; i < count; i++) {
      const c = pickCluster();
      for (let d = 0; d < dim; d++) row[d] = centers[c * dim + d] + rng.normal() * p.noise;
      for (let j = 0; j < rank; j++) z[j] = rng.normal();
      for (let j = 0; j < rank; j++) {
        const at = (c * rank + j) * dim, zj = z[j];
        for (let d = 0; d < dim; d++) row[d] += zj * bases[at + d];
      }
      out.set(row, i * dim);
    }
    return out;
  };
  const base = draw(new Float32Array(p.n * dim), p.n);
  const queries = draw(new Float32Array(p.queries * dim), p.queries);
  return { base, queries, n: p.n, dim, nq: p.queries, params: { ...p, rank } };
}
