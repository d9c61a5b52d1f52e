// Result shapes shared by every index.
import { optionKeys } from '../util/options.js';

/**
 * A search's hits; the caller owns them (no later call changes them). Results of one
 * query with up to 341 hits are views into a shared 8 KiB ArrayBuffer, like Node's
 * small Buffers: `labels.buffer` may hold other results too, and it cannot be
 * transferred to a worker (copy with `labels.slice()` for that).
 */
export interface SearchResult {
  /** Labels, nearest first. */
  labels: Float64Array;
  /** Distances matching `labels`, ascending (ties ordered by label). */
  distances: Float32Array;
}

export interface BatchSearchResult extends SearchResult {
  /** Columns per query row: min(k, index size). `labels` holds nq * k entries, row-major. */
  k: number;
  /** Number of query rows. */
  nq: number;
}

export interface BatchOptions {
  /** Native threads to spread the batch over (default: all cores). */
  threads?: number;
}
export const BATCH_OPTION_KEYS = optionKeys<BatchOptions>()('threads');
