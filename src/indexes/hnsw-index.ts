// HnswIndex: approximate k-nearest-neighbour search over a native HNSW graph
// (native/index/hnsw_*), with deletes, in-graph filters and a checked file format.
import { native } from '../native/load.js';
import type { NativeAllow, NativeHnswIndex } from '../native/types.js';
import {
  checkCount, checkDim, checkK, checkMetric, checkOut, checkThreads, describe, toBatch, toLabels, toQuery, toVectors,
  type LabelsLike, type Metric, type VectorLike, type VectorsLike,
} from './input.js';
import { toAllowList, type LabelFilter } from './filter.js';
import { type BatchOptions, type BatchSearchResult, type SearchResult } from './results.js';
import { takeResult } from './result-pool.js';
import { optionKeys } from '../util/options.js';
import { assertKnownKeys } from '../util/options.js';

export interface HnswIndexOptions {
  dim: number;
  /** 'cosine' (1 - cosine similarity), 'euclidean' (L2, not squared) or 'ip' (1 - dot product). Default 'cosine'. */
  metric?: Metric;
  /** Links per node on upper layers (2M on the bottom layer). Default 16. */
  M?: number;
  /** Candidate list size while inserting: higher builds a better graph, slower. Default 200. */
  efConstruction?: number;
  /** Default candidate list size while searching (raised to k when smaller). Default 64. */
  efSearch?: number;
  /** Seed of the level generator, for reproducible single-threaded builds. Default 42. */
  seed?: number;
  /**
   * How the graph is traversed while searching. 'none' (default): float32 vectors.
   * 'int8': every vector also keeps dim bytes of int8 codes (one scale for all
   * dimensions, fitted to the data added and widened when later vectors fall
   * outside it); searches walk the graph scoring codes, then re-rank the ef
   * candidates with the float32 vectors, so the returned distances are exact.
   * Faster on high-dimensional data, at dim (rounded up to 4) more bytes per vector.
   * 'rabitq': every vector also keeps a 1-bit code (RaBitQ-style: the signs of the
   * vector, centred on the data's mean and randomly rotated, plus 3 correction
   * factors; dim/8 rounded up to 8 bytes, + 12); searches walk the graph on
   * estimates from those codes against a 4-bit query, then re-rank the ef
   * candidates with the float32 vectors (exact distances). The estimates are
   * coarse, so it needs a larger ef than 'int8' for the same recall; meant for
   * high-dimensional embeddings (hundreds of dimensions and up).
   */
  quantization?: HnswQuantization;
}
// Order matters for suggestions (the first of equally close names wins): `m` gets M, `ef` efSearch.
export const HNSW_INDEX_OPTION_KEYS = optionKeys<HnswIndexOptions>()('M', 'dim', 'metric', 'efSearch', 'efConstruction', 'seed', 'quantization');

export type HnswQuantization = 'none' | 'int8' | 'rabitq';

export interface HnswSearchOptions {
  /** Candidate list size for this search (default: the index's efSearch; raised to k when smaller). */
  ef?: number;
  /** Only these labels (or labels for which the predicate returns true) can be returned. */
  filter?: LabelFilter;
}
export const HNSW_SEARCH_OPTION_KEYS = optionKeys<HnswSearchOptions>()('ef', 'filter');
const HNSW_BATCH_OPTION_KEYS = optionKeys<BatchOptions & HnswSearchOptions>()('threads', 'ef', 'filter');

export interface HnswAddOptions {
  /** Native threads to build with (default: all cores). */
  threads?: number;
}
export const HNSW_ADD_OPTION_KEYS = optionKeys<HnswAddOptions>()('threads');

const MAX_EF = 1 << 24;
const ADOPT = Symbol('adopt');

function checkPositiveInt(value: unknown, name: string, max: number, min = 1): number {
  if (typeof value !== 'number') throw new TypeError(`${name}: expected an integer from ${min} to ${max}, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${name}: expected an integer from ${min} to ${max}, got ${value}`);
  return value;
}

function checkPath(path: unknown): string {
  if (typeof path !== 'string') throw new TypeError(`path: expected a string, got ${describe(path)}`);
  if (path.length === 0) throw new RangeError('path: expected a non-empty string');
  return path;
}

