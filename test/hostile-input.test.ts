// Hostile input: every odd or malicious argument gets a defined result or a clear
// TypeError/RangeError, never a crash, a prototype pollution, an unbounded
// allocation, or a half-applied change. Limits documented in RELIABILITY.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FlatIndex, HnswIndex, VectorStore } from '../src/index.js';

const rssMb = () => process.memoryUsage().rss / 2 ** 20;

function polluted(): boolean {
  const probe: Record<string, unknown> = {};
  return ['polluted', 'isAdmin', 'x'].some((k) => probe[k] !== undefined) || Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted');
}

afterEach(() => {
  // No test may leave anything on Object.prototype.
  expect(polluted()).toBe(false);
});

function smallFlat(): FlatIndex {
  const idx = new FlatIndex({ dim: 4, metric: 'euclidean' });
  for (let i = 0; i < 50; i++) idx.add([i], [[i, 0, 0, 0]]);
  return idx;
}

function smallHnsw(): HnswIndex {
  const idx = new HnswIndex({ dim: 4, metric: 'euclidean', M: 8, efConstruction: 32 });
  const v = new Float32Array(100 * 4);
  for (let i = 0; i < 100; i++) v[i * 4] = i;
  idx.add(Array.from({ length: 100 }, (_, i) => i), v);
  return idx;
}

describe.each([
  ['FlatIndex', smallFlat],
  ['HnswIndex', smallHnsw],
] as const)('%s: huge k and ef give bounded work and memory', (_name, make) => {
  it('k = 1e9 and k = 2^53-1 return every vector once, quickly, without a k-sized allocation', async () => {
    const idx = make();
    const before = rssMb();
    for (const k of [1e9, Number.MAX_SAFE_INTEGER]) {
      const t0 = performance.now();
      const r = idx.search([3, 0, 0, 0], k);
      expect(r.labels.length).toBe(idx.size);
      expect(r.labels[0]).toBe(3);
      const b = idx.searchBatch([[1, 0, 0, 0], [2, 0, 0, 0]], k);
      expect(b.k).toBe(idx.size);
      const a = await idx.searchAsync([3, 0, 0, 0], k);
      expect(a.labels.length).toBe(idx.size);
      expect(performance.now() - t0).toBeLessThan(2000);
    }
    expect(rssMb() - before).toBeLessThan(200); // a 1e9-row buffer would be gigabytes
  });

  it.each([0, -1, 1.5, NaN, Infinity, 2 ** 53, '5', null, {}, 10n])('k = %s is rejected with a clear error', (k) => {
    const idx = make();
    expect(() => idx.search([0, 0, 0, 0], k as number)).toThrow(/k: expected a positive integer/);
  });
});

describe('HnswIndex: ef and construction parameters', () => {
  it('ef at its maximum (2^24) on a small index is bounded; above it is rejected', () => {
    const idx = smallHnsw();
    const before = rssMb();
    const r = idx.search([5, 0, 0, 0], 10, { ef: 2 ** 24 });
    expect(Array.from(r.labels.slice(0, 3)).sort((a, b) => a - b)).toEqual([4, 5, 6]);
    expect(rssMb() - before).toBeLessThan(300);
    expect(() => idx.search([5, 0, 0, 0], 10, { ef: 2 ** 24 + 1 })).toThrow(RangeError);
    expect(() => idx.search([5, 0, 0, 0], 10, { ef: -3 })).toThrow(RangeError);
  });

  it.each([
    [{ dim: 4, M: 1 }, RangeError],
    [{ dim: 4, M: 1e9 }, RangeError],
    [{ dim: 4, efConstruction: 0 }, RangeError],
    [{ dim: 4, efSearch: 2 ** 30 }, RangeError],
    [{ dim: 0 }, RangeError],
    [{ dim: 65537 }, RangeError],
    [{ dim: '4' }, TypeError],
    [{ dim: 4, metric: 'manhattan' }, RangeError],
    [{ dim: 4, seed: -1 }, RangeError],
  ])('options %j are rejected', (options, type) => {
    expect(() => new HnswIndex(options as never)).toThrow(type);
  });

  it.each(['', '/nonexistent/dir/x.hnsw', '/dev/null', '/dev/zero', '/proc/self/status', '/tmp'])('loading %j fails with a clear error', async (path) => {
    await expect(HnswIndex.load(path)).rejects.toThrow(/path|cannot load|not a|no such|too short|regular file/i);
    expect(() => HnswIndex.loadSync(path)).toThrow(/path|cannot load|not a|no such|too short|regular file/i);
  });
});

