// Fusing ranked lists from different retrievers (vector, keyword) into one.
import { assertKnownKeys, optionKeys } from '../util/options.js';

export interface ScoredId {
  id: string;
  score: number;
}

export type FusionSpec = 'rrf' | RrfFusionOptions | WeightedFusionOptions;

/** Reciprocal Rank Fusion with its constant (default 60). */
export interface RrfFusionOptions {
  rrfK?: number;
}
export const RRF_FUSION_KEYS = optionKeys<RrfFusionOptions>()('rrfK');

/** Weighted fusion of min-max normalised scores, a weight per list name (e.g. { vector: 0.6, keyword: 0.4 }). */
export interface WeightedFusionOptions {
  weights: Record<string, number>;
}
export const WEIGHTED_FUSION_KEYS = optionKeys<WeightedFusionOptions>()('weights');

/**
 * Reciprocal Rank Fusion: score(d) = sum over lists of 1 / (k + rank), ranks
 * from 1. A document absent from a list gets nothing from it. Only ranks
 * matter, so scores on different scales (cosine, BM25) fuse without tuning.
 */
export function reciprocalRankFusion(lists: Record<string, ScoredId[]>, k = 60): ScoredId[] {
  if (!(k >= 0)) throw new RangeError(`rrfK: expected a non-negative number, got ${k}`);
  const fused = new Map<string, number>();
  for (const list of Object.values(lists)) {
    const seen = new Set<string>();
    list.forEach((hit, rank) => {
      if (seen.has(hit.id)) return; // a list counts each id once, at its best rank
      seen.add(hit.id);
      fused.set(hit.id, (fused.get(hit.id) ?? 0) + 1 / (k + rank + 1));
    });
  }
  return sortScores(fused);
}

/**
 * Weighted fusion of min-max normalised scores: each list is scaled to [0, 1]
 * (its worst hit 0, its best 1; a list whose scores are all equal scores 1),
 * then score(d) = sum of weight * normalised score. A document missing from a
 * list counts as that list's worst (0), so it is never ranked below documents
 * that the list did return with the same contribution from the other lists.
 */
export function weightedFusion(lists: Record<string, ScoredId[]>, weights: Record<string, number>): ScoredId[] {
  if (weights === null || typeof weights !== 'object') throw new TypeError('fusion.weights: expected an object like { vector: 0.6, keyword: 0.4 }');
  for (const [name, w] of Object.entries(weights)) {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new RangeError(`fusion.weights.${name}: expected a non-negative number, got ${String(w)}`);
    }
  }
  // A weight for a list that is not there (a misspelt 'vectors') would silently count for nothing.
  assertKnownKeys(weights, Object.keys(lists), 'fusion.weights (list names)');
  const fused = new Map<string, number>();
  for (const [name, list] of Object.entries(lists)) {
    const w = weights[name] ?? 0;
    if (list.length === 0) continue;
    let min = Infinity;
    let max = -Infinity;
    for (const h of list) {
      if (h.score < min) min = h.score;
      if (h.score > max) max = h.score;
    }
    const range = max - min;
    const best = new Map<string, number>();
    for (const h of list) {
      const norm = range > 0 ? (h.score - min) / range : 1;
      best.set(h.id, Math.max(best.get(h.id) ?? 0, norm));
    }
    for (const [id, norm] of best) fused.set(id, (fused.get(id) ?? 0) + w * norm);
  }
  return sortScores(fused);
}

/** Applies a fusion spec (default RRF with k = 60). */
export function fuse(lists: Record<string, ScoredId[]>, spec: FusionSpec | undefined): ScoredId[] {
  if (spec === undefined || spec === 'rrf') return reciprocalRankFusion(lists);
  if (typeof spec === 'object' && spec !== null) {
    assertKnownKeys(spec, [...RRF_FUSION_KEYS, ...WEIGHTED_FUSION_KEYS], 'fusion options');
    if ('weights' in spec) {
      if ('rrfK' in spec) throw new TypeError('fusion options: give { rrfK } (RRF) or { weights } (weighted fusion), not both');
      if (spec.weights === null || typeof spec.weights !== 'object') {
        throw new TypeError('fusion.weights: expected an object like { vector: 0.6, keyword: 0.4 }');
      }
      return weightedFusion(lists, spec.weights);
    }
    return reciprocalRankFusion(lists, spec.rrfK ?? 60);
  }
  throw new TypeError(`fusion: expected 'rrf', { rrfK } or { weights: { vector, keyword } }, got ${JSON.stringify(spec)}`);
}

// Highest score first; ties broken by id so results are deterministic.
function sortScores(scores: Map<string, number>): ScoredId[] {
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
