// PostgreSQL-specific behaviour of PgVectorStore: the schema it creates, the
// HNSW index actually used with iterative scans, atomicity of a batch failing
// inside the database, the client kinds (PGlite, pg.Pool, pg.Client), close()
// leaving the caller's client open, and hostile input (injection): ids,
// metadata keys and values, filter keys and values, table names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { VectorStore } from '../../src/index.js';
import { PgSchemaError, PgVectorStore, type PgQueryable } from '../../src/pg/index.js';
import { newPglite, socketServer } from './engines.js';

let db: PGlite;
beforeAll(async () => {
  db = await newPglite();
});
afterAll(async () => {
  await db?.close();
});

const HOSTILE = [
  "'", '"', '\\', "'); DROP TABLE canary; --", '"; DROP TABLE canary; --', '$1', '$$', '$tag$ x $tag$', '%', '_', '\\x00',
  '{}', '[]', '{"a":1}', 'null', '-- comment', '/* c */', 'é', 'e\u0301', '\u{1F600}', '\uFFFF', '\u2028\u2029', '\t\n\r', ' ',
  'a.b', '__proto__', 'constructor', 'toString', '?', '?|', '@>', '#>>', "E'\\''", 'U&"\\0000"', ':name', 'SELECT 1', ';',
];

