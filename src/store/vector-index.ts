// The store's vectors, keyed by slot. A FlatIndex always holds every vector
// (exact answers, get(), snapshots); an approximate (HNSW) index is added on
// top once the store is large enough, and a small planner picks which one
// answers each query.
import { FlatIndex } from '../indexes/flat-index.js';
import type { Metric } from '../indexes/input.js';
import type { SearchResult } from '../indexes/results.js';
import type { IndexOptions } from './types.js';

/** What the store needs from an approximate index (HnswIndex satisfies it). */
export interface AnnIndex {
  readonly size: number;
  add(labels: Float64Array, vectors: Float32Array): void;
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

  /** Adds or replaces vectors; validated input, so the native calls do not fail on data. */
  add(slots: Float64Array, vectors: Float32Array): void {
    this.flat.add(slots, vectors);
    if (this.#ann) this.#ann.add(slots, vectors);
    else this.#maybeBuildAnn();
  }

  /** Snapshot load: vectors go to the flat index; an approximate index was loaded with setAnn (or is built here). */
  load(slots: Float64Array, vectors: Float32Array): void {
    this.flat.add(slots, vectors);
    if (!this.#ann) this.#maybeBuildAnn();
  }

  remove(slots: Float64Array): void {
    this.flat.remove(slots);
    this.#ann?.remove(slots);
  }

  get(slot: number): Float32Array | undefined {
    return this.flat.get(slot);
  }

  /** 'auto' builds the approximate index from every stored vector when the store reaches the threshold. */
  #maybeBuildAnn(): void {
    if (this.options.type !== 'auto' || !this.annFactory || this.flat.size < this.options.threshold) return;
    const ann = this.annFactory.create(this.dim, this.metric, this.options);
    const labels = this.flat.labels();
    const vectors = new Float32Array(labels.length * this.dim);
    for (let i = 0; i < labels.length; i++) vectors.set(this.flat.get(labels[i])!, i * this.dim);
    ann.add(labels, vectors);
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

  search(query: Float32Array, k: number, allow: Float64Array | undefined, ef: number | undefined): SearchResult {
    if (this.usesAnn(allow?.length)) {
      return this.#ann!.search(query, k, { ef: Math.max(ef ?? this.options.efSearch, k), ...(allow ? { filter: allow } : {}) });
    }
    return this.flat.search(query, k, allow ? { filter: allow } : {});
  }
}