describe('vectors of the wrong typed-array type, views and detached buffers', () => {
  const wrongTypes: Array<[string, unknown]> = [
    ['Float64Array', new Float64Array(4)],
    ['Int32Array', new Int32Array(4)],
    ['Uint8Array', new Uint8Array(16)],
    ['BigInt64Array', new BigInt64Array(4)],
    ['DataView', new DataView(new ArrayBuffer(16))],
    ['ArrayBuffer', new ArrayBuffer(16)],
    ['string', 'abcd'],
    ['array with a bigint', [1, 2, 3, 4n]],
    ['array of strings', ['1', '2', '3', '4']],
    ['object with length', { length: 4, 0: 1, 1: 2, 2: 3, 3: 4 }],
  ];
  it.each(wrongTypes)('FlatIndex and HnswIndex reject a %s query with a TypeError', (_n, q) => {
    for (const idx of [smallFlat(), smallHnsw()]) {
      expect(() => idx.search(q as never, 3)).toThrow(TypeError);
    }
  });

  it.each(wrongTypes.slice(0, 5))('add() with %s vectors is rejected and changes nothing', (_n, v) => {
    for (const idx of [smallFlat(), smallHnsw()]) {
      const size = idx.size;
      expect(() => idx.add([999], v as never)).toThrow(TypeError);
      expect(idx.size).toBe(size);
      expect(idx.has(999)).toBe(false);
    }
  });

  it('a Float32Array view at an offset into a larger buffer is read at its offset', () => {
    const big = new Float32Array(40);
    big.set([7, 0, 0, 0], 12);
    const view = big.subarray(12, 16);
    for (const idx of [smallFlat(), smallHnsw()]) {
      expect(idx.search(view, 1).labels[0]).toBe(7);
      idx.add([1234], view);
      expect(Array.from(idx.get(1234)!)).toEqual([7, 0, 0, 0]);
    }
  });

  it('a Float32Array on a SharedArrayBuffer works', async () => {
    const q = new Float32Array(new SharedArrayBuffer(16));
    q[0] = 9;
    for (const idx of [smallFlat(), smallHnsw()]) {
      expect(idx.search(q, 1).labels[0]).toBe(9);
      expect((await idx.searchAsync(q, 1)).labels[0]).toBe(9);
    }
  });

  it('a detached (transferred) buffer is an empty array: a clear dimension error', () => {
    const q = new Float32Array(4);
    structuredClone(q.buffer, { transfer: [q.buffer] });
    expect(q.length).toBe(0);
    for (const idx of [smallFlat(), smallHnsw()]) expect(() => idx.search(q, 1)).toThrow(/dimension 4, got 0/);
  });

  it('NaN, Infinity and float32 overflow in vectors are rejected', () => {
    for (const idx of [smallFlat(), smallHnsw()]) {
      expect(() => idx.add([1000], [[0, NaN, 0, 0]])).toThrow(RangeError);
      expect(() => idx.add([1000], [[0, 0, -Infinity, 0]])).toThrow(RangeError);
      expect(() => idx.add([1000], [[1e39, 0, 0, 0]])).toThrow(RangeError); // becomes Infinity in float32
      expect(() => idx.search([NaN, 0, 0, 0], 1)).toThrow(RangeError);
      expect(idx.has(1000)).toBe(false);
    }
  });
});

describe('labels at and beyond the limits', () => {
  it.each([[-1], [2 ** 53], [1.5], [NaN], [Infinity], [-0.5]])('label %s is rejected', (label) => {
    for (const idx of [smallFlat(), smallHnsw()]) expect(() => idx.add([label], [[1, 2, 3, 4]])).toThrow(RangeError);
  });
  it('labels 0, -0 and 2^53-1 work; has/get with junk arguments are false/undefined', () => {
    for (const idx of [smallFlat(), smallHnsw()]) {
      idx.add([2 ** 53 - 1], [[1, 1, 1, 1]]);
      expect(idx.has(2 ** 53 - 1)).toBe(true);
      expect(idx.has(-0)).toBe(true); // -0 is label 0
      for (const junk of ['1', null, undefined, {}, -1, NaN, 2 ** 60, 1.5, Symbol('x')]) {
        expect(idx.has(junk as never)).toBe(false);
        expect(idx.get(junk as never)).toBeUndefined();
      }
    }
  });
});