describe('PgVectorStore on PostgreSQL', () => {
  it('creates the documented schema: columns, GIN and HNSW indexes with the metric operator class, the options record', async () => {
    for (const [metric, opclass] of [['cosine', 'vector_cosine_ops'], ['euclidean', 'vector_l2_ops'], ['ip', 'vector_ip_ops']] as const) {
      const table = `schema_${metric}`;
      const s = await PgVectorStore.open({ client: db, table, dim: 5, metric, index: { M: 12, efConstruction: 40 } });
      const cols = await db.query<{ column_name: string; data_type: string; udt_name: string; is_nullable: string; collation_name: string | null }>(
        `SELECT column_name, data_type, udt_name, is_nullable, collation_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, [table]);
      expect(cols.rows.map((c) => [c.column_name, c.udt_name, c.is_nullable])).toEqual([['id', 'text', 'NO'], ['vector', 'vector', 'NO'], ['metadata', 'jsonb', 'NO']]);
      expect(cols.rows[0].collation_name).toBe('C');
      const idx = await db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname`, [table]);
      const defs = idx.rows.map((r) => r.indexdef).join('\n');
      expect(defs).toMatch(/USING gin \(metadata\)/);
      expect(defs).toMatch(new RegExp(`USING hnsw \\(vector ${opclass}\\) WITH \\(m='?12'?, ef_construction='?40'?\\)`));
      expect(defs).toMatch(/PRIMARY KEY|_pkey/);
      const meta = await db.query(`SELECT version, dim, metric, m, ef_construction FROM ${table}_quiver`);
      expect(meta.rows).toEqual([{ version: 1, dim: 5, metric, m: 12, ef_construction: 40 }]);
      await s.close();
      await expect(PgVectorStore.open({ client: db, table, index: { M: 16 } })).rejects.toThrow(PgSchemaError);
      await expect(PgVectorStore.open({ client: db, table, dim: 6 })).rejects.toThrow(/dim is 6 in the options but the store was created with 5/);
    }
    await db.query('CREATE TABLE not_ours (id text)');
    await expect(PgVectorStore.open({ client: db, table: 'not_ours', dim: 3 })).rejects.toThrow(/not a quiverdb store/);
  });

  it('a filtered query uses the HNSW index with an iterative scan, and still returns min(topK, matches)', async () => {
    const s = await PgVectorStore.open({ client: db, table: 'iter', dim: 4, metric: 'euclidean', index: { M: 8, efConstruction: 32, efSearch: 5 } });
    const n = 3000;
    const ids = Array.from({ length: n }, (_, i) => `r${i}`);
    const vectors = new Float32Array(n * 4).map((_, j) => Math.sin(j * 12.9898) * 0.5);
    await s.upsert({ ids, vectors, metadata: ids.map((_, i) => ({ tenant: i % 500 === 0 ? 'rare' : 'common' })) });
    await db.query('ANALYZE iter');
    // The plan of the store's query (same statement shape) under its settings.
    // (A selective filter is planned on the GIN index instead, then sorted exactly: also right.)
    const plan = await db.transaction(async (tx) => {
      await tx.query(`SELECT set_config('hnsw.ef_search', '5', true), set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('enable_seqscan', 'off', true)`);
      const r = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT id FROM iter WHERE metadata @> '{"tenant":"common"}' ORDER BY vector <-> '[0,0,0,0]' LIMIT 10`);
      return r.rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/iter_vector_hnsw/);
    const hits = await s.query([0, 0, 0, 0], { topK: 10, filter: { tenant: 'rare' } });
    expect(hits.length).toBe(6);
    const local = new VectorStore({ dim: 4, metric: 'euclidean' });
    await local.upsert({ ids, vectors, metadata: ids.map((_, i) => ({ tenant: i % 500 === 0 ? 'rare' : 'common' })) });
    const want = await local.query([0, 0, 0, 0], { topK: 10, filter: { tenant: 'rare' } });
    // Same ids; distances equal up to float32 rounding (the native kernels sum in float32 lanes).
    expect(hits.map((h) => h.id)).toEqual(want.map((h) => h.id));
    hits.forEach((h, i) => {
      expect(Math.abs(h.distance - want[i].distance)).toBeLessThanOrEqual(2 ** -22 * Math.max(1, want[i].distance));
      expect(h.score).toBe(-h.distance);
    });
    await s.close();
  });

  it('without iterative scans (pgvector < 0.8) the exact fallback still returns min(topK, matches)', async () => {
    let settings: string[] = [];
    const old: PgQueryable & { transaction: PGlite['transaction'] } = {
      query: async (text, params) => {
        const r = await db.query(text, params);
        return /extversion/.test(text) ? { ...r, rows: [{ extversion: '0.7.4' }] } : r;
      },
      transaction: (fn) => db.transaction((tx) => fn({
        ...tx,
        query: async (text: string, params?: unknown[]) => {
          if (text.includes('set_config')) settings.push(text);
          const r = await tx.query(text, params);
          return /extversion/.test(text) ? { ...r, rows: [{ extversion: '0.7.4' }] } : r;
        },
      } as typeof tx)),
    };
    const s = await PgVectorStore.open({ client: old, table: 'old_pgvector', dim: 4, metric: 'euclidean', index: { M: 8, efConstruction: 16, efSearch: 4 } });
    const n = 2000;
    const ids = Array.from({ length: n }, (_, i) => `r${i}`);
    const vectors = new Float32Array(n * 4).map((_, j) => Math.cos(j * 7.13) * 0.5);
    const metadata = ids.map((_, i) => ({ b: i % 10 }));
    await s.upsert({ ids, vectors, metadata });
    await db.query('ANALYZE old_pgvector');
    settings = [];
    const hits = await s.query([0.1, 0.2, 0.3, 0.4], { topK: 25, filter: { b: { $in: [3, 4] } } });
    expect(settings.some((t) => t.includes('iterative_scan'))).toBe(false);
    expect(settings.some((t) => t.includes('enable_indexscan'))).toBe(true); // the approximate scan came back short
    const local = new VectorStore({ dim: 4, metric: 'euclidean' });
    await local.upsert({ ids, vectors, metadata });
    const want = await local.query([0.1, 0.2, 0.3, 0.4], { topK: 25, filter: { b: { $in: [3, 4] } } });
    expect(hits.map((h) => h.id)).toEqual(want.map((h) => h.id));
    await s.close();
  });

  it('a batch failing inside the database (second INSERT statement) changes nothing', async () => {
    let inserts = 0;
    const flaky: PgQueryable & { transaction: PGlite['transaction'] } = {
      query: (text, params) => db.query(text, params),
      transaction: (fn) => db.transaction((tx) => fn({
        ...tx,
        query: (text: string, params?: unknown[]) => {
          if (text.startsWith('INSERT INTO "flaky"') && ++inserts === 2) throw new Error('injected failure');
          return tx.query(text, params);
        },
      } as typeof tx)),
    };
    const s = await PgVectorStore.open({ client: flaky, table: 'flaky', dim: 2, index: { M: 4, efConstruction: 8 } });
    await s.upsert([{ id: 'keep', vector: [1, 1] }]);
    inserts = 0;
    const big = Array.from({ length: 2100 }, (_, i) => ({ id: `b${i}`, vector: [i, 1] }));
    await expect(s.upsert(big, { deleteIds: ['keep'] })).rejects.toThrow(/injected failure/);
    expect(await s.count()).toBe(1);
    expect((await s.get(['keep']))[0]?.id).toBe('keep');
    await s.upsert(big); // the next batch works
    expect(await s.count()).toBe(2101);
    await s.close();
  });

  it('close() never ends the client; pg.Client and pg.Pool both work over TCP', async () => {
    const other = await newPglite();
    const { server, port } = await socketServer(other);
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      const s = await PgVectorStore.open({ client, table: 'via_client', dim: 2, metric: 'ip' });
      await Promise.all(Array.from({ length: 10 }, (_, i) => s.upsert([{ id: `c${i}`, vector: [i, 1], metadata: { i } }])));
      const [hits, n] = await Promise.all([s.query([1, 0], { topK: 3 }), s.count({ i: { $gte: 5 } })]);
      expect(hits.map((h) => h.id)).toEqual(['c9', 'c8', 'c7']);
      expect(hits[0].score).toBe(9);
      expect(n).toBe(5);
      await s.close();
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 1 });
    const s = await PgVectorStore.open({ client: pool, table: 'via_client' });
    expect(await s.count()).toBe(10);
    await s.close();
    expect((await pool.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    await pool.end();
    await server.stop();
    await other.close();
    // PGlite itself stays open too.
    const s2 = await PgVectorStore.open({ client: db, table: 'still_open', dim: 2 });
    await s2.close();
    expect((await db.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
  });
});

describe('injection: hostile input reaches SQL only as parameters', () => {
  let s: PgVectorStore;
  const local = new VectorStore({ dim: 2, metric: 'euclidean' });
  beforeAll(async () => {
    await db.query('CREATE TABLE canary (x int)');
    await db.query('INSERT INTO canary VALUES (42)');
    s = await PgVectorStore.open({ client: db, table: 'hostile', dim: 2, metric: 'euclidean' });
  });
  const canaryAlive = async () => expect((await db.query('SELECT x FROM canary')).rows).toEqual([{ x: 42 }]);

  it('hostile ids, metadata keys and values round-trip exactly, and filters on them match exactly', async () => {
    const records = HOSTILE.map((h, i) => ({
      id: h, vector: [i, 0],
      metadata: { [h]: h, v: h, n: i, nested: { [h]: [h, i] } } as Record<string, unknown>,
    }));
    await s.upsert(records as never);
    await local.upsert(records as never);
    expect(await s.count()).toBe(HOSTILE.length);
    const got = await s.get(HOSTILE);
    got.forEach((rec, i) => {
      expect(rec?.id).toBe(HOSTILE[i]);
      expect(rec?.metadata).toEqual(records[i].metadata);
    });
    let cases = 0;
    for (const h of HOSTILE) {
      const filters = [
        { v: h }, { [h]: h }, { [h]: { $exists: true } }, { v: { $in: [h, 'zzz'] } }, { v: { $gt: h } }, { v: { $lte: h } },
        { v: { $ne: h } }, { v: { $nin: [h] } }, { [`nested.${h}`]: h }, { [`nested.${h}`]: { $gte: 0 } },
      ];
      for (const f of filters) {
        // Not a field path in either engine: an empty segment, or an operator name.
        if (Object.keys(f).some((k) => k.startsWith('$') || k.split('.').some((seg) => seg === ''))) continue;
        cases++;
        const want = (await local.query([0, 0], { filter: f, topK: 1000, includeMetadata: false })).map((x) => x.id);
        const have = (await s.query([0, 0], { filter: f, topK: 1000, includeMetadata: false })).map((x) => x.id);
        expect(have, JSON.stringify(f)).toEqual(want);
        expect(await s.count(f)).toBe(want.length);
      }
    }
    console.log(`injection: ${HOSTILE.length} hostile strings as ids, keys and values; ${cases} filters identical to the in-process store`);
    expect(await s.delete([HOSTILE[3], HOSTILE[4]])).toBe(2);
    expect(await s.deleteWhere({ v: { $in: [HOSTILE[0], HOSTILE[1]] } })).toBe(2);
    await canaryAlive();
    expect(await s.count()).toBe(HOSTILE.length - 4);
  });

  it('NUL and lone surrogates: a clear RangeError where they would be stored or compared; lookups find nothing', async () => {
    const before = await s.count();
    await expect(s.upsert([{ id: 'a\u0000b', vector: [1, 1] }])).rejects.toThrow(/NUL \(U\+0000\), which PostgreSQL text cannot hold/);
    await expect(s.upsert([{ id: 'ok', vector: [1, 1], metadata: { v: 'x\u0000' } }])).rejects.toThrow(/NUL/);
    await expect(s.upsert([{ id: 'ok', vector: [1, 1], metadata: { ['k\u0000']: 1 } }])).rejects.toThrow(/NUL/);
    await expect(s.upsert([{ id: 'ok', vector: [1, 1], metadata: { deep: [{ v: '\u0000' }] } }])).rejects.toThrow(/NUL/);
    await expect(s.upsert([{ id: '\uD800', vector: [1, 1] }])).rejects.toThrow(/lone surrogate \(U\+D800\)/);
    await expect(s.upsert([{ id: 'ok', vector: [1, 1], metadata: { v: 'x\uDC00' } }])).rejects.toThrow(/lone surrogate/);
    await expect(s.count({ v: 'a\u0000' })).rejects.toThrow(/NUL/);
    await expect(s.count({ ['a\u0000']: 1 })).rejects.toThrow(/NUL/);
    await expect(s.query([0, 0], { filter: { v: { $gt: '\uD800' } } })).rejects.toThrow(/lone surrogate/);
    expect(await s.get(['a\u0000b', '\uDFFF'])).toEqual([undefined, undefined]);
    expect(await s.delete(['a\u0000b'])).toBe(0);
    expect(await s.count()).toBe(before);
    await canaryAlive();
  });

  it('hostile table names are refused before any SQL runs', async () => {
    const names = [
      'canary; DROP TABLE canary', 'x"; DROP TABLE canary; --', "x'", 'a b', '1abc', '', 'a.b.c', '.x', 'x.', 'a-b', 'é', 'x\u0000',
      'a'.repeat(49), 'public.' + 'a'.repeat(49), '"quoted"', 'a/*c*/', 'a--', '$1', 5, null, undefined, {},
    ];
    let ran = 0;
    const spy: PgQueryable = { query: (text, params) => (ran++, db.query(text, params)) };
    for (const table of names) await expect(PgVectorStore.open({ client: spy, table: table as string, dim: 2 })).rejects.toThrow(/table/);
    expect(ran).toBe(0);
    // Valid names, schema-qualified and mixed case (quoted, so case is kept).
    await db.query('CREATE SCHEMA IF NOT EXISTS tenant_a');
    const q = await PgVectorStore.open({ client: db, table: 'tenant_a.MixedCase_1', dim: 2 });
    await q.upsert([{ id: 'x', vector: [1, 2] }]);
    expect((await db.query('SELECT count(*)::int AS n FROM tenant_a."MixedCase_1"')).rows).toEqual([{ n: 1 }]);
    await q.close();
    await canaryAlive();
  });
});
