// Bad input: a TypeError or RangeError whose message names the problem, and an
// index left exactly as it was.
import { describe, expect, it } from 'vitest';
import { FlatIndex } from '../src/index.js';

function seeded(): FlatIndex {
  const idx = new FlatIndex({ dim: 3, metric: 'euclidean' });
  idx.add([1, 2, 3], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  return idx;
}

function state(idx: FlatIndex) {
  return {
    size: idx.size,
    labels: [...idx.labels()].sort((a, b) => a - b),
    vectors: [1, 2, 3, 4, 5].map((l) => (idx.get(l) ? [...idx.get(l)!] : null)),
    search: Array.from(idx.search([0.1, 0.2, 0.3], 10).labels),
  };
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

describe('FlatIndex.add rejects bad input and changes nothing', () => {
  it.each(addCases)('%s', (_name, labels, vectors, type, message) => {
    const idx = seeded();
    const before = state(idx);
    let err: unknown;
    try {
      idx.add(labels as number[], vectors as Float32Array);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
    expect(state(idx)).toEqual(before);
  });

  it('a batch that fails on its last vector leaves earlier vectors of the batch unapplied', () => {
    const idx = seeded();
    const before = state(idx);
    expect(() => idx.add([1, 4, 5], [[9, 9, 9], [4, 4, 4], [5, 5, NaN]])).toThrow(RangeError);
    expect(state(idx)).toEqual(before);
  });
});

describe('FlatIndex search rejects bad input', () => {
  const cases: Array<[string, (idx: FlatIndex) => unknown, ErrorConstructor, RegExp]> = [
    ['k = 0', (idx) => idx.search([0, 0, 0], 0), RangeError, /k: expected a positive integer, got 0/],
    ['k negative', (idx) => idx.search([0, 0, 0], -3), RangeError, /k: expected a positive integer/],
    ['k fractional', (idx) => idx.search([0, 0, 0], 1.5), RangeError, /k: expected a positive integer, got 1.5/],
    ['k not a number', (idx) => idx.search([0, 0, 0], '3' as never), TypeError, /k: expected a positive integer/],
    ['k NaN', (idx) => idx.search([0, 0, 0], NaN), RangeError, /k: expected a positive integer, got NaN/],
    ['query dimension', (idx) => idx.search([0, 0], 1), RangeError, /query: expected dimension 3, got 2/],
    ['query NaN', (idx) => idx.search([0, NaN, 0], 1), RangeError, /non-finite/],
    ['query type', (idx) => idx.search('abc' as never, 1), TypeError, /query: expected a Float32Array/],
    ['batch of numbers', (idx) => idx.searchBatch([1, 2, 3] as never, 1), TypeError, /array of vectors, got an array of numbers/],
    ['threads 0', (idx) => idx.searchBatch([[0, 0, 0]], 1, { threads: 0 }), RangeError, /threads: expected an integer from 1/],
    ['bad filter', (idx) => idx.search([0, 0, 0], 1, { filter: 'x' as never }), TypeError, /filter: expected an array of labels, an AllowList or a function/],
    ['bad filter label', (idx) => idx.search([0, 0, 0], 1, { filter: [-1] }), RangeError, /filter\[0\]/],
  ];
  it.each(cases)('%s', (_name, call, type, message) => {
    const idx = seeded();
    const before = state(idx);
    expect(() => call(idx)).toThrow(type);
    expect(() => call(idx)).toThrow(message);
    expect(state(idx)).toEqual(before);
  });

  it('async variants reject (not throw) with the same errors', async () => {
    await expect(seeded().searchBatchAsync([[0, 0]], 1)).rejects.toThrow(/queries\[0\]: expected dimension 3, got 2/);
  });
});

describe('FlatIndex.remove rejects bad labels and changes nothing', () => {
  it.each([
    ['negative label', [2, -1], RangeError, /labels\[1\].*non-negative integer.*got -1/],
    ['fractional label', [1.5], RangeError, /labels\[0\].*got 1.5/],
    ['label above 2^53-1', [2 ** 53], RangeError, /labels\[0\]/],
    ['string label', ['1'], TypeError, /labels\[0\]: expected a number, got the string/],
    ['not an array', 'abc', TypeError, /labels: expected an array/],
  ] as Array<[string, unknown, ErrorConstructor, RegExp]>)('%s', (_name, labels, type, message) => {
    const idx = seeded();
    const before = state(idx);
    let err: unknown;
    try {
      idx.remove(labels as number[]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
    expect(state(idx)).toEqual(before); // label 2 before the bad one is still there
  });

  it('ignores unknown labels and counts only the removed ones', () => {
    const idx = seeded();
    expect(idx.remove([2, 99, 2])).toBe(1);
    expect(idx.has(2)).toBe(false);
    expect(idx.size).toBe(2);
  });
});

describe('FlatIndex constructor', () => {
  it.each([
    [{ dim: 0, metric: 'cosine' }, RangeError, /dim: expected an integer from 1/],
    [{ dim: 2.5, metric: 'cosine' }, RangeError, /dim/],
    [{ dim: '3', metric: 'cosine' }, TypeError, /dim: expected a positive integer, got the string/],
    [{ dim: 3, metric: 'manhattan' }, RangeError, /metric: expected 'cosine', 'euclidean' or 'ip', got the string "manhattan"/],
    [undefined, TypeError, /options: expected \{ dim, metric \}/],
  ])('rejects %j', (opts, type, message) => {
    expect(() => new FlatIndex(opts as never)).toThrow(type);
    expect(() => new FlatIndex(opts as never)).toThrow(message);
  });
});
