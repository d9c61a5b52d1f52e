// Model-based tests (fast-check): random sequences of upsert / delete /
// deleteWhere / query / count / list / flush / snapshot / reopen run against a
// durable VectorStore and a plain JS model (a Map). After every step the store's
// contents equal the model's; exact-mode queries equal the model's brute force;
// approximate-mode (HNSW) queries return only live, matching records with
// correct distances. Filters are checked against the reference evaluator.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { VectorStore, type Filter, type Metadata } from '../src/index.js';
import { referenceMatch } from './fixtures/store-reference.js';

const DIM = 3;
const ID_POOL = 24;
const stats = { sequences: 0, steps: 0, reopens: 0, queries: 0 };
const dirs: string[] = [];
afterAll(() => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  console.log(`MODEL-STATS sequences=${stats.sequences} steps=${stats.steps} reopens=${stats.reopens} queries=${stats.queries}`);
});

// ---- generators

const idArb = fc.integer({ min: 0, max: ID_POOL - 1 }).map((i) => `id-${i}`);
const coord = fc.double({ min: -4, max: 4, noNaN: true }).map((x) => Math.fround(x));
const vectorArb = fc.array(coord, { minLength: DIM, maxLength: DIM });
const catArb = fc.constantFrom('a', 'b', 'c', 'é', '');
const metadataArb: fc.Arbitrary<Metadata> = fc.record(
  {
    cat: catArb,
    n: fc.integer({ min: -3, max: 3 }),
    tags: fc.array(fc.constantFrom('x', 'y', 'z'), { maxLength: 3 }),
    flag: fc.oneof(fc.boolean(), fc.constant(null)),
    nested: fc.record({ k: fc.integer({ min: 0, max: 2 }), s: catArb }, { requiredKeys: [] }),
    __proto__: fc.integer({ min: 0, max: 1 }),
  },
  { requiredKeys: [] },
).map((m) => JSON.parse(JSON.stringify(m)) as Metadata); // __proto__ as an own data key

const fieldPath = fc.constantFrom('cat', 'n', 'tags', 'flag', 'nested.k', 'nested.s', 'missing', '__proto__');
const scalarArb = fc.oneof(catArb, fc.integer({ min: -3, max: 3 }), fc.boolean(), fc.constant(null), fc.constantFrom('x', 'y'));
const fieldCond = fc.oneof(
  scalarArb,
  fc.record({ $eq: scalarArb }),
  fc.record({ $ne: scalarArb }),
  fc.record({ $gt: fc.oneof(fc.integer({ min: -3, max: 3 }), catArb) }),
  fc.record({ $gte: fc.integer({ min: -3, max: 3 }), $lt: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ $lte: fc.oneof(fc.integer({ min: -3, max: 3 }), catArb) }),
  fc.record({ $in: fc.array(scalarArb, { maxLength: 3 }) }),
  fc.record({ $nin: fc.array(scalarArb, { maxLength: 3 }) }),
  fc.record({ $exists: fc.boolean() }),
  fc.record({ $not: fc.record({ $gt: fc.integer({ min: -3, max: 3 }) }) }),
);
const leafFilter = fc.tuple(fieldPath, fieldCond).map(([p, c]) => JSON.parse(JSON.stringify({ [p]: c })) as Filter);
const filterArb: fc.Arbitrary<Filter> = fc.letrec<{ f: Filter }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafFilter,
    fc.record({ $and: fc.array(tie('f'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ $or: fc.array(tie('f'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ $nor: fc.array(tie('f'), { minLength: 1, maxLength: 2 }) }),
    fc.record({ $not: tie('f') }),
    fc.constant({}),
  ),
})).f;

type Op =
  | { op: 'upsert'; records: { id: string; vector: number[]; metadata: Metadata }[] }
  | { op: 'delete'; ids: string[] }
  | { op: 'deleteWhere'; filter: Filter }
  | { op: 'query'; vector: number[]; topK: number; filter?: Filter }
  | { op: 'count'; filter?: Filter }
  | { op: 'flush' | 'snapshot' | 'reopen' | 'list' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('upsert' as const), records: fc.array(fc.record({ id: idArb, vector: vectorArb, metadata: metadataArb }), { minLength: 1, maxLength: 6 }) }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), ids: fc.array(idArb, { maxLength: 4 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('deleteWhere' as const), filter: filterArb }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('query' as const), vector: vectorArb, topK: fc.integer({ min: 1, max: 30 }), filter: fc.option(filterArb, { nil: undefined }) }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant('count' as const), filter: fc.option(filterArb, { nil: undefined }) }), weight: 2 },
  { arbitrary: fc.constantFrom({ op: 'flush' as const }, { op: 'snapshot' as const }, { op: 'reopen' as const }, { op: 'list' as const }), weight: 3 },
);

// ---- the model

type Rec = { vector: number[]; metadata: Metadata };
const l2 = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x, i) => s + (x - b[i]) ** 2, 0));
const matches = (m: Metadata, f: Filter | undefined) => !f || referenceMatch(m as never, f as never);

