// The store's vectors, keyed by slot, held by exactly one index: a FlatIndex
// (exact) while the store is small or index.type is 'flat', an HNSW graph once
// 'auto' reaches the threshold (built from the flat index, which it then
// replaces) or from the start with index.type 'hnsw'. Vectors are stored once.
import { AllowList } from '../indexes/allow-list.js';
import { FlatIndex } from '../indexes/flat-index.js';
import { MappedFlatIndex } from './mapped-flat-index.js';
import { describe, type Metric } from '../indexes/input.js';
import type { SearchResult } from '../indexes/results.js';
import type { BitSet } from './filter/bitset.js';
import { INDEX_OPTION_KEYS, type IndexOptions } from './types.js';
import { assertKnownKeys } from '../util/options.js';

/** What the store needs from an approximate index (HnswIndex satisfies it). */
export interface AnnIndex {
  readonly size: number;
  /** How the graph scores candidates while it walks (a loaded graph carries its own). */
  readonly quantization: AnnQuantization;
  labels(): Float64Array;
  get(label: number): Float32Array | undefined;
  getVectors(labels: Float64Array, out: Float32Array): Float32Array;
  reserve(n: number): void;
  add(labels: Float64Array, vectors: Float32Array): void;
  /** Same as add(), built off the JS thread. */
  addAsync(labels: Float64Array, vectors: Float32Array): Promise<void>;
  remove(labels: Float64Array): number;
  search(query: Float32Array, k: number, options: { ef?: number; filter?: AllowList }): SearchResult;
  save(path: string): void | Promise<void>;
}

export interface AnnFactory {
  create(dim: number, metric: Metric, options: ResolvedIndexOptions): AnnIndex;
  load(path: string, dim: number, metric: Metric, options: ResolvedIndexOptions): AnnIndex | Promise<AnnIndex>;
}

export interface ResolvedIndexOptions {
  type: 'auto' | 'flat' | 'hnsw';
  threshold: number;
  M: number;
  efConstruction: number;
  efSearch: number;
  quantization: AnnQuantization;
}

export type AnnQuantization = 'none' | 'int8' | 'rabitq';
const QUANTIZATIONS: readonly AnnQuantization[] = ['none', 'int8', 'rabitq'];

export const DEFAULT_THRESHOLD = 10_000;

/**
 * A filter allowing at least this share is applied after an unfiltered search
 * for a few more than topK (most hits pass anyway), which skips building a
 * large allow-list; if too few pass, the filtered search runs after all.
 */
const POST_FILTER_SHARE = 0.25;

/** A flat index of at least this many floats (~4 ms of scanning) is searched off the JS thread by query(). */
const ASYNC_SCAN_FLOATS = 1 << 22;

/** One search a filtered-search plan asks for: k hits, optionally among allowed slots. */
interface SearchStep {
  k: number;
  filter?: BitSet;
}

function positiveInt(value: unknown, name: string, fallback: number, max: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`index.${name}: expected an integer from ${min} to ${max}, got ${String(value)}`);
  return value;
}

/** `where` names the options for an unknown key, e.g. 'VectorStore.open options.index'. */
export function resolveIndexOptions(options: IndexOptions | undefined, where = 'index options'): ResolvedIndexOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw new TypeError(`index: expected { type, M, efConstruction, efSearch, threshold, quantization }, got ${String(options)}`);
  assertKnownKeys(options, INDEX_OPTION_KEYS, where);
  const o = options ?? {};
  const type = o.type ?? 'auto';
  if (type !== 'auto' && type !== 'flat' && type !== 'hnsw')
    throw new RangeError(`index.type: expected 'auto', 'flat' or 'hnsw', got ${JSON.stringify(type)}`);
  const quantization = o.quantization === undefined ? 'none' : o.quantization;
  if (!QUANTIZATIONS.includes(quantization))
    throw new RangeError(`index.quantization: expected 'none', 'int8' or 'rabitq', got ${describe(quantization)}`);
  return {
    type,
    threshold: positiveInt(o.threshold, 'threshold', DEFAULT_THRESHOLD, 2 ** 31),
    M: positiveInt(o.M, 'M', 16, 256, 2), // HnswIndex needs at least 2
    efConstruction: positiveInt(o.efConstruction, 'efConstruction', 200, 65536),
    efSearch: positiveInt(o.efSearch, 'efSearch', 64, 65536),
    quantization,
  };
}

