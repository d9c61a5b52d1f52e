// Retriever.retrieve()'s options: their types, and the check that settles them (defaults
// applied, every value validated, one clear error) before a retrieve does any work.
import type { VectorStoreApi } from '../store/api.js';
import type { Filter } from '../store/types.js';
import { assertKnownKeys, optionKeys } from '../util/options.js';
import type { FusionSpec } from './fusion.js';
import { describeValue } from './tokens.js';

export interface RerankCandidate {
  id: string;
  docId: string;
  chunkIndex: number;
  text: string;
  score: number;
  metadata: Record<string, unknown>;
}

export interface RetrieveOptions {
  /** Hits to return (default 5). */
  k?: number;
  /** Default 'hybrid' when the keyword index is on, else 'vector'. */
  mode?: 'hybrid' | 'vector' | 'keyword';
  /** Metadata filter in the store's filter language. */
  filter?: Filter;
  /** 'rrf' (default, constant 60), { rrfK }, or { weights: { vector, keyword } }. */
  fusion?: FusionSpec;
  /** Candidates each retriever contributes before fusion/rerank/MMR (default max(20, 4k)). */
  fetchK?: number;
  /** Diversify the final hits by their stored vectors. */
  mmr?: RetrieveMmrOptions;
  /** Rescoring of the fused candidates; returns one score per candidate (higher is better). */
  rerank?: (query: string, candidates: RerankCandidate[]) => Promise<number[]> | number[];
  /**
   * A relevance floor with one meaning in every mode: drops hits whose VECTOR
   * SIMILARITY to the query is below it, i.e. the store's score (cosine
   * similarity for a cosine store, the dot product for 'ip', minus the
   * Euclidean distance for 'euclidean'), the number vector mode reports as
   * `score`. In hybrid mode it is compared with each candidate's similarity
   * (computed from its stored vector for hits only the keyword side found),
   * not with the fused score (RRF scores are at most ~0.033); in keyword mode
   * the query is embedded for it. Applied before `k` hits are taken, so up to
   * k hits that pass are returned. Every hit carries the value compared as
   * `similarity`. A floor no hit can reach (above 1 for cosine, above 0 for
   * euclidean) is a RangeError. To threshold a reranker's scores, use
   * minRerankScore.
   */
  minScore?: number;
  /** With `rerank`: drops hits whose reranker score is below this. */
  minRerankScore?: number;
  /** Return the matched chunk (default), its section, or its whole document. */
  expand?: 'chunk' | 'section' | 'document';
  /** A precomputed query embedding (skips embedding the query). */
  queryVector?: Float32Array | number[];
}
export const RETRIEVE_OPTION_KEYS = optionKeys<RetrieveOptions>()(
  'k', 'mode', 'filter', 'fusion', 'fetchK', 'mmr', 'rerank', 'minScore', 'minRerankScore', 'expand', 'queryVector',
);

export interface RetrieveMmrOptions {
  /** 1 keeps the relevance order, 0 only diversifies (default 0.5). */
  lambda?: number;
  /** Candidates MMR picks from (default: the retrieve's fetchK). */
  fetchK?: number;
}
export const RETRIEVE_MMR_KEYS = optionKeys<RetrieveMmrOptions>()('lambda', 'fetchK');

export interface CheckedRetrieveOptions {
  k: number;
  mode: 'hybrid' | 'vector' | 'keyword';
  filter?: Filter;
  fusion?: FusionSpec;
  fetchK: number;
  mmr?: { lambda?: number; fetchK?: number };
  rerank?: RetrieveOptions['rerank'];
  minScore?: number;
  minRerankScore?: number;
  expand: 'chunk' | 'section' | 'document';
  queryVector?: Float32Array;
}

