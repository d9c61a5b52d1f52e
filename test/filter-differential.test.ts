// Differential test of the filter engine (compile + field indexes + bit-set
// evaluation) against a plain reference evaluator (helpers/filter-model.ts)
// that reads each record's metadata directly.
//
// For every filter: count(f), list({ filter: f }) and query(v, { filter: f })
// on an exact (flat) store must give exactly the model's set (query with topK
// = all, and the k nearest of that set for a small k); deleteWhere(f) must
// remove exactly that set and leave its complement (the removed records are
// then upserted back, which also moves them to other slots). A graph (HNSW)
// store must return a subset of the set of size min(topK, matches).
//
// The filter space: exhaustively every ordered combination of up to 3 distinct
// operators on one field from a fixed operand set (ranges with number and
// string bounds, $eq with scalars / null / arrays, $ne, $in, $nin, $exists,
// $not), every ordering of all four range operators, repeated range
// operators through $and, on a fixed record set whose field is a number,
// string, boolean, null, missing, an array (mixed, empty, nested arrays,
// objects) or an object, at a top-level and at a nested path; then random
// filters with $and/$or/$nor/$not at random depths over random records, on a
// store rewritten by interleaved upserts / replacements / deletes of the same
// ids, on a graph store, and on a store with more than 4,096 records sharing a
// value (bit-set postings).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VectorStore, type Filter, type Metadata } from '../src/index.js';
import { rng } from './helpers/reference.js';
import { modelMatch, type Json, type Meta, type ModelFilter } from './helpers/filter-model.js';

type Rng = () => number;

/** A store and its model (id -> metadata), checked filter by filter. */
class Harness {
  readonly model = new Map<string, Meta>();
  cases = 0;
  /** Filters that matched some but not all records (the informative ones). */
  partial = 0;
  readonly failures: string[] = [];
  #classes: { meta: Meta; ids: string[] }[] | undefined;

  constructor(
    readonly store: VectorStore,
    /** The vector of an id (fixed per id, so restored records keep it). */
    readonly vectorOf: (id: string) => number[],
    readonly exact: boolean,
  ) {}

  async upsert(records: { id: string; metadata: Meta }[]): Promise<void> {
    await this.store.upsert(records.map((r) => ({ id: r.id, vector: this.vectorOf(r.id), metadata: r.metadata as Metadata })));
    for (const r of records) this.model.set(r.id, r.metadata);
    this.#classes = undefined;
  }

  /** The model changed behind the harness's back. */
  invalidate(): void {
    this.#classes = undefined;
  }

  async delete(ids: string[]): Promise<void> {
    await this.store.delete(ids);
    for (const id of ids) this.model.delete(id);
    this.#classes = undefined;
  }

  /** The model's matching ids, sorted (evaluated once per distinct metadata). */
  expected(filter: Filter): string[] {
    if (!this.#classes) {
      const byKey = new Map<string, { meta: Meta; ids: string[] }>();
      for (const [id, meta] of this.model) {
        const key = JSON.stringify(meta);
        let c = byKey.get(key);
        if (!c) byKey.set(key, (c = { meta, ids: [] }));
        c.ids.push(id);
      }
      this.#classes = [...byKey.values()];
    }
    const out: string[] = [];
    for (const c of this.#classes) if (modelMatch(c.meta, filter as ModelFilter)) out.push(...c.ids);
    return out.sort();
  }

  #fail(filter: Filter, what: string, got: unknown, want: unknown): void {
    if (this.failures.length < 20)
      this.failures.push(`${JSON.stringify(filter)}: ${what}: got ${JSON.stringify(got).slice(0, 200)}, model ${JSON.stringify(want).slice(0, 200)}`);
  }

