// The engine-neutral public behaviour of a quiverdb store: what the RAG layer,
// the LangChain adapter and applications may rely on whichever engine holds
// the records. The in-process VectorStore (src/store/vector-store.ts) and the
// PostgreSQL engine (quiverdb/pg, PgVectorStore) both satisfy it structurally:
// same methods, same validation, same filter language with the same answers,
// same scores and distances.
import type { Metric, VectorLike } from '../indexes/input.js';
import type {
  Filter, ListedRecord, ListOptions, QueryHit, QueryOptions, StoredRecord, UpsertInput, UpsertOptions,
} from './types.js';

export interface VectorStoreApi {
  /** Vector dimension (fixed at creation). */
  readonly dim: number;
  /** Distance metric (fixed at creation). */
  readonly metric: Metric;
  /**
   * Inserts or replaces records (an array of { id, vector, metadata? }, one record, or
   * columns { ids, vectors, metadata? }); with `deleteIds`, deletes those ids in the same
   * atomic step. All or nothing: a batch that fails changes nothing. The input is
   * validated and copied before this returns.
   */
  upsert(input: UpsertInput, options?: UpsertOptions): Promise<void>;
  /** The records for `ids`, in order; undefined where an id is unknown. */
  get(ids: readonly string[]): Promise<(StoredRecord | undefined)[]>;
  /** Deletes records by id; resolves to how many existed. */
  delete(ids: readonly string[]): Promise<number>;
  /** Deletes every record matching `filter` (required; `{}` means all); resolves to how many. */
  deleteWhere(filter: Filter): Promise<number>;
  /** Number of records matching `filter` (all without one). */
  count(filter?: Filter): Promise<number>;
  /** The records matching `filter`, in batches of `batchSize`. */
  list(options?: ListOptions): AsyncGenerator<ListedRecord>;
  /** The topK nearest records matching `filter`, best first; min(topK, matches) of them. */
  query(vector: VectorLike, options?: QueryOptions): Promise<QueryHit[]>;
  /** Waits for pending writes and releases what the store holds. Idempotent. */
  close(): Promise<void>;
}

/**
 * What some engines add: `size` (the in-process store knows its record count
 * synchronously; a database-backed store does not, and leaves it out),
 * `directory` (a durable in-process store's folder) and `readOnly`.
 */
export interface VectorStoreExtras {
  readonly size?: number;
  readonly directory?: string;
  /** A read-only follower (`VectorStore.open(dir, { readOnly: true })`): nothing may be written beside it. */
  readonly readOnly?: boolean;
}
