// VectorStore in memory: the reference query, scores per metric, upsert
// semantics, atomic batches, copies in and out, get/delete/count/list, and a
// random-operation cross-check against brute force.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VectorStore, type Metric, type UpsertRecord } from '../src/index.js';
import { distance64, dot64, randomVectors, rng } from './helpers/reference.js';

async function reference(): Promise<VectorStore> {
  const store = new VectorStore({ dim: 3, metric: 'cosine' });
  await store.upsert([
    { id: 'doc1', vector: [1, 0, 0], metadata: { category: 'science' } },
    { id: 'doc2', vector: [0, 1, 0], metadata: { category: 'math' } },
    { id: 'doc3', vector: [0.7, 0.7, 0], metadata: { category: 'science' } },
  ]);
  return store;
}

describe('query', () => {
  it('reference behaviour: filtered cosine top-2 returns doc1 then doc3', async () => {
    const store = await reference();
    const hits = await store.query([0.9, 0.1, 0], { topK: 2, filter: { category: 'science' } });
    expect(hits.map((h) => h.id)).toEqual(['doc1', 'doc3']);
    expect(hits[0].metadata).toEqual({ category: 'science' });
    expect(hits[0].vector).toBeUndefined();
    const unfiltered = await store.query([0.9, 0.1, 0], { topK: 2 });
    expect(unfiltered.map((h) => h.id)).toEqual(['doc1', 'doc3']);
    const withVectors = await store.query([0, 1, 0], { topK: 1, includeVectors: true });
    expect(withVectors[0].id).toBe('doc2');
    expect(Array.from(withVectors[0].vector!)).toEqual([0, 1, 0]);
  });

  it.each(['cosine', 'ip', 'euclidean'] as Metric[])('score is higher-is-better for %s and distance is the index distance', async (metric) => {
    const dim = 8;
    const data = randomVectors(50, dim, 3);
    const store = new VectorStore({ dim, metric });
    await store.upsert({ ids: Array.from({ length: 50 }, (_, i) => `v${i}`), vectors: data });
    const q = randomVectors(1, dim, 4);
    const hits = await store.query(q, { topK: 50 });
    expect(hits).toHaveLength(50);
    for (let i = 0; i < hits.length; i++) {
      const x = data.subarray(Number(hits[i].id.slice(1)) * dim, (Number(hits[i].id.slice(1)) + 1) * dim);
      const d = distance64(metric, q, x);
      expect(hits[i].distance).toBeCloseTo(d, 4);
      const expectedScore = metric === 'euclidean' ? -d : metric === 'ip' ? dot64(q, x) : 1 - d;
      expect(hits[i].score).toBeCloseTo(expectedScore, 4);
      if (i > 0) expect(hits[i].score).toBeLessThanOrEqual(hits[i - 1].score);
    }
  });

  it('returns everything when topK exceeds the size, nothing for an empty store or a filter matching none', async () => {
    const store = await reference();
    expect(await store.query([1, 0, 0], { topK: 100 })).toHaveLength(3);
    expect(await store.query([1, 0, 0], { filter: { category: 'none' } })).toEqual([]);
    expect(await new VectorStore({ dim: 3 }).query([1, 0, 0])).toEqual([]);
  });

  it('rejects bad queries with the argument named', async () => {
    const store = await reference();
    await expect(store.query([1, 0])).rejects.toThrow(/query: vector: expected dimension 3, got 2/);
    await expect(store.query([1, 0, 0], { topK: 0 })).rejects.toThrow(/topK/);
    await expect(store.query([1, 0, 0], { topK: 1.5 })).rejects.toThrow(/topK/);
    await expect(store.query('x' as never)).rejects.toThrow(/query: vector/);
  });
});

