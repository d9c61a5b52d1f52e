// Bulk APIs for the store's persistence layer: getVectors(labels, out?) on both
// indexes (one native call, row-major) and reserve(n) on HnswIndex.
import { describe, expect, it } from 'vitest';
import { FlatIndex, HnswIndex } from '../src/index.js';
import { randomVectors } from './helpers/reference.js';

const dim = 12;
const KINDS = ['flat', 'hnsw'] as const;
const make = (kind: (typeof KINDS)[number]) =>
  kind === 'flat' ? new FlatIndex({ dim, metric: 'cosine' }) : new HnswIndex({ dim, metric: 'cosine', M: 8 });

describe('getVectors', () => {
  for (const kind of KINDS)
    it(`${kind}: copies the vectors of the given labels row-major`, () => {
      const idx = make(kind);
      const n = 300;
      const data = randomVectors(n, dim, 9);
      const labels = Float64Array.from({ length: n }, (_, i) => i * 3 + 2 ** 40);
      idx.add(labels, data);
      idx.remove([labels[5]]);
      const want = [labels[7], labels[0], labels[299], labels[7]];
      const got = idx.getVectors(want);
      expect(got).toBeInstanceOf(Float32Array);
      expect(got.length).toBe(want.length * dim);
      want.forEach((l, i) => expect(got.subarray(i * dim, (i + 1) * dim)).toEqual(idx.get(l)));
      // Into a caller's array (returned as is).
      const out = new Float32Array(2 * dim);
      expect(idx.getVectors([labels[1], labels[2]], out)).toBe(out);
      expect(out.subarray(0, dim)).toEqual(data.subarray(dim, 2 * dim));
      expect(idx.getVectors([]).length).toBe(0);
      expect(idx.getVectors(Float64Array.from(labels.subarray(10, 20))).length).toBe(10 * dim);
      // The first missing label is named; the output is untouched.
      const out3 = new Float32Array(3 * dim).fill(7);
      expect(() => idx.getVectors([labels[1], labels[5], 99], out3)).toThrow(RangeError);
      expect(() => idx.getVectors([labels[1], labels[5], 99], out3)).toThrow(`labels[1]: label ${labels[5]} is not in the index`);
      expect(() => idx.getVectors([labels[1], 99])).toThrow('labels[1]: label 99 is not in the index');
      expect(out3.every((x) => x === 7)).toBe(true);
      expect(() => idx.getVectors([labels[1]], new Float32Array(dim + 1))).toThrow(RangeError);
      expect(() => idx.getVectors([labels[1]], [] as unknown as Float32Array)).toThrow(TypeError);
      expect(() => idx.getVectors([-1])).toThrow(RangeError);
    });
});

describe('HnswIndex.reserve', () => {
  it('sizes storage once for a bulk load of known size', () => {
    const h = new HnswIndex({ dim, metric: 'euclidean', M: 8, efConstruction: 32 });
    h.reserve(5000);
    expect(h.capacity).toBe(5000);
    const bytes = h.memoryBytes();
    for (let c = 0; c < 10; c++)
      h.add(Float64Array.from({ length: 500 }, (_, i) => c * 500 + i), randomVectors(500, dim, c));
    expect(h.capacity).toBe(5000);
    expect(h.size).toBe(5000);
    // Only upper-level links and the like grew, not the slot array.
    expect(h.memoryBytes() - bytes).toBeLessThan(5000 * 100);
    h.reserve(10);
    expect(h.capacity).toBe(5000);
    expect(() => h.reserve(-1)).toThrow(RangeError);
    expect(() => h.reserve(2 ** 32)).toThrow(RangeError);
    const q = randomVectors(1, dim, 77);
    expect(h.search(q, 5).labels.length).toBe(5);
  });

  it('reserve on an index with deleted slots leaves room for n live vectors', () => {
    const h = new HnswIndex({ dim, metric: 'ip', M: 8 });
    h.add(Float64Array.from({ length: 100 }, (_, i) => i), randomVectors(100, dim, 1));
    h.remove(Float64Array.from({ length: 5 }, (_, i) => i));
    h.reserve(1000);
    const cap = h.capacity;
    expect(cap).toBeGreaterThanOrEqual(1000);
    h.add(Float64Array.from({ length: 905 }, (_, i) => 1000 + i), randomVectors(905, dim, 2));
    expect(h.size).toBe(1000);
    expect(h.capacity).toBe(cap);
  });
});
