// Issue 11, defect 5: every public VectorStore method validates and copies its
// inputs synchronously, before it returns its promise. Property test: random
// sequences of calls issued without awaiting, where every input (vectors,
// metadata objects, id arrays, filters, options) is mutated, or its buffer
// transferred, right after the call returns; the store must end exactly as a
// model that saw the inputs as they were at call time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { VectorStore, type Metadata } from '../src/index.js';

const DIM = 3;
const root = mkdtempSync(join(tmpdir(), 'quiver-copy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

type Model = Map<string, { vector: number[]; metadata: Metadata }>;

/** Detaches a typed array's buffer, as postMessage with a transfer list does. */
function transfer(a: Float32Array | Float64Array): void {
  structuredClone(a.buffer, { transfer: [a.buffer] });
}

/** Scribbles over every value reachable from `v` (arrays, objects, typed arrays). */
function scramble(v: unknown): void {
  if (v instanceof Float32Array || v instanceof Float64Array) v.fill(-7);
  else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (typeof v[i] === 'object' && v[i] !== null) scramble(v[i]);
      else v[i] = typeof v[i] === 'string' ? `${v[i]}-changed` : 99;
    }
    v.push('extra');
  } else if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (typeof o[k] === 'object' && o[k] !== null) scramble(o[k]);
      else o[k] = 'changed';
    }
    o.added = 1;
  }
}

