// The async APIs never block the event loop: while a large addAsync,
// searchBatchAsync, durable upsert or query, or a store's open (snapshot load,
// log replay) or close (snapshot write) runs, timers keep firing. Delay is
// measured with perf_hooks.monitorEventLoopDelay and with a 1 ms heartbeat
// (the largest gap between beats); the main thread's CPU time between two beats
// must stay under 50 ms.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { FlatIndex, HnswIndex, VectorStore } from '../src/index.js';
import { randomVectors } from './helpers/reference.js';

const LIMIT_MS = 50;
const report: string[] = [];

/**
 * Runs `work` and measures the event loop meanwhile:
 *  - gapMs: the largest wall-clock gap between two ticks of a 1 ms timer, and the
 *    monitorEventLoopDelay histogram (max, p99): what a user sees, but on a
 *    shared, oversubscribed machine it also counts time the OS did not schedule
 *    the process at all;
 *  - busyMs: the largest *busy* time of the loop between two ticks
 *    (performance.eventLoopUtilization): time spent running JS or native code on
 *    the main thread instead of returning to the loop; on an oversubscribed box
 *    it also counts time the OS took the thread off the CPU in the middle of a
 *    callback;
 *  - blockedMs: the largest CPU time the main thread itself used between two
 *    ticks (its schedstat on Linux; busyMs elsewhere): what a blocking call or
 *    a garbage-collection pause costs the loop, without the OS's preemptions.
 *    This is what the 50 ms limit is checked against.
 */
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
const mainThreadCpuMs = existsSync(SCHEDSTAT) ? () => Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) / 1e6 : undefined;
async function measure(work: () => Promise<unknown>) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let lastElu = performance.eventLoopUtilization();
  let lastCpu = mainThreadCpuMs?.() ?? 0;
  let gapMs = 0;
  let busyMs = 0;
  let blockedMs = 0;
  const tick = () => {
    const now = performance.now();
    const elu = performance.eventLoopUtilization();
    const cpu = mainThreadCpuMs?.() ?? 0;
    const busy = performance.eventLoopUtilization(elu, lastElu).active;
    gapMs = Math.max(gapMs, now - last);
    busyMs = Math.max(busyMs, busy);
    blockedMs = Math.max(blockedMs, mainThreadCpuMs ? cpu - lastCpu : busy);
    last = now;
    lastElu = elu;
    lastCpu = cpu;
  };
  const beat = setInterval(tick, 1);
  await new Promise((r) => setTimeout(r, 20));
  tick();
  gapMs = 0;
  busyMs = 0;
  blockedMs = 0;
  h.enable();
  const t0 = performance.now();
  await work();
  const tookMs = performance.now() - t0;
  tick();
  h.disable();
  clearInterval(beat);
  return { blockedMs, busyMs, gapMs, histMaxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6, tookMs };
}

// The work must last longer than the limit, or a block of the limit's length
// could not happen during it; each case below is sized at several times that.
async function check(name: string, work: () => Promise<unknown>, minWorkMs = LIMIT_MS) {
  // One retry tells a scheduling hiccup (GC, the OS) from a real block, which repeats every time.
  let r = await measure(work);
  if (r.blockedMs >= LIMIT_MS) r = await measure(work);
  report.push(`${name}: work ${r.tookMs.toFixed(0)} ms, loop blocked at most ${r.blockedMs.toFixed(1)} ms of main-thread CPU ` +
    `(busy ${r.busyMs.toFixed(1)} ms); ` +
    `wall gap max ${r.gapMs.toFixed(1)} ms, monitorEventLoopDelay max ${r.histMaxMs.toFixed(1)} ms p99 ${r.p99Ms.toFixed(1)} ms`);
  // The work must be long enough for the measurement to mean something.
  expect(r.tookMs).toBeGreaterThan(minWorkMs);
  expect(r.blockedMs).toBeLessThan(LIMIT_MS);
}

