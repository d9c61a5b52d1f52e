// Float64 reference implementations and seeded random data for tests.
import type { Metric } from '../../src/index.js';

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomVectors(n: number, dim: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

export function dot64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function l2sq64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

export function distance64(metric: Metric, q: ArrayLike<number>, x: ArrayLike<number>): number {
  if (metric === 'euclidean') return Math.sqrt(l2sq64(q, x));
  if (metric === 'ip') return 1 - dot64(q, x);
  const nq = Math.sqrt(dot64(q, q)), nx = Math.sqrt(dot64(x, x));
  if (nq === 0 || nx === 0) return 1;
  return 1 - dot64(q, x) / (nq * nx);
}

export interface Hit { label: number; distance: number }

/** Brute-force top-k in float64, ties by label ascending. */
export function bruteForce(metric: Metric, labels: number[], vectors: Float32Array[], q: ArrayLike<number>, k: number): Hit[] {
  return labels
    .map((label, i) => ({ label, distance: distance64(metric, q, vectors[i]) }))
    .sort((a, b) => a.distance - b.distance || a.label - b.label)
    .slice(0, k);
}

export function rows(data: Float32Array, dim: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let i = 0; i < data.length / dim; i++) out.push(data.subarray(i * dim, (i + 1) * dim));
  return out;
}

/**
 * Seeded Gaussian mixture: n points around `clusters` random centres. `shift` adds
 * shift * d to component d of every point (a large shared offset makes norms dominate
 * inner products: hub-heavy data).
 */
export function mixture(n: number, dim: number, seed: number, clusters = 20, shift = 0): Float32Array {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dim }, () => gauss() * 3));
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() * clusters)];
    for (let d = 0; d < dim; d++) out[i * dim + d] = c[d] + gauss() + shift * d;
  }
  return out;
}

/** Mean recall@k of approximate rows against exact rows (both row-major, k columns). */
export function recall(got: ArrayLike<number>, truth: Float64Array, nq: number, k: number): number {
  let hits = 0;
  for (let i = 0; i < nq; i++) {
    const t = new Set(truth.subarray(i * k, (i + 1) * k));
    for (let j = 0; j < k; j++) if (t.has(got[i * k + j])) hits++;
  }
  return hits / (nq * k);
}
