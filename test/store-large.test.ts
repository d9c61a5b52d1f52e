// Issue 11, defects 6 and 7, at their real sizes: a store whose vectors pass
// 2 GiB (fs.readFile refuses such files) reopens from its snapshot and from a
// log of the same size, and a store whose ids + metadata pass V8's ~512 MB
// string limit snapshots and reopens. Slow (about a minute each on a 2-core
// box) and disk-hungry (~7 GB under the OS temp dir, removed afterwards).
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VectorStore } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'quiver-large-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Row i of the synthetic data set: cheap to make and to check. */
function row(i: number, dim: number, out: Float32Array, at = 0): void {
  for (let j = 0; j < dim; j++) out[at + j] = ((i * 31 + j * 7) % 1009) / 1009 - 0.5;
}

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) total += (await fs.stat(join(e.parentPath, e.name))).size;
  return total;
}

describe('stores past the old size limits', () => {
  it('vectors past 2 GiB: snapshot and log both reopen (defect 6)', async () => {
    const dim = 1024, batch = 8192;
    const n = Math.ceil((2 ** 31 + 64 * 2 ** 20) / (dim * 4) / batch) * batch; // just past 2 GiB of float32
    const a = join(root, 'vectors'), b = join(root, 'vectors-crash');
    let store = await VectorStore.open(a, { dim, metric: 'euclidean', index: { type: 'flat' }, snapshotBytes: Infinity, durability: 'none' });
    const vectors = new Float32Array(batch * dim);
    for (let start = 0; start < n; start += batch) {
      for (let r = 0; r < batch; r++) row(start + r, dim, vectors, r * dim);
      await store.upsert({ ids: Array.from({ length: batch }, (_, r) => `v${start + r}`), vectors, metadata: Array.from({ length: batch }, (_, r) => ({ i: start + r })) });
    }
    await store.flush();
    expect(store.size).toBe(n);
    // A crash image: every write in a log of more than 2 GiB, no snapshot.
    await fs.cp(a, b, { recursive: true, filter: (src) => !src.endsWith('LOCK') });
    expect(await sizeOf(b)).toBeGreaterThan(2 ** 31);
    await store.close(); // writes a snapshot whose vectors file passes 2 GiB

    const expectRows = async (s: VectorStore) => {
      expect(s.size).toBe(n);
      const probe = [0, 1, n >> 1, n - 1];
      const got = await s.get(probe.map((i) => `v${i}`));
      const want = new Float32Array(dim);
      for (let k = 0; k < probe.length; k++) {
        row(probe[k], dim, want);
        expect(got[k]?.vector).toEqual(want);
        expect(got[k]?.metadata).toEqual({ i: probe[k] });
      }
      // Rows repeat every 1009 ids, so the nearest is an exact copy of the last row (distance 0).
      row(n - 1, dim, want);
      const [hit] = await s.query(want, { topK: 1 });
      expect(hit.distance).toBe(0);
      expect(Math.abs(Number(hit.id.slice(1)) - (n - 1)) % 1009).toBe(0);
    };
    store = await VectorStore.open(a);
    await expectRows(store);
    await store.close();
    const replayed = await VectorStore.open(b, { snapshotBytes: Infinity });
    await expectRows(replayed);
    await fs.rm(a, { recursive: true, force: true });
    await replayed.close();
    await fs.rm(b, { recursive: true, force: true });
  }, 900_000);

  it('ids and metadata past 512 MB: the snapshot is written and read incrementally (defect 7)', async () => {
    const n = 56_000, text = 'x'.repeat(10_000);
    const dir = join(root, 'metadata');
    let store = await VectorStore.open(dir, { dim: 4, metric: 'cosine', index: { type: 'flat' }, durability: 'none' });
    for (let start = 0; start < n; start += 2000)
      await store.upsert(Array.from({ length: 2000 }, (_, r) => ({ id: `doc-${start + r}`, vector: [1, (start + r) % 7, 0, 1], metadata: { text, n: start + r } })));
    await store.close();
    expect(await sizeOf(dir)).toBeGreaterThan(512 * 2 ** 20);
    store = await VectorStore.open(dir);
    expect(store.size).toBe(n);
    expect(await store.count({ n: { $gte: n - 10 } })).toBe(10);
    const [last] = await store.get([`doc-${n - 1}`]);
    expect(last?.metadata).toEqual({ text, n: n - 1 });
    // A few more writes and another snapshot of the same size.
    await store.upsert({ id: 'extra', vector: [0, 0, 1, 0], metadata: { text } });
    await store.close();
    store = await VectorStore.open(dir);
    expect(store.size).toBe(n + 1);
    await store.close();
  }, 600_000);
});
