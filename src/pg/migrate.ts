// quiver migrate <from> <to>: copies a store between a local directory and
// PostgreSQL (either way, or between two tables), streamed in batches, resumable
// (a rerun skips the records the target already holds unchanged), and verified
// at the end: both sides' record counts and an order-independent checksum of
// every record (id, float32 vector bytes, metadata with sorted keys) must agree.
import { createHash } from 'node:crypto';
import type { VectorStoreApi } from '../store/api.js';
import type { Metadata } from '../store/metadata.js';
import { PgVectorStore, type PgQueryable } from './pg-vector-store.js';

type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** JSON with object keys sorted at every level (jsonb does not keep key order). */
export function canonicalJson(v: JsonValue): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
}

/** A record's digest: the first 8 bytes of sha256(id, vector bytes, canonical metadata), as a bigint. */
function recordDigest(id: string, vector: Float32Array, metadata: Metadata): bigint {
  const h = createHash('sha256');
  h.update(id);
  h.update('\0');
  h.update(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength));
  h.update('\0');
  h.update(canonicalJson(metadata as JsonValue));
  return h.digest().readBigUInt64BE(0);
}

export interface StoreChecksum {
  count: number;
  /** Sum of the records' digests mod 2^64, in hex: independent of order. */
  checksum: string;
}

/** Count and checksum of every record of a store (streamed). */
export async function storeChecksum(store: VectorStoreApi, batchSize = 1000): Promise<StoreChecksum> {
  let sum = 0n, count = 0;
  for await (const rec of store.list({ batchSize, includeVectors: true })) {
    sum = (sum + recordDigest(rec.id, rec.vector!, rec.metadata)) & 0xffffffffffffffffn;
    count++;
  }
  return { count, checksum: sum.toString(16).padStart(16, '0') };
}

export interface MigrateOptions {
  /** Records per batch (default 1000). */
  batchSize?: number;
  /** Called after each batch is written. */
  onBatch?(progress: { read: number; written: number; skipped: number }): void;
}

export interface MigrateReport {
  read: number;
  /** Records written to the target. */
  written: number;
  /** Records the target already held unchanged (a resumed run). */
  skipped: number;
  source: StoreChecksum;
  target: StoreChecksum;
  /** Both sides hold the same records (count and checksum). */
  verified: boolean;
  seconds: number;
}

function sameVector(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/**
 * Copies every record of `source` into `target` (both open, same dim), a batch at a
 * time; a record the target already holds identically is not rewritten, so an
 * interrupted migration resumes by running it again. Then verifies counts and checksums.
 */
export async function migrateStores(source: VectorStoreApi, target: VectorStoreApi, options: MigrateOptions = {}): Promise<MigrateReport> {
  const started = performance.now();
  if (source.dim !== target.dim) throw new RangeError(`migrate: the source has dim ${source.dim}, the target ${target.dim}`);
  if (source.metric !== target.metric) throw new RangeError(`migrate: the source uses metric ${source.metric}, the target ${target.metric}`);
  const batchSize = options.batchSize ?? 1000;
  let read = 0, written = 0, skipped = 0;
  let batch: { id: string; vector: Float32Array; metadata: Metadata }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const existing = await target.get(batch.map((r) => r.id));
    const todo = batch.filter((r, i) => {
      const e = existing[i];
      return !e || !sameVector(e.vector, r.vector) || canonicalJson(e.metadata as JsonValue) !== canonicalJson(r.metadata as JsonValue);
    });
    if (todo.length > 0) await target.upsert(todo);
    written += todo.length;
    skipped += batch.length - todo.length;
    batch = [];
    options.onBatch?.({ read, written, skipped });
  };
  for await (const rec of source.list({ batchSize, includeVectors: true })) {
    batch.push({ id: rec.id, vector: rec.vector!, metadata: rec.metadata });
    read++;
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  await (target as { flush?(): Promise<void> }).flush?.();
  const [s, t] = [await storeChecksum(source, batchSize), await storeChecksum(target, batchSize)];
  return { read, written, skipped, source: s, target: t, verified: s.count === t.count && s.checksum === t.checksum, seconds: (performance.now() - started) / 1000 };
}

export const MIGRATE_USAGE = `Usage: quiver migrate <from> <to> [--batch-size <n>] [--json]

Copies a store between a local directory and PostgreSQL + pgvector (either way,
or between two tables), streamed in batches. Rerunning an interrupted migration
resumes it: records the target already holds unchanged are skipped. At the end
both sides' record counts and checksums are compared (exit code 1 if they differ).

  <from>, <to>   a store directory, or postgres://user:pass@host:5432/db?table=name
                 (the table is created on the target with the source's dim and metric;
                 needs the \`pg\` package)
  --batch-size   records per batch (default 1000)
  --json         print the report as JSON
`;

type Out = { write(s: string): unknown };

interface Opened {
  store: VectorStoreApi;
  close(): Promise<void>;
}

function isPostgres(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

async function openPg(spec: string, create?: { dim: number; metric: VectorStoreApi['metric'] }): Promise<Opened> {
  const url = new URL(spec);
  const table = url.searchParams.get('table');
  if (!table) throw new TypeError(`migrate: ${url.protocol}//…: add ?table=<name> to the connection string`);
  url.searchParams.delete('table');
  let pg: { Pool: new (o: { connectionString: string; max?: number }) => PgQueryable & { end(): Promise<void> } };
  try {
    const mod = (await import('pg')) as unknown as { default?: typeof pg } & typeof pg;
    pg = mod.default ?? mod;
  } catch {
    throw new Error('migrate: PostgreSQL needs the `pg` package (npm install pg)');
  }
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 }); // a migration is sequential
  try {
    const store = await PgVectorStore.open({ client: pool, table, ...(create ?? {}) });
    return { store, close: async () => { await store.close(); await pool.end(); } };
  } catch (err) {
    await pool.end();
    throw err;
  }
}

