// Maximal Marginal Relevance: pick, one at a time, the candidate maximising
// lambda * relevance - (1 - lambda) * (highest cosine similarity to anything
// already picked). lambda = 1 keeps the relevance order; lambda = 0 only diversifies.

export interface MmrCandidate {
  /** Relevance to the query; any scale (it is min-max normalised first). */
  score: number;
  vector: Float32Array | number[];
}

/** Indices of the chosen candidates, in pick order. */
export function maximalMarginalRelevance(candidates: MmrCandidate[], k: number, lambda = 0.5): number[] {
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`mmr.lambda: expected a number in [0, 1], got ${lambda}`);
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`k: expected a non-negative integer, got ${k}`);
  const n = candidates.length;
  if (n === 0 || k === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const c of candidates) {
    min = Math.min(min, c.score);
    max = Math.max(max, c.score);
  }
  const relevance = candidates.map((c) => (max > min ? (c.score - min) / (max - min) : 1));
  const unit = candidates.map((c) => normalise(c.vector));
  const maxSim = new Float64Array(n).fill(-Infinity); // similarity to the picked set
  const picked: number[] = [];
  const used = new Uint8Array(n);
  while (picked.length < Math.min(k, n)) {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      const redundancy = picked.length === 0 ? 0 : maxSim[i];
      const value = lambda * relevance[i] - (1 - lambda) * redundancy;
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    used[best] = 1;
    picked.push(best);
    for (let i = 0; i < n; i++) {
      if (!used[i]) maxSim[i] = Math.max(maxSim[i], dot(unit[i], unit[best]));
    }
  }
  return picked;
}

/** Cosine similarity of two vectors (0 when either is all zeros). */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return dot(normalise(a), normalise(b));
}

function normalise(v: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(v);
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i] * out[i];
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < out.length; i++) out[i] *= inv;
  }
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) throw new RangeError(`mmr: vectors of different lengths (${a.length} and ${b.length})`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