describe('upsert', () => {
  it('replaces the vector and metadata of an existing id', async () => {
    const store = await reference();
    await store.upsert({ id: 'doc1', vector: [0, 0, 1], metadata: { category: 'art' } });
    expect(store.size).toBe(3);
    const [rec] = await store.get(['doc1']);
    expect(Array.from(rec!.vector)).toEqual([0, 0, 1]);
    expect(rec!.metadata).toEqual({ category: 'art' });
    expect(await store.count({ category: 'science' })).toBe(1);
    expect((await store.query([0, 0, 1], { topK: 1 }))[0].id).toBe('doc1');
  });

  it('keeps the last of duplicate ids in one batch; an empty batch is a no-op', async () => {
    const store = new VectorStore({ dim: 2 });
    await store.upsert([
      { id: 'a', vector: [1, 0], metadata: { v: 1 } },
      { id: 'b', vector: [0, 1] },
      { id: 'a', vector: [0.5, 0.5], metadata: { v: 2 } },
    ]);
    expect(store.size).toBe(2);
    const [a] = await store.get(['a']);
    expect(a!.metadata).toEqual({ v: 2 });
    expect(Array.from(a!.vector)).toEqual([0.5, 0.5]);
    await store.upsert([]);
    await store.upsert({ ids: [], vectors: new Float32Array(0) });
    expect(store.size).toBe(2);
  });

  it('accepts the columnar form with a flat Float32Array or arrays; metadata defaults to a fresh {}', async () => {
    const store = new VectorStore({ dim: 2, metric: 'euclidean' });
    await store.upsert({ ids: ['a', 'b'], vectors: new Float32Array([1, 2, 3, 4]) });
    await store.upsert({ ids: ['c'], vectors: [[5, 6]], metadata: [{ k: 'c' }] });
    const [a, b, c] = await store.get(['a', 'b', 'c']);
    expect(Array.from(b!.vector)).toEqual([3, 4]);
    expect(c!.metadata).toEqual({ k: 'c' });
    expect(a!.metadata).toEqual({});
    a!.metadata.x = 1;
    const [a2, b2] = await store.get(['a', 'b']);
    expect(a2!.metadata).toEqual({});
    expect(b2!.metadata).toEqual({});
  });

  const GOOD: UpsertRecord = { id: 'ok', vector: [1, 2], metadata: { k: 1 } };
  const BAD: [string, unknown, RegExp][] = [
    ['wrong dimension', { id: 'x', vector: [1, 2, 3] }, /record 1 \(id "x"\): vector: expected dimension 2, got 3/],
    ['NaN', { id: 'x', vector: [1, NaN] }, /record 1 \(id "x"\): vector\[1\]: expected a finite number, got NaN/],
    ['Infinity in a Float32Array', { id: 'x', vector: new Float32Array([Infinity, 0]) }, /record 1 \(id "x"\): vector\[0\]/],
    ['non-string id', { id: 7, vector: [1, 2] }, /record 1: id: expected a string id, got 7/],
    ['missing vector', { id: 'x' }, /record 1 \(id "x"\): vector: expected a Float32Array/],
    ['metadata with a Date', { id: 'x', vector: [1, 2], metadata: { when: new Date() } }, /record 1 \(id "x"\): metadata\.when: expected JSON data.*Date/],
    ['metadata with a function', { id: 'x', vector: [1, 2], metadata: { f: () => 1 } }, /metadata\.f: expected JSON data/],
    ['metadata with undefined', { id: 'x', vector: [1, 2], metadata: { u: undefined } }, /metadata\.u: expected JSON data/],
    ['metadata with NaN', { id: 'x', vector: [1, 2], metadata: { n: [1, NaN] } }, /metadata\.n\[1\]: expected JSON data, got NaN/],
    ['metadata that is an array', { id: 'x', vector: [1, 2], metadata: [1] }, /metadata: expected a plain object/],
    ['a record that is not an object', 5, /record 1: expected \{ id, vector, metadata\? \}/],
  ];

  it.each(BAD)('rejects the whole batch on %s, naming the record and field', async (_name, bad, message) => {
    const store = await reference2();
    await expect(store.upsert([GOOD, bad as UpsertRecord, { id: 'later', vector: [0, 1] }])).rejects.toThrow(message);
    expect(store.size).toBe(1);
    const [ok, later, existing] = await store.get(['ok', 'later', 'existing']);
    expect(ok).toBeUndefined();
    expect(later).toBeUndefined();
    expect(existing!.metadata).toEqual({ v: 'original' });
    expect(await store.count({ k: 1 })).toBe(0);
  });

  it('rejects circular metadata and a bad columnar call without applying anything', async () => {
    const store = await reference2();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(store.upsert([GOOD, { id: 'c', vector: [1, 2], metadata: cyclic as never }])).rejects.toThrow(/record 1 \(id "c"\): metadata.*circular/);
    await expect(store.upsert({ ids: ['a', 'b'], vectors: new Float32Array(3) })).rejects.toThrow(/expected 2 x 2 = 4 numbers/);
    await expect(store.upsert({ ids: ['a', 'b'], vectors: [[1, 2], [3, 4]], metadata: [{}] })).rejects.toThrow(/metadata: expected 2 entries/);
    await expect(store.upsert({ ids: ['a', 5 as never], vectors: [[1, 2], [3, 4]] })).rejects.toThrow(/record 1: id/);
    expect(store.size).toBe(1);
  });

  async function reference2(): Promise<VectorStore> {
    const store = new VectorStore({ dim: 2 });
    await store.upsert([{ id: 'existing', vector: [1, 1], metadata: { v: 'original' } }]);
    return store;
  }

  it('never mutates or retains the caller objects', async () => {
    const deepFreeze = <T>(o: T): T => {
      if (typeof o === 'object' && o !== null) {
        Object.values(o).forEach(deepFreeze);
        Object.freeze(o);
      }
      return o;
    };
    const vector = [1, 2];
    const metadata = { tags: ['a'], nested: { x: 1 } };
    const input = [{ id: 'a', vector, metadata }];
    const snapshot = JSON.stringify(input);
    const store = new VectorStore({ dim: 2 });
    await store.upsert(deepFreeze(structuredClone(input)));
    await store.upsert(input);
    expect(JSON.stringify(input)).toBe(snapshot);
    vector[0] = 99;
    metadata.tags.push('b');
    metadata.nested.x = 2;
    const [rec] = await store.get(['a']);
    expect(Array.from(rec!.vector)).toEqual([1, 2]);
    expect(rec!.metadata).toEqual({ tags: ['a'], nested: { x: 1 } });
    // What comes out is a copy too.
    rec!.vector[0] = 5;
    (rec!.metadata.tags as string[]).push('z');
    const hits = await store.query([1, 2], { includeVectors: true });
    (hits[0].metadata.nested as { x: number }).x = 7;
    const [again] = await store.get(['a']);
    expect(Array.from(again!.vector)).toEqual([1, 2]);
    expect(again!.metadata).toEqual({ tags: ['a'], nested: { x: 1 } });
    expect(await store.count({ tags: 'a' })).toBe(1);
    expect(await store.count({ 'nested.x': 7 })).toBe(0);
  });

  // S5: typed-array vectors are copied with one set() and a finiteness scan; a bad value
  // still rejects the whole batch naming the record, the id and the component.
  const dim = 16, n = 3000;
  const TYPED_BAD: [string, () => Float32Array | Float64Array, number, number, RegExp][] = [
    ['NaN in a Float32Array', () => new Float32Array(n * dim), 2047, 3, /expected a finite number, got NaN/],
    ['-Infinity in a Float32Array', () => new Float32Array(n * dim), 0, 0, /expected a finite number, got -Infinity/],
    ['Infinity in a Float64Array', () => new Float64Array(n * dim), n - 1, dim - 1, /expected a finite number, got Infinity/],
    ['a float32 overflow in a Float64Array', () => new Float64Array(n * dim), 1234, 7, /1e\+300 overflows float32/],
  ];
  it.each(TYPED_BAD)('columnar %s rejects the whole batch naming the record and component', async (_name, make, rec, comp, message) => {
    const vectors = make();
    for (let i = 0; i < vectors.length; i++) vectors[i] = (i % 97) / 97;
    vectors[rec * dim + comp] = /overflow/.test(String(message)) ? 1e300 : /-Inf/.test(String(message)) ? -Infinity : /NaN/.test(String(message)) ? NaN : Infinity;
    const ids = Array.from({ length: n }, (_, i) => (i === 5 ? 'existing' : `t${i}`));
    const big = new VectorStore({ dim });
    await big.upsert({ ids: ['existing'], vectors: new Float32Array(dim).fill(0.5), metadata: [{ v: 'original' }] });
    const expected = new RegExp(`upsert: record ${rec} \\(id "${ids[rec]}"\\): vector\\[${comp}\\]: ${message.source}`);
    await expect(big.upsert({ ids, vectors })).rejects.toThrow(expected);
    expect(big.size).toBe(1);
    expect(Array.from((await big.get(['existing']))[0]!.vector)).toEqual(new Array(dim).fill(0.5));
    expect(await big.count({ v: 'original' })).toBe(1);
    // A record of the row form given as a typed array takes the same path.
    const row = make().subarray(0, dim);
    row[comp] = vectors[rec * dim + comp];
    const good = { id: 'ok', vector: new Float32Array(dim) };
    await expect(big.upsert([good, { id: 'r', vector: row }])).rejects.toThrow(new RegExp(`record 1 \\(id "r"\\): vector\\[${comp}\\]: ${message.source}`));
    expect(big.size).toBe(1);
  });

  it('typed-array batches are copied (float64 rounded to float32), never retained', async () => {
    const store = new VectorStore({ dim: 3, metric: 'euclidean' });
    const f32 = new Float32Array([1, 2, 3, 4, 5, 6]);
    const f64 = new Float64Array([0.1, 0.2, 0.3]);
    await store.upsert({ ids: ['a', 'b'], vectors: f32.subarray(0, 6) });
    await store.upsert([{ id: 'c', vector: f64 }]);
    f32.fill(9);
    f64.fill(9);
    const [a, b, c] = await store.get(['a', 'b', 'c']);
    expect(Array.from(a!.vector)).toEqual([1, 2, 3]);
    expect(Array.from(b!.vector)).toEqual([4, 5, 6]);
    expect(Array.from(c!.vector)).toEqual(Array.from(new Float32Array([0.1, 0.2, 0.3])));
  });

  it('a large batch resolves in a later event-loop turn than the one that applied it (timers run in between)', async () => {
    // Without this, the apply (after the log write) and the caller's next batch ran in one turn.
    const dim = 128, n = 2500; // >= 2^18 floats: a "large" batch
    const vectors = randomVectors(n, dim, 9);
    const ids = Array.from({ length: n }, (_, i) => `l${i}`);
    const dir = mkdtempSync(join(tmpdir(), 'quiver-turns-'));
    try {
      for (const store of [new VectorStore({ dim, index: { type: 'flat' } }), await VectorStore.open(dir, { dim, index: { type: 'flat' } })]) {
        let resolved = false;
        let timerSawApplied = false;
        const beat = setInterval(() => {
          if (store.size === n && !resolved) timerSawApplied = true;
        }, 0);
        await store.upsert({ ids, vectors });
        resolved = true;
        clearInterval(beat);
        expect(store.size).toBe(n);
        expect(timerSawApplied).toBe(true);
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('upsert with deleteIds (one atomic write)', () => {
  const v = (x: number) => [x, 1, 0];
  async function seeded() {
    const store = new VectorStore({ dim: 3, metric: 'euclidean' });
    await store.upsert(['a', 'b', 'c'].map((id, i) => ({ id, vector: v(i), metadata: { n: i } })));
    return store;
  }
  const ids = async (store: VectorStore) => (await store.get(['a', 'b', 'c', 'd'])).map((r) => r?.id ?? null);

  it('upserts the batch and deletes the listed ids; unknown ids are ignored', async () => {
    const store = await seeded();
    await store.upsert([{ id: 'd', vector: v(3) }], { deleteIds: ['b', 'nope'] });
    expect(await ids(store)).toEqual(['a', null, 'c', 'd']);
    expect(store.size).toBe(3);
    expect((await store.query(v(1), { topK: 3 })).map((h) => h.id)).not.toContain('b');
  });

  it('deletes with an empty batch too', async () => {
    const store = await seeded();
    await store.upsert([], { deleteIds: ['a', 'c'] });
    expect(await ids(store)).toEqual([null, 'b', null, null]);
  });

  it('rejects an id that is both upserted and deleted, or a bad list, and changes nothing', async () => {
    const store = await seeded();
    await expect(store.upsert([{ id: 'd', vector: v(3) }, { id: 'b', vector: v(9) }], { deleteIds: ['b'] }))
      .rejects.toThrow(/upsert: deleteIds: "b" is also upserted by this batch/);
    await expect(store.upsert([{ id: 'd', vector: v(3) }], { deleteIds: 'b' as never })).rejects.toThrow(TypeError);
    await expect(store.upsert([{ id: 'd', vector: v(3) }], { deleteIds: ['a', 7 as never] })).rejects.toThrow(/deleteIds: ids\[1\]/);
    expect(await ids(store)).toEqual(['a', 'b', 'c', null]);
    expect((await store.get(['b']))[0]!.vector).toEqual(Float32Array.from(v(1)));
  });
});

describe('get, delete, deleteWhere, count, list', () => {
  it('get returns records in order, undefined for unknown ids', async () => {
    const store = await reference();
    const got = await store.get(['doc3', 'nope', 'doc1']);
    expect(got.map((r) => r?.id)).toEqual(['doc3', undefined, 'doc1']);
    expect(got[0]!.vector).toBeInstanceOf(Float32Array);
    await expect(store.get([1 as never])).rejects.toThrow(/get: ids\[0\]/);
  });

  it('delete returns how many existed and ignores unknown and repeated ids', async () => {
    const store = await reference();
    expect(await store.delete(['doc1', 'nope', 'doc1'])).toBe(1);
    expect(await store.delete(['doc1'])).toBe(0);
    expect(await store.delete([])).toBe(0);
    expect(store.size).toBe(2);
    expect(await store.get(['doc1'])).toEqual([undefined]);
    expect((await store.query([1, 0, 0], { topK: 3 })).map((h) => h.id)).toEqual(['doc3', 'doc2']);
    expect(await store.count({ category: 'science' })).toBe(1);
  });

  it('deleteWhere deletes the matching records and requires a filter', async () => {
    const store = await reference();
    expect(await store.deleteWhere({ category: 'science' })).toBe(2);
    expect(store.size).toBe(1);
    await expect(store.deleteWhere(undefined as never)).rejects.toThrow(/filter is required/);
    expect(await store.deleteWhere({})).toBe(1);
    expect(store.size).toBe(0);
  });

  it('count and list with and without a filter; list batches and skips records deleted meanwhile', async () => {
    const store = new VectorStore({ dim: 1 });
    await store.upsert({ ids: Array.from({ length: 25 }, (_, i) => `r${i}`), vectors: new Float32Array(25).map((_, i) => i),
      metadata: Array.from({ length: 25 }, (_, i) => ({ even: i % 2 === 0 })) });
    expect(await store.count()).toBe(25);
    expect(await store.count({ even: true })).toBe(13);
    const seen: string[] = [];
    for await (const rec of store.list({ filter: { even: true }, batchSize: 4 })) {
      seen.push(rec.id);
      expect(rec.vector![0]).toBe(Number(rec.id.slice(1)));
      if (rec.id === 'r0') await store.delete(['r24']);
    }
    expect(seen).toHaveLength(12);
    expect(seen).not.toContain('r24');
    const noVectors = [];
    for await (const rec of store.list({ batchSize: 100, includeVectors: false })) noVectors.push(rec);
    expect(noVectors).toHaveLength(24);
    expect(noVectors[0].vector).toBeUndefined();
    await expect(store.list({ batchSize: 0 }).next()).rejects.toThrow(/batchSize/);
  });

  it('serializes concurrent writes; a failing batch in the middle changes nothing', async () => {
    const store = new VectorStore({ dim: 1 });
    const results = await Promise.allSettled([
      store.upsert([{ id: 'a', vector: [1] }]),
      store.upsert([{ id: 'b', vector: [2] }, { id: 'bad', vector: [NaN] }]),
      store.delete(['a']),
      store.upsert([{ id: 'c', vector: [3] }]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((await store.get(['a', 'b', 'c'])).map((r) => r?.id)).toEqual([undefined, undefined, 'c']);
  });

  it('rejects every call after close()', async () => {
    const store = await reference();
    await store.close();
    await store.close();
    await expect(store.query([1, 0, 0])).rejects.toThrow(/closed/);
    await expect(store.upsert([{ id: 'x', vector: [1, 0, 0] }])).rejects.toThrow(/closed/);
    await expect(store.get(['doc1'])).rejects.toThrow(/closed/);
  });

  it('rejects bad constructor options', () => {
    expect(() => new VectorStore({ dim: 0 })).toThrow(/dim/);
    expect(() => new VectorStore({ dim: 3, metric: 'l1' as never })).toThrow(/metric/);
    expect(() => new VectorStore({ dim: 3, index: { type: 'ivf' as never } })).toThrow(/index.type/);
    expect(() => new VectorStore(undefined as never)).toThrow(/options/);
  });
});

describe('random operations against brute force', () => {
  it('ids, order and distances match an exact float64 search after upserts, replacements and deletes (slots are reused)', async () => {
    const dim = 6;
    const r = rng(11);
    const store = new VectorStore({ dim, metric: 'euclidean' });
    const model = new Map<string, { v: number[]; g: number }>();
    for (let step = 0; step < 200; step++) {
      if (r() < 0.7) {
        const batch = Array.from({ length: 1 + ((r() * 8) | 0) }, () => ({
          id: `k${(r() * 80) | 0}`, vector: Array.from({ length: dim }, () => Math.round((r() * 2 - 1) * 64) / 64), metadata: { g: (r() * 3) | 0 },
        }));
        await store.upsert(batch);
        for (const b of batch) model.set(b.id, { v: b.vector, g: b.metadata.g });
      } else {
        const ids = Array.from({ length: 4 }, () => `k${(r() * 80) | 0}`);
        await store.delete(ids);
        ids.forEach((id) => model.delete(id));
      }
      expect(store.size).toBe(model.size);
      const q = Array.from({ length: dim }, () => r() * 2 - 1);
      const g = (r() * 3) | 0;
      const expected = [...model].filter(([, m]) => m.g === g)
        .map(([id, m]) => ({ id, d: distance64('euclidean', q, m.v) }))
        .sort((a, b) => a.d - b.d).slice(0, 5);
      const hits = await store.query(q, { topK: 5, filter: { g } });
      expect(hits.map((h) => h.distance)).toEqual(expected.map((e) => expect.closeTo(e.d, 4)));
      // Ids agree wherever distances are not tied.
      hits.forEach((h, i) => {
        const tied = expected.filter((e) => Math.abs(e.d - h.distance) < 1e-5).map((e) => e.id);
        expect(tied).toContain(h.id);
        expect(model.get(h.id)!.g).toBe(g);
        expect(h.metadata).toEqual({ g });
      });
    }
  });
});

describe('queries on a large flat store run off the JS thread', () => {
  it('racing writes that free and reuse slots never pair an id with another record\'s distance', async () => {
    const dim = 128, n = 40_000; // 5.1M floats: past the size at which query() scans asynchronously
    const store = new VectorStore({ dim, metric: 'euclidean', index: { type: 'flat' } });
    const vecs = randomVectors(n, dim, 77);
    await store.upsert({ ids: Array.from({ length: n }, (_, i) => `r${i}`), vectors: vecs });
    const r = rng(5);
    const pending: Promise<unknown>[] = [];
    const queries: Promise<void>[] = [];
    for (let round = 0; round < 30; round++) {
      const q = randomVectors(1, dim, 1000 + round);
      queries.push(store.query(q, { topK: 5, includeVectors: true }).then(async (hits) => {
        expect(hits.length).toBe(5);
        for (const h of hits) expect(h.distance).toBeCloseTo(distance64('euclidean', q, h.vector!), 3);
      }));
      // Delete some records and insert others at once: their slots are freed and reused.
      const victims = Array.from({ length: 20 }, () => `r${Math.floor(r() * n)}`);
      pending.push(store.delete(victims));
      pending.push(store.upsert(victims.map((id, i) => ({ id: `${id}-new${round}-${i}`, vector: randomVectors(1, dim, round * 100 + i) }))));
    }
    await Promise.all([...pending, ...queries]);
  }, 60_000);
});
