// PgVectorStore: quiverdb's store API (src/store/api.ts) on PostgreSQL + pgvector.
// Same methods, same input validation, same filter language with the same
// answers (filter-sql.ts), same scores and distances as the in-process
// VectorStore. Written for PostgreSQL 13+ and pgvector 0.8+ (iterative index
// scans; older pgvector works, with the exact fallback doing more of the work).
//
// `client` is anything with query(text, params): a pg.Pool (a transaction runs
// on one checked-out connection), a pg.Client (used directly; the store runs
// one statement or transaction at a time on it), or a PGlite instance (its
// transaction() is used). The store never ends a client it was given.
import { checkDim, checkMetric, describe, toQuery, type Metric, type VectorLike } from '../indexes/input.js';
import { compileFilter } from '../store/filter/compile.js';
import type { FilterNode } from '../store/filter/types.js';
import type { Metadata } from '../store/metadata.js';
import { toIdList, toRecordBatch, upsertDeletions, type RecordBatch } from '../store/records.js';
import { SerialQueue } from '../store/queue.js';
import {
  LIST_OPTION_KEYS, QUERY_OPTION_KEYS,
  type Filter, type ListedRecord, type ListOptions, type QueryHit, type QueryOptions, type StoredRecord, type UpsertInput, type UpsertOptions,
} from '../store/types.js';
import type { VectorStoreApi } from '../store/api.js';
import { assertKnownKeys, optionKeys } from '../util/options.js';
import { checkPgFilter, checkPgJson, checkPgString, filterToSql, SqlParams } from './filter-sql.js';

