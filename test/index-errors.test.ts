// Bad input to FlatIndex and HnswIndex: a TypeError or RangeError whose message names the
// problem, and an index left exactly as it was. Every shared case runs against both
// classes (they share the input checks and most of the binding); the HNSW-only options
// (threads on add, ef, graph parameters, load) follow.
import { describe, expect, it } from 'vitest';
import { FlatIndex, HnswIndex } from '../src/index.js';

type AnyIndex = FlatIndex | HnswIndex;
const KINDS = [
  { name: 'FlatIndex', make: (o: unknown) => new FlatIndex(o as never) },
  { name: 'HnswIndex', make: (o: unknown) => new HnswIndex(o as never) },
] as const;

function seeded(kind: (typeof KINDS)[number]): AnyIndex {
  const idx = kind.make({ dim: 3, metric: 'euclidean' });
  idx.add([1, 2, 3], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  return idx;
}

function state(idx: AnyIndex) {
  return {
    size: idx.size,
    labels: [...idx.labels()].sort((a, b) => a - b),
    vectors: [1, 2, 3, 4, 5].map((l) => (idx.get(l) ? [...idx.get(l)!] : null)),
    search: Array.from(idx.search([0.1, 0.2, 0.3], 10).labels),
  };
}

function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (e) {
    return e;
  }
  return undefined;
}

const addCases: Array<[string, unknown, unknown, ErrorConstructor, RegExp]> = [
  ['wrong dimension (array form)', [4], [[1, 2]], RangeError, /vectors\[0\].*dimension 3, got 2/],
  ['wrong dimension (flat form)', [4], new Float32Array(4), RangeError, /not a whole number of 3-dimensional/],
  ['NaN', [4, 5], [[0, 0, 0], [0, NaN, 0]], RangeError, /vector 1 has a non-finite value.*component 1/],
  ['Infinity', [4], new Float32Array([0, 0, Infinity]), RangeError, /non-finite.*component 2/],
  ['negative label', [4, -1], [[0, 0, 0], [1, 1, 1]], RangeError, /labels\[1\].*non-negative integer.*got -1/],
  ['non-integer label', [4.5], [[0, 0, 0]], RangeError, /labels\[0\].*got 4.5/],
  ['label above 2^53-1', [2 ** 53], [[0, 0, 0]], RangeError, /labels\[0\]/],
  ['string label', ['4'], [[0, 0, 0]], TypeError, /labels\[0\]: expected a number, got the string/],
  ['labels not an array', 'abc', [[0, 0, 0]], TypeError, /labels: expected an array/],
  ['vectors not an array', [4], 'abc', TypeError, /vectors: expected a Float32Array/],
  ['Float64Array vectors', [4], new Float64Array(3), TypeError, /vectors: expected a Float32Array.*Float64Array/],
  ['a string in a vector', [4], [[0, 'x', 0]], TypeError, /vectors\[0\]\[1\]: expected a number/],
  ['count mismatch', [4, 5], [[0, 0, 0]], RangeError, /expected 2 vectors \(one per label\), got 1/],
];

const searchCases: Array<[string, (idx: AnyIndex) => unknown, ErrorConstructor, RegExp]> = [
  ['k = 0', (idx) => idx.search([0, 0, 0], 0), RangeError, /k: expected a positive integer, got 0/],
  ['k negative', (idx) => idx.search([0, 0, 0], -3), RangeError, /k: expected a positive integer/],
  ['k fractional', (idx) => idx.search([0, 0, 0], 1.5), RangeError, /k: expected a positive integer, got 1.5/],
  ['k not a number', (idx) => idx.search([0, 0, 0], '3' as never), TypeError, /k: expected a positive integer/],
  ['k NaN', (idx) => idx.search([0, 0, 0], NaN), RangeError, /k: expected a positive integer, got NaN/],
  ['query dimension', (idx) => idx.search([0, 0], 1), RangeError, /query: expected dimension 3, got 2/],
  ['query NaN', (idx) => idx.search([0, NaN, 0], 1), RangeError, /non-finite/],
  ['query type', (idx) => idx.search('abc' as never, 1), TypeError, /query: expected a Float32Array/],
  ['batch of numbers', (idx) => idx.searchBatch([1, 2, 3] as never, 1), TypeError, /array of vectors, got an array of numbers/],
  ['batch dimension', (idx) => idx.searchBatch([[0, 0]], 1), RangeError, /queries\[0\]: expected dimension 3, got 2/],
  ['threads 0', (idx) => idx.searchBatch([[0, 0, 0]], 1, { threads: 0 }), RangeError, /threads: expected an integer from 1/],
  ['bad filter', (idx) => idx.search([0, 0, 0], 1, { filter: 'x' as never }), TypeError, /filter: expected an array of labels, an AllowList or a function/],
  ['bad filter label', (idx) => idx.search([0, 0, 0], 1, { filter: [-1] }), RangeError, /filter\[0\]/],
];

const removeCases: Array<[string, unknown, ErrorConstructor, RegExp]> = [
  ['negative label', [2, -1], RangeError, /labels\[1\].*non-negative integer.*got -1/],
  ['fractional label', [1.5], RangeError, /labels\[0\].*got 1.5/],
  ['label above 2^53-1', [2 ** 53], RangeError, /labels\[0\]/],
  ['string label', ['1'], TypeError, /labels\[0\]: expected a number, got the string/],
  ['not an array', 'abc', TypeError, /labels: expected an array/],
];