async function checkContents(store: VectorStore, model: Map<string, Rec>): Promise<void> {
  expect(store.size).toBe(model.size);
  const ids = [...model.keys()];
  const got = await store.get(ids);
  got.forEach((r, i) => {
    const want = model.get(ids[i])!;
    expect(r?.id).toBe(ids[i]);
    expect(Array.from(r!.vector)).toEqual(want.vector);
    expect(JSON.stringify(r!.metadata)).toBe(JSON.stringify(want.metadata));
  });
}

async function runSequence(ops: Op[], index: { type: 'flat' | 'hnsw' | 'auto'; threshold?: number }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-model-'));
  dirs.push(dir);
  const openOpts = { dim: DIM, metric: 'euclidean' as const, index, durability: 'none' as const, snapshotBytes: 1500 };
  let store = await VectorStore.open(dir, openOpts);
  const model = new Map<string, Rec>();
  const exact = index.type === 'flat';
  try {
    for (const o of ops) {
      stats.steps++;
      switch (o.op) {
        case 'upsert':
          await store.upsert(o.records);
          for (const r of o.records) model.set(r.id, { vector: r.vector, metadata: r.metadata });
          break;
        case 'delete': {
          const present = new Set(o.ids.filter((id) => model.has(id)));
          expect(await store.delete(o.ids)).toBe(present.size);
          o.ids.forEach((id) => model.delete(id));
          break;
        }
        case 'deleteWhere': {
          const doomed = [...model].filter(([, r]) => matches(r.metadata, o.filter)).map(([id]) => id);
          expect(await store.deleteWhere(o.filter)).toBe(doomed.length);
          doomed.forEach((id) => model.delete(id));
          break;
        }
        case 'query': {
          stats.queries++;
          const hits = await store.query(o.vector, { topK: o.topK, filter: o.filter, efSearch: 64 });
          const candidates = [...model].filter(([, r]) => matches(r.metadata, o.filter));
          const want = candidates.map(([id, r]) => ({ id, d: l2(o.vector, r.vector) })).sort((a, b) => a.d - b.d);
          for (const h of hits) {
            const rec = model.get(h.id);
            expect(rec, `hit ${h.id} is not live`).toBeDefined();
            expect(matches(rec!.metadata, o.filter), `hit ${h.id} does not match the filter`).toBe(true);
            expect(h.distance).toBeCloseTo(l2(o.vector, rec!.vector), 4);
          }
          for (let i = 1; i < hits.length; i++) expect(hits[i].distance).toBeGreaterThanOrEqual(hits[i - 1].distance);
          if (exact) {
            expect(hits.length).toBe(Math.min(o.topK, want.length));
            hits.forEach((h, i) => expect(h.distance).toBeCloseTo(want[i].d, 4));
          } else {
            expect(hits.length).toBeLessThanOrEqual(Math.min(o.topK, want.length));
          }
          break;
        }
        case 'count':
          expect(await store.count(o.filter)).toBe([...model.values()].filter((r) => matches(r.metadata, o.filter)).length);
          break;
        case 'list': {
          const seen: string[] = [];
          for await (const r of store.list({ batchSize: 5 })) seen.push(r.id);
          expect(seen.sort()).toEqual([...model.keys()].sort());
          break;
        }
        case 'flush': await store.flush(); break;
        case 'snapshot': await store.snapshot(); break;
        case 'reopen':
          stats.reopens++;
          await store.close();
          store = await VectorStore.open(dir, { durability: 'none', snapshotBytes: 1500 });
          break;
      }
      await checkContents(store, model);
    }
    // Everything acknowledged survives a final close and reopen.
    await store.close();
    stats.reopens++;
    store = await VectorStore.open(dir);
    await checkContents(store, model);
  } finally {
    await store.close();
  }
  stats.sequences++;
}

const RUNS = Number(process.env.QUIVER_MODEL_RUNS ?? 40);

describe('VectorStore against a Map model', () => {
  it('exact (flat) store: contents and brute-force query results after every step', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 60, size: 'large' }), (ops) => runSequence(ops, { type: 'flat' })),
      { numRuns: RUNS, seed: Number(process.env.QUIVER_MODEL_SEED ?? 7) });
  }, 600_000);

  it('auto store switching to HNSW at 6 vectors: contents exact, queries sound', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 60, size: 'large' }), (ops) => runSequence(ops, { type: 'auto', threshold: 6 })),
      { numRuns: Math.ceil(RUNS / 2), seed: Number(process.env.QUIVER_MODEL_SEED ?? 8) });
  }, 600_000);

  it('random filters agree with the reference evaluator on random records (count and query)', async () => {
    const store = new VectorStore({ dim: DIM, metric: 'euclidean', index: { type: 'flat' } });
    const recs = fc.sample(fc.record({ vector: vectorArb, metadata: metadataArb }), { numRuns: 150, seed: 3 });
    await store.upsert(recs.map((r, i) => ({ id: `r${i}`, ...r })));
    await fc.assert(fc.asyncProperty(filterArb, async (f) => {
      const want = recs.map((r, i) => [i, r] as const).filter(([, r]) => matches(r.metadata, f)).map(([i]) => `r${i}`).sort();
      expect(await store.count(f)).toBe(want.length);
      const hits = await store.query([0, 0, 0], { topK: 1000, filter: f });
      expect(hits.map((h) => h.id).sort()).toEqual(want);
    }), { numRuns: Number(process.env.QUIVER_FILTER_RUNS ?? 500), seed: 11 });
  }, 600_000);
});