async function openEndpoint(spec: string, create?: { dim: number; metric: VectorStoreApi['metric'] }): Promise<Opened> {
  if (isPostgres(spec)) return openPg(spec, create);
  // The core (and its native addon) is loaded only for a local store; through the one shared core build.
  const { VectorStore } = await import('../index.js');
  const store = await VectorStore.open(spec, create ? { ...create, durability: 'none' } : {});
  return { store, close: () => store.close() };
}

/** `quiver migrate <from> <to>`; returns the exit code. */
export async function migrateCommand(argv: string[], out: Out = process.stdout, err: Out = process.stderr): Promise<number> {
  const args: string[] = [];
  let batchSize = 1000, json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      out.write(MIGRATE_USAGE);
      return 0;
    }
    if (a === '--json') json = true;
    else if (a === '--batch-size') {
      batchSize = Number(argv[++i]);
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        err.write(`quiver migrate: --batch-size: expected a positive integer, got ${argv[i]}\n`);
        return 2;
      }
    } else if (a.startsWith('--')) {
      err.write(`quiver migrate: unknown option ${a}\n${MIGRATE_USAGE}`);
      return 2;
    } else args.push(a);
  }
  if (args.length !== 2) {
    err.write(MIGRATE_USAGE);
    return 2;
  }
  const [from, to] = args;
  let source: Opened | undefined, target: Opened | undefined;
  try {
    source = await openEndpoint(from);
    target = await openEndpoint(to, { dim: source.store.dim, metric: source.store.metric });
    const report = await migrateStores(source.store, target.store, {
      batchSize,
      onBatch: json ? undefined : (p) => err.write(`\rread ${p.read}, written ${p.written}, skipped ${p.skipped}`),
    });
    if (json) out.write(JSON.stringify(report, null, 2) + '\n');
    else {
      err.write('\n');
      out.write(`migrated ${report.read} records (${report.written} written, ${report.skipped} already there) in ${report.seconds.toFixed(1)} s\n` +
        `source: ${report.source.count} records, checksum ${report.source.checksum}\n` +
        `target: ${report.target.count} records, checksum ${report.target.checksum}\n` +
        (report.verified ? 'verified: the target holds exactly the source records\n' : 'NOT VERIFIED: the target differs from the source (it held other records?)\n'));
    }
    return report.verified ? 0 : 1;
  } catch (e) {
    err.write(`quiver migrate: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await target?.close();
    await source?.close();
  }
}
