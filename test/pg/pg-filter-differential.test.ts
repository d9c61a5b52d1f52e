// Differential test of the filter language on PostgreSQL: random and
// exhaustive filters over random records, evaluated by the reference model
// (test/helpers/filter-model.ts, reading each record's metadata), by the
// in-process VectorStore (compile + field indexes + bit sets) and by SQL
// (src/pg/filter-sql.ts on PGlite: real PostgreSQL jsonb semantics). All three
// must give identical id sets. The SQL side is evaluated many filters per
// statement (UNION ALL) to keep the run short; a share also goes through the
// public API (count, list, deleteWhere) of PgVectorStore.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { VectorStore, type Filter } from '../../src/index.js';
import { compileFilter } from '../../src/store/filter/compile.js';
import { PgVectorStore, SqlParams, filterToSql } from '../../src/pg/index.js';
import { modelMatch, type Json, type Meta, type ModelFilter } from '../helpers/filter-model.js';
import { rng } from '../helpers/reference.js';
import { newPglite } from './engines.js';

type Rng = () => number;
const pick = <T,>(r: Rng, xs: readonly T[]): T => xs[(r() * xs.length) | 0];

// Values chosen to hit every semantic corner: numbers of every kind (integers,
// fractions, negative zero, big and tiny magnitudes, equal as number but not as
// text), strings that differ in case, accents, quotes, backslashes, SQL, and
// characters whose order differs between UTF-16 (JavaScript) and code points
// (PostgreSQL "C" collation): U+E000..U+FFFF against supplementary characters.
const NUMS = [-1, 0, 1, 2, 2.5, 3, 4, 5, -0.5, 1e21, 1e-7, 123456789.125, -1e21];
const STRS = ['', 'a', 'b', 'ab', 'c', 'A', '1', '3', 'é', 'e\u0301', "'", '"', '\\', "'); DROP TABLE x; --", '\uE000', '\uFFFD', '\u{10000}', '\u{1F600}', 'a\uFFFF', 'a\u{10FFFF}', 'ä', ' '];

function randomScalar(r: Rng): Json {
  const p = r();
  if (p < 0.42) return pick(r, NUMS);
  if (p < 0.8) return pick(r, STRS);
  if (p < 0.9) return r() < 0.5;
  return null;
}

function randomValue(r: Rng, depth = 0): Json {
  const p = r();
  if (depth > 2 || p < 0.6) return randomScalar(r);
  if (p < 0.85) return Array.from({ length: (r() * 4) | 0 }, () => (r() < 0.8 ? randomScalar(r) : randomValue(r, depth + 1)));
  const o: Record<string, Json> = {};
  for (const k of ['b', 'c', 'y']) if (r() < 0.5) o[k] = randomValue(r, depth + 1);
  return o;
}