describe('prototype pollution through options objects', () => {
  it('JSON options carrying __proto__ / constructor keys are refused as unknown options, never followed', () => {
    // Unknown option keys are errors (issue 12): the own key '__proto__' is named, and nothing
    // is read through it (its metric) or written through it (afterEach checks Object.prototype).
    const opts = JSON.parse('{"dim": 4, "__proto__": {"polluted": true, "metric": "ip"}, "constructor": {"prototype": {"isAdmin": true}}}');
    expect(() => new FlatIndex(opts)).toThrow(/FlatIndex options: unknown option '__proto__'/);
    expect(() => new HnswIndex(opts)).toThrow(/HnswIndex options: unknown option '__proto__'/);
    expect(() => new VectorStore(opts)).toThrow(/VectorStore options: unknown option '__proto__'/);
    const withConstructor = JSON.parse('{"dim": 4, "constructor": {"prototype": {"isAdmin": true}}}');
    expect(() => new VectorStore(withConstructor)).toThrow(/unknown option 'constructor'/);
    const plain = JSON.parse('{"dim": 4}');
    expect(new FlatIndex(plain).metric).toBe('cosine');
    expect(new HnswIndex(plain).metric).toBe('cosine');
    expect(new VectorStore(plain).metric).toBe('cosine');
  });
});