  /** Checks count, list, query (and deleteWhere when asked) against the model. */
  async check(filter: Filter, opts: { deleteWhere?: boolean; queryK?: number } = {}): Promise<void> {
    this.cases++;
    const want = this.expected(filter);
    if (want.length > 0 && want.length < this.model.size) this.partial++;
    const store = this.store;
    const n = await store.count(filter);
    if (n !== want.length) return this.#fail(filter, 'count', n, want.length);
    const listed: string[] = [];
    for await (const rec of store.list({ filter, includeVectors: false })) listed.push(rec.id);
    listed.sort();
    if (!same(listed, want)) return this.#fail(filter, 'list', listed, want);

    const wantSet = new Set(want);
    const k = opts.queryK ?? 5;
    if (this.exact) {
      const all = store.querySync(this.query, { filter, topK: Math.max(1, store.size), includeMetadata: false }).map((h) => h.id).sort();
      if (!same(all, want)) return this.#fail(filter, 'query topK=all', all, want);
      // The k nearest of the model's set (vectorOf gives every id a distinct distance).
      const hits = store.querySync(this.query, { filter, topK: k, includeMetadata: false }).map((h) => h.id);
      const nearest = want.map((id) => [this.distance(id), id] as const).sort((a, b) => a[0] - b[0]).slice(0, k).map((e) => e[1]);
      if (!same(hits, nearest)) return this.#fail(filter, `query topK=${k}`, hits, nearest);
    } else {
      const hits = store.querySync(this.query, { filter, topK: k, includeMetadata: false }).map((h) => h.id);
      if (hits.length !== Math.min(k, want.length) || !hits.every((id) => wantSet.has(id)) || new Set(hits).size !== hits.length)
        return this.#fail(filter, `graph query topK=${k} (subset of size min(k, matches))`, hits, want);
    }

    if (opts.deleteWhere) {
      const before = store.size;
      const removedMeta = want.map((id) => ({ id, metadata: this.model.get(id)! }));
      const deleted = await store.deleteWhere(filter);
      const rest: string[] = [];
      for await (const rec of store.list({ includeVectors: false })) rest.push(rec.id);
      rest.sort();
      const complement = [...this.model.keys()].filter((id) => !wantSet.has(id)).sort();
      const okDelete = deleted === want.length && store.size === before - want.length && same(rest, complement);
      // Put the removed records back (into whatever slots the store picks), whatever happened.
      const restSet = new Set(rest);
      const missing = [...this.model.keys()].filter((id) => !restSet.has(id));
      const restore = missing.map((id) => ({ id, metadata: this.model.get(id)! }));
      if (restore.length > 0) await this.upsert(restore);
      if (!okDelete) return this.#fail(filter, 'deleteWhere', { deleted, rest: rest.length }, { deleted: removedMeta.length, rest: complement.length });
      if ((await store.count(filter)) !== want.length) return this.#fail(filter, 'count after restore', await store.count(filter), want.length);
    }
  }

  query: number[] = [];
  distance(id: string): number {
    const v = this.vectorOf(id);
    let s = 0;
    for (let i = 0; i < v.length; i++) s += (v[i] - this.query[i]) ** 2;
    return s;
  }

