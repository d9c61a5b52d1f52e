// FlatIndex: exact k-nearest-neighbour search over the native blocked kernels.
import { native } from '../native/load.js';
import type { NativeAllow, NativeFlatIndex } from '../native/types.js';
import {
  checkDim, checkK, checkMetric, checkThreads, describe, toBatch, toLabels, toQuery, toVectors,
  type LabelsLike, type Metric, type VectorLike, type VectorsLike,
} from './input.js';
import { toAllowList, type LabelFilter } from './filter.js';
import type { BatchOptions, BatchSearchResult, SearchResult } from './results.js';

export interface FlatSearchOptions {
  /** Only these labels (or labels for which the predicate returns true) can be returned. */
  filter?: LabelFilter;
}

export interface FlatIndexOptions {
  dim: number;
  /** 'cosine' (1 - cosine similarity), 'euclidean' (L2, not squared) or 'ip' (1 - dot product). */
  metric?: Metric;
}

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

  /** The k nearest stored vectors to `query`, nearest first (ties by label). */
  search(query: VectorLike, k: number, options: FlatSearchOptions = {}): SearchResult {
    const q = toQuery(query, this.dim, 'query', this.#query);
    checkK(k);
    const cap = Math.min(k, this.#native.size());
    if (this.#outLabels.length < cap) {
      this.#outLabels = new Float64Array(cap);
      this.#outDistances = new Float32Array(cap);
    }
    const got = this.#native.search(q, 1, k, 1, this.#allow(options), this.#outLabels, this.#outDistances);
    return { labels: this.#outLabels.slice(0, got), distances: this.#outDistances.slice(0, got) };
  }

  /** Top-k for many queries at once, blocked GEMM-style and spread over native threads. */
  searchBatch(queries: VectorsLike, k: number, options: BatchOptions & FlatSearchOptions = {}): BatchSearchResult {
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
    const q = toQuery(query, this.dim);
    checkK(k);
    const r = await this.#native.searchAsync(q, 1, k, 1, this.#allow(options));
    return { labels: r.labels, distances: r.distances };
  }

  /** Same as searchBatch(), computed off the JS thread. */
  async searchBatchAsync(
    queries: VectorsLike, k: number, options: BatchOptions & FlatSearchOptions = {},
  ): Promise<BatchSearchResult> {
    const q = toVectors(queries, this.dim, 'queries');
    checkK(k);
    const r = await this.#native.searchAsync(q.data, q.count, k, checkThreads(options.threads), this.#allow(options));
    return { labels: r.labels, distances: r.distances, k: r.k, nq: q.count };
  }

  #allow(options: FlatSearchOptions): NativeAllow | undefined {
    return toAllowList(options?.filter, () => this.#native.labels());
  }
}