/** The exact index: a FlatIndex, or a read-only store's MappedFlatIndex. */
type ExactIndex = FlatIndex | MappedFlatIndex;

/** A filter's bit set as the native indexes take it: its words, copied once (no list of labels in between). */
const nativeFilter = (allow: BitSet | undefined) => (allow ? { filter: AllowList.fromBits(allow.words) } : {});

export class SlotIndex {
  /** Holds the vectors until a graph takes over ('flat', and 'auto' below the threshold). */
  #flat: ExactIndex | undefined;
  /** Holds the vectors once present ('hnsw', and 'auto' from the threshold on). */
  #ann: AnnIndex | undefined;

  constructor(
    readonly dim: number,
    readonly metric: Metric,
    readonly options: ResolvedIndexOptions,
    readonly annFactory: AnnFactory | undefined,
  ) {
    if (options.type === 'hnsw') this.#ann = this.#requireFactory().create(dim, metric, options);
    else this.#flat = new FlatIndex({ dim, metric });
  }

  get size(): number {
    return this.#ann ? this.#ann.size : this.#flat!.size;
  }

  get ann(): AnnIndex | undefined {
    return this.#ann;
  }

  /** The graph's quantization once there is one (a loaded graph's own), else the one it will be built with. */
  get quantization(): AnnQuantization {
    return this.#ann?.quantization ?? this.options.quantization;
  }