describe('VectorStore: hostile metadata, filters and ids', () => {
  const evil = JSON.parse(`{
    "__proto__": {"polluted": true}, "constructor": {"prototype": {"isAdmin": true}},
    "prototype": 1, "$where": "function () { return true }", "hasOwnProperty": 2, "toString": "x",
    "valueOf": null, "__defineGetter__": 3, "a.b": 4, "": 5, "$gt": 6
  }`);

  async function store(): Promise<VectorStore> {
    const s = new VectorStore({ dim: 2, metric: 'euclidean' });
    await s.upsert([
      { id: 'evil', vector: [1, 0], metadata: evil },
      { id: 'plain', vector: [0, 1], metadata: { kind: 'plain' } },
    ]);
    return s;
  }

  it('metadata with __proto__, constructor, $where, toString keys is stored and returned as plain data', async () => {
    const s = await store();
    const [got] = await s.get(['evil']);
    expect(Object.getPrototypeOf(got!.metadata)).toBe(Object.prototype);
    expect(Object.keys(got!.metadata).sort()).toEqual(Object.keys(evil).sort());
    expect(Object.getOwnPropertyDescriptor(got!.metadata, '__proto__')?.value).toEqual({ polluted: true });
    expect(JSON.stringify(got!.metadata)).toBe(JSON.stringify(evil));
    const [plain] = await s.get(['plain']);
    expect((plain!.metadata as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('filters on those keys match only records that really have them (never inherited properties)', async () => {
    const s = await store();
    const ids = async (filter: object) => (await s.query([0, 0], { topK: 10, filter: filter as never })).map((h) => h.id).sort();
    expect(await ids(JSON.parse('{"__proto__": {"$exists": true}}'))).toEqual(['evil']);
    expect(await ids({ constructor: { $exists: true } })).toEqual(['evil']);
    expect(await ids({ toString: { $exists: true } })).toEqual(['evil']);
    expect(await ids({ toString: 'x' })).toEqual(['evil']);
    expect(await ids({ hasOwnProperty: { $exists: false } })).toEqual(['plain']);
    expect(await ids({ valueOf: null })).toEqual(['evil', 'plain']); // null matches a missing field (MongoDB)
    expect(await ids({ 'constructor.prototype.isAdmin': true })).toEqual(['evil']);
    expect(await s.count({ constructor: { $exists: true } })).toBe(1);
  });

  it('$where and other unknown operators are rejected, not executed', async () => {
    const s = await store();
    for (const filter of [{ $where: 'this.x' }, { a: { $where: 'x' } }, { a: { $regex: '.*' } }, { $expr: {} }]) {
      await expect(s.query([0, 0], { filter: filter as never })).rejects.toThrow(/unknown operator/);
    }
  });

  it('deeply nested filters and metadata fail cleanly (no stack overflow)', async () => {
    const s = await store();
    let f: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 100_000; i++) f = { $and: [f] };
    await expect(s.query([0, 0], { filter: f as never })).rejects.toThrow(/nested too deeply/);
    let n: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 100_000; i++) n = { n };
    await expect(s.upsert({ id: 'deep', vector: [0, 0], metadata: n as never })).rejects.toThrow(TypeError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(s.upsert({ id: 'circ', vector: [0, 0], metadata: circular as never })).rejects.toThrow(TypeError);
    expect(s.size).toBe(2);
  });

  it('metadata whose getter throws rejects the whole batch and changes nothing', async () => {
    const s = await store();
    const bad = { get boom() { throw new Error('getter ran'); } };
    await expect(s.upsert([
      { id: 'ok1', vector: [0, 0] },
      { id: 'bad', vector: [0, 0], metadata: bad as never },
    ])).rejects.toThrow();
    expect(s.size).toBe(2);
    expect((await s.get(['ok1']))[0]).toBeUndefined();
  });

  it('non-JSON metadata values (functions, symbols, class instances, NaN, bigint) are TypeErrors', async () => {
    const s = await store();
    for (const v of [() => 1, Symbol('s'), new Date(0), new Map(), NaN, 10n, new Float32Array(2)]) {
      await expect(s.upsert({ id: 'x', vector: [0, 0], metadata: { v } as never })).rejects.toThrow(TypeError);
    }
    expect(s.size).toBe(2);
  });

  it('ids: empty is rejected; odd Unicode, NUL, prototype names and a 1 MB id are distinct, exact keys', async () => {
    const s = new VectorStore({ dim: 2, metric: 'euclidean' });
    await expect(s.upsert({ id: '', vector: [0, 0] })).rejects.toThrow(RangeError);
    await expect(s.upsert({ id: 5 as never, vector: [0, 0] })).rejects.toThrow(TypeError);
    const ids = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '\u0000', 'a\u0000b', '\ud800', '\udfff\ud800',
      'é', 'e\u0301', '\u202eevil', '😀', ' ', 'x'.repeat(1 << 20)];
    expect((await s.get(['constructor', '__proto__', 'toString']))).toEqual([undefined, undefined, undefined]);
    expect(await s.delete(['constructor', 'toString'])).toBe(0);
    await s.upsert(ids.map((id, i) => ({ id, vector: [i, 0] })));
    expect(s.size).toBe(ids.length);
    const got = await s.get(ids);
    got.forEach((r, i) => expect(r?.id).toBe(ids[i]));
    const hits = await s.query([3, 0], { topK: ids.length });
    expect(new Set(hits.map((h) => h.id))).toEqual(new Set(ids));
    expect(await s.delete(['e\u0301'])).toBe(1);
    expect((await s.get(['é']))[0]?.id).toBe('é');
  });

  it('topK = 1e9 returns every record without a huge allocation; invalid topK is a RangeError', async () => {
    const s = await store();
    expect((await s.query([0, 0], { topK: 1e9 })).length).toBe(2);
    for (const k of [0, -1, 1.5, Infinity, NaN, 2 ** 53]) await expect(s.query([0, 0], { topK: k })).rejects.toThrow(RangeError);
  });

  it('vectors of the wrong type or length are rejected', async () => {
    const s = await store();
    for (const v of [new BigInt64Array(2), new DataView(new ArrayBuffer(8)), 'ab', [1], [1, 2, 3], [1, 'x'], [1, NaN], [1e39, 0], new Float32Array(3)]) {
      await expect(s.upsert({ id: 'v', vector: v as never })).rejects.toThrow(/vector|dimension|number|finite|overflows/i);
    }
    expect(s.size).toBe(2);
    // Any numeric typed array is accepted as a vector (the store's documented choice): values convert exactly.
    await s.upsert({ id: 'i8', vector: new Int8Array([-128, 127]) });
    expect(Array.from((await s.get(['i8']))[0]!.vector)).toEqual([-128, 127]);
  });
});

describe('durable store: odd ids and hostile metadata survive reopen exactly', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  it('lone surrogates, NUL, __proto__ keys round-trip through the log and a snapshot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-hostile-'));
    dirs.push(dir);
    const ids = ['\ud800', 'a\u0000b', '__proto__', 'e\u0301', 'é', '😀'];
    const meta = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "$where": "x"}');
    let s = await VectorStore.open(dir, { dim: 2, metric: 'euclidean' });
    await s.upsert(ids.map((id, i) => ({ id, vector: [i, 1], metadata: meta })));
    await s.close();
    s = await VectorStore.open(dir); // replayed from the log
    expect((await s.get(ids)).map((r) => r?.id)).toEqual(ids);
    await s.snapshot();
    await s.close();
    s = await VectorStore.open(dir); // loaded from the snapshot
    const got = await s.get(ids);
    expect(got.map((r) => r?.id)).toEqual(ids);
    expect(JSON.stringify(got[0]!.metadata)).toBe(JSON.stringify(meta));
    expect(Object.getPrototypeOf(got[0]!.metadata)).toBe(Object.prototype);
    await s.close();
  });
});