/** What the store needs of a client: pg.Pool, pg.Client, pg.PoolClient, PGlite. */
export interface PgQueryable {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

export interface PgIndexOptions {
  /** HNSW graph degree (pgvector `m`, 2..100, default 16). */
  M?: number;
  /** HNSW build beam (pgvector `ef_construction`, 4..1000 and at least 2 * M, default 200). */
  efConstruction?: number;
  /** Default query beam (`hnsw.ef_search`, 1..1000, default 64). */
  efSearch?: number;
}
export const PG_INDEX_OPTION_KEYS = optionKeys<PgIndexOptions>()('M', 'efConstruction', 'efSearch');

export interface PgVectorStoreOptions {
  /** pg.Pool, pg.Client or PGlite: anything with query(text, params). Never ended by the store. */
  client: PgQueryable;
  /** Table name: `name` or `schema.name`, each an identifier ([A-Za-z_][A-Za-z0-9_]*; the name at most 48 characters). */
  table: string;
  /** Required to create the table; checked against the stored value on reopen. */
  dim?: number;
  metric?: Metric;
  index?: PgIndexOptions;
}
export const PG_VECTOR_STORE_OPTION_KEYS = optionKeys<PgVectorStoreOptions>()('client', 'table', 'dim', 'metric', 'index');

/** The version of the schema this code creates (recorded in `<table>_quiver`). */
export const PG_SCHEMA_VERSION = 1;

/** Options or schema that do not match the table's (like the local store's manifest mismatch). */
export class PgSchemaError extends Error {
  readonly code = 'QUIVER_PG_SCHEMA';
  constructor(message: string) {
    super(message);
    this.name = 'PgSchemaError';
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_TABLE = 48; // leaves room for the suffixes of the derived names within PostgreSQL's 63 bytes

/** Validates `name` or `schema.name`; returns [schema | undefined, name]. */
export function parseTableName(table: unknown): [string | undefined, string] {
  if (typeof table !== 'string') throw new TypeError(`PgVectorStore.open: table: expected a table name, got ${describe(table)}`);
  const parts = table.split('.');
  const bad = parts.length > 2 || parts.some((p) => !IDENT.test(p) || p.length > 63) || parts[parts.length - 1].length > MAX_TABLE;
  if (bad) {
    throw new RangeError(`PgVectorStore.open: table: expected an identifier ([A-Za-z_][A-Za-z0-9_]*, at most ${MAX_TABLE} characters), ` +
      `optionally schema-qualified (schema.name), got ${describe(table)}`);
  }
  return parts.length === 2 ? [parts[0], parts[1]] : [undefined, parts[0]];
}

const quote = (ident: string) => `"${ident}"`; // only ever applied to names matching IDENT

const OPS: Record<Metric, { op: string; opclass: string }> = {
  cosine: { op: '<=>', opclass: 'vector_cosine_ops' },
  euclidean: { op: '<->', opclass: 'vector_l2_ops' },
  ip: { op: '<#>', opclass: 'vector_ip_ops' },
};
/** pgvector indexes `vector` columns of at most this many dimensions with HNSW. */
const HNSW_MAX_DIM = 2000;
/** Rows per INSERT statement of an upsert (all in one transaction). */
const INSERT_ROWS = 2000;
/** And at most about this many characters of JSON per statement. */
const INSERT_CHARS = 8 << 20;

function intOption(v: unknown, name: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new RangeError(`PgVectorStore.open: index.${name}: expected an integer from ${min} to ${max}, got ${describe(v)}`);
  return v;
}

function checkTopK(k: unknown): number {
  if (k === undefined) return 10;
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1) throw new RangeError(`query: topK: expected a positive integer, got ${describe(k)}`);
  return k;
}

/** pgvector's text form of a float32 vector (each value's shortest double form, which parses back to the same float32). */
export function vectorText(v: Float32Array, from = 0, dim = v.length): string {
  let s = '[';
  for (let j = 0; j < dim; j++) s += (j ? ',' : '') + v[from + j];
  return s + ']';
}

export function parseVectorText(text: string, dim: number): Float32Array {
  const out = new Float32Array(dim);
  const body = text.slice(1, -1);
  let j = 0;
  for (const part of body.split(',')) out[j++] = Number(part);
  return out;
}

/**
 * The store's distance between a query and a stored vector, as the in-process engine
 * computes it (native/index/metric.h, in float32): Euclidean (not squared), 1 - dot,
 * or 1 - cosine clamped to [0, 2], with a zero vector at cosine distance 1. Sums run
 * in double and are rounded to float32 (the native kernels sum in float32 lanes, so
 * the two agree to about one float32 ulp).
 */
function distanceOf(metric: Metric, q: Float32Array, v: Float32Array): number {
  const f = Math.fround;
  let dot = 0, qq = 0, vv = 0, l2 = 0;
  for (let j = 0; j < q.length; j++) {
    const a = q[j], b = v[j];
    dot += a * b;
    if (metric === 'cosine') {
      qq += a * a;
      vv += b * b;
    } else if (metric === 'euclidean') l2 += (a - b) * (a - b);
  }
  if (metric === 'euclidean') return f(Math.sqrt(f(l2)));
  if (metric === 'ip') return f(1 - f(dot));
  const qn = f(Math.sqrt(f(qq))), vn = f(Math.sqrt(f(vv)));
  if (qn === 0 || vn === 0) return 1;
  const sim = f(f(dot) / f(qn * vn));
  return Math.min(2, Math.max(0, f(1 - sim)));
}

function scoreOf(metric: Metric, distance: number): number {
  return metric === 'euclidean' ? -distance : 1 - distance;
}

type Row = Record<string, unknown>;
interface Runner {
  query(text: string, params?: unknown[]): Promise<Row[]>;
}

/** How statements and transactions run on the caller's client. */
interface Executor {
  /** One statement (autocommit). */
  run(text: string, params?: unknown[]): Promise<Row[]>;
  /** `fn` inside one transaction on one connection: committed if it resolves, rolled back if it throws. */
  tx<T>(fn: (r: Runner) => Promise<T>): Promise<T>;
}

const runnerOf = (c: PgQueryable): Runner => ({ query: async (text, params) => (await c.query(text, params ?? [])).rows as Row[] });

function executorFor(client: PgQueryable): Executor {
  const c = client as PgQueryable & Record<string, unknown>;
  const direct = runnerOf(client);
  if (typeof c.transaction === 'function') {
    // PGlite: transaction() holds its connection for the whole callback.
    const tx = c.transaction as <T>(fn: (t: PgQueryable) => Promise<T>) => Promise<T>;
    return { run: direct.query, tx: <T>(fn: (r: Runner) => Promise<T>): Promise<T> => tx.call(client, (t: PgQueryable) => fn(runnerOf(t))) as Promise<T> };
  }
  if (typeof c.connect === 'function' && typeof c.release !== 'function' && 'totalCount' in c) {
    // pg.Pool: a transaction on one checked-out connection.
    const pool = client as PgQueryable & { connect(): Promise<PgQueryable & { release(err?: unknown): void }> };
    return {
      run: direct.query,
      async tx(fn) {
        const conn = await pool.connect();
        let broken: unknown;
        try {
          await conn.query('BEGIN');
          try {
            const result = await fn(runnerOf(conn));
            await conn.query('COMMIT');
            return result;
          } catch (err) {
            await conn.query('ROLLBACK').catch((e: unknown) => (broken = e));
            throw err;
          }
        } finally {
          conn.release(broken); // a connection that failed to roll back is discarded
        }
      },
    };
  }
  // One connection (pg.Client, a PoolClient): the store's statements and transactions take turns.
  const turns = new SerialQueue();
  return {
    run: (text, params) => turns.run(() => direct.query(text, params)),
    tx: (fn) => turns.run(async () => {
      await direct.query('BEGIN');
      try {
        const result = await fn(direct);
        await direct.query('COMMIT');
        return result;
      } catch (err) {
        await direct.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }),
  };
}

interface Stored {
  version: number;
  dim: number;
  metric: Metric;
  m: number;
  ef_construction: number;
}

interface PreparedQuery {
  q: Float32Array;
  topK: number;
  ef: number;
  node: FilterNode;
  withMetadata: boolean;
  withVectors: boolean;
}

export class PgVectorStore implements VectorStoreApi {
  readonly dim: number;
  readonly metric: Metric;
  /** The quoted, possibly schema-qualified table name. */
  readonly table: string;
  readonly #exec: Executor;
  readonly #writes = new SerialQueue();
  readonly #efSearch: number;
  readonly #iterative: boolean;
  readonly #hnsw: boolean;
  #closed = false;

  private constructor(exec: Executor, table: string, dim: number, metric: Metric, efSearch: number, iterative: boolean, hnsw: boolean) {
    this.#exec = exec;
    this.table = table;
    this.dim = dim;
    this.metric = metric;
    this.#efSearch = efSearch;
    this.#iterative = iterative;
    this.#hnsw = hnsw;
  }

  /**
   * Creates the table (and its indexes and `<table>_quiver` record of options) or
   * reopens it, checking the given options against the recorded ones (dim, metric,
   * index.M and index.efConstruction may be omitted on reopen).
   */
  static async open(options: PgVectorStoreOptions): Promise<PgVectorStore> {
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`PgVectorStore.open: expected options { client, table, dim, metric, index }, got ${describe(options)}`);
    assertKnownKeys(options, PG_VECTOR_STORE_OPTION_KEYS, 'PgVectorStore.open options');
    const client = options.client;
    if (typeof client !== 'object' || client === null || typeof (client as PgQueryable).query !== 'function')
      throw new TypeError(`PgVectorStore.open: client: expected a pg.Pool, pg.Client or PGlite (anything with query(text, params)), got ${describe(client)}`);
    const [schema, name] = parseTableName(options.table);
    const dim = options.dim === undefined ? undefined : checkDim(options.dim);
    const metric = options.metric === undefined ? undefined : checkMetric(options.metric);
    const index = options.index ?? {};
    if (typeof index !== 'object' || index === null) throw new TypeError(`PgVectorStore.open: index: expected { M, efConstruction, efSearch }, got ${describe(index)}`);
    assertKnownKeys(index, PG_INDEX_OPTION_KEYS, 'PgVectorStore.open options.index');
    const M = index.M === undefined ? undefined : intOption(index.M, 'M', 16, 2, 100);
    const efc = index.efConstruction === undefined ? undefined : intOption(index.efConstruction, 'efConstruction', 200, 4, 1000);
    const efSearch = intOption(index.efSearch, 'efSearch', 64, 1, 1000);
    if (efc !== undefined && efc < 2 * (M ?? 16))
      throw new RangeError(`PgVectorStore.open: index.efConstruction (${efc}) must be at least 2 * M (${2 * (M ?? 16)}) for pgvector`);

    const qualified = (n: string) => (schema ? `${quote(schema)}.${quote(n)}` : quote(n));
    const table = qualified(name);
    const metaTable = qualified(`${name}_quiver`);
    const where = `PgVectorStore.open(${JSON.stringify(options.table)})`;
    const exec = executorFor(client);

    const opened = await exec.tx(async (r) => {
      await r.query('SELECT pg_advisory_xact_lock(hashtext($1::text))', [`quiverdb:${options.table}`]);
      const [enc] = await r.query(`SELECT current_setting('server_encoding') AS e`);
      if (enc.e !== 'UTF8') throw new PgSchemaError(`${where}: the database encoding is ${String(enc.e)}; quiverdb needs UTF8`);
      let [ext] = await r.query(`SELECT extversion FROM pg_extension WHERE extname = 'vector'`);
      if (!ext) {
        await r.query('CREATE EXTENSION IF NOT EXISTS vector');
        [ext] = await r.query(`SELECT extversion FROM pg_extension WHERE extname = 'vector'`);
      }
      const version = String(ext.extversion);
      const [major, minor] = version.split('.').map(Number);
      const iterative = major > 0 || minor >= 8;
      const [exists] = await r.query('SELECT to_regclass($1::text) IS NOT NULL AS data, to_regclass($2::text) IS NOT NULL AS meta', [table, metaTable]);
      let stored: Stored | undefined;
      if (exists.meta) {
        [stored] = (await r.query(`SELECT version, dim, metric, m, ef_construction FROM ${metaTable}`)) as unknown as Stored[];
      }
      if (!stored) {
        if (exists.data) throw new PgSchemaError(`${where}: the table exists but is not a quiverdb store (no ${metaTable} record)`);
        if (dim === undefined) throw new TypeError(`${where}: no store there yet, so options.dim is required to create one`);
        stored = { version: PG_SCHEMA_VERSION, dim, metric: metric ?? 'cosine', m: M ?? 16, ef_construction: efc ?? 200 };
        if (stored.ef_construction < 2 * stored.m)
          throw new RangeError(`${where}: index.efConstruction (${stored.ef_construction}) must be at least 2 * M (${2 * stored.m}) for pgvector`);
        // DDL takes no parameters: every interpolated value here is a validated integer or a fixed keyword.
        await r.query(`CREATE TABLE IF NOT EXISTS ${metaTable} (one boolean PRIMARY KEY DEFAULT true CHECK (one), version integer NOT NULL, ` +
          `dim integer NOT NULL, metric text NOT NULL, m integer NOT NULL, ef_construction integer NOT NULL)`);
        await r.query(`CREATE TABLE ${table} (id text COLLATE "C" PRIMARY KEY, vector vector(${stored.dim}) NOT NULL, metadata jsonb NOT NULL DEFAULT '{}')`);
        await r.query(`CREATE INDEX ${quote(`${name}_metadata_gin`)} ON ${table} USING gin (metadata)`);
        if (stored.dim <= HNSW_MAX_DIM) {
          await r.query(`CREATE INDEX ${quote(`${name}_vector_hnsw`)} ON ${table} USING hnsw (vector ${OPS[stored.metric].opclass}) ` +
            `WITH (m = ${stored.m}, ef_construction = ${stored.ef_construction})`);
        }
        await r.query(`INSERT INTO ${metaTable} (version, dim, metric, m, ef_construction) VALUES ($1::int, $2::int, $3::text, $4::int, $5::int)`,
          [stored.version, stored.dim, stored.metric, stored.m, stored.ef_construction]);
      } else {
        const mismatch = (key: string, have: unknown, given: unknown) => new PgSchemaError(
          `${where}: ${key} is ${JSON.stringify(given)} in the options but the store was created with ${JSON.stringify(have)}`);
        if (stored.version !== PG_SCHEMA_VERSION)
          throw new PgSchemaError(`${where}: schema version ${stored.version}, this quiverdb reads version ${PG_SCHEMA_VERSION}`);
        if (dim !== undefined && dim !== stored.dim) throw mismatch('dim', stored.dim, dim);
        if (metric !== undefined && metric !== stored.metric) throw mismatch('metric', stored.metric, metric);
        if (M !== undefined && M !== stored.m) throw mismatch('index.M', stored.m, M);
        if (efc !== undefined && efc !== stored.ef_construction) throw mismatch('index.efConstruction', stored.ef_construction, efc);
        if (!exists.data) throw new PgSchemaError(`${where}: ${metaTable} records a store but the table ${table} is missing`);
      }
      return { stored, iterative };
    });
    const { stored, iterative } = opened;
    return new PgVectorStore(exec, table, stored.dim, checkMetric(stored.metric), efSearch, iterative, stored.dim <= HNSW_MAX_DIM);
  }

  #checkOpen(op: string): void {
    if (this.#closed) throw new Error(`${op}: the store is closed`);
  }

  #write<T>(op: string, task: () => Promise<T>): Promise<T> {
    return this.#writes.run(async () => {
      this.#checkOpen(op);
      return task();
    });
  }

  /** Compiles a filter, refusing strings PostgreSQL cannot hold. */
  #filter(filter: unknown): FilterNode {
    const node = compileFilter(filter);
    checkPgFilter(node);
    return node;
  }

  /** Ids that could be stored (others, with NUL or lone surrogates, can never match a record). */
  #storable(ids: readonly string[]): string[] {
    return ids.filter((id) => {
      try {
        checkPgString(id, 'id');
        return true;
      } catch {
        return false;
      }
    });
  }

  upsert(input: UpsertInput, options: UpsertOptions = {}): Promise<void> {
    let batch: RecordBatch, deleteIds: string[];
    try {
      this.#checkOpen('upsert');
      batch = toRecordBatch(input, this.dim);
      for (let i = 0; i < batch.ids.length; i++) {
        checkPgString(batch.ids[i], `upsert: record ${i}: id`);
        checkPgJson(batch.metadata[i], `upsert: record ${i} (id ${JSON.stringify(batch.ids[i])}): metadata`);
      }
      deleteIds = this.#storable(upsertDeletions(batch, options, 'PgVectorStore.upsert options'));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#write('upsert', () => this.#exec.tx(async (r) => {
      if (deleteIds.length > 0)
        await r.query(`DELETE FROM ${this.table} WHERE id IN (SELECT json_array_elements_text($1::text::json))`, [JSON.stringify(deleteIds)]);
      const dim = this.dim;
      // Statements of at most INSERT_ROWS rows and about INSERT_CHARS characters of JSON.
      let parts: string[] = [], chars = 0;
      const send = async () => {
        if (parts.length === 0) return;
        const json = `[${parts.join(',')}]`;
        parts = [];
        chars = 0;
        await r.query(
          `INSERT INTO ${this.table} (id, vector, metadata) SELECT r.id, r.v::vector, r.m FROM json_to_recordset($1::text::json) AS r(id text, v text, m jsonb) ` +
          'ON CONFLICT (id) DO UPDATE SET vector = EXCLUDED.vector, metadata = EXCLUDED.metadata',
          [json],
        );
      };
      for (let i = 0; i < batch.ids.length; i++) {
        const row = JSON.stringify({ id: batch.ids[i], v: vectorText(batch.vectors, i * dim, dim), m: batch.metadata[i] });
        parts.push(row);
        chars += row.length;
        if (parts.length >= INSERT_ROWS || chars >= INSERT_CHARS) await send();
      }
      await send();
    }));
  }

  delete(ids: readonly string[]): Promise<number> {
    let list: string[];
    try {
      this.#checkOpen('delete');
      list = this.#storable([...new Set(toIdList(ids, 'delete'))]);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#write('delete', async () => {
      if (list.length === 0) return 0;
      const [row] = await this.#exec.run(
        `WITH d AS (DELETE FROM ${this.table} WHERE id IN (SELECT json_array_elements_text($1::text::json)) RETURNING 1) SELECT count(*)::float8 AS n FROM d`,
        [JSON.stringify(list)]);
      return Number(row.n);
    });
  }

  deleteWhere(filter: Filter): Promise<number> {
    let node: FilterNode;
    try {
      this.#checkOpen('deleteWhere');
      if (filter === undefined || filter === null)
        throw new TypeError(`deleteWhere: filter is required, got ${describe(filter)} (pass {} to delete every record)`);
      node = this.#filter(filter);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#write('deleteWhere', async () => {
      const p = new SqlParams();
      const where = filterToSql(node, p);
      const [row] = await this.#exec.run(`WITH d AS (DELETE FROM ${this.table} WHERE ${where} RETURNING 1) SELECT count(*)::float8 AS n FROM d`, p.values);
      return Number(row.n);
    });
  }

  async get(ids: readonly string[]): Promise<(StoredRecord | undefined)[]> {
    this.#checkOpen('get');
    const list = toIdList(ids, 'get');
    const wanted = this.#storable([...new Set(list)]);
    const found = new Map<string, { v: string; metadata: Metadata }>();
    if (wanted.length > 0) {
      const rows = await this.#exec.run(
        `SELECT id, vector::text AS v, metadata FROM ${this.table} WHERE id IN (SELECT json_array_elements_text($1::text::json))`, [JSON.stringify(wanted)]);
      for (const row of rows) found.set(row.id as string, { v: row.v as string, metadata: row.metadata as Metadata });
    }
    // Each hit is its own copy (the same id asked twice gives two objects, as in process).
    return list.map((id) => {
      const f = found.get(id);
      return f ? { id, vector: parseVectorText(f.v, this.dim), metadata: structuredClone(f.metadata) } : undefined;
    });
  }

  count(filter?: Filter): Promise<number> {
    let node: FilterNode;
    try {
      this.#checkOpen('count');
      node = this.#filter(filter);
    } catch (err) {
      return Promise.reject(err);
    }
    const p = new SqlParams();
    const where = filterToSql(node, p);
    return this.#exec.run(`SELECT count(*)::float8 AS n FROM ${this.table} WHERE ${where}`, p.values).then(([row]) => Number(row.n));
  }

  /**
   * Iterates the records matching `filter` in id order (bytewise, COLLATE "C"), `batchSize`
   * at a time, by keyset pagination (each page starts after the last id of the previous one).
   * Unlike the in-process store the matching set is not fixed when iteration starts: a
   * record committed meanwhile is yielded if its id comes after the current page.
   */
  list(options: ListOptions = {}): AsyncGenerator<ListedRecord> {
    try {
      this.#checkOpen('list');
      if (typeof options !== 'object' || options === null) throw new TypeError(`list: options: expected an object, got ${describe(options)}`);
      assertKnownKeys(options, LIST_OPTION_KEYS, 'PgVectorStore.list options');
      const batchSize = options.batchSize ?? 1000;
      if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1)
        throw new RangeError(`list: batchSize: expected a positive integer, got ${describe(batchSize)}`);
      const node = this.#filter(options.filter);
      return this.#iterate(node, batchSize, options.includeVectors !== false);
    } catch (err) {
      return (async function* failed(): AsyncGenerator<ListedRecord> {
        throw err;
      })();
    }
  }

  async *#iterate(node: FilterNode, batchSize: number, withVectors: boolean): AsyncGenerator<ListedRecord> {
    let after: string | null = null;
    for (;;) {
      this.#checkOpen('list');
      const p = new SqlParams();
      const where = filterToSql(node, p);
      const afterParam = p.text(after ?? '');
      const limit = p.add(batchSize);
      const rows: Row[] = await this.#exec.run(
        `SELECT id, metadata${withVectors ? ', vector::text AS v' : ''} FROM ${this.table} ` +
        `WHERE ${where} AND id > ${afterParam} ORDER BY id LIMIT ${limit}::bigint`, p.values);
      for (const row of rows) {
        const rec: ListedRecord = { id: row.id as string, metadata: row.metadata as Metadata };
        if (withVectors) rec.vector = parseVectorText(row.v as string, this.dim);
        yield rec;
      }
      if (rows.length < batchSize) return;
      after = rows[rows.length - 1].id as string;
    }
  }

  query(vector: VectorLike, options: QueryOptions = {}): Promise<QueryHit[]> {
    let p: PreparedQuery;
    try {
      this.#checkOpen('query');
      if (typeof options !== 'object' || options === null) throw new TypeError(`query: options: expected an object, got ${describe(options)}`);
      assertKnownKeys(options, QUERY_OPTION_KEYS, 'PgVectorStore.query options');
      const q = toQuery(vector, this.dim, 'query: vector', new Float32Array(this.dim));
      const bad = q.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new RangeError(`query: vector[${bad}]: expected a finite number, got ${q[bad]}`);
      const topK = checkTopK(options.topK);
      const ef = options.efSearch;
      if (ef !== undefined && (typeof ef !== 'number' || !Number.isInteger(ef) || ef < 1))
        throw new RangeError(`query: efSearch: expected a positive integer, got ${describe(ef)}`);
      p = {
        q, topK, ef: Math.min(ef ?? this.#efSearch, 1000), node: this.#filter(options.filter),
        withMetadata: options.includeMetadata !== false, withVectors: !!options.includeVectors,
      };
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#runQuery(p);
  }

  async #runQuery(p: PreparedQuery): Promise<QueryHit[]> {
    const { op } = OPS[this.metric];
    const params = new SqlParams();
    const where = filterToSql(p.node, params);
    const qv = `${params.text(vectorText(p.q))}::vector`;
    const limit = `${params.add(p.topK)}::bigint`;
    const sql = `SELECT id, metadata, vector::text AS v FROM (SELECT id, metadata, vector, vector ${op} ${qv} AS d FROM ${this.table} ` +
      `WHERE ${where} ORDER BY vector ${op} ${qv} LIMIT ${limit}) s ORDER BY d, id`;
    const rows = await this.#exec.tx(async (r) => {
      if (this.#hnsw) {
        // SET LOCAL, as functions (so ef is a parameter), in one round trip.
        await r.query(`SELECT set_config('hnsw.ef_search', $1::text, true)` +
          (this.#iterative ? `, set_config('hnsw.iterative_scan', 'relaxed_order', true)` : ''), [String(p.ef)]);
      }
      let found = await r.query(sql, params.values);
      if (found.length < p.topK && this.#hnsw) {
        // An approximate scan can stop early (hnsw.max_scan_tuples, or no iterative scan before
        // pgvector 0.8). If more records match, answer exactly: min(topK, matches) always.
        const cp = new SqlParams();
        const cwhere = filterToSql(p.node, cp);
        const [c] = await r.query(`SELECT count(*)::float8 AS n FROM (SELECT 1 FROM ${this.table} WHERE ${cwhere} LIMIT ${cp.add(p.topK)}::bigint) s`, cp.values);
        if (Number(c.n) > found.length) {
          await r.query(`SELECT set_config('enable_indexscan', 'off', true)`);
          found = await r.query(sql, params.values);
        }
      }
      return found;
    });
    this.#checkOpen('query');
    const hits = rows.map((row) => {
      const vec = parseVectorText(row.v as string, this.dim);
      const distance = distanceOf(this.metric, p.q, vec);
      const hit: QueryHit = { id: row.id as string, score: scoreOf(this.metric, distance), distance, metadata: p.withMetadata ? row.metadata as Metadata : {} };
      if (p.withVectors) hit.vector = vec;
      return hit;
    });
    // Exactly sorted by the distances reported (pgvector's relaxed order, and its own float rounding, may differ slightly).
    hits.sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return hits;
  }

  /** Waits for this store's pending writes; the client is left open (it is the caller's). Idempotent. */
  close(): Promise<void> {
    return this.#writes.run(async () => {
      this.#closed = true;
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