const id = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const vec = fc.array(fc.integer({ min: -4, max: 4 }), { minLength: DIM, maxLength: DIM });
const meta = fc.record({ n: fc.integer({ min: 0, max: 3 }), tags: fc.array(fc.constantFrom('x', 'y'), { maxLength: 2 }), nested: fc.record({ k: fc.integer({ min: 0, max: 2 }) }) });
const op = fc.oneof(
  fc.record({ kind: fc.constant('rows' as const), recs: fc.array(fc.record({ id, vector: vec, metadata: meta }), { minLength: 1, maxLength: 3 }), typed: fc.boolean() }),
  fc.record({ kind: fc.constant('columns' as const), recs: fc.array(fc.record({ id, vector: vec, metadata: meta }), { minLength: 1, maxLength: 3 }), f64: fc.boolean(), del: fc.array(id, { maxLength: 2 }) }),
  fc.record({ kind: fc.constant('delete' as const), ids: fc.array(id, { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('deleteWhere' as const), n: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('query' as const), vector: vec, n: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('count' as const), n: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('get' as const), ids: fc.array(id, { minLength: 1, maxLength: 3 }) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

const clone = <T>(v: T): T => structuredClone(v);
const lastWins = (recs: { id: string; vector: number[]; metadata: Metadata }[]) => [...new Map(recs.map((r) => [r.id, r])).values()];

/** Issues the call, mutates its inputs at once, and returns what the model expects of its result. */
function issue(store: VectorStore, o: Op, model: Model): { promise: Promise<unknown>; expected: unknown } {
  switch (o.kind) {
    case 'rows': {
      const recs = o.recs.map((r) => ({ id: r.id, vector: o.typed ? Float32Array.from(r.vector) : [...r.vector], metadata: clone(r.metadata) }));
      const promise = store.upsert(recs);
      for (const r of recs) {
        if (r.vector instanceof Float32Array) transfer(r.vector);
        else scramble(r.vector);
        scramble(r.metadata);
        (r as { id: string }).id = 'zzz';
      }
      for (const r of lastWins(o.recs)) model.set(r.id, { vector: r.vector, metadata: clone(r.metadata) });
      return { promise, expected: undefined };
    }
    case 'columns': {
      const ids = o.recs.map((r) => r.id);
      const flat = o.recs.flatMap((r) => r.vector);
      const vectors = o.f64 ? Float64Array.from(flat) : Float32Array.from(flat);
      const metadata = o.recs.map((r) => clone(r.metadata));
      const upserted = new Set(ids);
      const del = o.del.filter((d) => !upserted.has(d));
      const deleteIds = [...del];
      const options = { deleteIds };
      const promise = store.upsert({ ids, vectors, metadata }, options);
      scramble(ids);
      transfer(vectors);
      scramble(metadata);
      scramble(deleteIds);
      for (const r of lastWins(o.recs)) model.set(r.id, { vector: r.vector, metadata: clone(r.metadata) });
      for (const d of del) model.delete(d);
      return { promise, expected: undefined };
    }
    case 'delete': {
      const ids = [...o.ids];
      const promise = store.delete(ids);
      scramble(ids);
      let n = 0;
      for (const i of new Set(o.ids)) if (model.delete(i)) n++;
      return { promise, expected: n };
    }
    case 'deleteWhere': {
      const filter = { n: { $eq: o.n } };
      const promise = store.deleteWhere(filter);
      scramble(filter);
      let n = 0;
      for (const [k, v] of model) if (v.metadata.n === o.n) { model.delete(k); n++; }
      return { promise, expected: n };
    }
    case 'query': {
      const vector = Float32Array.from(o.vector);
      const options = { topK: 10, filter: { n: o.n }, includeVectors: true };
      const promise = store.query(vector, options).then((hits) => hits.map((h) => h.id).sort());
      transfer(vector);
      scramble(options.filter);
      (options as { topK: number }).topK = 1;
      const expected = [...model].filter(([, v]) => v.metadata.n === o.n).map(([k]) => k).sort();
      return { promise, expected };
    }
    case 'count': {
      const filter = { 'nested.k': { $gte: 0 }, n: o.n };
      const promise = store.count(filter);
      scramble(filter);
      return { promise, expected: [...model.values()].filter((v) => v.metadata.n === o.n).length };
    }
    case 'get': {
      const ids = [...o.ids];
      const promise = store.get(ids).then((rs) => rs.map((r) => r && { id: r.id, vector: Array.from(r.vector), metadata: r.metadata }));
      scramble(ids);
      const expected = o.ids.map((i) => {
        const m = model.get(i);
        return m && { id: i, vector: m.vector, metadata: clone(m.metadata) };
      });
      return { promise, expected };
    }
  }
}

describe('inputs mutated right after any call never change its effect (defect 5)', () => {
  for (const durable of [false, true]) {
    it(`${durable ? 'durable' : 'in-memory'} store: random un-awaited call sequences`, async () => {
      await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const store = durable
          ? await VectorStore.open(join(root, `s${dirs++}`), { dim: DIM, metric: 'euclidean', index: { type: 'flat' } })
          : new VectorStore({ dim: DIM, metric: 'euclidean', index: { type: 'flat' } });
        const model: Model = new Map();
        try {
          // Writes are issued back to back without awaiting; reads see the writes applied so far
          // (they never wait for the write queue), so a read is issued once the writes before it
          // have settled. Either way the inputs are mutated as soon as the call returns.
          const calls: { o: Op; promise: Promise<unknown>; expected: unknown }[] = [];
          for (const o of ops) {
            if (o.kind === 'query' || o.kind === 'count' || o.kind === 'get') await Promise.all(calls.map((c) => c.promise));
            calls.push({ o, ...issue(store, o, model) });
          }
          for (const c of calls) expect(await c.promise, JSON.stringify(c.o)).toEqual(c.expected);
          const stored = new Map<string, { vector: number[]; metadata: Metadata }>();
          for await (const r of store.list()) stored.set(r.id, { vector: Array.from(r.vector!), metadata: r.metadata });
          expect(stored).toEqual(model);
        } finally {
          await store.close();
        }
      }), { numRuns: durable ? 60 : 150, seed: 20261206 });
    }, 120_000);
  }

  it('regression: one Float32Array reused across un-awaited upserts stores each value under its id', async () => {
    const store = new VectorStore({ dim: 2, metric: 'euclidean' });
    const v = new Float32Array(2);
    const meta = { k: 0 };
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      v[0] = i;
      meta.k = i;
      pending.push(store.upsert({ id: `r${i}`, vector: v, metadata: meta }));
    }
    const ids = ['r0', 'r1'];
    const del = store.delete(ids);
    ids[0] = 'r4';
    await Promise.all(pending);
    expect(await del).toBe(2);
    const got = await store.get(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(got.map((r) => r && [r.vector[0], r.metadata.k])).toEqual([undefined, undefined, [2, 2], [3, 3], [4, 4]]);
  });

  it('regression: a buffer transferred right after upsert does not fail it', async () => {
    const store = new VectorStore({ dim: 2, metric: 'euclidean' });
    const vectors = new Float32Array([1, 2, 3, 4]);
    const p = store.upsert({ ids: ['a', 'b'], vectors });
    transfer(vectors);
    await p;
    expect((await store.get(['b']))[0]!.vector).toEqual(new Float32Array([3, 4]));
  });

  it('deleteWhere refuses a missing filter (null or undefined) and deletes nothing; {} deletes all (defect 2)', async () => {
    const store = new VectorStore({ dim: 2, metric: 'euclidean' });
    await store.upsert([{ id: 'a', vector: [1, 0] }, { id: 'b', vector: [0, 1] }]);
    for (const missing of [null, undefined]) {
      await expect(store.deleteWhere(missing as never)).rejects.toThrow(/filter is required/);
      expect(store.size).toBe(2);
    }
    expect(await store.deleteWhere({})).toBe(2);
    expect(store.size).toBe(0);
  });

  it('query with topK above 2^24 returns every match, naming no option it was not given (defect 17)', async () => {
    for (const type of ['flat', 'hnsw'] as const) {
      const store = new VectorStore({ dim: 2, metric: 'euclidean', index: { type } });
      await store.upsert(Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, vector: [i, 1], metadata: { even: i % 2 === 0 } })));
      expect((await store.query([0, 0], { topK: 2 ** 24 + 1 })).length).toBe(50);
      expect((await store.query([0, 0], { topK: Number.MAX_SAFE_INTEGER, filter: { even: true } })).length).toBe(25);
    }
  });
});
