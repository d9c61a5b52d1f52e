// Issue 11, defect 11: typed arrays over a SharedArrayBuffer can change while a
// native call reads them. Native code copies such input first, checks the copy and
// uses only the copy, so a thread writing NaN meanwhile can make an add fail
// cleanly but never store a NaN (and the saved file always loads).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { FlatIndex, HnswIndex } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'quiver-sab-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const addon = createRequire(import.meta.url)(join(process.cwd(), 'build/Release/quiverdb.node'));

// Flips every float of the shared buffer between 1 and NaN as fast as it can.
function hammer(sab: SharedArrayBuffer, stop: Int32Array) {
  return new Worker(
    `const { workerData } = require('node:worker_threads');
     const f = new Float32Array(workerData.sab); const stop = new Int32Array(workerData.stop);
     while (Atomics.load(stop, 0) === 0) { for (let i = 0; i < f.length; i++) f[i] = NaN; for (let i = 0; i < f.length; i++) f[i] = 1; }`,
    { eval: true, workerData: { sab, stop: stop.buffer } },
  );
}

const DIM = 64, N = 64;

async function race(add: (labels: Float64Array, vectors: Float32Array) => void, ms = 1500) {
  const sab = new SharedArrayBuffer(N * DIM * 4);
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const w = hammer(sab, stop);
  await new Promise((r) => setTimeout(r, 50));
  const vectors = new Float32Array(sab);
  let ok = 0, refused = 0, round = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const labels = Float64Array.from({ length: N }, (_, i) => (round % 4) * N + i);
    round++;
    try {
      add(labels, vectors);
      ok++;
    } catch (e) {
      expect(e).toBeInstanceOf(RangeError);
      refused++;
    }
  }
  Atomics.store(stop, 0, 1);
  await w.terminate();
  return { ok, refused };
}

function allFinite(get: (l: number) => Float32Array | undefined, labels: Float64Array) {
  for (const l of labels) {
    const v = get(l)!;
    for (const x of v) if (!Number.isFinite(x)) return false;
  }
  return true;
}

describe('SharedArrayBuffer inputs under concurrent writes', () => {
  it('native HnswIndex.add (no wrapper): never stores NaN, the file loads', async () => {
    const idx = new addon.NativeHnswIndex(DIM, 'euclidean', 8, 16, 16, 1, 'none');
    const r = await race((l, v) => idx.add(l, v, 1));
    expect(r.ok + r.refused).toBeGreaterThan(10);
    expect(allFinite((l) => idx.get(l), idx.labels())).toBe(true);
    const path = join(dir, 'native.hnsw');
    idx.save(path);
    expect(addon.NativeHnswIndex.load(path).size()).toBe(idx.size());
  });

  it('native FlatIndex.add (no wrapper): never stores NaN', async () => {
    const idx = new addon.NativeFlatIndex(DIM, 'euclidean');
    await race((l, v) => idx.add(l, v));
    expect(allFinite((l) => idx.get(l), idx.labels())).toBe(true);
    const res = idx.search(new Float32Array(DIM).fill(1), 1, 5);
    expect(Array.from(res.distances).every(Number.isFinite)).toBe(true);
  });

  it('wrappers (HnswIndex, FlatIndex): never store NaN; saved int8 file loads', async () => {
    const h = new HnswIndex({ dim: DIM, metric: 'cosine', M: 8, efConstruction: 16, quantization: 'int8' });
    await race((l, v) => h.add(l, v));
    expect(allFinite((l) => h.get(l), h.labels())).toBe(true);
    const path = join(dir, 'wrapped.hnsw');
    h.saveSync(path);
    expect(HnswIndex.loadSync(path).size).toBe(h.size);
    const f = new FlatIndex({ dim: DIM, metric: 'ip' });
    await race((l, v) => f.add(l, v));
    expect(allFinite((l) => f.get(l), f.labels())).toBe(true);
  });

  it('queries over shared memory: results never carry NaN', async () => {
    const h = new HnswIndex({ dim: DIM, metric: 'euclidean', M: 8, efConstruction: 16 });
    const f = new FlatIndex({ dim: DIM, metric: 'euclidean' });
    const base = new Float32Array(N * DIM).map((_, i) => (i % 7) - 3);
    const labels = Float64Array.from({ length: N }, (_, i) => i);
    h.add(labels, base);
    f.add(labels, base);
    const nh = new addon.NativeHnswIndex(DIM, 'euclidean', 8, 16, 16, 1, 'none');
    nh.add(labels, base, 1);
    const nf = new addon.NativeFlatIndex(DIM, 'euclidean');
    nf.add(labels, base);
    const outL = new Float64Array(N), outD = new Float32Array(N);
    let bad = 0;
    await race((_l, v) => {
      const q = v.subarray(0, DIM);
      for (const r of [h.search(q, 5), f.search(q, 5), nh.search(q, 1, 5), nf.search(q, 1, 5), f.searchBatch(v, 2), h.searchBatch(v, 2)])
        if (!Array.from(r.distances).every(Number.isFinite)) bad++;
      const n = nh.searchInto(q, 5, 16, outL, outD);
      if (!Array.from(outD.subarray(0, n)).every(Number.isFinite)) bad++;
    }, 1000);
    expect(bad).toBe(0);
  });
});
