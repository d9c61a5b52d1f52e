// The store's vectors, keyed by slot. A FlatIndex always holds every vector
// (exact answers, get(), snapshots); an approximate (HNSW) index is added on
// top once the store is large enough, and a small planner picks which one
// answers each query.
import { FlatIndex } from '../indexes/flat-index.js';
import type { Metric } from '../indexes/input.js';
import type { SearchResult } from '../indexes/results.js';
import type { BitSet } from './filter/bitset.js';
import type { IndexOptions } from './types.js';

/** What the store needs from an approximate index (HnswIndex satisfies it). */
export interface AnnIndex {
  readonly size: number;
  add(labels: Float64Array, vectors: Float32Array): void;
  /** Same as add(), built off the JS thread. */
  addAsync(labels: Float64Array, vectors: Float32Array): Promise<void>;
  remove(labels: Float64Array): number;
  search(query: Float32Array, k: number, options: { ef?: number; filter?: Float64Array }): SearchResult;
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
}

export const DEFAULT_THRESHOLD = 10_000;

/**
 * A filtered query whose allow-list is at most this share of the store is
 * answered exactly by the flat index, which then scores only the allowed
 * vectors: that is both exact and faster than a graph walk that must skip
 * almost every node it visits.
 */
const EXACT_FILTER_SHARE = 1 / 32;
const EXACT_FILTER_MIN = 4096;
/**
 * A filter allowing at least this share is applied after an unfiltered search
 * for a few more than topK (most hits pass anyway), which skips building a
 * large allow-list; if too few pass, the filtered search runs after all.
 */
const POST_FILTER_SHARE = 0.5;

function positiveInt(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw new RangeError(`index.${name}: expected an integer from 1 to ${max}, got ${String(value)}`);
  return value;
}

export function resolveIndexOptions(options: IndexOptions | undefined): ResolvedIndexOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw new TypeError(`index: expected { type, M, efConstruction, efSearch, threshold }, got ${String(options)}`);
  const o = options ?? {};
  const type = o.type ?? 'auto';
  if (type !== 'auto' && type !== 'flat' && type !== 'hnsw')
    throw new RangeError(`index.type: expected 'auto', 'flat' or 'hnsw', got ${JSON.stringify(type)}`);
  return {
    type,
    threshold: positiveInt(o.threshold, 'threshold', DEFAULT_THRESHOLD, 2 ** 31),
    M: positiveInt(o.M, 'M', 16, 256),
    efConstruction: positiveInt(o.efConstruction, 'efConstruction', 200, 65536),
    efSearch: positiveInt(o.efSearch, 'efSearch', 64, 65536),
  };
}

export class SlotIndex {
  readonly flat: FlatIndex;
  #ann: AnnIndex | undefined;

  constructor(
    readonly dim: number,
    readonly metric: Metric,
    readonly options: ResolvedIndexOptions,
    readonly annFactory: AnnFactory | undefined,
  ) {
    this.flat = new FlatIndex({ dim, metric });
    if (options.type === 'hnsw') this.#ann = this.#requireFactory().create(dim, metric, options);
  }

  get size(): number {
    return this.flat.size;
  }

  get ann(): AnnIndex | undefined {
    return this.#ann;
  }

  /** Installs an approximate index loaded from a snapshot (its labels must equal the flat index's). */
  setAnn(ann: AnnIndex): void {
    this.#ann = ann;
  }

  #requireFactory(): AnnFactory {
    if (!this.annFactory) throw new Error("index.type 'hnsw': HnswIndex is not available in this build");
    return this.annFactory;
  }

  /**
   * Adds or replaces vectors (validated input, so the native calls do not fail
   * on data). The HNSW insert is synchronous so that no query ever sees a batch
   * half applied; it runs on the native threads.
   */
  add(slots: Float64Array, vectors: Float32Array): void {
    // The graph first: if it throws, neither index has changed (the flat add only fails on out-of-memory).
    this.#ann?.add(slots, vectors);
    this.flat.add(slots, vectors);
  }

  /** Snapshot load: vectors go to the flat index; an approximate index was loaded with setAnn. */
  load(slots: Float64Array, vectors: Float32Array): void {
    this.flat.add(slots, vectors);
  }

  remove(slots: Float64Array): void {
    this.flat.remove(slots);
    this.#ann?.remove(slots);
  }

  get(slot: number): Float32Array | undefined {
    return this.flat.get(slot);
  }

  /** True when 'auto' has reached the threshold and the HNSW index is still to be built. */
  get needsAnn(): boolean {
    return this.options.type === 'auto' && !!this.annFactory && !this.#ann && this.flat.size >= this.options.threshold;
  }

  /**
   * Builds the HNSW index from every stored vector, off the JS thread. The
   * caller keeps writes out meanwhile (queries go on, answered exactly), and
   * the index is installed only once complete.
   */
  async buildAnn(): Promise<void> {
    if (!this.needsAnn) return;
    const ann = this.annFactory!.create(this.dim, this.metric, this.options);
    const labels = this.flat.labels();
    const vectors = new Float32Array(labels.length * this.dim);
    for (let i = 0; i < labels.length; i++) vectors.set(this.flat.get(labels[i])!, i * this.dim);
    await ann.addAsync(labels, vectors);
    this.#ann = ann;
  }

  /** Which index answers: exact below the threshold and for selective filters, HNSW otherwise. */
  usesAnn(allowCount: number | undefined): boolean {
    if (!this.#ann || this.options.type === 'flat') return false;
    const n = this.flat.size;
    if (this.options.type === 'auto' && n < this.options.threshold) return false;
    if (allowCount !== undefined && allowCount <= Math.max(EXACT_FILTER_MIN, n * EXACT_FILTER_SHARE)) return false;
    return true;
  }

  /** The k nearest slots among `allow` (every slot when undefined; `allowCount` is its population). */
  search(query: Float32Array, k: number, allow: BitSet | undefined, allowCount: number, ef: number | undefined): SearchResult {
    const ann = this.usesAnn(allow ? allowCount : undefined);
    const run = (kk: number, filter?: Float64Array) =>
      ann ? this.#ann!.search(query, kk, { ef: Math.max(ef ?? this.options.efSearch, kk), ...(filter ? { filter } : {}) })
        : this.flat.search(query, kk, filter ? { filter } : {});
    if (!allow) return run(k);
    const n = this.flat.size;
    if (allowCount >= n * POST_FILTER_SHARE) {
      const wanted = Math.min(n, Math.ceil((k * n) / allowCount * 1.5) + 8);
      const r = run(wanted);
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
    return run(k, allow.toLabels(allowCount));
  }
}
