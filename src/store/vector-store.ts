// VectorStore: string ids, metadata with a MongoDB-style filter language, and
// (with open()) durable persistence. Writes go through one serial queue: each
// batch is validated and copied, logged (fsync'd) and only then applied to
// memory, so queries only ever see acknowledged writes and a failed batch
// changes nothing. Queries run synchronously against memory.
//
// A store opened with { readOnly: true } is a follower (persistence/follower.ts):
// no lock, no writes; its state follows the writer's log, refreshed through the
// same queue, and is swapped whole when a reloaded snapshot takes over.
import { EventEmitter } from 'node:events';
import type { VectorStoreApi } from './api.js';
import { checkMetric, checkDim, describe, toQuery, type Metric, type VectorLike } from '../indexes/input.js';
import { annFactory } from './ann-factory.js';
import { compileFilter } from './filter/compile.js';
import type { BitSet } from './filter/bitset.js';
import type { SearchResult } from '../indexes/results.js';
import type { FilterNode } from './filter/types.js';
import { ReadOnlyStoreError } from './persistence/errors.js';
import { Follower } from './persistence/follower.js';
import { RefreshSchedule } from './persistence/refresh-schedule.js';
import { readManifest } from './persistence/layout.js';
import { Storage, checkAgainstManifest } from './persistence/storage.js';
import { toIdList, toRecordBatch, upsertDeletions, type RecordBatch } from './records.js';
import { SerialQueue } from './queue.js';
import { StoreState } from './store-state.js';
import {
  LIST_OPTION_KEYS, OPEN_OPTION_KEYS, QUERY_OPTION_KEYS, VECTOR_STORE_OPTION_KEYS, WAIT_OPTION_KEYS,
  type Filter, type IndexOptions, type ListedRecord, type ListOptions, type OpenOptions, type QueryHit, type QueryOptions, type StoredRecord,
  type UpsertInput, type UpsertOptions, type VectorStoreOptions, type WaitOptions,
} from './types.js';
import { assertKnownKeys } from '../util/options.js';
import { resolveIndexOptions, type AnnQuantization, type ResolvedIndexOptions } from './vector-index.js';

const DEFAULT_SNAPSHOT_BYTES = 64 * 1024 * 1024;
const DEFAULT_REFRESH_MS = 100;
const DEFAULT_WAIT_MS = 30_000;
const LARGE_BATCH_FLOATS = 1 << 18;

/**
 * Resumes in a later turn of the event loop, after timers and I/O polling. (setImmediate
 * called from an I/O callback, such as an fsync completing, runs in the same loop
 * iteration, before any timer or new I/O gets its turn.)
 */
function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, 0));
}