export function checkRetrieveOptions(o: RetrieveOptions, hasKeyword: boolean, metric: VectorStoreApi['metric']): CheckedRetrieveOptions {
  if (o === null || typeof o !== 'object') throw new TypeError(`options: expected an object, got ${describeValue(o)}`);
  assertKnownKeys(o, RETRIEVE_OPTION_KEYS, 'Retriever.retrieve options');
  const k = o.k ?? 5;
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`k: expected a non-negative integer, got ${describeValue(o.k)}`);
  const mode = o.mode ?? (hasKeyword ? 'hybrid' : 'vector');
  if (mode !== 'hybrid' && mode !== 'vector' && mode !== 'keyword') {
    throw new TypeError(`mode: expected 'hybrid', 'vector' or 'keyword', got ${describeValue(o.mode)}`);
  }
  if (mode !== 'vector' && !hasKeyword) throw new Error(`mode '${mode}' needs the keyword index (construct the Retriever with keyword: true)`);
  if (o.filter !== undefined && (o.filter === null || typeof o.filter !== 'object')) {
    throw new TypeError(`filter: expected a filter object, got ${describeValue(o.filter)}`);
  }
  if (o.mmr !== undefined) {
    if (o.mmr === null || typeof o.mmr !== 'object') throw new TypeError(`mmr: expected { lambda?, fetchK? }, got ${describeValue(o.mmr)}`);
    assertKnownKeys(o.mmr, RETRIEVE_MMR_KEYS, 'Retriever.retrieve options.mmr');
    const l = o.mmr.lambda ?? 0.5;
    if (typeof l !== 'number' || !(l >= 0 && l <= 1)) throw new RangeError(`mmr.lambda: expected a number in [0, 1], got ${describeValue(l)}`);
    if (o.mmr.fetchK !== undefined && (!Number.isInteger(o.mmr.fetchK) || o.mmr.fetchK < 1)) {
      throw new RangeError(`mmr.fetchK: expected a positive integer, got ${describeValue(o.mmr.fetchK)}`);
    }
  }
  const fetchK = Math.max(o.fetchK ?? Math.max(20, 4 * k), o.mmr?.fetchK ?? 0, k, 1);
  if (o.fetchK !== undefined && (!Number.isInteger(o.fetchK) || o.fetchK < 1)) throw new RangeError(`fetchK: expected a positive integer, got ${describeValue(o.fetchK)}`);
  if (o.rerank !== undefined && typeof o.rerank !== 'function') throw new TypeError(`rerank: expected an async function (query, candidates) => scores, got ${describeValue(o.rerank)}`);
  if (o.minScore !== undefined && (typeof o.minScore !== 'number' || Number.isNaN(o.minScore))) {
    throw new TypeError(`minScore: expected a number, got ${describeValue(o.minScore)}`);
  }
  // minScore is a vector similarity in every mode: refuse a floor that no hit can reach.
  if (o.minScore !== undefined && metric === 'cosine' && o.minScore > 1) {
    throw new RangeError(`minScore: compared with the cosine similarity of each hit to the query (at most 1, in every mode), got ${o.minScore}`);
  }
  if (o.minScore !== undefined && metric === 'euclidean' && o.minScore > 0) {
    throw new RangeError(`minScore: compared with minus the Euclidean distance of each hit to the query (at most 0, in every mode), got ${o.minScore}`);
  }
  if (o.minRerankScore !== undefined) {
    if (typeof o.minRerankScore !== 'number' || Number.isNaN(o.minRerankScore)) throw new TypeError(`minRerankScore: expected a number, got ${describeValue(o.minRerankScore)}`);
    if (o.rerank === undefined) throw new TypeError('minRerankScore: applies to the scores of `rerank`, which is not given (for a vector-similarity floor, use minScore)');
  }
  const expand = o.expand ?? 'chunk';
  if (expand !== 'chunk' && expand !== 'section' && expand !== 'document') {
    throw new TypeError(`expand: expected 'chunk', 'section' or 'document', got ${describeValue(o.expand)}`);
  }
  let queryVector: Float32Array | undefined;
  if (o.queryVector !== undefined) {
    if (!(o.queryVector instanceof Float32Array) && !Array.isArray(o.queryVector)) {
      throw new TypeError(`queryVector: expected a Float32Array or number[], got ${describeValue(o.queryVector)}`);
    }
    queryVector = o.queryVector instanceof Float32Array ? o.queryVector : Float32Array.from(o.queryVector);
  }
  return { k, mode, filter: o.filter, fusion: o.fusion, fetchK, mmr: o.mmr, rerank: o.rerank, minScore: o.minScore, minRerankScore: o.minRerankScore, expand, queryVector };
}
