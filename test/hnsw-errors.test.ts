// Bad input to HnswIndex: a TypeError or RangeError naming the argument, and an
// index left exactly as it was.
import { describe, expect, it } from 'vitest';
import { HnswIndex } from '../src/index.js';

function seeded(): HnswIndex {
  const idx = new HnswIndex({ dim: 3, metric: 'euclidean' });
  idx.add([1, 2, 3], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  return idx;
}

function state(idx: HnswIndex) {
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
  ['count mismatch', [4, 5], [[0, 0, 0]], RangeError, /expected 2 vectors \(one per label\), got 1/],
];

describe('HnswIndex.add rejects bad input and changes nothing', () => {
  it.each(addCases)('%s', async (_name, labels, vectors, type, message) => {
    const idx = seeded();
    const before = state(idx);
    expect(() => idx.add(labels as number[], vectors as Float32Array)).toThrow(type);
    expect(() => idx.add(labels as number[], vectors as Float32Array)).toThrow(message);
    await expect(idx.addAsync(labels as number[], vectors as Float32Array)).rejects.toThrow(message);
    expect(state(idx)).toEqual(before);
  });

  it('a batch that fails on its last vector applies none of it', () => {
    const idx = seeded();
    const before = state(idx);
    expect(() => idx.add([1, 4, 5], [[9, 9, 9], [4, 4, 4], [5, 5, NaN]])).toThrow(RangeError);
    expect(state(idx)).toEqual(before);
  });

  it('bad threads option', () => {
    const idx = seeded();
    expect(() => idx.add([4], [[0, 0, 0]], { threads: 0 })).toThrow(/threads: expected an integer from 1/);
    expect(idx.size).toBe(3);
  });
});

describe('HnswIndex search rejects bad input', () => {
  const cases: Array<[string, () => unknown, ErrorConstructor, RegExp]> = [
    ['k = 0', () => seeded().search([0, 0, 0], 0), RangeError, /k: expected a positive integer, got 0/],
    ['k negative', () => seeded().search([0, 0, 0], -3), RangeError, /k: expected a positive integer/],
    ['k fractional', () => seeded().search([0, 0, 0], 1.5), RangeError, /k: expected a positive integer, got 1.5/],
    ['k not a number', () => seeded().search([0, 0, 0], '3' as never), TypeError, /k: expected a positive integer/],
    ['k NaN', () => seeded().search([0, 0, 0], NaN), RangeError, /k: expected a positive integer, got NaN/],
    ['ef 0', () => seeded().search([0, 0, 0], 1, { ef: 0 }), RangeError, /ef: expected an integer from 1/],
    ['ef string', () => seeded().search([0, 0, 0], 1, { ef: '9' as never }), TypeError, /ef: expected an integer/],
    ['query dimension', () => seeded().search([0, 0], 1), RangeError, /query: expected dimension 3, got 2/],
    ['query NaN', () => seeded().search([0, NaN, 0], 1), RangeError, /non-finite/],
    ['query type', () => seeded().search('abc' as never, 1), TypeError, /query: expected a Float32Array/],
    ['batch of numbers', () => seeded().searchBatch([1, 2, 3] as never, 1), TypeError, /array of vectors, got an array of numbers/],
    ['batch dimension', () => seeded().searchBatch([[0, 0]], 1), RangeError, /queries\[0\]: expected dimension 3, got 2/],
    ['threads 0', () => seeded().searchBatch([[0, 0, 0]], 1, { threads: 0 }), RangeError, /threads: expected an integer from 1/],
    ['bad filter', () => seeded().search([0, 0, 0], 1, { filter: 'x' as never }), TypeError, /filter: expected an array of labels, an AllowList or a function/],
    ['bad filter label', () => seeded().search([0, 0, 0], 1, { filter: [-1] }), RangeError, /filter\[0\]/],
    ['remove bad label', () => seeded().remove([1, -2]), RangeError, /labels\[1\]/],
  ];
  it.each(cases)('%s', (_name, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  it('async variants reject (not throw) with the same errors', async () => {
    await expect(seeded().searchBatchAsync([[0, 0]], 1)).rejects.toThrow(/queries\[0\]: expected dimension 3, got 2/);
    await expect(seeded().searchAsync([0, 0, 0], 0)).rejects.toThrow(/k: expected a positive integer/);
  });

  it('a failed remove changes nothing', () => {
    const idx = seeded();
    const before = state(idx);
    expect(() => idx.remove([1, 2.5])).toThrow(RangeError);
    expect(state(idx)).toEqual(before);
  });

  it('has/get answer false/undefined for labels that cannot exist', () => {
    const idx = seeded();
    for (const l of [-1, 1.5, NaN, '1', 2 ** 60]) {
      expect(idx.has(l as number)).toBe(false);
      expect(idx.get(l as number)).toBeUndefined();
    }
  });
});

describe('HnswIndex constructor', () => {
  it.each([
    [{ dim: 0, metric: 'cosine' }, RangeError, /dim: expected an integer from 1/],
    [{ dim: '3', metric: 'cosine' }, TypeError, /dim: expected a positive integer, got the string/],
    [{ dim: 3, metric: 'manhattan' }, RangeError, /metric: expected 'cosine', 'euclidean' or 'ip'/],
    [{ dim: 3, M: 1 }, RangeError, /M: expected an integer from 2 to 2048, got 1/],
    [{ dim: 3, M: 'x' }, TypeError, /M: expected an integer/],
    [{ dim: 3, efConstruction: 0 }, RangeError, /efConstruction: expected an integer from 1/],
    [{ dim: 3, efSearch: 2.5 }, RangeError, /efSearch: expected an integer from 1/],
    [{ dim: 3, seed: -1 }, RangeError, /seed: expected an integer from 0/],
    [null, TypeError, /options: expected/],
  ])('rejects %j', (opts, type, message) => {
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
