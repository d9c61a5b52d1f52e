// MappedVectors: a read-only view of float32 vectors memory-mapped from a file
// (row-major, row r at byteOffset + r * dim * 4, e.g. a snapshot's vectors.qvec
// from byte 4096), searched exactly. Processes that map the same file share the
// page cache's copy instead of each loading a private one.
//
// Distances are FlatIndex's for the same metric, computed by the same kernels,
// so results of the two can be merged; labels are row numbers and ties come
// out by row ascending.
import { native } from '../native/load.js';
import type { NativeSearchResult } from '../native/types.js';
import { checkDim, checkK, checkMetric, checkOut, describe, toQuery, type Metric, type VectorLike } from './input.js';
import type { SearchResult } from './results.js';
import { assertKnownKeys, optionKeys } from '../util/options.js';

export interface MappedVectorsOptions {
  /** Where row 0 starts in the file: a multiple of 4 (4096 in vectors.qvec). */
  byteOffset: number;
  /** Rows mapped; the file must hold at least byteOffset + rows * dim * 4 bytes. */
  rows: number;
  dim: number;
  /** 'cosine' (1 - cosine similarity), 'euclidean' (L2, not squared) or 'ip' (1 - dot product). */
  metric: Metric;
}
export const MAPPED_VECTORS_OPTION_KEYS = optionKeys<MappedVectorsOptions>()('byteOffset', 'rows', 'dim', 'metric');

export interface MappedSearchOptions {
  /** Bitset over rows (bit r of word r >>> 5 set: row r may be returned); at least ceil(rows / 32) words. */
  allow?: Uint32Array;
}
export const MAPPED_SEARCH_OPTION_KEYS = optionKeys<MappedSearchOptions>()('allow');

/** The largest row count (labels and bitset indexes stay 32-bit). */
const MAX_ROWS = 4294967295;

// The addon's class (native/binding/mapped_vectors_wrap.cpp).
interface NativeMappedVectors {
  get(row: number): Float32Array;
  getMany(rows: Float64Array, out: Float32Array): Float32Array;
  search(queries: Float32Array, nq: number, k: number, threads?: number, allow?: Uint32Array): NativeSearchResult;
  searchAsync(queries: Float32Array, nq: number, k: number, threads?: number, allow?: Uint32Array): Promise<NativeSearchResult>;
  close(): void;
}
type NativeMappedVectorsClass = new (path: string, byteOffset: number, rows: number, dim: number, metric: Metric) => NativeMappedVectors;

function nativeClass(): NativeMappedVectorsClass {
  const cls = (native() as unknown as { NativeMappedVectors?: NativeMappedVectorsClass }).NativeMappedVectors;
  if (!cls) throw new Error('quiverdb: the loaded native addon has no MappedVectors (built from older sources); rebuild it: npm run build:native');
  return cls;
}

function checkInteger(value: unknown, name: string, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name}: expected a non-negative integer, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new RangeError(`${name}: expected an integer from 0 to ${max}, got ${value}`);
  return value;
}

export class MappedVectors {
  readonly rows: number;
  readonly dim: number;
  readonly metric: Metric;
  #native: NativeMappedVectors | undefined;

  private constructor(handle: NativeMappedVectors, rows: number, dim: number, metric: Metric) {
    this.#native = handle;
    this.rows = rows;
    this.dim = dim;
    this.metric = metric;
  }

  /**
   * Maps `rows` vectors of `dim` floats from `byteOffset` of the file at `path`
   * (read-only, shared). Throws if the file is missing or shorter than
   * byteOffset + rows * dim * 4 bytes. The file must not be truncated or
   * rewritten in place while mapped (replace it by rename, as snapshots are).
   */
  static open(path: string, options: MappedVectorsOptions): MappedVectors {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError(`path: expected a file path, got ${describe(path)}`);
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`options: expected { byteOffset, rows, dim, metric }, got ${describe(options)}`);
    assertKnownKeys(options, MAPPED_VECTORS_OPTION_KEYS, 'MappedVectors.open options');
    const byteOffset = checkInteger(options.byteOffset, 'byteOffset', Number.MAX_SAFE_INTEGER);
    if (byteOffset % 4 !== 0)
      throw new RangeError(`byteOffset: expected a multiple of 4 (the vectors must be float-aligned), got ${byteOffset}`);
    const rows = checkInteger(options.rows, 'rows', MAX_ROWS);
    const dim = checkDim(options.dim);
    const metric = checkMetric(options.metric);
    return new MappedVectors(new (nativeClass())(path, byteOffset, rows, dim, metric), rows, dim, metric);
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#native === undefined;
  }

  /** A copy of row `row`. */
  get(row: number): Float32Array {
    return this.#open().get(row);
  }

  /**
   * The vectors of `rows`, row-major (rows.length * dim floats), written into
   * `out` when given (its length must be rows.length * dim). Throws a RangeError
   * naming the first row out of range (out is then untouched).
   */
  getMany(rows: Float64Array | readonly number[], out?: Float32Array): Float32Array {
    const handle = this.#open();
    let r: Float64Array;
    if (rows instanceof Float64Array) r = rows; // native copies it before checking it
    else if (Array.isArray(rows)) r = Float64Array.from(rows, Number);
    else throw new TypeError(`rows: expected a Float64Array or an array of row numbers, got ${describe(rows)}`);
    return handle.getMany(r, checkOut(out, r.length, this.dim));
  }

  /** The k rows nearest to `query`, nearest first (ties by row); labels are row numbers. */
  search(query: VectorLike, k: number, options: MappedSearchOptions = {}): SearchResult {
    const handle = this.#open();
    const args = this.#searchArgs(query, k, options, 'MappedVectors.search');
    const r = handle.search(args.query, 1, k, undefined, args.allow);
    return { labels: r.labels, distances: r.distances };
  }

  /**
   * Same as search(), computed off the JS thread. The query and the allow bitset
   * are copied before this returns; close() meanwhile does not disturb it (the
   * mapping is released when the search is done).
   */
  async searchAsync(query: VectorLike, k: number, options: MappedSearchOptions = {}): Promise<SearchResult> {
    const handle = this.#open();
    const args = this.#searchArgs(query, k, options, 'MappedVectors.searchAsync');
    const r = await handle.searchAsync(args.query, 1, k, undefined, args.allow);
    return { labels: r.labels, distances: r.distances };
  }

  /** Releases this object's mapping (searches in flight keep it until they finish). Idempotent. */
  close(): void {
    this.#native?.close();
    this.#native = undefined;
  }

  #open(): NativeMappedVectors {
    if (!this.#native) throw new Error('MappedVectors is closed');
    return this.#native;
  }

  #searchArgs(query: VectorLike, k: number, options: MappedSearchOptions, where: string) {
    assertKnownKeys(options, MAPPED_SEARCH_OPTION_KEYS, `${where} options`);
    const q = toQuery(query, this.dim);
    for (let i = 0; i < q.length; i++)
      if (!Number.isFinite(q[i])) throw new RangeError(`query[${i}]: expected a finite number, got ${q[i]}`);
    checkK(k);
    const allow = options?.allow;
    if (allow !== undefined) {
      if (!(allow instanceof Uint32Array)) throw new TypeError(`allow: expected a Uint32Array bitset, got ${describe(allow)}`);
      const words = Math.ceil(this.rows / 32);
      if (allow.length < words)
        throw new RangeError(`allow: expected at least ${words} words (one bit per row, ${this.rows} rows), got ${allow.length}`);
    }
    return { query: q, allow };
  }
}
