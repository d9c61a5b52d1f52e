// One conformance suite for every engine of the store API (src/store/api.ts):
// the in-process VectorStore (durable, temp dir), PgVectorStore on PGlite in
// process, and PgVectorStore through the real `pg` client (pg.Pool) over TCP to
// a PGlite socket server. Same calls, same expected answers: semantics, scores
// and distances, filters, atomic batches, errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VectorStoreApi } from '../../src/store/api.js';
import type { Metric } from '../../src/index.js';
import { distance64, rng } from '../helpers/reference.js';
import { ENGINES, freshTable, type Engine } from './engines.js';

const ids = (hits: { id: string }[]) => hits.map((h) => h.id);
async function listAll(s: VectorStoreApi, options: Parameters<VectorStoreApi['list']>[0] = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const rec of s.list(options)) out.push(rec.id);
  return out.sort();
}
function scoreOf(metric: Metric, d: number) {
  return metric === 'euclidean' ? -d : 1 - d;
}
/** The documented distance: euclidean L2, cosine 1 - cos, ip 1 - dot. */
function refDistance(metric: Metric, q: number[], v: ArrayLike<number>): number {
  return distance64(metric, q, v);
}

describe.each(ENGINES)('store API conformance: %s', (_label, make) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await make();
  });
  afterAll(async () => {
    await engine?.teardown();
  });

  for (const metric of ['cosine', 'euclidean', 'ip'] as Metric[]) {
    it(`query: nearest first, score and distance as documented (${metric})`, async () => {
      const s = await engine.open({ dim: 4, metric });
      const r = rng(metric.length);
      const data = Array.from({ length: 60 }, (_, i) => ({ id: `v${i}`, vector: Array.from({ length: 4 }, () => r() * 2 - 1), metadata: { i } }));
      await s.upsert(data);
      const q = [0.3, -0.2, 0.9, 0.1];
      const hits = await s.query(q, { topK: 7 });
      const want = data.map((d) => ({ id: d.id, d: refDistance(metric, q, Float32Array.from(d.vector)) })).sort((a, b) => a.d - b.d).slice(0, 7);
      expect(ids(hits)).toEqual(want.map((w) => w.id));
      hits.forEach((h, i) => {
        expect(h.distance).toBeCloseTo(want[i].d, 5);
        expect(h.score).toBeCloseTo(scoreOf(metric, h.distance), 12);
        expect(h.metadata).toEqual({ i: Number(h.id.slice(1)) });
        expect(h.vector).toBeUndefined();
      });
      const withVec = await s.query(q, { topK: 2, includeVectors: true, includeMetadata: false });
      expect(withVec[0].vector).toEqual(Float32Array.from(data[Number(withVec[0].id.slice(1))].vector));
      expect(withVec[0].metadata).toEqual({});
      await s.close();
    });
  }

  it('the reference query: exact scores (cosine, a zero vector at distance 1)', async () => {
    const s = await engine.open({ dim: 3, metric: 'euclidean' });
    await s.upsert([{ id: 'a', vector: [1, 2, 3] }, { id: 'z', vector: [0, 0, 0] }]);
    const hits = await s.query([1, 1, 1], { topK: 5 });
    expect(hits.map((h) => [h.id, h.distance, h.score])).toEqual([
      ['z', Math.fround(Math.sqrt(3)), -Math.fround(Math.sqrt(3))],
      ['a', Math.fround(Math.sqrt(5)), -Math.fround(Math.sqrt(5))],
    ]);
    await s.close();
  });

  it('upsert: rows, one record, columns; replaces; last duplicate wins; get in order', async () => {
    const s = await engine.open({ dim: 2, metric: 'euclidean' });
    await s.upsert([{ id: 'a', vector: [1, 0], metadata: { v: 1 } }, { id: 'b', vector: [0, 1] }]);
    await s.upsert({ id: 'c', vector: new Float32Array([2, 2]), metadata: { v: 3 } });
    await s.upsert({ ids: ['d', 'e'], vectors: new Float32Array([3, 3, 4, 4]), metadata: [{ v: 4 }, undefined] });
    await s.upsert({ ids: ['f'], vectors: [[5, 5]] });
    await s.upsert([{ id: 'a', vector: [9, 9], metadata: { v: 'old' } }, { id: 'a', vector: [7, 7], metadata: { v: 'new' } }]);
    expect(await s.count()).toBe(6);
    const got = await s.get(['a', 'nope', 'e', 'a']);
    expect(got[0]).toEqual({ id: 'a', vector: new Float32Array([7, 7]), metadata: { v: 'new' } });
    expect(got[1]).toBeUndefined();
    expect(got[2]).toEqual({ id: 'e', vector: new Float32Array([4, 4]), metadata: {} });
    expect(got[3]).toEqual(got[0]);
    expect(got[3]).not.toBe(got[0]);
    // Returned metadata is a copy.
    (got[0]!.metadata as Record<string, unknown>).v = 'changed';
    expect((await s.get(['a']))[0]!.metadata).toEqual({ v: 'new' });
    expect(await s.get([])).toEqual([]);
    await s.close();
  });

  it('upsert with deleteIds is one atomic step; an id both upserted and deleted is refused', async () => {
    const s = await engine.open({ dim: 2 });
    await s.upsert([{ id: 'a', vector: [1, 0] }, { id: 'b', vector: [0, 1] }, { id: 'c', vector: [1, 1] }]);
    await s.upsert([{ id: 'd', vector: [1, 2] }], { deleteIds: ['a', 'b', 'unknown', 'a'] });
    expect(await listAll(s)).toEqual(['c', 'd']);
    await s.upsert([], { deleteIds: ['c'] });
    expect(await listAll(s)).toEqual(['d']);
    await expect(s.upsert([{ id: 'd', vector: [0, 0] }], { deleteIds: ['d'] })).rejects.toThrow(RangeError);
    await expect(s.upsert([{ id: 'x', vector: [0, 0] }], { deleteIds: 'd' as unknown as string[] })).rejects.toThrow(TypeError);
    await expect(s.upsert([{ id: 'x', vector: [0, 0] }], { deleteIdz: [] } as never)).rejects.toThrow(/deleteIdz/);
    expect(await listAll(s)).toEqual(['d']);
    await s.close();
  });

  it('a failing batch changes nothing (invalid record anywhere in it)', async () => {
    const s = await engine.open({ dim: 3 });
    await s.upsert([{ id: 'keep', vector: [1, 2, 3], metadata: { v: 1 } }]);
    const bad = [
      [{ id: 'n1', vector: [1, 2, 3] }, { id: 'keep', vector: [0, 0, 0] }, { id: 'n2', vector: [1, NaN, 3] }],
      [{ id: 'n1', vector: [1, 2, 3] }, { id: 'n2', vector: [1, 2] }],
      [{ id: 'n1', vector: [1, 2, 3] }, { id: '', vector: [1, 2, 3] }],
      [{ id: 'n1', vector: [1, 2, 3] }, { id: 5, vector: [1, 2, 3] }],
      [{ id: 'n1', vector: [1, 2, 3], metadata: { d: new Date() } }],
      [{ id: 'n1', vector: [1, 2, 3], metadata: { n: Infinity } }],
    ];
    for (const batch of bad) await expect(s.upsert(batch as never)).rejects.toThrow();
    await expect(s.upsert({ ids: ['n1', 'n2'], vectors: new Float32Array(5) })).rejects.toThrow(RangeError);
    await expect(s.upsert('nope' as never)).rejects.toThrow(TypeError);
    expect(await s.count()).toBe(1);
    expect((await s.get(['keep']))[0]).toEqual({ id: 'keep', vector: new Float32Array([1, 2, 3]), metadata: { v: 1 } });
    await s.close();
  });

  it('delete and deleteWhere return how many existed; deleteWhere needs a filter ({} = all)', async () => {
    const s = await engine.open({ dim: 2 });
    await s.upsert(Array.from({ length: 20 }, (_, i) => ({ id: `r${i}`, vector: [i, 1], metadata: { even: i % 2 === 0, i } })));
    expect(await s.delete(['r0', 'r1', 'nope', 'r0'])).toBe(2);
    expect(await s.delete([])).toBe(0);
    expect(await s.deleteWhere({ even: true, i: { $gte: 10 } })).toBe(5);
    await expect(s.deleteWhere(undefined as never)).rejects.toThrow(TypeError);
    await expect(s.deleteWhere(null as never)).rejects.toThrow(TypeError);
    await expect(s.delete([1] as never)).rejects.toThrow(TypeError);
    expect(await s.count()).toBe(13);
    expect(await s.deleteWhere({})).toBe(13);
    expect(await s.count()).toBe(0);
    expect(await s.query([1, 1])).toEqual([]);
    await s.close();
  });

  it('count and list with filters; list pages by batchSize; includeVectors: false', async () => {
    const s = await engine.open({ dim: 2 });
    await s.upsert(Array.from({ length: 57 }, (_, i) => ({ id: `r${String(i).padStart(2, '0')}`, vector: [i, 1], metadata: { g: i % 3, tags: i % 2 ? ['odd'] : ['even', 'x'] } })));
    expect(await s.count()).toBe(57);
    expect(await s.count({ g: 1 })).toBe(19);
    expect(await s.count({ tags: 'x' })).toBe(29);
    expect(await s.count({ $or: [{ g: 0 }, { tags: 'odd' }] })).toBe(19 + 28 - 9);
    const listed: { id: string; vector?: Float32Array }[] = [];
    for await (const rec of s.list({ filter: { g: 2 }, batchSize: 4, includeVectors: false })) listed.push(rec);
    expect(listed.map((r) => r.id).sort()).toEqual(Array.from({ length: 19 }, (_, k) => `r${String(3 * k + 2).padStart(2, '0')}`));
    expect(listed.every((r) => r.vector === undefined)).toBe(true);
    const full: { id: string; vector?: Float32Array }[] = [];
    for await (const rec of s.list({ batchSize: 1000 })) full.push(rec);
    expect(full.length).toBe(57);
    expect(full.find((r) => r.id === 'r05')!.vector).toEqual(new Float32Array([5, 1]));
    await expect(listAll(s, { batchSize: 0 })).rejects.toThrow(RangeError);
    await expect(listAll(s, { filter: { g: { $bad: 1 } } as never })).rejects.toThrow(RangeError);
    await s.close();
  });

  it('query with a filter returns min(topK, matches), nearest first, even when few records match', async () => {
    const s = await engine.open({ dim: 8, metric: 'cosine', index: { M: 8, efConstruction: 32, efSearch: 10 } });
    const r = rng(7);
    const n = 1500;
    const vectors = new Float32Array(n * 8).map(() => r() - 0.5);
    // 12 rare records, far from the query's neighbourhood.
    const metadata = Array.from({ length: n }, (_, i) => ({ rare: i % 125 === 3, i }));
    await s.upsert({ ids: Array.from({ length: n }, (_, i) => `r${i}`), vectors, metadata });
    const q = Array.from(vectors.subarray(0, 8));
    const rare = await s.query(q, { topK: 20, filter: { rare: true } });
    expect(rare.length).toBe(12);
    const truth = metadata.filter((m) => m.rare).map((m) => ({ id: `r${m.i}`, d: refDistance('cosine', q, vectors.subarray(m.i * 8, m.i * 8 + 8)) })).sort((a, b) => a.d - b.d);
    expect(ids(rare)).toEqual(truth.map((t) => t.id));
    const five = await s.query(q, { topK: 5, filter: { rare: true } });
    expect(ids(five)).toEqual(truth.slice(0, 5).map((t) => t.id));
    const none = await s.query(q, { topK: 5, filter: { rare: 'no such value' } });
    expect(none).toEqual([]);
    const plain = await s.query(q, { topK: 10, efSearch: 200 });
    expect(plain.length).toBe(10);
    expect(plain[0].id).toBe('r0');
    for (let i = 1; i < plain.length; i++) expect(plain[i].distance).toBeGreaterThanOrEqual(plain[i - 1].distance);
    await s.close();
  });

  it('errors: argument checks match the in-process store', async () => {
    const s = await engine.open({ dim: 3 });
    await s.upsert([{ id: 'a', vector: [1, 2, 3] }]);
    await expect(s.query([1, 2])).rejects.toThrow(RangeError);
    await expect(s.query([1, 2, NaN])).rejects.toThrow(RangeError);
    await expect(s.query('x' as never)).rejects.toThrow(TypeError);
    await expect(s.query([1, 2, 3], { topK: 0 })).rejects.toThrow(RangeError);
    await expect(s.query([1, 2, 3], { topK: 1.5 })).rejects.toThrow(RangeError);
    await expect(s.query([1, 2, 3], { efSearch: -1 })).rejects.toThrow(RangeError);
    await expect(s.query([1, 2, 3], { k: 3 } as never)).rejects.toThrow(/topK/);
    await expect(s.query([1, 2, 3], { filter: { a: { $regex: 'x' } } as never })).rejects.toThrow(RangeError);
    await expect(s.query([1, 2, 3], { filter: { $where: 'x' } as never })).rejects.toThrow(RangeError);
    await expect(s.query([1, 2, 3], { filter: { a: { $in: 'x' } } as never })).rejects.toThrow(TypeError);
    await expect(s.count({ a: { $gt: true } } as never)).rejects.toThrow(TypeError);
    await expect(s.get('a' as never)).resolves.toHaveLength(1);
    await expect(s.get([null] as never)).rejects.toThrow(TypeError);
    expect(await s.query([1, 2, 3], { topK: 1000 })).toHaveLength(1);
    await s.close();
  });

  it('close: idempotent, later calls reject; reopen keeps the data and checks the options', async () => {
    const name = freshTable();
    const s = await engine.open({ dim: 3, metric: 'ip' }, name);
    await s.upsert([{ id: 'a', vector: [1, 2, 3], metadata: { k: 'v' } }]);
    await s.close();
    await s.close();
    await expect(s.query([1, 2, 3])).rejects.toThrow(/closed/);
    await expect(s.upsert([{ id: 'b', vector: [1, 2, 3] }])).rejects.toThrow(/closed/);
    await expect(s.count()).rejects.toThrow(/closed/);
    const again = await engine.open({}, name);
    expect(again.dim).toBe(3);
    expect(again.metric).toBe('ip');
    expect(await again.get(['a'])).toEqual([{ id: 'a', vector: new Float32Array([1, 2, 3]), metadata: { k: 'v' } }]);
    await again.close();
    await expect(engine.open({ dim: 4 }, name)).rejects.toThrow(/dim/);
    await expect(engine.open({ metric: 'cosine' }, name)).rejects.toThrow(/metric/);
    await expect(engine.open({}, freshTable())).rejects.toThrow(/dim/);
  });

  it('inputs are copied before upsert returns; awkward keys and values round-trip; empty calls are no-ops', async () => {
    const s = await engine.open({ dim: 3, metric: 'euclidean' });
    expect(await s.query([1, 2, 3])).toEqual([]);
    expect(await s.count({ a: 1 })).toBe(0);
    await s.upsert([]);
    const vector = new Float32Array([1, 2, 3]);
    const metadata: Record<string, unknown> = { list: [1, 'two', null, { three: 3 }], nested: { deep: { er: [true, false] } } };
    Object.defineProperty(metadata, '__proto__', { value: { p: 1 }, enumerable: true, writable: true, configurable: true });
    metadata['constructor'] = 'c';
    metadata['a.b'] = 'dotted';
    metadata[''] = 'empty key';
    metadata.big = 1e21;
    metadata.small = 5e-324;
    metadata.neg = -1.5;
    metadata.unicode = 'é\u{1F600}\uFFFF';
    const pending = s.upsert([{ id: 'x', vector, metadata: metadata as never }]);
    vector[0] = 99;
    (metadata.list as unknown[]).push('late');
    await pending;
    const [got] = await s.get(['x']);
    expect(got!.vector).toEqual(new Float32Array([1, 2, 3]));
    expect((got!.metadata.list as unknown[]).length).toBe(4);
    expect(Object.getPrototypeOf(got!.metadata)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(got!.metadata, '__proto__')?.value).toEqual({ p: 1 });
    expect({ ...got!.metadata, list: undefined }).toEqual({ ...metadata, list: undefined });
    expect(await s.count({ 'a.b': 'dotted' })).toBe(0); // a path, never the key spelled "a.b"
    expect(await s.count({ '__proto__.p': 1, constructor: 'c', big: { $gt: 1e20 }, small: { $gt: 0 } })).toBe(1);
    // Columnar upsert with Float64Array and with an array of Float32Arrays.
    await s.upsert({ ids: ['f64', 'arr'], vectors: new Float64Array([0.1, 0.2, 0.3, 4, 5, 6]) });
    await s.upsert({ ids: ['arr'], vectors: [new Float32Array([7, 8, 9])] });
    const [f64, arr] = await s.get(['f64', 'arr']);
    expect(f64!.vector).toEqual(new Float32Array([0.1, 0.2, 0.3]));
    expect(arr!.vector).toEqual(new Float32Array([7, 8, 9]));
    const far = await s.query([0, 0, 0], { topK: 1e9 });
    expect(ids(far)).toEqual(['f64', 'x', 'arr']);
    await s.close();
  });

  it('concurrent writes apply in call order; queries see only committed batches', async () => {
    const s = await engine.open({ dim: 2 });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) writes.push(s.upsert([{ id: 'x', vector: [i, 0], metadata: { i } }]));
    writes.push(s.delete(['nothing']));
    await Promise.all(writes);
    expect((await s.get(['x']))[0]!.metadata).toEqual({ i: 19 });
    await s.close();
  });
});
