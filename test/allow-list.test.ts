// AllowList: a filter prepared once and reused by many searches, on either index,
// must answer exactly like the same labels passed as an array.
import { describe, expect, it } from 'vitest';
import { AllowList, FlatIndex, HnswIndex } from '../src/index.js';
import { mixture } from './helpers/reference.js';

const dim = 16, n = 2000;
const data = mixture(n, dim, 7);
const queries = mixture(20, dim, 8);
const labels = Float64Array.from({ length: n }, (_, i) => i * 3);
const row = (i: number) => queries.subarray(i * dim, (i + 1) * dim);

describe('AllowList', () => {
  it('gives the same results as the label array, on HnswIndex and FlatIndex, sync, batch and async', async () => {
    const h = new HnswIndex({ dim, metric: 'euclidean', seed: 1 });
    const f = new FlatIndex({ dim, metric: 'euclidean' });
    h.add(labels, data, { threads: 1 });
    f.add(labels, data);
    for (const share of [0.5, 0.1, 0.005]) {
      const allowed = [...labels].filter((l) => ((l * 2654435761) % 1000) / 1000 < share);
      const prepared = new AllowList(allowed);
      expect(prepared.size).toBe(allowed.length);
      for (let i = 0; i < 20; i++) {
        const q = row(i);
        const viaArray = h.search(q, 10, { filter: allowed });
        const viaList = h.search(q, 10, { filter: prepared });
        expect([...viaList.labels]).toEqual([...viaArray.labels]);
        expect([...viaList.distances]).toEqual([...viaArray.distances]);
        for (const l of viaList.labels) expect(allowed).toContain(l);
        expect([...f.search(q, 10, { filter: prepared }).labels]).toEqual([...f.search(q, 10, { filter: allowed }).labels]);
        expect([...(await h.searchAsync(q, 10, { filter: prepared })).labels]).toEqual([...viaArray.labels]);
      }
      const batch = h.searchBatch(queries, 10, { filter: prepared, threads: 2 });
      expect([...batch.labels]).toEqual([...h.searchBatch(queries, 10, { filter: allowed, threads: 2 }).labels]);
      const flatBatch = await f.searchBatchAsync(queries, 10, { filter: prepared });
      expect([...flatBatch.labels]).toEqual([...f.searchBatch(queries, 10, { filter: allowed }).labels]);
    }
  });

  it('copies its labels: changing the source array afterwards changes nothing', () => {
    const f = new FlatIndex({ dim: 2, metric: 'euclidean' });
    f.add([1, 2, 3], [[0, 0], [1, 0], [2, 0]]);
    const source = new Float64Array([2, 3, 3]);
    const allow = new AllowList(source);
    expect(allow.size).toBe(2); // distinct labels
    source[0] = 1;
    expect([...f.search([0, 0], 3, { filter: allow }).labels]).toEqual([2, 3]);
  });

  it('rejects bad labels naming them, and the indexes reject other objects as filters', () => {
    expect(() => new AllowList([1, -2])).toThrow(RangeError);
    expect(() => new AllowList([1, -2])).toThrow(/labels\[1\]/);
    expect(() => new AllowList('abc' as never)).toThrow(TypeError);
    const h = new HnswIndex({ dim: 2, metric: 'euclidean' });
    h.add([1], [[0, 0]]);
    expect(() => h.search([0, 0], 1, { filter: { labels: [1] } as never })).toThrow(/filter: expected an array of labels, an AllowList or a function/);
  });

  it('fromBits (the words of a bit set) allows exactly the labels whose bits are set, on both indexes', async () => {
    const h = new HnswIndex({ dim, metric: 'euclidean', seed: 1 });
    const f = new FlatIndex({ dim, metric: 'euclidean' });
    h.add(labels, data, { threads: 1 });
    f.add(labels, data);
    for (const share of [0.5, 0.1, 0.005, 0]) {
      const allowed = [...labels].filter((l) => ((l * 2654435761) % 1000) / 1000 < share);
      // Words beyond the largest label, and bits of labels not in the index, are allowed too.
      const words = new Uint32Array(Math.ceil((n * 3) / 32) + 5);
      for (const l of [...allowed, n * 3 + 7]) words[l >>> 5] |= 1 << (l & 31);
      const bits = AllowList.fromBits(words);
      expect(bits.size).toBe(allowed.length + 1);
      const byLabels = new AllowList([...allowed, n * 3 + 7]);
      for (let i = 0; i < 5; i++) {
        expect(f.search(row(i), 10, { filter: bits })).toEqual(f.search(row(i), 10, { filter: byLabels }));
        expect(h.search(row(i), 10, { filter: bits, ef: 64 })).toEqual(h.search(row(i), 10, { filter: byLabels, ef: 64 }));
        expect(await h.searchAsync(row(i), 10, { filter: bits })).toEqual(await h.searchAsync(row(i), 10, { filter: byLabels }));
      }
    }
    expect(() => AllowList.fromBits([1, 2] as never)).toThrow(/AllowList.fromBits: words: expected a Uint32Array/);
    expect(() => AllowList.fromBits(new Int32Array(2) as never)).toThrow(/expected a Uint32Array/);
  });
});
