// Public types of the VectorStore.
import type { Metric, VectorLike } from '../indexes/input.js';
import type { JsonValue, Metadata } from './metadata.js';
import type { Filter } from './filter/types.js';
import { optionKeys } from '../util/options.js';

export type { JsonValue, Metadata, Filter };

export interface IndexOptions {
  /**
   * 'auto' (default): exact FlatIndex answers while the store holds fewer than
   * `threshold` vectors, HNSW above. 'flat': always exact. 'hnsw': always HNSW.
   */
  type?: 'auto' | 'flat' | 'hnsw';
  /** Vectors at which 'auto' switches from exact search to HNSW (default 10,000). */
  threshold?: number;
  M?: number;
  efConstruction?: number;
  efSearch?: number;
  /**
   * How the HNSW graph scores candidates while it walks (see HnswIndex): 'none' (default) float32,
   * 'int8' or 'rabitq' compact codes (less memory traffic; hits are re-ranked with exact distances).
   * Fixed when the store is created, like M and efConstruction.
   */
  quantization?: 'none' | 'int8' | 'rabitq';
}
// Each options type has the list of its keys next to it (unknown keys are refused);
// optionKeys<T>() fails to compile when a list and its type differ.
// (Order matters for suggestions: the first of equally close names is suggested, so `ef` gets efSearch.)
export const INDEX_OPTION_KEYS = optionKeys<IndexOptions>()('type', 'threshold', 'M', 'efSearch', 'efConstruction', 'quantization');

export interface VectorStoreOptions {
  dim: number;
  metric?: Metric;
  index?: IndexOptions;
}
export const VECTOR_STORE_OPTION_KEYS = optionKeys<VectorStoreOptions>()('dim', 'metric', 'index');

export interface OpenOptions extends Partial<VectorStoreOptions> {
  /**
   * 'fsync' (default): every write is on disk before its promise resolves.
   * 'none': writes reach the OS but are only forced to disk by flush()/close()
   * (for bulk loads; a crash can lose writes made since the last flush).
   */
  durability?: 'fsync' | 'none';
  /** Write a snapshot and truncate the log once it grows past this many bytes (default 64 MiB). */
  snapshotBytes?: number;
  /**
   * Open as a read-only follower: no lock is taken, so any number of readers (in any number of
   * processes) open the store while one writer holds it. Readers follow the writer's log; write
   * methods reject with ReadOnlyStoreError. The store must exist.
   */
  readOnly?: boolean;
  /**
   * Read-only stores: how often to look for the writer's new writes, in ms (default 100; 0 looks
   * only when refresh() is called).
   */
  refreshIntervalMs?: number;
}
export const OPEN_OPTION_KEYS = optionKeys<OpenOptions>()('dim', 'metric', 'index', 'durability', 'snapshotBytes', 'readOnly', 'refreshIntervalMs');

export interface WaitOptions {
  /** Give up after this many ms (default 30,000): the promise rejects with a timeout error. */
  timeoutMs?: number;
}
export const WAIT_OPTION_KEYS = optionKeys<WaitOptions>()('timeoutMs');

export interface UpsertRecord {
  id: string;
  vector: VectorLike | Float64Array;
  metadata?: Metadata;
}

export interface UpsertColumns {
  ids: readonly string[];
  /** n * dim floats row-major, or one vector per id. */
  vectors: Float32Array | Float64Array | readonly (VectorLike | Float64Array)[];
  metadata?: readonly (Metadata | undefined)[];
}

export type UpsertInput = readonly UpsertRecord[] | UpsertRecord | UpsertColumns;

export interface UpsertOptions {
  /**
   * Ids to delete in the same write: the upsert and these deletions are one
   * atomic, durable step (one log frame), so a crash applies both or neither.
   * Unknown ids are ignored; an id may not be both upserted and deleted.
   */
  deleteIds?: readonly string[];
}
export const UPSERT_OPTION_KEYS = optionKeys<UpsertOptions>()('deleteIds');

export interface QueryOptions {
  topK?: number;
  filter?: Filter;
  includeVectors?: boolean;
  includeMetadata?: boolean;
  /** HNSW beam width for this query (ignored by exact search). */
  efSearch?: number;
}
export const QUERY_OPTION_KEYS = optionKeys<QueryOptions>()('topK', 'filter', 'includeVectors', 'includeMetadata', 'efSearch');

export interface QueryHit {
  id: string;
  /** Higher is better: cosine similarity, dot product, or minus the Euclidean distance. */
  score: number;
  /** The index distance (cosine: 1 - cos, ip: 1 - dot, euclidean: L2). */
  distance: number;
  metadata: Metadata;
  vector?: Float32Array;
}

export interface StoredRecord {
  id: string;
  vector: Float32Array;
  metadata: Metadata;
}

/** A record yielded by list(): `vector` is left out when includeVectors is false. */
export interface ListedRecord {
  id: string;
  vector?: Float32Array;
  metadata: Metadata;
}

export interface ListOptions {
  filter?: Filter;
  batchSize?: number;
  includeVectors?: boolean;
}
export const LIST_OPTION_KEYS = optionKeys<ListOptions>()('filter', 'batchSize', 'includeVectors');