const constructorCases: Array<[unknown, ErrorConstructor, RegExp]> = [
  [{ dim: 0, metric: 'cosine' }, RangeError, /dim: expected an integer from 1/],
  [{ dim: 2.5, metric: 'cosine' }, RangeError, /dim/],
  [{ dim: '3', metric: 'cosine' }, TypeError, /dim: expected a positive integer, got the string/],
  [{ dim: 3, metric: 'manhattan' }, RangeError, /metric: expected 'cosine', 'euclidean' or 'ip', got the string "manhattan"/],
  [undefined, TypeError, /options: expected \{ dim, metric/],
  [null, TypeError, /options: expected \{ dim, metric/],
];

describe.each(KINDS)('$name rejects bad input and changes nothing', (kind) => {
  it.each(addCases)('add: %s', async (_name, labels, vectors, type, message) => {
    const idx = seeded(kind);
    const before = state(idx);
    const err = thrown(() => idx.add(labels as number[], vectors as Float32Array));
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
    if (idx instanceof HnswIndex) await expect(idx.addAsync(labels as number[], vectors as Float32Array)).rejects.toThrow(message);
    expect(state(idx)).toEqual(before);
  });

  it('add: a batch that fails on its last vector applies none of it', () => {
    const idx = seeded(kind);
    const before = state(idx);
    expect(() => idx.add([1, 4, 5], [[9, 9, 9], [4, 4, 4], [5, 5, NaN]])).toThrow(RangeError);
    expect(state(idx)).toEqual(before);
  });

  it.each(searchCases)('search: %s', (_name, call, type, message) => {
    const idx = seeded(kind);
    const before = state(idx);
    const err = thrown(() => call(idx));
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
    expect(state(idx)).toEqual(before);
  });

  it('search: async variants reject (not throw) with the same errors', async () => {
    await expect(seeded(kind).searchBatchAsync([[0, 0]], 1)).rejects.toThrow(/queries\[0\]: expected dimension 3, got 2/);
    await expect(seeded(kind).searchAsync([0, 0, 0], 0)).rejects.toThrow(/k: expected a positive integer/);
  });

  it.each(removeCases)('remove: %s', (_name, labels, type, message) => {
    const idx = seeded(kind);
    const before = state(idx);
    const err = thrown(() => idx.remove(labels as number[]));
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
    expect(state(idx)).toEqual(before); // label 2 before the bad one is still there
  });

  it('remove: ignores unknown labels and counts only the removed ones', () => {
    const idx = seeded(kind);
    expect(idx.remove([2, 99, 2])).toBe(1);
    expect(idx.has(2)).toBe(false);
    expect(idx.size).toBe(2);
  });

  it('has/get answer false/undefined for labels that cannot exist', () => {
    const idx = seeded(kind);
    for (const l of [-1, 1.5, NaN, '1', 2 ** 60, undefined, null]) {
      expect(idx.has(l as number)).toBe(false);
      expect(idx.get(l as number)).toBeUndefined();
    }
  });

  it('getVectors names the first missing label and leaves out untouched', () => {
    const idx = seeded(kind);
    const out = new Float32Array(9).fill(7);
    expect(() => idx.getVectors([1, 42, 2], out)).toThrow(/labels\[1\]: label 42 is not in the index/);
    expect(Array.from(out)).toEqual(new Array(9).fill(7));
    expect(() => idx.getVectors([1], new Float32Array(2))).toThrow(RangeError);
  });

  it.each(constructorCases)('constructor rejects %j', (opts, type, message) => {
    const err = thrown(() => kind.make(opts));
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
  });
});

describe('HnswIndex-only options', () => {
  const hnsw = KINDS[1];

  it('add: bad threads option', () => {
    const idx = seeded(hnsw);
    expect(() => idx.add([4], [[0, 0, 0]], { threads: 0 } as never)).toThrow(/threads: expected an integer from 1/);
    expect(idx.size).toBe(3);
  });

  it.each([
    ['ef 0', { ef: 0 }, RangeError, /ef: expected an integer from 1/],
    ['ef string', { ef: '9' }, TypeError, /ef: expected an integer/],
  ] as Array<[string, unknown, ErrorConstructor, RegExp]>)('search: %s', (_name, options, type, message) => {
    const idx = seeded(hnsw) as HnswIndex;
    const err = thrown(() => idx.search([0, 0, 0], 1, options as never));
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
  });

  it.each([
    [{ dim: 3, M: 1 }, RangeError, /M: expected an integer from 2 to 2048, got 1/],
    [{ dim: 3, M: 'x' }, TypeError, /M: expected an integer/],
    [{ dim: 3, efConstruction: 0 }, RangeError, /efConstruction: expected an integer from 1/],
    [{ dim: 3, efSearch: 2.5 }, RangeError, /efSearch: expected an integer from 1/],
    [{ dim: 3, seed: -1 }, RangeError, /seed: expected an integer from 0/],
  ] as Array<[unknown, ErrorConstructor, RegExp]>)('constructor rejects %j', (opts, type, message) => {
    expect(() => new HnswIndex(opts as never)).toThrow(type);
    expect(() => new HnswIndex(opts as never)).toThrow(message);
  });

  it('applies the documented defaults', () => {
    const idx = new HnswIndex({ dim: 4 });
    expect([idx.metric, idx.M, idx.efConstruction, idx.efSearch]).toEqual(['cosine', 16, 200, 64]);
  });

  it('load rejects a non-string path', async () => {
    await expect(HnswIndex.load(7 as never)).rejects.toThrow(TypeError);
    expect(() => HnswIndex.loadSync('')).toThrow(RangeError);
  });
});