function randomMeta(r: Rng): Meta {
  const m: Meta = {};
  const keys = ['x', 'y', 'a', 'a.b', 'constructor', "we'ird", '__proto__'];
  for (let i = keys.length - 1; i > 0; i--) {
    const j = (r() * (i + 1)) | 0;
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  for (const k of keys) {
    if (r() < (k.length > 1 ? 0.8 : 0.2)) continue;
    let v: Json;
    if (k === 'a') {
      const p = r();
      v = p < 0.4 ? { b: randomValue(r, 1) } : p < 0.8 ? Array.from({ length: (r() * 3) | 0 }, () => (r() < 0.85 ? { b: randomValue(r, 1) } : randomScalar(r))) : randomValue(r);
    } else v = randomValue(r);
    Object.defineProperty(m, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return m;
}

const PATHS = ['x', 'x', 'x', 'y', 'a', 'a.b', 'a.b', 'a.c', 'a.b.c', 'x.b', 'constructor', 'toString', 'nope', "we'ird", '__proto__', 'a.b.y'];
const FIELD_OPS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$not'];

function randomOperand(r: Rng, op: string, depth: number): Json {
  switch (op) {
    case '$gt': case '$gte': case '$lt': case '$lte': return r() < 0.5 ? pick(r, NUMS) : pick(r, STRS);
    case '$in': case '$nin': return Array.from({ length: (r() * 4) | 0 }, () => (r() < 0.85 ? randomScalar(r) : randomValue(r, 1)));
    case '$exists': return r() < 0.5;
    case '$not': return randomOps(r, depth + 1);
    default: return r() < 0.85 ? randomScalar(r) : randomValue(r, 1);
  }
}

function randomOps(r: Rng, depth: number): Record<string, Json> {
  const ops = FIELD_OPS.filter((op) => op !== '$not' || depth < 2).sort(() => r() - 0.5);
  const n = 1 + ((r() * r() * 4) | 0);
  const o: Record<string, Json> = {};
  for (const op of ops.slice(0, n)) o[op] = randomOperand(r, op, depth);
  return o;
}

function randomFilter(r: Rng, depth = 0): Filter {
  const p = r();
  if (depth < 4 && p < 0.3) {
    const op = pick(r, ['$and', '$or', '$nor']);
    return { [op]: Array.from({ length: 1 + ((r() * 3) | 0) }, () => randomFilter(r, depth + 1)) } as Filter;
  }
  if (depth < 4 && p < 0.38) return { $not: randomFilter(r, depth + 1) };
  const f: Record<string, Json> = {};
  const fields = 1 + ((r() * r() * 3) | 0);
  for (let i = 0; i < fields; i++) {
    const path = pick(r, PATHS);
    const cond = r() < 0.25 ? randomOperand(r, '$eq', 0) : randomOps(r, 0);
    Object.defineProperty(f, path, { value: cond, enumerable: true, writable: true, configurable: true });
  }
  return f as Filter;
}

/** Every pair of operators on one field (x, and the nested a.b), with a spread of operands. */
function* exhaustive(): Generator<Filter> {
  const atoms: [string, Json[]][] = [
    ['$gt', [1, 3, 'b', '\uE000', 1e21]], ['$gte', [1, 3, 'b', '\u{10000}']], ['$lt', [1, 3, 'b', '\uE000']], ['$lte', [1, 3, 'b', 'é']],
    ['$eq', [1, 'a', null, [1, 3], { y: 1 }, true, "'"]], ['$ne', [3, null, 'b']],
    ['$in', [[1, 'a'], [null, 3], [], [{ y: 1 }, [1, 3]]]], ['$nin', [[3], [null, 'b']]],
    ['$exists', [true, false]], ['$not', [{ $gt: 1 }, { $gte: 1, $lt: 3 }, { $eq: null }]],
  ];
  for (const path of ['x', 'a.b']) {
    for (let i = 0; i < atoms.length; i++) {
      for (const v of atoms[i][1]) {
        yield { [path]: { [atoms[i][0]]: v } } as Filter;
        for (let j = 0; j < atoms.length; j++) {
          if (j === i) continue;
          for (const w of atoms[j][1]) yield { [path]: { [atoms[i][0]]: v, [atoms[j][0]]: w } } as Filter;
        }
      }
    }
  }
}

describe('filter differential: reference model vs in-process VectorStore vs PostgreSQL (PGlite)', () => {
  let db: PGlite;
  let pgStore: PgVectorStore;
  const local = new VectorStore({ dim: 2, metric: 'euclidean', index: { type: 'flat' } });
  const records: { id: string; metadata: Meta }[] = [];
  const r = rng(14014);

  beforeAll(async () => {
    db = await newPglite();
    pgStore = await PgVectorStore.open({ client: db, table: 'diff', dim: 2, metric: 'euclidean' });
    for (let i = 0; i < 250; i++) records.push({ id: `r${i}`, metadata: randomMeta(r) });
    const rows = records.map((rec, i) => ({ ...rec, vector: [i, 0] }));
    await local.upsert(rows);
    await pgStore.upsert(rows);
  });
  afterAll(async () => {
    await pgStore?.close();
    await db?.close();
  });

  const model = (f: Filter) => records.filter((rec) => modelMatch(rec.metadata, f as ModelFilter)).map((rec) => rec.id).sort();
  async function localIds(f: Filter): Promise<string[]> {
    const out: string[] = [];
    for await (const rec of local.list({ filter: f, includeVectors: false })) out.push(rec.id);
    return out.sort();
  }
  /** Many filters in one statement: the ids each matches. */
  async function sqlIds(filters: Filter[]): Promise<string[][]> {
    const p = new SqlParams();
    const parts = filters.map((f, i) => `SELECT ${i} AS f, id FROM diff WHERE ${filterToSql(compileFilter(f), p)}`);
    const res = await db.query<{ f: number; id: string }>(parts.join(' UNION ALL '), p.values);
    const out = filters.map(() => [] as string[]);
    for (const row of res.rows) out[row.f].push(row.id);
    return out.map((ids) => ids.sort());
  }

  async function run(filters: Filter[], label: string): Promise<{ cases: number; partial: number }> {
    const failures: string[] = [];
    let partial = 0;
    for (let start = 0; start < filters.length; start += 50) {
      const chunk = filters.slice(start, start + 50);
      const sql = await sqlIds(chunk);
      for (let i = 0; i < chunk.length; i++) {
        const want = model(chunk[i]);
        if (want.length > 0 && want.length < records.length) partial++;
        const got = await localIds(chunk[i]);
        const show = (ids: string[]) => `${ids.length} [${ids.slice(0, 8).join(',')}${ids.length > 8 ? ',…' : ''}]`;
        if (got.join() !== want.join()) failures.push(`${JSON.stringify(chunk[i])}: in-process ${show(got)}, model ${show(want)}`);
        if (sql[i].join() !== want.join()) failures.push(`${JSON.stringify(chunk[i])}: SQL ${show(sql[i])}, model ${show(want)}`);
      }
      if (failures.length > 20) break;
    }
    expect(failures, `${label}: filters where the engines disagree`).toEqual([]);
    return { cases: filters.length, partial };
  }

  it('exhaustive: every pair of operators on a top-level and a nested field', async () => {
    const filters = [...exhaustive()];
    const { cases, partial } = await run(filters, 'exhaustive');
    console.log(`pg filter differential, exhaustive: ${cases} filters (${partial} match some but not all) x ${records.length} records, 3 evaluators agree`);
    expect(cases).toBeGreaterThan(2000);
  });

  it('random filters with nested $and/$or/$nor/$not over random records', async () => {
    const filters = Array.from({ length: 1500 }, () => randomFilter(r));
    const { cases, partial } = await run(filters, 'random');
    console.log(`pg filter differential, random: ${cases} filters (${partial} match some but not all) x ${records.length} records, 3 evaluators agree`);
  });

  it('through the public API: count, list and deleteWhere (then restored) agree with the model', async () => {
    const failures: string[] = [];
    for (let i = 0; i < 150; i++) {
      const f = randomFilter(r);
      const want = model(f);
      const n = await pgStore.count(f);
      if (n !== want.length) failures.push(`${JSON.stringify(f)}: count ${n}, model ${want.length}`);
      const listed: string[] = [];
      for await (const rec of pgStore.list({ filter: f, includeVectors: false, batchSize: 37 })) listed.push(rec.id);
      if (listed.sort().join() !== want.join()) failures.push(`${JSON.stringify(f)}: list ${listed.length}, model ${want.length}`);
      if (i % 5 === 0) {
        const removed = await pgStore.deleteWhere(f);
        if (removed !== want.length) failures.push(`${JSON.stringify(f)}: deleteWhere ${removed}, model ${want.length}`);
        if ((await pgStore.count()) !== records.length - want.length) failures.push(`${JSON.stringify(f)}: count after deleteWhere`);
        const back = records.filter((rec) => want.includes(rec.id)).map((rec) => ({ ...rec, vector: [Number(rec.id.slice(1)), 0] }));
        if (back.length > 0) await pgStore.upsert(back);
      }
      const hits = await pgStore.query([-1, 0], { filter: f, topK: 5, includeMetadata: false });
      const nearest = [...want].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))).slice(0, 5);
      if (hits.map((h) => h.id).join() !== nearest.join()) failures.push(`${JSON.stringify(f)}: query ${hits.map((h) => h.id)}, model ${nearest}`);
    }
    expect(failures).toEqual([]);
  });
});