  /** The index that holds the vectors and answers queries. */
  get #primary(): ExactIndex | AnnIndex {
    return this.#ann ?? this.#flat!;
  }

  /** Installs a graph loaded from a snapshot; it holds the vectors from now on. */
  setAnn(ann: AnnIndex): void {
    this.#ann = ann;
    this.#flat = undefined;
  }

  #requireFactory(): AnnFactory {
    if (!this.annFactory) throw new Error("index.type 'hnsw': HnswIndex is not available in this build");
    return this.annFactory;
  }

  /**
   * Adds or replaces vectors (validated input, so the native calls do not fail
   * on data). An HNSW insert is synchronous so that no query ever sees a batch
   * half applied; it runs on the native threads.
   */
  add(slots: Float64Array, vectors: Float32Array): void {
    this.#primary.add(slots, vectors);
  }

  /** add() with a graph insert off the JS thread (the flat add is a copy, done in place). */
  async addAsync(slots: Float64Array, vectors: Float32Array): Promise<void> {
    if (this.#ann) await this.#ann.addAsync(slots, vectors);
    else this.#flat!.add(slots, vectors);
  }

  remove(slots: Float64Array): void {
    this.#primary.remove(slots);
  }

  get(slot: number): Float32Array | undefined {
    return this.#primary.get(slot);
  }

  /** Copies the vectors of `slots` (all present) row-major into `out`. */
  readVectors(slots: Float64Array, out: Float32Array): void {
    this.#primary.getVectors(slots, out);
  }

  /** Sizes storage for `n` vectors at once (a load of known size). */
  reserve(n: number): void {
    this.#primary.reserve(n);
  }

  /** True when 'auto' has reached the threshold and the HNSW index is still to be built. */
  get needsAnn(): boolean {
    return this.options.type === 'auto' && !!this.annFactory && !this.#ann && this.#flat!.size >= this.options.threshold;
  }

  /**
   * Builds the HNSW index from every stored vector, off the JS thread. The
   * caller keeps writes out meanwhile (queries go on, answered exactly); the
   * graph is installed only once complete, and then replaces the flat index.
   */
  async buildAnn(): Promise<void> {
    if (!this.needsAnn) return;
    const flat = this.#flat!;
    const ann = this.annFactory!.create(this.dim, this.metric, this.options);
    const labels = flat.labels();
    const vectors = new Float32Array(labels.length * this.dim);
    for (let i = 0; i < labels.length; i++) vectors.set(flat.get(labels[i])!, i * this.dim);
    await ann.addAsync(labels, vectors);
    this.setAnn(ann);
  }

  /** Installs a read-only store's exact index over a snapshot's mapped vectors (in place of the empty flat index). */
  setMapped(index: MappedFlatIndex): void {
    if (!this.#flat || this.#flat.size !== 0) throw new Error('setMapped: the index must be flat and empty');
    this.#flat = index;
  }

  /** Lets go of memory held outside the JS heap that no query may use any more (a read-only store's mapped vectors). */
  release(): void {
    (this.#flat as Partial<MappedFlatIndex> | undefined)?.release?.();
  }

  /** Whether the graph answers queries (rather than exact search). */
  get usesAnn(): boolean {
    return this.#ann !== undefined;
  }

  /**
   * The k nearest slots among `allow` (every slot when undefined; `allowCount`
   * is its population). The graph scores the allowed vectors directly when a
   * filter is selective (HnswIndex decides by cost), so selective filters are exact.
   */
  search(query: Float32Array, k: number, allow: BitSet | undefined, allowCount: number, ef: number | undefined): SearchResult {
    const plan = this.#plan(k, allow, allowCount);
    let step = plan.next();
    while (!step.done) step = plan.next(this.#run(query, step.value, k, ef));
    return step.value;
  }

  /** Whether an exact scan of this index takes long enough to belong off the JS thread. */
  get scanIsLong(): boolean {
    return !this.#ann && this.size * this.dim >= ASYNC_SCAN_FLOATS;
  }

  /** search() with exact scans of the flat index run off the JS thread. */
  async searchAsync(query: Float32Array, k: number, allow: BitSet | undefined, allowCount: number, ef: number | undefined): Promise<SearchResult> {
    const plan = this.#plan(k, allow, allowCount);
    let step = plan.next();
    while (!step.done) {
      const r = this.#ann ? this.#run(query, step.value, k, ef) : await this.#exactAsync(query, step.value);
      step = plan.next(r);
    }
    return step.value;
  }

  #exact(query: Float32Array, { k, filter }: SearchStep): SearchResult {
    const flat = this.#flat!;
    return flat instanceof MappedFlatIndex ? flat.search(query, k, filter) : flat.search(query, k, nativeFilter(filter));
  }

  #exactAsync(query: Float32Array, { k, filter }: SearchStep): Promise<SearchResult> {
    const flat = this.#flat!;
    return flat instanceof MappedFlatIndex ? flat.searchAsync(query, k, filter) : flat.searchAsync(query, k, nativeFilter(filter));
  }

  /** One search of the index holding the vectors. */
  #run(query: Float32Array, step: SearchStep, k: number, ef: number | undefined): SearchResult {
    if (!this.#ann) return this.#exact(query, step);
    const { k: kk, filter } = step;
    const n = this.size;
    let beam = Math.max(ef ?? this.options.efSearch, k);
    // An 'auto' store that shrank below the threshold keeps its graph; searching it with a beam as
    // wide as the store keeps small stores (near) exact.
    if (this.options.type === 'auto' && n < this.options.threshold) beam = Math.max(beam, n);
    return this.#ann.search(query, kk, { ef: Math.max(beam, kk), ...nativeFilter(filter) });
  }

  /**
   * The filtered-search strategy, as the searches it needs (yielded) and the result (returned),
   * so the sync and async searches share it.
   */
  *#plan(k: number, allow: BitSet | undefined, allowCount: number): Generator<SearchStep, SearchResult, SearchResult> {
    const n = this.size;
    if (!allow) return yield { k };
    if (allowCount >= n * POST_FILTER_SHARE) {
      let wanted = Math.min(n, Math.ceil((k * n) / allowCount * 1.5) + 8);
      // An exact scan costs about the same for a larger k, so the flat index retries
      // once with 8x more hits (for filters correlated with the query) before the allow-list.
      for (let attempt = 0; attempt < (this.#ann ? 1 : 2); attempt++, wanted = Math.min(n, wanted * 8)) {
        const r = yield { k: wanted };
        let m = 0;
        for (let i = 0; i < r.labels.length && m < k; i++) {
          if (!allow.has(r.labels[i])) continue;
          r.labels[m] = r.labels[i];
          r.distances[m] = r.distances[i];
          m++;
        }
        // Exact for the flat index: the first k allowed of an exact ranking are the filtered top k.
        if (m >= k || r.labels.length >= n) return { labels: r.labels.subarray(0, m), distances: r.distances.subarray(0, m) };
      }
    }
    return yield { k, filter: allow };
  }
}
