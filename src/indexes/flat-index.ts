// FlatIndex: exact k-nearest-neighbour search over the native blocked kernels.
import { native } from '../native/load.js';
import type { NativeAllow, NativeFlatIndex } from '../native/types.js';
import {
  checkCount, checkDim, checkK, checkMetric, checkOut, checkThreads, describe, toBatch, toLabels, toQuery, toVectors,
  type LabelsLike, type Metric, type VectorLike, type VectorsLike,
} from './input.js';
import { toAllowList, type LabelFilter } from './filter.js';
import { type BatchOptions, type BatchSearchResult, type SearchResult } from './results.js';
import { takeResult } from './result-pool.js';
import { optionKeys } from '../util/options.js';
import { assertKnownKeys } from '../util/options.js';

export interface FlatSearchOptions {
  /** Only these labels (or labels for which the predicate returns true) can be returned. */
  filter?: LabelFilter;
}
export const FLAT_SEARCH_OPTION_KEYS = optionKeys<FlatSearchOptions>()('filter');
const FLAT_BATCH_OPTION_KEYS = optionKeys<BatchOptions & FlatSearchOptions>()('threads', 'filter');

export interface FlatIndexOptions {
  dim: number;
  /** 'cosine' (1 - cosine similarity), 'euclidean' (L2, not squared) or 'ip' (1 - dot product). */
  metric?: Metric;
}
export const FLAT_INDEX_OPTION_KEYS = optionKeys<FlatIndexOptions>()('dim', 'metric');

export class FlatIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly #native: NativeFlatIndex;
  // Reused by sync searches (see toQuery): input query, output labels and distances.
  readonly #query: Float32Array;
  #outLabels = new Float64Array(64);
  #outDistances = new Float32Array(64);

  constructor(options: FlatIndexOptions) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`options: expected { dim, metric }, got ${describe(options)}`);
    assertKnownKeys(options, FLAT_INDEX_OPTION_KEYS, 'FlatIndex options');
    this.dim = checkDim(options.dim);
    this.metric = checkMetric(options.metric ?? 'cosine');
    this.#native = new (native().NativeFlatIndex)(this.dim, this.metric);
    this.#query = new Float32Array(this.dim);
  }

  get size(): number {
    return this.#native.size();
  }

  /** Adds vectors; an existing label has its vector replaced. All or nothing. */
  add(labels: LabelsLike, vectors: VectorsLike): void {
    const batch = toBatch(labels, vectors, this.dim);
    this.#native.add(batch.labels, batch.vectors);
  }

  /** Removes labels; returns how many were present. Unknown labels are ignored. */
  remove(labels: LabelsLike): number {
    return this.#native.remove(toLabels(labels));
  }

  has(label: number): boolean {
    return this.#native.has(label);
  }

  /** A copy of the stored vector, or undefined. */
  get(label: number): Float32Array | undefined {
    return this.#native.get(label);
  }

  /** Every live label, in storage order. */
  labels(): Float64Array {
    return this.#native.labels();
  }

  /**
   * The vectors of `labels`, row-major (labels.length * dim floats), in one native
   * call. Writes into `out` when given (its length must be labels.length * dim).
   * Throws a RangeError naming the first label not in the index (out is then untouched).
   */
  getVectors(labels: LabelsLike, out?: Float32Array): Float32Array {
    const l = toLabels(labels);
    return this.#native.getVectors(l, checkOut(out, l.length, this.dim));
  }

  /**
   * Sizes storage for `n` vectors at once (never shrinks), so that a loader that
   * knows the final count allocates once. Growth is otherwise exact for a batch of
   * at least 1/16 of the stored vectors and x1.25 for smaller adds.
   */
  reserve(n: number): void {
    this.#native.reserve(checkCount(n));
  }

  /** Allocated vector slots (>= size). */
  get capacity(): number {
    return this.#native.capacity();
  }

  /** Bytes held by the index's native storage. */
  memoryBytes(): number {
    return this.#native.memoryBytes();
  }

  /** The k nearest stored vectors to `query`, nearest first (ties by label). */
  search(query: VectorLike, k: number, options: FlatSearchOptions = {}): SearchResult {
    assertKnownKeys(options, FLAT_SEARCH_OPTION_KEYS, 'FlatIndex.search options');
    checkK(k);
    // The filter first: a predicate may itself search this index (re-entrantly),
    // which reuses the query and result buffers below. Nothing runs between
    // filling them and the native call, so a nested search cannot clobber them.
    const allow = this.#allow(options);
    const q = toQuery(query, this.dim, 'query', this.#query);
    const cap = Math.min(k, this.#native.size());
    if (this.#outLabels.length < cap) {
      this.#outLabels = new Float64Array(cap);
      this.#outDistances = new Float32Array(cap);
    }
    const got = this.#native.search(q, 1, k, 1, allow, this.#outLabels, this.#outDistances);
    return takeResult(this.#outLabels, this.#outDistances, got);
  }

  /** Top-k for many queries at once, blocked GEMM-style and spread over native threads. */
  searchBatch(queries: VectorsLike, k: number, options: BatchOptions & FlatSearchOptions = {}): BatchSearchResult {
    assertKnownKeys(options, FLAT_BATCH_OPTION_KEYS, 'FlatIndex.searchBatch options');
    const q = toVectors(queries, this.dim, 'queries');
    checkK(k);
    const cap = Math.min(k, this.#native.size());
    const labels = new Float64Array(cap * q.count);
    const distances = new Float32Array(cap * q.count);
    const threads = checkThreads(options.threads);
    const got = this.#native.search(q.data, q.count, k, threads, this.#allow(options), labels, distances);
    return got === cap
      ? { labels, distances, k: got, nq: q.count }
      : { labels: labels.slice(0, got * q.count), distances: distances.slice(0, got * q.count), k: got, nq: q.count };
  }

  /** Same as search(), computed on a worker thread. */
  async searchAsync(query: VectorLike, k: number, options: FlatSearchOptions = {}): Promise<SearchResult> {
    assertKnownKeys(options, FLAT_SEARCH_OPTION_KEYS, 'FlatIndex.searchAsync options');
    const q = toQuery(query, this.dim);
    checkK(k);
    const r = await this.#native.searchAsync(q, 1, k, 1, this.#allow(options));
    return { labels: r.labels, distances: r.distances };
  }

  /** Same as searchBatch(), computed off the JS thread. */
  async searchBatchAsync(
    queries: VectorsLike, k: number, options: BatchOptions & FlatSearchOptions = {},
  ): Promise<BatchSearchResult> {
    assertKnownKeys(options, FLAT_BATCH_OPTION_KEYS, 'FlatIndex.searchBatchAsync options');
    const q = toVectors(queries, this.dim, 'queries');
    checkK(k);
    const r = await this.#native.searchAsync(q.data, q.count, k, checkThreads(options.threads), this.#allow(options));
    return { labels: r.labels, distances: r.distances, k: r.k, nq: q.count };
  }

  #allow(options: FlatSearchOptions): NativeAllow | undefined {
    return toAllowList(options?.filter, () => this.#native.labels());
  }
}
