// Issue 11, defect 4: a filter predicate that calls back into an index (search,
// add, remove, get on the same index or another) must neither change the outer
// search's answer nor deadlock. Predicates run in JS before the native search
// starts, so no native lock is held while they run.
import { describe, expect, it } from 'vitest';
import { FlatIndex, HnswIndex } from '../src/index.js';

const KINDS = ['flat', 'hnsw'] as const;
const make = (kind: (typeof KINDS)[number]) =>
  kind === 'flat' ? new FlatIndex({ dim: 2, metric: 'euclidean' }) : new HnswIndex({ dim: 2, metric: 'euclidean' });

function fill(idx: FlatIndex | HnswIndex) {
  const labels: number[] = [];
  const vecs: number[][] = [];
  for (let i = 0; i < 30; i++) {
    labels.push(i);
    vecs.push([i, 0]);
  }
  idx.add(labels, vecs);
}

describe('re-entrant filter predicates', () => {
  for (const kind of KINDS) {
    it(`${kind}: a predicate searching the same index does not change the outer answer`, async () => {
      const idx = make(kind);
      fill(idx);
      const expected = idx.search([0, 0], 3, { filter: (l) => l % 2 === 0 });
      const inner: number[] = [];
      const pred = (l: number) => {
        // A different query, different k: would overwrite shared buffers.
        inner.push(idx.search([29, 0], 5).labels[0]);
        return l % 2 === 0;
      };
      expect(idx.search([0, 0], 3, { filter: pred })).toEqual(expected);
      expect(inner.every((l) => l === 29)).toBe(true);
      expect(idx.searchBatch([[0, 0]], 3, { filter: pred }).labels).toEqual(expected.labels);
      expect((await idx.searchAsync([0, 0], 3, { filter: pred })).labels).toEqual(expected.labels);
      // Nested two deep, with a query array the user reuses.
      const q = new Float32Array([0, 0]);
      const deep = (l: number) => {
        idx.search([15, 0], 2, { filter: (m) => { idx.search([29, 0], 1); return m > 10; } });
        return l % 2 === 0;
      };
      expect(idx.search(q, 3, { filter: deep })).toEqual(expected);
    });

    it(`${kind}: a predicate that adds to or removes from the same index does not deadlock`, () => {
      const idx = make(kind);
      fill(idx);
      let n = 100;
      const res = idx.search([0, 0], 3, {
        filter: (l) => {
          idx.add([n++], [[1000 + n, 0]]);
          if (l === 29) idx.remove([28]);
          idx.get(3);
          return l < 10;
        },
      });
      expect(Array.from(res.labels)).toEqual([0, 1, 2]);
      expect(idx.has(28)).toBe(false);
      // The predicate saw the labels live when the search started.
      expect(idx.size).toBe(30 - 1 + 30);
    });

    it(`${kind}: a predicate searching another index`, () => {
      const a = make(kind), b = make(kind);
      fill(a);
      b.add([500], [[-1, -1]]);
      const r = a.search([29, 0], 2, { filter: (l) => b.search([0, 0], 1).labels[0] === 500 && l < 20 });
      expect(Array.from(r.labels)).toEqual([19, 18]);
    });
  }
});