function checkOptionsObject(options: unknown, what: string): void {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${what}: expected an options object such as { dim: 384, metric: 'cosine' }, got ${describe(options)}`);
}

function scoreOf(metric: Metric, distance: number): number {
  // cosine: 1 - cos and ip: 1 - dot, so both give back the similarity; euclidean: closer is higher.
  return metric === 'euclidean' ? -distance : 1 - distance;
}

function checkTopK(k: unknown): number {
  if (k === undefined) return 10;
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1) throw new RangeError(`query: topK: expected a positive integer, got ${describe(k)}`);
  return k;
}

/** The index options given explicitly (checked against the stored ones on reopen). */
function explicitIndexOf(options: OpenOptions, resolved: ResolvedIndexOptions): Partial<ResolvedIndexOptions> {
  const explicit: Partial<ResolvedIndexOptions> = {};
  for (const key of ['type', 'threshold', 'M', 'efConstruction', 'quantization'] as const) {
    const v = (options.index as IndexOptions | undefined)?.[key];
    if (v !== undefined) (explicit as Record<string, unknown>)[key] = resolved[key];
  }
  return explicit;
}

interface PreparedQuery {
  q: Float32Array;
  topK: number;
  ef: number;
  filter: FilterNode;
  withMetadata: boolean;
  withVectors: boolean;
}

export class VectorStore extends EventEmitter implements VectorStoreApi {
  readonly dim: number;
  readonly metric: Metric;
  #state: StoreState;
  #storage: Storage | undefined;
  /** Set for a read-only store: the state it follows. */
  #follower: Follower | undefined;
  /** A read-only store's directory (a writer's is its storage's). */
  #directory: string | undefined;
  #refreshSchedule: RefreshSchedule | undefined;
  /** The message of the last background refresh error reported without an 'error' listener (reported once). */
  #lastWarned: string | undefined;
  #queue = new SerialQueue();
  #closed = false;
  #efSearch: number;
  /** After a failed background snapshot: the log size at which to try again. */
  #snapshotRetryBytes = 0;

  /** An in-memory store. Use VectorStore.open(dir, options) for a durable one. */
  constructor(options: VectorStoreOptions) {
    super();
    checkOptionsObject(options, 'VectorStore');
    assertKnownKeys(options, VECTOR_STORE_OPTION_KEYS, 'VectorStore options');
    this.dim = checkDim(options.dim);
    this.metric = checkMetric(options.metric ?? 'cosine');
    const index = resolveIndexOptions(options.index, 'VectorStore options.index');
    this.#efSearch = index.efSearch;
    this.#state = new StoreState(this.dim, this.metric, index, annFactory);
  }

  /**
   * Creates or reopens a durable store in `dir`. Options are checked against
   * the stored ones (dim, metric, index type, M, efConstruction, quantization, threshold may
   * be omitted on reopen). Fails with StoreLockedError while the directory is open elsewhere.
   */
  static async open(dir: string, options: OpenOptions = {}): Promise<VectorStore> {
    if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`VectorStore.open: dir: expected a directory path, got ${describe(dir)}`);
    checkOptionsObject(options, 'VectorStore.open');
    assertKnownKeys(options, OPEN_OPTION_KEYS, 'VectorStore.open options');
    const dim = options.dim === undefined ? undefined : checkDim(options.dim);
    const metric = options.metric === undefined ? undefined : checkMetric(options.metric);
    const resolvedIndex = resolveIndexOptions(options.index, 'VectorStore.open options.index');
    if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean')
      throw new TypeError(`VectorStore.open: readOnly: expected true or false, got ${describe(options.readOnly)}`);
    if (options.readOnly) {
      for (const key of ['durability', 'snapshotBytes'] as const)
        if (options[key] !== undefined) throw new TypeError(`VectorStore.open: ${key} applies to the writer; a read-only store never writes`);
      const refreshMs = options.refreshIntervalMs ?? DEFAULT_REFRESH_MS;
      if (typeof refreshMs !== 'number' || !Number.isFinite(refreshMs) || refreshMs < 0)
        throw new RangeError(`VectorStore.open: refreshIntervalMs: expected a number of ms >= 0, got ${describe(refreshMs)}`);
      return VectorStore.#openReader(dir, { dim, metric, resolvedIndex, explicit: explicitIndexOf(options, resolvedIndex), refreshMs });
    }
    if (options.refreshIntervalMs !== undefined) throw new TypeError('VectorStore.open: refreshIntervalMs applies to read-only stores ({ readOnly: true })');
    const durability = options.durability ?? 'fsync';
    if (durability !== 'fsync' && durability !== 'none')
      throw new RangeError(`VectorStore.open: durability: expected 'fsync' or 'none', got ${describe(durability)}`);
    const snapshotBytes = options.snapshotBytes ?? DEFAULT_SNAPSHOT_BYTES;
    if (typeof snapshotBytes !== 'number' || !(snapshotBytes >= 0))
      throw new RangeError(`VectorStore.open: snapshotBytes: expected a non-negative number, got ${describe(snapshotBytes)}`);
    const explicitIndex = explicitIndexOf(options, resolvedIndex);
    const { storage, state } = await Storage.open(
      dir, { dim, metric, index: explicitIndex, resolvedIndex, durability, snapshotBytes }, annFactory,
    );
    const store = new VectorStore({ dim: storage.manifest.dim, metric: storage.manifest.metric, index: { type: 'flat' } });
    try {
      await state.index.buildAnn();
    } catch (err) {
      await storage.abandon(); // the log still holds every write; the directory is released
      throw err;
    }
    state.fields.startBuilding();
    store.#state = state;
    store.#storage = storage;
    store.#efSearch = resolvedIndex.efSearch;
    return store;
  }

  static async #openReader(
    dir: string,
    o: { dim: number | undefined; metric: Metric | undefined; resolvedIndex: ResolvedIndexOptions; explicit: Partial<ResolvedIndexOptions>; refreshMs: number },
  ): Promise<VectorStore> {
    const manifest = await readManifest(dir).catch((err) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    });
    if (!manifest)
      throw new Error(`VectorStore.open(${JSON.stringify(dir)}, { readOnly: true }): no store there (yet): a read-only store follows an existing one, it cannot create it`);
    checkAgainstManifest(dir, manifest, { dim: o.dim, metric: o.metric, index: o.explicit });
    const follower = await Follower.open({
      dir, manifest, index: { ...o.resolvedIndex, ...manifest.index }, annFactory, mapVectors: true,
    });
    const store = new VectorStore({ dim: manifest.dim, metric: manifest.metric, index: { type: 'flat' } });
    store.#follower = follower;
    store.#state = follower.state;
    store.#state.fields.startBuilding();
    store.#efSearch = o.resolvedIndex.efSearch;
    store.#directory = dir;
    if (o.refreshMs > 0)
      store.#refreshSchedule = new RefreshSchedule(dir, o.refreshMs, () => store.#backgroundRefresh(), (err) => store.#reportRefreshError(err));
    return store;
  }

  /** Whether the store was opened with { readOnly: true }. */
  get readOnly(): boolean {
    return this.#follower !== undefined;
  }

  /**
   * The log sequence number of the last write this store reflects: for the writer, its last
   * acknowledged write (read it after `await upsert(...)`); for a reader, the last write it has
   * applied. Pass the writer's value to a reader's waitFor() to read your own writes. 0 for a
   * store never written, and for an in-memory store.
   */
  get lsn(): number {
    return this.#follower ? this.#follower.lsn : (this.#storage?.lsn ?? 0);
  }

  /**
   * Read-only stores: catches up with the writer now (every write acknowledged before the call
   * is visible when it resolves). Rejects with the error if the store's files cannot be read;
   * the store keeps serving its last state. On the writer, resolves at once.
   */
  refresh(): Promise<void> {
    try {
      this.#checkOpen('refresh');
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.#follower) return Promise.resolve();
    return this.#queue.run(() => this.#refreshNow());
  }

  async #refreshNow(): Promise<void> {
    if (this.#closed) return;
    const before = this.lsn;
    if (await this.#follower!.refresh()) {
      this.#state.fields.stopBuilding();
      this.#state = this.#follower!.state;
      this.#state.fields.startBuilding();
    }
    if (this.lsn !== before) this.emit('refresh', { lsn: this.lsn });
  }

  async #backgroundRefresh(): Promise<void> {
    if (this.#closed) return;
    await this.#queue.run(() => this.#refreshNow());
    this.#lastWarned = undefined;
  }

  /** An 'error' event when someone listens; else a process warning, once per cause. */
  #reportRefreshError(err: Error): void {
    if (this.#closed) return;
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else if (err.message !== this.#lastWarned) {
      this.#lastWarned = err.message;
      process.emitWarning(`quiverdb: read-only store ${this.#directory} cannot follow its writer: ${err.message}`, 'QuiverStoreWarning');
    }
  }

  /**
   * Resolves once this store reflects the write with LSN `lsn` (from the writer's `lsn` after
   * that write was acknowledged): read-your-writes across processes. Rejects after
   * options.timeoutMs (default 30 s).
   */
  async waitFor(lsn: number, options: WaitOptions = {}): Promise<void> {
    this.#checkOpen('waitFor');
    if (typeof lsn !== 'number' || !Number.isSafeInteger(lsn) || lsn < 0) throw new RangeError(`waitFor: lsn: expected an integer >= 0, got ${describe(lsn)}`);
    if (typeof options !== 'object' || options === null) throw new TypeError(`waitFor: options: expected an object, got ${describe(options)}`);
    assertKnownKeys(options, WAIT_OPTION_KEYS, 'VectorStore.waitFor options');
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) throw new RangeError(`waitFor: timeoutMs: expected a number of ms >= 0, got ${describe(timeoutMs)}`);
    const deadline = Date.now() + timeoutMs;
    for (let pause = 1; this.lsn < lsn; pause = Math.min(pause * 2, 50)) {
      if (!this.#follower) throw new RangeError(`waitFor: LSN ${lsn} is past this writer's last write (${this.lsn})`);
      await this.refresh();
      if (this.lsn >= lsn) break;
      if (Date.now() >= deadline) throw new Error(`waitFor: this store reflects LSN ${this.lsn}, still short of ${lsn} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** Number of records. */
  get size(): number {
    return this.#state.size;
  }

  /**
   * The index that holds the vectors and answers queries: 'flat' (exact) below
   * the threshold or with index.type 'flat'; 'hnsw' from the threshold on or
   * with index.type 'hnsw' (selective filters are still answered exactly).
   */
  get activeIndex(): 'flat' | 'hnsw' {
    return this.#state.index.usesAnn ? 'hnsw' : 'flat';
  }

  /**
   * How the HNSW graph scores candidates while it walks ('none', 'int8' or 'rabitq'; index.quantization,
   * fixed at creation). Reported by the graph itself once there is one.
   */
  get quantization(): AnnQuantization {
    return this.#state.index.quantization;
  }

  /** The directory of a durable store, or undefined for an in-memory one. */
  get directory(): string | undefined {
    return this.#storage?.dir ?? this.#directory;
  }

  #checkOpen(op: string): void {
    if (this.#closed) throw new Error(`${op}: the store is closed`);
  }

  #checkWritable(op: string): void {
    this.#checkOpen(op);
    if (this.#follower) throw new ReadOnlyStoreError(op, this.#directory!);
  }

  /** Runs a write through the queue; rejects (changing nothing) if the store is closed. */
  #write<T>(op: string, task: () => Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      this.#checkOpen(op);
      const result = await task();
      if (this.#state.index.needsAnn) void this.#queue.run(() => this.#buildAnn());
      if (this.#storage?.shouldSnapshot) void this.#queue.run(() => this.#backgroundSnapshot());
      return result;
    });
  }

  async #buildAnn(): Promise<void> {
    try {
      await this.#state.index.buildAnn();
    } catch (err) {
      // Queries stay exact (flat) and the build is retried after the next write.
      process.emitWarning(`quiverdb: building the HNSW index failed: ${(err as Error).message}`, 'QuiverStoreWarning');
    }
  }

  async #backgroundSnapshot(): Promise<void> {
    if (this.#closed || !this.#storage?.shouldSnapshot || this.#storage.logBytes < this.#snapshotRetryBytes) return;
    try {
      await this.#storage.snapshot(this.#state);
      this.#snapshotRetryBytes = 0;
    } catch (err) {
      // The log still holds every write, so nothing is lost. Retry once the log has grown by
      // another quarter (not after every write: each attempt rewrites the whole store).
      this.#snapshotRetryBytes = this.#storage.logBytes * 1.25;
      process.emitWarning(`quiverdb: snapshot of ${this.#storage.dir} failed: ${(err as Error).message}`, 'QuiverStoreWarning');
    }
  }

  /**
   * Inserts or replaces records: an array of { id, vector, metadata? }, one
   * record, or columns { ids, vectors, metadata? }. All or nothing; resolves
   * once the batch is durable (durability 'fsync'). The input is validated and
   * copied before this returns: changing it afterwards changes nothing.
   */
  upsert(input: UpsertInput, options: UpsertOptions = {}): Promise<void> {
    let batch: RecordBatch, deleteIds: string[];
    try {
      this.#checkWritable('upsert');
      batch = toRecordBatch(input, this.dim);
      deleteIds = upsertDeletions(batch, options, 'VectorStore.upsert options');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#write('upsert', async () => {
      const deletes = this.#existing(deleteIds);
      if (batch.ids.length === 0) {
        if (deletes.length > 0) {
          await this.#storage?.logDelete(deletes);
          this.#state.applyDelete(deletes);
        }
        return;
      }
      // A large batch is logged and applied in separate turns of the event loop, and the
      // promise resolves a turn after the apply, so a caller's next batch (validated as soon
      // as this one resolves) does not share the apply's turn either.
      const large = batch.vectors.length >= LARGE_BATCH_FLOATS;
      if (large) await nextTurn();
      await this.#storage?.logUpsert(batch, deletes);
      await this.#state.applyUpsertAsync(batch);
      if (deletes.length > 0) this.#state.applyDelete(deletes);
      if (large) await nextTurn();
    });
  }

  /** The ids (without repeats) that are stored now. */
  #existing(ids: readonly string[]): string[] {
    return [...new Set(ids)].filter((id) => this.#state.slotOf.has(id));
  }

  /** Deletes records by id; returns how many existed. Unknown ids are ignored. The ids are copied before this returns. */
  delete(ids: readonly string[]): Promise<number> {
    let list: string[];
    try {
      this.#checkWritable('delete');
      list = [...toIdList(ids, 'delete')];
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#write('delete', async () => {
      const existing = this.#existing(list);
      if (existing.length === 0) return 0;
      await this.#storage?.logDelete(existing);
      return this.#state.applyDelete(existing).length;
    });
  }

  /**
   * Deletes every record matching `filter`; returns how many. The filter is required: `{}`
   * deletes every record, while undefined or null is refused (a missing filter never means
   * "all"). It is checked and copied before this returns, and evaluated when the write runs.
   */
  deleteWhere(filter: Filter): Promise<number> {
    let node: FilterNode;
    try {
      this.#checkWritable('deleteWhere');
      if (filter === undefined || filter === null)
        throw new TypeError(`deleteWhere: filter is required, got ${describe(filter)} (pass {} to delete every record)`);
      node = compileFilter(filter);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#write('deleteWhere', async () => {
      await this.#filterable(node);
      const set = this.#state.match(node);
      const ids = this.#state.idsOf(set ?? this.#state.live);
      if (ids.length === 0) return 0;
      await this.#storage?.logDelete(ids);
      return this.#state.applyDelete(ids).length;
    });
  }

  /**
   * Resolves when `node` can be evaluated without blocking: after open, the field indexes
   * are built in the background, and async calls wait for that build (in slices) instead of
   * completing it in one go as querySync must.
   */
  #filterable(node: FilterNode): Promise<void> {
    return node.kind === 'all' || this.#state.fields.built ? Promise.resolve() : this.#state.fields.whenReady();
  }

  /**
   * The topK nearest records to `vector` that match `filter`, best first. The vector and
   * options are checked and copied before this returns.
   */
  query(vector: VectorLike, options: QueryOptions = {}): Promise<QueryHit[]> {
    let prepared: PreparedQuery;
    try {
      prepared = this.#prepareQuery(vector, options, true, 'VectorStore.query options');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#filterable(prepared.filter).then(() => (this.#state.index.scanIsLong ? this.#runQueryAsync(prepared) : this.#runQuery(prepared)));
  }

  /**
   * A query whose exact scan runs off the JS thread (a large flat index). Writes may commit
   * meanwhile, so the scan is repeated if the store changed under it (a slot could have been
   * freed and reused), and answered on the JS thread after a few tries.
   */
  async #runQueryAsync(p: PreparedQuery): Promise<QueryHit[]> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const start = this.#beginQuery(p);
      if (Array.isArray(start)) return start;
      const state = this.#state;
      const version = state.version;
      const r = await state.index.searchAsync(p.q, start.k, start.allow, start.allowCount, p.ef);
      this.#checkOpen('query');
      // A read-only store may have swapped in a reloaded state meanwhile: its slots differ.
      if (this.#state === state && state.version === version) return this.#hits(p, r);
    }
    return this.#runQuery(p);
  }

  /** query() without the promise (it never waits: a filter right after open completes the field indexes first). */
  querySync(vector: VectorLike, options: QueryOptions = {}): QueryHit[] {
    return this.#runQuery(this.#prepareQuery(vector, options, false, 'VectorStore.querySync options'));
  }

  #prepareQuery(vector: VectorLike, options: QueryOptions, copy: boolean, where: string): PreparedQuery {
    this.#checkOpen('query');
    if (typeof options !== 'object' || options === null) throw new TypeError(`query: options: expected an object, got ${describe(options)}`);
    assertKnownKeys(options, QUERY_OPTION_KEYS, where);
    const q = toQuery(vector, this.dim, 'query: vector', copy ? new Float32Array(this.dim) : undefined);
    const topK = checkTopK(options.topK);
    const ef = options.efSearch;
    if (ef !== undefined && (typeof ef !== 'number' || !Number.isInteger(ef) || ef < 1))
      throw new RangeError(`query: efSearch: expected a positive integer, got ${describe(ef)}`);
    return {
      q, topK, ef: ef ?? this.#efSearch, filter: compileFilter(options.filter),
      withMetadata: options.includeMetadata !== false, withVectors: !!options.includeVectors,
    };
  }

  /** The allow-list and k of a query, or its (empty) answer. */
  #beginQuery({ topK, filter }: PreparedQuery): { allow: BitSet | undefined; allowCount: number; k: number } | QueryHit[] {
    this.#checkOpen('query');
    const state = this.#state;
    let allow = state.match(filter);
    if (state.size === 0) return [];
    let allowCount = state.size;
    if (allow) {
      allowCount = allow.count();
      if (allowCount === 0) return [];
      if (allowCount === state.size) allow = undefined;
    }
    // topK may be any positive safe integer; no search returns more than the matching records.
    return { allow, allowCount, k: Math.min(topK, allowCount) };
  }

  #runQuery(p: PreparedQuery): QueryHit[] {
    const start = this.#beginQuery(p);
    if (Array.isArray(start)) return start;
    const { allow, allowCount, k } = start;
    const state = this.#state;
    let r = state.index.search(p.q, k, allow, allowCount, p.ef);
    // While an upsert inserts into the graph off the JS thread, its new slots can
    // come back before they hold a record: skip them, searching deeper if needed.
    if (state.pendingInserts > 0 && !r.labels.every((slot) => state.idAt[slot] !== undefined))
      r = state.index.search(p.q, Math.min(k + state.pendingInserts, state.index.size), allow, allowCount, p.ef);
    return this.#hits(p, r);
  }

  /** Hits from search results: slots become ids (slots holding no record yet are skipped). */
  #hits({ topK, withMetadata, withVectors }: PreparedQuery, r: SearchResult): QueryHit[] {
    const state = this.#state;
    const hits: QueryHit[] = [];
    for (let i = 0; i < r.labels.length && hits.length < topK; i++) {
      const slot = r.labels[i];
      const id = state.idAt[slot];
      if (id === undefined) continue;
      const distance = r.distances[i];
      const hit: QueryHit = {
        id,
        score: scoreOf(this.metric, distance),
        distance,
        metadata: withMetadata ? state.metadataOf(slot)! : {},
      };
      if (withVectors) hit.vector = state.index.get(slot);
      hits.push(hit);
    }
    return hits;
  }

  /** The records for `ids`, in order; undefined where an id is unknown. */
  async get(ids: readonly string[]): Promise<(StoredRecord | undefined)[]> {
    this.#checkOpen('get');
    const list = toIdList(ids, 'get');
    return list.map((id) => this.#record(this.#state.slotOf.get(id), true));
  }

  #record(slot: number | undefined, withVector: true): StoredRecord | undefined;
  #record(slot: number | undefined, withVector: boolean): ListedRecord | undefined;
  #record(slot: number | undefined, withVector: boolean): ListedRecord | undefined {
    if (slot === undefined) return undefined;
    const id = this.#state.idAt[slot]!;
    const metadata = this.#state.metadataOf(slot)!;
    return withVector ? { id, vector: this.#state.index.get(slot)!, metadata } : { id, metadata };
  }

  /** Number of records matching `filter` (all records without one). The filter is copied before this returns. */
  count(filter?: Filter): Promise<number> {
    let node: FilterNode;
    try {
      this.#checkOpen('count');
      node = compileFilter(filter);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#filterable(node).then(() => {
      this.#checkOpen('count');
      const set = this.#state.match(node);
      return set ? set.count() : this.#state.size;
    });
  }

  /**
   * Iterates the records matching `filter` in batches of `batchSize` (default
   * 1000). The options are checked and copied when list() is called; the
   * matching set is fixed when iteration starts; records deleted meanwhile are
   * skipped, records updated meanwhile are yielded as they are now.
   */
  list(options: ListOptions = {}): AsyncGenerator<ListedRecord> {
    try {
      this.#checkOpen('list');
      if (typeof options !== 'object' || options === null) throw new TypeError(`list: options: expected an object, got ${describe(options)}`);
      assertKnownKeys(options, LIST_OPTION_KEYS, 'VectorStore.list options');
      const batchSize = options.batchSize ?? 1000;
      if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1)
        throw new RangeError(`list: batchSize: expected a positive integer, got ${describe(batchSize)}`);
      const node = compileFilter(options.filter);
      return this.#iterate(node, batchSize, options.includeVectors !== false);
    } catch (err) {
      // Reported where an iteration would report it: by the first next().
      return (async function* failed(): AsyncGenerator<ListedRecord> {
        throw err;
      })();
    }
  }

  async *#iterate(node: FilterNode, batchSize: number, withVectors: boolean): AsyncGenerator<ListedRecord> {
    await this.#filterable(node);
    this.#checkOpen('list');
    const set = this.#state.match(node);
    const ids = this.#state.idsOf(set ?? this.#state.live);
    for (let start = 0; start < ids.length; start += batchSize) {
      const batch: ListedRecord[] = [];
      for (const id of ids.slice(start, start + batchSize)) {
        const rec = this.#record(this.#state.slotOf.get(id), withVectors);
        if (rec) batch.push(rec);
      }
      for (const rec of batch) yield rec;
      // Let queued writes run between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Makes every acknowledged write durable (needed after writes with durability 'none'). */
  flush(): Promise<void> {
    if (this.#follower) return Promise.reject(new ReadOnlyStoreError('flush', this.#directory!));
    return this.#write('flush', async () => {
      await this.#storage?.flush();
    });
  }

  /** Writes a snapshot now and truncates the log (open() and close() do this when useful). */
  snapshot(): Promise<void> {
    if (this.#follower) return Promise.reject(new ReadOnlyStoreError('snapshot', this.#directory!));
    return this.#write('snapshot', async () => {
      await this.#storage?.snapshot(this.#state);
    });
  }

  /** Waits for pending writes, snapshots a durable store and releases its directory. Idempotent. */
  close(): Promise<void> {
    return this.#queue.run(async () => {
      if (this.#closed) return;
      this.#closed = true;
      this.#refreshSchedule?.stop();
      this.#state.fields.stopBuilding();
      await this.#follower?.close();
      await this.#storage?.close(this.#state);
    });
  }

  /**
   * close(), for `await using store = await VectorStore.open(dir)`: the store is closed
   * (its directory released) when the block exits, also when it throws. Idempotent.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
