// Single-query results (FlatIndex.search, HnswIndex.search) are views into shared slabs
// (src/indexes/result-pool.ts). A caller owns every result it gets: later searches,
// of any size, on any index, never change it, and handing one result's buffer to
// another thread never detaches the others.
import { describe, expect, it } from 'vitest';
import { FlatIndex, HnswIndex } from '../src/index.js';
import { rng } from './helpers/reference.js';

const dim = 8;
const n = 600;

function makeData(seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * dim }, () => r() * 2 - 1);
}

function indexes() {
  const data = makeData(7);
  const labels = Float64Array.from({ length: n }, (_, i) => i * 3 + 1);
  const flat = new FlatIndex({ dim, metric: 'euclidean' });
  flat.add(labels, data);
  const hnsw = new HnswIndex({ dim, metric: 'cosine', M: 8, efConstruction: 64, seed: 3 });
  hnsw.add(labels, data);
  return { flat, hnsw };
}

describe('single-query search results', () => {
  it('stay as returned through thousands of later searches of every size (k 1..700, across slab boundaries)', () => {
    const { flat, hnsw } = indexes();
    const r = rng(11);
    const kept: { labels: Float64Array; distances: Float32Array; labelsCopy: number[]; distancesCopy: number[] }[] = [];
    for (let i = 0; i < 3000; i++) {
      const q = Float32Array.from({ length: dim }, () => r() * 2 - 1);
      // Mostly small k (pooled), sometimes beyond half a slab (own buffers) or beyond the index size.
      const k = r() < 0.9 ? 1 + Math.floor(r() * 40) : 1 + Math.floor(r() * 700);
      const res = i % 2 === 0 ? flat.search(q, k) : hnsw.search(q, k, { ef: 32 });
      expect(res.labels.length).toBe(Math.min(k, n));
      expect(res.distances.length).toBe(res.labels.length);
      kept.push({ ...res, labelsCopy: Array.from(res.labels), distancesCopy: Array.from(res.distances) });
    }
    for (const x of kept) {
      expect(Array.from(x.labels)).toEqual(x.labelsCopy);
      expect(Array.from(x.distances)).toEqual(x.distancesCopy);
    }
    // No two results share bytes: sorted by buffer and offset, each view ends before the next begins.
    const ranges = new Map<ArrayBufferLike, [number, number][]>();
    for (const x of kept)
      for (const v of [x.labels, x.distances]) {
        const list = ranges.get(v.buffer) ?? [];
        list.push([v.byteOffset, v.byteOffset + v.byteLength]);
        ranges.set(v.buffer, list);
      }
    for (const list of ranges.values()) {
      list.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < list.length; i++) expect(list[i][0]).toBeGreaterThanOrEqual(list[i - 1][1]);
    }
  });

  it('writing into one result changes no other', () => {
    const { flat, hnsw } = indexes();
    const q = new Float32Array(dim).fill(0.1);
    const a = flat.search(q, 10), b = hnsw.search(q, 10), c = flat.search(q, 10);
    const before = [Array.from(b.labels), Array.from(c.labels), Array.from(c.distances)];
    a.labels.fill(-1);
    a.distances.fill(-1);
    expect([Array.from(b.labels), Array.from(c.labels), Array.from(c.distances)]).toEqual(before);
  });

  it('large results get buffers of their own', () => {
    const { flat, hnsw } = indexes();
    const q = new Float32Array(dim).fill(0.2);
    for (const res of [flat.search(q, 500), hnsw.search(q, 500, { ef: 500 })]) {
      expect(res.labels.buffer.byteLength).toBe(res.labels.byteLength);
      expect(res.distances.buffer.byteLength).toBe(res.distances.byteLength);
    }
  });

  it("transferring one result's buffer to another thread leaves the other results readable", async () => {
    const { flat, hnsw } = indexes();
    const q = new Float32Array(dim).fill(-0.3);
    const first = flat.search(q, 10), second = hnsw.search(q, 10);
    const expected = [Array.from(first.labels), Array.from(second.labels), Array.from(second.distances)];
    const { port1, port2 } = new MessageChannel();
    try {
      // Node 20 clones a buffer marked untransferable; Node 21+ refuses it with a DataCloneError.
      const received = new Promise<{ labels: Float64Array }>((resolve) => port2.once('message', resolve));
      let threw = false;
      try {
        port1.postMessage({ labels: first.labels }, [first.labels.buffer]);
      } catch (e) {
        threw = true;
        expect((e as Error).name).toBe('DataCloneError');
      }
      if (!threw) expect(Array.from((await received).labels)).toEqual(expected[0]);
    } finally {
      port1.close();
      port2.close();
    }
    expect([Array.from(first.labels), Array.from(second.labels), Array.from(second.distances)]).toEqual(expected);
    expect(Array.from(flat.search(q, 10).labels)).toEqual(expected[0]);
  });
});
