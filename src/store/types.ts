// Public types of the VectorStore.
import type { Metric, VectorLike } from '../indexes/input.js';
import type { JsonValue, Metadata } from './metadata.js';
import type { Filter } from './filter/types.js';

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
}

export interface VectorStoreOptions {
  dim: number;
  metric?: Metric;
  index?: IndexOptions;
}

export interface OpenOptions extends Partial<VectorStoreOptions> {
  /**
   * 'fsync' (default): every write is on disk before its promise resolves.
   * 'none': writes reach the OS but are only forced to disk by flush()/close()
   * (for bulk loads; a crash can lose writes made since the last flush).
   */
  durability?: 'fsync' | 'none';
  /** Write a snapshot and truncate the log once it grows past this many bytes (default 64 MiB). */
  snapshotBytes?: number;
}

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

export interface QueryOptions {
  topK?: number;
  filter?: Filter;
  includeVectors?: boolean;
  includeMetadata?: boolean;
  /** HNSW beam width for this query (ignored by exact search). */
  efSearch?: number;
}

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