afterAll(() => {
  console.log(`EVENTLOOP-STATS\n${report.join('\n')}`);
});

describe.skipIf(process.env.QUIVER_ASAN)('event loop stays responsive', () => {
  it('FlatIndex.searchBatchAsync on 200k x 128', async () => {
    const n = 200_000, dim = 128;
    const idx = new FlatIndex({ dim, metric: 'cosine' });
    const data = randomVectors(n, dim, 1);
    for (let i = 0; i < n; i += 50_000) idx.add(Float64Array.from({ length: 50_000 }, (_, j) => i + j), data.subarray(i * dim, (i + 50_000) * dim));
    const queries = randomVectors(1000, dim, 2);
    await check('FlatIndex.searchBatchAsync 1000 q x 200k x 128', () => idx.searchBatchAsync(queries, 10, { threads: 1 }));
    // Many single-query async searches in flight at once.
    await check('FlatIndex.searchAsync x 64 concurrent on 200k x 128', () =>
      Promise.all(Array.from({ length: 64 }, (_, i) => idx.searchAsync(queries.subarray(i * dim, (i + 1) * dim), 10))));
  }, 120_000);

  it('HnswIndex.addAsync of 20k x 64 and searchBatchAsync', async () => {
    const n = 20_000, dim = 64;
    const idx = new HnswIndex({ dim, metric: 'euclidean', M: 16, efConstruction: 64 });
    const data = randomVectors(n, dim, 3);
    const labels = Float64Array.from({ length: n }, (_, i) => i);
    await check('HnswIndex.addAsync 20k x 64', () => idx.addAsync(labels, data, { threads: 1 }));
    expect(idx.size).toBe(n);
    const queries = randomVectors(3000, dim, 4);
    await check('HnswIndex.searchBatchAsync 3000 q', () => idx.searchBatchAsync(queries, 10, { threads: 1, ef: 200 }));
  }, 300_000);

  it('durable VectorStore.upsert of 20k x 128 (fsync) and queries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-loop-'));
    try {
      const dim = 128, n = 20_000;
      const store = await VectorStore.open(dir, { dim, metric: 'cosine', index: { type: 'flat' } });
      const vecs = randomVectors(n, dim, 5);
      const ids = Array.from({ length: n }, (_, i) => `doc-${i}`);
      // One large batch per call, as an application importing a corpus would.
      await check('VectorStore.upsert 4 x 5k x 128 durable', async () => {
        for (let b = 0; b < n; b += 5000)
          await store.upsert({ ids: ids.slice(b, b + 5000), vectors: vecs.subarray(b * dim, (b + 5000) * dim) });
      });
      expect(store.size).toBe(n);
      const q = randomVectors(1, dim, 6);
      // Separate requests: the loop turns between them (setImmediate), as in a server.
      await check('VectorStore.query x 1000 (flat, 20k x 128)', async () => {
        for (let i = 0; i < 1000; i++) {
          await store.query(q, { topK: 10, filter: { missing: { $exists: false } } });
          await new Promise((r) => setImmediate(r));
        }
      });
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('durable VectorStore on HNSW: upserts of 6k x 64 into a 20k store, and queries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-loop-'));
    try {
      const dim = 64, n = 20_000;
      const store = await VectorStore.open(dir, { dim, metric: 'euclidean', index: { type: 'hnsw', M: 12, efConstruction: 64 } });
      const extra = 6000;
      const vecs = randomVectors(n + extra, dim, 7);
      await store.upsert({ ids: Array.from({ length: n }, (_, i) => `a${i}`), vectors: vecs.subarray(0, n * dim) });
      await check('VectorStore(hnsw).upsert 6k x 64 into 20k', () =>
        store.upsert({ ids: Array.from({ length: extra }, (_, i) => `b${i}`), vectors: vecs.subarray(n * dim) }));
      await check('VectorStore(hnsw).query x 3000', async () => {
        for (let i = 0; i < 3000; i++) {
          await store.query(vecs.subarray(i * dim, (i + 1) * dim), { topK: 10 });
          await new Promise((r) => setImmediate(r));
        }
      });
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('durable VectorStore: open replaying a 60k x 128 log into an HNSW store, close writing its snapshot, open loading it (defect 14)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-loop-'));
    try {
      const dim = 128, n = 60_000;
      const options = { dim, metric: 'euclidean' as const, index: { type: 'hnsw' as const, M: 8, efConstruction: 32 }, snapshotBytes: 1e12 };
      const store = await VectorStore.open(join(dir, 'a'), options);
      const vecs = randomVectors(n, dim, 11);
      const ids = Array.from({ length: n }, (_, i) => `doc-${i}`);
      const metadata = ids.map((id, i) => ({ id, group: i % 17, text: `chunk ${i} of a document` }));
      // Half in batches, half in one write (one log entry of ~16 MB, split in frames).
      for (let b = 0; b < n / 2; b += 5000)
        await store.upsert({ ids: ids.slice(b, b + 5000), vectors: vecs.subarray(b * dim, (b + 5000) * dim), metadata: metadata.slice(b, b + 5000) });
      await store.upsert({ ids: ids.slice(n / 2), vectors: vecs.subarray((n / 2) * dim), metadata: metadata.slice(n / 2) });
      await store.flush();
      // The directory as a crash leaves it: every write in the log, no snapshot. One copy per
      // attempt (check() measures a second time if the first was blocked).
      for (const copy of ['b0', 'b1']) cpSync(join(dir, 'a'), join(dir, copy), { recursive: true, filter: (src) => !src.endsWith('LOCK') });
      await store.close();
      const opened: VectorStore[] = [];
      await check('VectorStore.open replaying a 60k x 128 log (~31 MB) into HNSW', async () => {
        opened.push(await VectorStore.open(join(dir, `b${opened.length}`)));
      });
      const reopened = opened[opened.length - 1];
      expect(reopened.size).toBe(n);
      expect(await reopened.count({ group: 3 })).toBe(metadata.filter((m) => m.group === 3).length);
      await check('VectorStore.close writing a 60k x 128 HNSW snapshot', () => Promise.all(opened.map((s) => s.close())));
      const loaded: VectorStore[] = [];
      await check('VectorStore.open loading a 60k x 128 HNSW snapshot', async () => {
        loaded.push(await VectorStore.open(join(dir, `b${loaded.length}`)));
      }, 0);
      expect(loaded[0].size).toBe(n);
      await Promise.all(loaded.map((s) => s.close()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('durable VectorStore (flat): open and close of 300k records with metadata', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-loop-'));
    try {
      const dim = 32, n = 300_000;
      const store = await VectorStore.open(join(dir, 'src'), { dim, metric: 'cosine', index: { type: 'flat' }, snapshotBytes: 1e12 });
      const vecs = randomVectors(n, dim, 12);
      for (let b = 0; b < n; b += 20_000) {
        const ids = Array.from({ length: 20_000 }, (_, i) => `r${b + i}`);
        await store.upsert({ ids, vectors: vecs.subarray(b * dim, (b + 20_000) * dim), metadata: ids.map((id, i) => ({ id, n: b + i, tags: ['x', 'y'] })) });
      }
      await check('VectorStore.close writing a 300k x 32 flat snapshot with metadata', () => store.close(), 0);
      for (const copy of ['c0', 'c1']) cpSync(join(dir, 'src'), join(dir, copy), { recursive: true });
      const opened: VectorStore[] = [];
      await check('VectorStore.open loading a 300k x 32 flat snapshot, then a filtered count', async () => {
        const s = await VectorStore.open(join(dir, `c${opened.length}`));
        opened.push(s);
        expect(await s.count({ n: { $lt: 1000 } })).toBe(1000);
      });
      await Promise.all(opened.map((s) => s.close()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});