  assertClean(label: string): void {
    expect(this.failures, `${label}: filters where the store and the model disagree`).toEqual([]);
  }
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Flat store whose id `r<i>` sits at distance i + 1 from the query: no ties. */
function flatHarness(store = new VectorStore({ dim: 2, metric: 'euclidean', index: { type: 'flat' } })): Harness {
  const h = new Harness(store, (id) => [Number(id.slice(1)), 0], true);
  h.query = [-1, 0];
  return h;
}

// ---------------------------------------------------------------------------
// Fixed records for the exhaustive part.

/** Every shape a field can have. */
const FIELD_VALUES: (Json | undefined)[] = [
  undefined, null, true, false,
  -1, 0, 1, 2, 2.5, 3, 4, 5,
  '', 'a', 'b', 'ab', 'c', '1', '3',
  [], [1], [3], [1, 3], [0, 5], [3, 3], [1, 'a'], ['a', 'c'], ['b'], [null], [null, 3], [true, 2], [false],
  [[1, 3]], [1, [2, 3]], [4, 'b', null], [{ y: 1 }], [{}], [1, { y: 3 }], [[], 'a'],
  {}, { y: 1 }, { y: 1, z: 'a' }, { z: 'a', y: 1 }, { y: [1, 3] },
];

/** Shapes of `a` for the nested path `a.b` (objects, arrays of objects, nested arrays). */
const A_VALUES: (Json | undefined)[] = [
  undefined, null, 1, 'b', [], {}, { b: 1 }, { b: 3 }, { b: 'a' }, { b: null }, { b: [1, 3] }, { b: [0, 5] }, { b: [] },
  { b: { c: 1 } }, { c: 1 }, [{ b: 1 }], [{ b: 1 }, { b: 5 }], [{ b: 0 }, { c: 2 }], [{ b: 'a' }, { b: 3 }], [{ b: [1, 'c'] }],
  [{ b: null }], [1, { b: 3 }], [[{ b: 1 }]], [{ b: [[1, 3]] }], [{ b: 1 }, 3, 'b'], { b: [{ c: 1 }] },
];

function fixedRecords(): { id: string; metadata: Meta }[] {
  const out: { id: string; metadata: Meta }[] = [];
  let i = 0;
  // Each x value several times (postings of one slot and of a Set), with varied a and y.
  for (let rep = 0; rep < 4; rep++) {
    for (let v = 0; v < FIELD_VALUES.length; v++) {
      const metadata: Meta = {};
      const x = FIELD_VALUES[v];
      const a = A_VALUES[(v * 7 + rep * 11) % A_VALUES.length];
      // Vary key order and presence of the other fields.
      if (rep % 2 === 1 && a !== undefined) metadata.a = a;
      if (x !== undefined && (rep < 3 || v % 3 !== 0)) metadata.x = x;
      if (rep % 2 === 0 && a !== undefined) metadata.a = a;
      if ((v + rep) % 3 === 0) metadata.y = (v + rep) % 2 === 0 ? 1 : 'b';
      // Keys a path can be confused with: a key spelled "a.b" (not the path a.b), prototype names.
      if ((v + rep) % 5 === 1) metadata['a.b'] = FIELD_VALUES[(v * 3 + rep) % FIELD_VALUES.length] ?? 1;
      if ((v + rep) % 7 === 2) metadata.constructor = v % 2 === 0 ? { b: 1 } : 3;
      out.push({ id: `r${i++}`, metadata });
    }
  }
  return out;
}

// The exhaustive operator space: operator -> operands.
const RANGE_BOUNDS: Json[] = [1, 3, 'b'];
const ATOMS: [string, Json[]][] = [
  ['$gt', RANGE_BOUNDS], ['$gte', RANGE_BOUNDS], ['$lt', RANGE_BOUNDS], ['$lte', RANGE_BOUNDS],
  ['$eq', [1, 'a', null, [1, 3], { z: 'a', y: 1 }]],
  ['$ne', [3, null]],
  ['$in', [[1, 'a'], [null, 3], [], [{ y: 1 }, [1, 3]]]],
  ['$nin', [[3], [null, 'b']]],
  ['$exists', [true, false]],
  ['$not', [{ $gt: 1 }, { $gte: 1, $lt: 3 }, { $eq: null }]],
];

/** Every ordered sequence of 1..maxOps distinct operators of `atoms`, with every operand choice. */
function* operatorObjects(atoms: [string, Json[]][], minOps: number, maxOps: number): Generator<Record<string, Json>> {
  const used = new Array(atoms.length).fill(false);
  const chosen: [string, Json][] = [];
  function* rec(): Generator<Record<string, Json>> {
    if (chosen.length >= minOps) {
      const o: Record<string, Json> = {};
      for (const [op, v] of chosen) o[op] = v;
      yield o;
    }
    if (chosen.length === maxOps) return;
    for (let i = 0; i < atoms.length; i++) {
      if (used[i]) continue;
      used[i] = true;
      for (const v of atoms[i][1]) {
        chosen.push([atoms[i][0], v]);
        yield* rec();
        chosen.pop();
      }
      used[i] = false;
    }
  }
  yield* rec();
}

// ---------------------------------------------------------------------------
// Random records and filters.

const R_NUMS = [-1, 0, 1, 2, 2.5, 3, 4, 5];
const R_STRS = ['', 'a', 'b', 'ab', 'c'];

function pick<T>(r: Rng, xs: readonly T[]): T {
  return xs[(r() * xs.length) | 0];
}

function randomScalar(r: Rng): Json {
  const p = r();
  if (p < 0.45) return pick(r, R_NUMS);
  if (p < 0.8) return pick(r, R_STRS);
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
  const keys = ['x', 'y', 'a', 'a.b', 'constructor'];
  // Random key order.
  for (let i = keys.length - 1; i > 0; i--) {
    const j = (r() * (i + 1)) | 0;
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  for (const k of keys) {
    if (r() < (k.length > 1 ? 0.85 : 0.2)) continue;
    if (k === 'a') {
      const p = r();
      m.a = p < 0.4 ? { b: randomValue(r, 1) } : p < 0.8 ? Array.from({ length: (r() * 3) | 0 }, () => (r() < 0.85 ? { b: randomValue(r, 1) } : randomScalar(r))) : randomValue(r);
    } else m[k] = randomValue(r);
  }
  return m;
}

const PATHS = ['x', 'x', 'x', 'y', 'a', 'a.b', 'a.b', 'a.c', 'a.b.c', 'x.b', 'constructor', 'toString', 'nope'];
const FIELD_OPS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$not'];

function randomOperand(r: Rng, op: string, depth: number): Json {
  switch (op) {
    case '$gt': case '$gte': case '$lt': case '$lte': return r() < 0.6 ? pick(r, R_NUMS) : pick(r, R_STRS);
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
    f[path] = r() < 0.25 ? randomOperand(r, '$eq', 0) : randomOps(r, 0);
  }
  return f as Filter;
}

// ---------------------------------------------------------------------------

describe('filter differential: store vs reference model', () => {
  it('exhaustive: every ordered combination of up to 3 operators on one field (x and a.b), all range orderings, repeated bounds', async () => {
    const h = flatHarness();
    await h.upsert(fixedRecords());
    let i = 0;
    // Every ordered choice of up to 3 distinct operators with every operand, on a top-level field.
    for (const ops of operatorObjects(ATOMS, 1, 3)) await h.check({ x: ops }, { deleteWhere: i++ % 4 === 0 });
    const perField = h.cases;
    // The same up to 2 operators on a nested path through objects and arrays of objects.
    for (const ops of operatorObjects(ATOMS, 1, 2)) await h.check({ 'a.b': ops }, { deleteWhere: i++ % 4 === 0 });
    // All four range operators in every order, every bound (ties, empty intervals, mixed types).
    const RANGES = ATOMS.slice(0, 4);
    for (const ops of operatorObjects(RANGES, 4, 4)) await h.check({ x: ops }, { deleteWhere: i++ % 4 === 0 });
    // Range operators repeated with different bounds: two range objects ANDed on one field.
    const pairs = [...operatorObjects(RANGES, 1, 2)];
    for (const p of pairs) for (const q of pairs) await h.check({ $and: [{ x: p }, { x: q }] });
    // Ranges with $eq / $in, and range $not of range.
    for (const p of pairs) for (const e of [1, 3, 'b', null]) {
      await h.check({ x: { ...p, $eq: e } });
      await h.check({ x: { $in: [e, 2.5], ...p } });
      await h.check({ x: { $not: p } });
      await h.check({ 'a.b': { ...p, $ne: e } });
    }
    // Logical operators two levels deep over a few leaves, {} (everything) among them.
    const LEAVES: Filter[] = [{}, { x: 1 }, { x: { $gt: 1, $lt: 4 } }, { 'a.b': null }, { y: { $exists: false } }, { x: { $in: ['a', [1, 3]] } }];
    const level1: Filter[] = [...LEAVES.map((f) => ({ $not: f }))];
    for (const op of ['$and', '$or', '$nor']) for (const f of LEAVES) for (const g of LEAVES) level1.push({ [op]: [f, g] } as Filter);
    for (const f of level1) {
      await h.check(f);
      await h.check({ $not: f });
      for (const op of ['$and', '$or', '$nor']) for (const g of LEAVES) await h.check({ [op]: [f, g] } as Filter);
    }
    console.log(`filter differential, exhaustive: ${h.cases} filters (${perField} on one field with up to 3 operators; ${h.partial} match some but not all) x ${h.model.size} records`);
    h.assertClean('exhaustive');
    expect(h.cases).toBeGreaterThan(15000);
  });

  it('random filters with nested $and/$or/$nor/$not over random records', async () => {
    const r = rng(20240611);
    const h = flatHarness();
    await h.upsert(Array.from({ length: 300 }, (_, i) => ({ id: `r${i}`, metadata: randomMeta(r) })));
    for (let i = 0; i < 3000; i++) await h.check(randomFilter(r), { deleteWhere: i % 5 === 0, queryK: 1 + ((r() * 8) | 0) });
    console.log(`filter differential, random: ${h.cases} filters (${h.partial} match some but not all) x ${h.model.size} records`);
    h.assertClean('random');
  });

  it('random filters on a store rewritten by interleaved upserts, replacements and deletes of the same ids', async () => {
    const r = rng(99);
    const h = flatHarness();
    const ids = Array.from({ length: 250 }, (_, i) => `r${i}`);
    await h.upsert(ids.map((id) => ({ id, metadata: randomMeta(r) })));
    for (let step = 0; step < 1500; step++) {
      const p = r();
      if (p < 0.35) {
        // Replace some records' metadata (same ids, often sharing values with others).
        const batch = Array.from({ length: 1 + ((r() * 8) | 0) }, () => ({ id: pick(r, ids), metadata: randomMeta(r) }));
        const dedup = [...new Map(batch.map((b) => [b.id, b])).values()];
        await h.upsert(dedup);
      } else if (p < 0.55) {
        await h.delete(Array.from({ length: 1 + ((r() * 6) | 0) }, () => pick(r, ids)));
      } else if (p < 0.6) {
        // A deleteWhere that is not restored.
        const f = randomFilter(r);
        const want = h.expected(f);
        const n = await h.store.deleteWhere(f);
        if (n !== want.length) h.failures.push(`${JSON.stringify(f)}: deleteWhere during churn removed ${n}, model ${want.length}`);
        for (const id of want) h.model.delete(id);
        h.invalidate();
      } else if (p < 0.7 && h.model.size < ids.length) {
        // Bring deleted ids back.
        const back = ids.filter((id) => !h.model.has(id)).slice(0, 1 + ((r() * 10) | 0));
        await h.upsert(back.map((id) => ({ id, metadata: randomMeta(r) })));
      }
      await h.check(randomFilter(r), { deleteWhere: step % 7 === 0 });
    }
    console.log(`filter differential, churn: ${h.cases} filters, ${h.model.size} records at the end`);
    h.assertClean('churn');
  });

  it('graph (HNSW) store: hits are a subset of the model set, min(topK, matches) of them', async () => {
    const r = rng(5);
    const store = new VectorStore({ dim: 4, metric: 'euclidean', index: { type: 'hnsw' } });
    const vecs = new Map<string, number[]>();
    const h = new Harness(store, (id) => {
      let v = vecs.get(id);
      if (!v) vecs.set(id, (v = [r(), r(), r(), r()]));
      return v;
    }, false);
    h.query = [0.5, 0.5, 0.5, 0.5];
    await h.upsert(Array.from({ length: 400 }, (_, i) => ({ id: `g${i}`, metadata: randomMeta(r) })));
    expect(store.activeIndex).toBe('hnsw');
    for (let i = 0; i < 800; i++) await h.check(randomFilter(r), { queryK: 1 + ((r() * 20) | 0), deleteWhere: i % 10 === 0 });
    console.log(`filter differential, graph: ${h.cases} filters`);
    h.assertClean('graph');
  });

  it('a reopened durable store (field indexes rebuilt in the background), with writes issued before the build', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quiver-filter-diff-'));
    try {
      const r = rng(31);
      const first = flatHarness(await VectorStore.open(dir, { dim: 2, metric: 'euclidean', index: { type: 'flat' }, durability: 'none' }));
      const ids = Array.from({ length: 300 }, (_, i) => `r${i}`);
      await first.upsert(ids.map((id) => ({ id, metadata: randomMeta(r) })));
      await first.delete(ids.filter((_, i) => i % 6 === 0));
      await first.upsert(ids.filter((_, i) => i % 6 === 1).map((id) => ({ id, metadata: randomMeta(r) })));
      await first.store.close();
      const h = flatHarness(await VectorStore.open(dir, { durability: 'none' }));
      for (const [id, m] of first.model) h.model.set(id, m);
      // Writes queued at once after open, before the background build has run.
      await Promise.all([
        h.upsert(ids.filter((_, i) => i % 6 === 0).slice(0, 20).map((id) => ({ id, metadata: randomMeta(r) }))),
        h.delete(ids.filter((_, i) => i % 6 === 2).slice(0, 20)),
        h.upsert(ids.filter((_, i) => i % 6 === 3).slice(0, 20).map((id) => ({ id, metadata: randomMeta(r) }))),
      ]);
      for (let i = 0; i < 400; i++) await h.check(randomFilter(r), { deleteWhere: i % 8 === 0 });
      await h.store.close();
      console.log(`filter differential, reopened: ${h.cases} filters x ${h.model.size} records`);
      h.assertClean('reopened');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('more than 4,096 records sharing a value (bit-set postings), with deletes and replacements', async () => {
    const r = rng(4096);
    const h = flatHarness();
    const N = 5000;
    const shared = (i: number): Meta => {
      // Most records share x = 1 (past 4,096: a bit-set posting) or 'a'; a few hold arrays or others.
      const m: Meta = { x: i % 10 < 9 ? 1 : i % 20 === 9 ? [1, 'a', 5] : randomValue(r) };
      if (i % 3 === 0) m.a = { b: i % 6 === 0 ? 'a' : 3 };
      else if (i % 3 === 1) m.a = [{ b: 3 }, { b: i % 2 }];
      if (i % 4 !== 0) m.y = i % 4;
      return m;
    };
    await h.upsert(Array.from({ length: N }, (_, i) => ({ id: `r${i}`, metadata: shared(i) })));
    const filters: Filter[] = [
      { x: 1 }, { x: { $ne: 1 } }, { x: { $gte: 1, $lte: 1 } }, { x: { $gt: 0, $lte: 3, $lt: 5 } }, { x: { $gte: 1, $lte: 3, $lt: 5 } },
      { x: { $in: [1, 'a'] } }, { x: { $nin: [1] } }, { x: { $gt: 4, $lt: 0 } }, { 'a.b': 3 }, { 'a.b': { $gte: 1, $lt: 4 } },
      { $or: [{ x: 1 }, { y: 2 }] }, { $nor: [{ x: 1 }, { 'a.b': 'a' }] }, { x: { $not: { $gte: 1, $lt: 2 } } }, { y: { $exists: false } },
    ];
    const round = async (label: string) => {
      for (const f of filters) await h.check(f, { deleteWhere: true });
      for (let i = 0; i < 60; i++) await h.check(randomFilter(r), { deleteWhere: i % 6 === 0 });
      h.assertClean(label);
    };
    await round('bit-set postings');
    // Delete and replace a fifth of the records sharing x = 1: the bit-set posting loses and regains slots.
    const victims = Array.from({ length: N }, (_, i) => `r${i}`).filter((_, i) => i % 5 === 2);
    await h.delete(victims.slice(0, 600));
    await h.upsert(victims.slice(600).map((id) => ({ id, metadata: { x: r() < 0.5 ? 1 : 2, y: 'b' } })));
    await round('bit-set postings after deletes and replacements');
    console.log(`filter differential, >4,096 shared: ${h.cases} filters x ${h.model.size} records`);
  });
});