export class HnswIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly M: number;
  readonly efConstruction: number;
  readonly efSearch: number;
  readonly seed: number;
  readonly quantization: HnswQuantization;
  readonly #native: NativeHnswIndex;
  // Reused result buffers of the sync single-query path; results are sliced out.
  #outLabels = new Float64Array(64);
  #outDistances = new Float32Array(64);

  constructor(options: HnswIndexOptions);
  /** @internal */
  constructor(options: typeof ADOPT, adopted: NativeHnswIndex);
  constructor(options: HnswIndexOptions | typeof ADOPT, adopted?: NativeHnswIndex) {
    if (options === ADOPT) {
      this.#native = adopted!;
      const p = this.#native.params();
      this.dim = p.dim;
      this.metric = p.metric as Metric;
      this.M = p.M;
      this.efConstruction = p.efConstruction;
      this.efSearch = p.efSearch;
      this.seed = p.seed;
      this.quantization = p.quantization;
      return;
    }
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`options: expected { dim, metric, M, efConstruction, efSearch }, got ${describe(options)}`);
    assertKnownKeys(options, HNSW_INDEX_OPTION_KEYS, 'HnswIndex options');
    this.dim = checkDim(options.dim);
    this.metric = checkMetric(options.metric ?? 'cosine');
    this.M = checkPositiveInt(options.M ?? 16, 'M', 2048, 2);
    this.efConstruction = checkPositiveInt(options.efConstruction ?? 200, 'efConstruction', MAX_EF);
    this.efSearch = checkPositiveInt(options.efSearch ?? 64, 'efSearch', MAX_EF);
    this.seed = checkPositiveInt(options.seed ?? 42, 'seed', Number.MAX_SAFE_INTEGER, 0);
    const quantization = options.quantization ?? 'none';
    if (quantization !== 'none' && quantization !== 'int8' && quantization !== 'rabitq')
      throw new RangeError(`quantization: expected 'none', 'int8' or 'rabitq', got ${describe(quantization)}`);
    this.quantization = quantization;
    this.#native = new (native().NativeHnswIndex)(
      this.dim, this.metric, this.M, this.efConstruction, this.efSearch, this.seed, this.quantization,
    );
  }

  /** Loads an index saved with save()/saveSync(), off the JS thread. Rejects damaged or foreign files. */
  static async load(path: string): Promise<HnswIndex> {
    const n = await native().NativeHnswIndex.loadAsync(checkPath(path));
    return new HnswIndex(ADOPT, n);
  }

  static loadSync(path: string): HnswIndex {
    return new HnswIndex(ADOPT, native().NativeHnswIndex.load(checkPath(path)));
  }

  /** Live vectors. */
  get size(): number {
    return this.#native.size();
  }

  /** Allocated vector slots (grows by itself; removed slots are reused). */
  get capacity(): number {
    return this.#native.capacity();
  }

  /** Removed vectors whose slots are not yet reclaimed (see compact()). */
  get deletedCount(): number {
    return this.#native.deleted();
  }

  /** Bytes held by the index's native storage. */
  memoryBytes(): number {
    return this.#native.memoryBytes();
  }

  /** Adds vectors; an existing label has its vector replaced. Built on native threads. */
  add(labels: LabelsLike, vectors: VectorsLike, options: HnswAddOptions = {}): void {
    assertKnownKeys(options, HNSW_ADD_OPTION_KEYS, 'HnswIndex.add options');
    const batch = toBatch(labels, vectors, this.dim);
    this.#native.add(batch.labels, batch.vectors, checkThreads(options?.threads));
  }

  /** Same as add(), off the JS thread. Searches may run meanwhile. */
  async addAsync(labels: LabelsLike, vectors: VectorsLike, options: HnswAddOptions = {}): Promise<void> {
    assertKnownKeys(options, HNSW_ADD_OPTION_KEYS, 'HnswIndex.addAsync options');
    const batch = toBatch(labels, vectors, this.dim);
    await this.#native.addAsync(batch.labels, batch.vectors, checkThreads(options?.threads));
  }

  /** Removes labels; returns how many were present. Removed vectors are never returned. */
  remove(labels: LabelsLike): number {
    return this.#native.remove(toLabels(labels));
  }

  /** Relinks the graph around removed vectors and frees their slots; returns the slots freed. */
  compact(options: HnswAddOptions = {}): number {
    assertKnownKeys(options, HNSW_ADD_OPTION_KEYS, 'HnswIndex.compact options');
    return this.#native.compact(checkThreads(options?.threads));
  }

  /** Same as compact(), off the JS thread; searches wait for it, the event loop does not. */
  async compactAsync(options: HnswAddOptions = {}): Promise<number> {
    assertKnownKeys(options, HNSW_ADD_OPTION_KEYS, 'HnswIndex.compactAsync options');
    return this.#native.compactAsync(checkThreads(options?.threads));
  }

  has(label: number): boolean {
    return this.#native.has(label);
  }

  /** A copy of the stored vector, or undefined. */
  get(label: number): Float32Array | undefined {
    return this.#native.get(label);
  }

  /** Every live label. */
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
   * Sizes storage for `n` vectors at once (never shrinks), so that a bulk load of
   * known size allocates once.
   */
  reserve(n: number): void {
    this.#native.reserve(checkCount(n));
  }

  /** The k approximate nearest neighbours of `query`, nearest first (ties by label). */
  search(query: VectorLike, k: number, options: HnswSearchOptions = {}): SearchResult {
    assertKnownKeys(options, HNSW_SEARCH_OPTION_KEYS, 'HnswIndex.search options');
    const q = toQuery(query, this.dim);
    checkK(k);
    const ef = this.#ef(options);
    const allow = this.#allow(options);
    // Results never exceed the index size, so the buffers only grow to min(k, size)
    // (asking for the size costs a native call, so only when k outgrows them).
    if (k > this.#outLabels.length) {
      const cap = Math.min(k, this.#native.size());
      if (cap > this.#outLabels.length) {
        this.#outLabels = new Float64Array(cap);
        this.#outDistances = new Float32Array(cap);
      }
    }
    const got = this.#native.searchInto(q, Math.min(k, this.#outLabels.length), ef, this.#outLabels, this.#outDistances, allow);
    return takeResult(this.#outLabels, this.#outDistances, got);
  }

  /** Top-k for many queries, spread over native threads. */
  searchBatch(queries: VectorsLike, k: number, options: BatchOptions & HnswSearchOptions = {}): BatchSearchResult {
    assertKnownKeys(options, HNSW_BATCH_OPTION_KEYS, 'HnswIndex.searchBatch options');
    const q = toVectors(queries, this.dim, 'queries');
    checkK(k);
    const ef = this.#ef(options);
    const r = this.#native.search(q.data, q.count, k, checkThreads(options?.threads), this.#allow(options), ef);
    return { labels: r.labels, distances: r.distances, k: r.k, nq: q.count };
  }

  /** Same as search(), computed on a worker thread. */
  async searchAsync(query: VectorLike, k: number, options: HnswSearchOptions = {}): Promise<SearchResult> {
    assertKnownKeys(options, HNSW_SEARCH_OPTION_KEYS, 'HnswIndex.searchAsync options');
    const q = toQuery(query, this.dim);
    checkK(k);
    const ef = this.#ef(options);
    const r = await this.#native.searchAsync(q, 1, k, 1, this.#allow(options), ef);
    return { labels: r.labels, distances: r.distances };
  }

  /** Same as searchBatch(), computed off the JS thread. */
  async searchBatchAsync(
    queries: VectorsLike, k: number, options: BatchOptions & HnswSearchOptions = {},
  ): Promise<BatchSearchResult> {
    assertKnownKeys(options, HNSW_BATCH_OPTION_KEYS, 'HnswIndex.searchBatchAsync options');
    const q = toVectors(queries, this.dim, 'queries');
    checkK(k);
    const ef = this.#ef(options);
    const r = await this.#native.searchAsync(q.data, q.count, k, checkThreads(options?.threads), this.#allow(options), ef);
    return { labels: r.labels, distances: r.distances, k: r.k, nq: q.count };
  }

  /** Writes the index to `path` atomically (temporary file, fsync, rename), off the JS thread. */
  async save(path: string): Promise<void> {
    await this.#native.saveAsync(checkPath(path));
  }

  saveSync(path: string): void {
    this.#native.save(checkPath(path));
  }

  #ef(options: HnswSearchOptions | undefined): number {
    const ef = options?.ef;
    return ef === undefined ? this.efSearch : checkPositiveInt(ef, 'ef', MAX_EF);
  }

  #allow(options: HnswSearchOptions | undefined): NativeAllow | undefined {
    return toAllowList(options?.filter, () => this.#native.labels());
  }
}
