// VectorStore over HNSW: the 'auto' switch at the threshold, forcing either
// index, recall against exact answers, slot reuse and filters on the graph,
// and a snapshot that reloads the graph instead of rebuilding it.
import { promises as fs, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VectorStore } from '../src/index.js';
import { randomVectors } from './helpers/reference.js';

const root = mkdtempSync(join(tmpdir(), 'quiver-store-hnsw-'));
afterAll(() => fs.rm(root, { recursive: true, force: true }));

const dim = 16, n = 2000;
const data = randomVectors(n, dim, 5);
const ids = Array.from({ length: n }, (_, i) => `v${i}`);
const metadata = ids.map((_, i) => ({ g: i % 10 }));
const queries = randomVectors(50, dim, 6);

async function recallAt10(store: VectorStore, exact: VectorStore, filter?: object): Promise<number> {
  let found = 0, total = 0;
  for (let i = 0; i < 50; i++) {
    const q = queries.subarray(i * dim, (i + 1) * dim);
    const truth = new Set((await exact.query(q, { topK: 10, filter })).map((h) => h.id));
    const got = await store.query(q, { topK: 10, filter });
    for (const h of got) if (truth.has(h.id)) found++;
    total += truth.size;
  }
  return found / total;
}

describe('index selection', () => {
  it("'auto' answers exactly below the threshold and switches to HNSW at it", async () => {
    const store = new VectorStore({ dim, metric: 'euclidean', index: { type: 'auto', threshold: 1000 } });
    const exact = new VectorStore({ dim, metric: 'euclidean', index: { type: 'flat' } });
    await store.upsert({ ids: ids.slice(0, 999), vectors: data.subarray(0, 999 * dim), metadata: metadata.slice(0, 999) });
    await store.flush();
    expect(store.activeIndex).toBe('flat');
    await store.upsert({ ids: ids.slice(999), vectors: data.subarray(999 * dim), metadata: metadata.slice(999) });
    await store.flush(); // the graph is built in the background, before the next queued write
    expect(store.activeIndex).toBe('hnsw');
    await exact.upsert({ ids, vectors: data, metadata });
    expect(exact.activeIndex).toBe('flat');
    expect(await recallAt10(store, exact)).toBeGreaterThan(0.9);
    // A filter allowing 50% goes through the graph's native filter; every hit matches it.
    const filter = { g: { $in: [0, 1, 2, 3, 4] } };
    expect(await recallAt10(store, exact, filter)).toBeGreaterThan(0.9);
    for (const h of await store.query(queries.subarray(0, dim), { topK: 20, filter })) expect(h.metadata.g).toBeLessThan(5);
    // A selective filter is answered exactly.
    const selective = { g: 7 };
    expect(await recallAt10(store, exact, selective)).toBe(1);
  });

  it("'hnsw' uses the graph from the first record; deleted ids never come back and freed slots are reused", async () => {
    const store = new VectorStore({ dim, metric: 'cosine', index: { type: 'hnsw', M: 8, efConstruction: 64, efSearch: 32 } });
    await store.upsert({ ids: ids.slice(0, 300), vectors: data.subarray(0, 300 * dim) });
    expect(store.activeIndex).toBe('hnsw');
    const q = data.subarray(0, dim);
    expect((await store.query(q, { topK: 1 }))[0].id).toBe('v0');
    await store.delete(['v0', 'v1', 'v2']);
    await store.upsert([{ id: 'replacement', vector: q }]);
    const hits = await store.query(q, { topK: 300 });
    expect(hits[0].id).toBe('replacement');
    expect(hits.map((h) => h.id)).not.toContain('v0');
    expect(new Set(hits.map((h) => h.id)).size).toBe(hits.length);
  });
});

describe('queries while a graph insert runs off the JS thread', () => {
  it('see only committed records, topK of them, until the upsert resolves', async () => {
    const store = new VectorStore({ dim, metric: 'euclidean', index: { type: 'hnsw', M: 8, efConstruction: 64 } });
    await store.upsert({ ids: ids.slice(0, 1000), vectors: data.subarray(0, 1000 * dim) });
    let done = false;
    const pending = store.upsert({ ids: ids.slice(1000), vectors: data.subarray(1000 * dim), metadata: metadata.slice(1000) })
      .then(() => { done = true; });
    let during = 0;
    for (let i = 0; !done && i < 10_000; i++) {
      // The new records are nearest to their own vectors; before the commit they must not appear.
      const q = data.subarray((1000 + (i % 1000)) * dim, (1001 + (i % 1000)) * dim);
      const hits = await store.query(q, { topK: 10 });
      const wasDone = done;
      expect(hits).toHaveLength(10);
      for (const h of hits) {
        expect(h.id).toBeTypeOf('string');
        if (!wasDone) expect(Number(h.id.slice(1))).toBeLessThan(1000);
      }
      if (!wasDone) during++;
      await new Promise((r) => setImmediate(r));
    }
    await pending;
    expect(during).toBeGreaterThan(0);
    expect((await store.query(data.subarray(1500 * dim, 1501 * dim), { topK: 1 }))[0].id).toBe('v1500');
  });
});

describe('persistence with HNSW', () => {
  it('saves the graph in the snapshot and reopens without rebuilding, answering the same', async () => {
    const dir = join(root, 'h1');
    const store = await VectorStore.open(dir, { dim, metric: 'euclidean', index: { type: 'auto', threshold: 1000, M: 12 } });
    await store.upsert({ ids, vectors: data, metadata });
    await store.flush();
    expect(store.activeIndex).toBe('hnsw');
    const before = await store.query(queries.subarray(0, dim), { topK: 10, filter: { g: { $ne: 3 } } });
    await store.close();
    expect((await fs.readdir(join(dir, 'snapshot-1'))).sort()).toEqual(['ann.bin', 'records.qrec', 'vectors.qvec']);
    const again = await VectorStore.open(dir, { index: { M: 12 } });
    expect(again.activeIndex).toBe('hnsw');
    expect(await again.query(queries.subarray(0, dim), { topK: 10, filter: { g: { $ne: 3 } } })).toEqual(before);
    await expect(VectorStore.open(dir, { index: { M: 16 } })).rejects.toThrow(/locked/);
    await again.close();
    await expect(VectorStore.open(dir, { index: { M: 16 } })).rejects.toThrow(/index.M is 16 .* created with 12/);
  });
});
