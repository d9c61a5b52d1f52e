// Read-only followers in one process: a reader beside the writer sees every
// acknowledged write after refresh(), across the writer's snapshots, log
// truncations and restarts; write methods reject; bad opens fail clearly.
// (Followers in other processes, with the writer SIGKILLed: store-followers-processes.test.ts.)
import { promises as fs, mkdtempSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReadOnlyStoreError, StoreLockedError, VectorStore, type QueryHit } from '../src/index.js';
import { rng } from './helpers/reference.js';

const root = mkdtempSync(join(tmpdir(), 'quiver-followers-'));
afterAll(() => fs.rm(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = () => join(root, `s${dirCount++}`);
const DIM = 8;

function vec(seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: DIM }, () => r() * 2 - 1);
}

/** A plain model of what the writer acknowledged: id -> [vector, metadata]. */
type Model = Map<string, { vector: Float32Array; metadata: Record<string, unknown> }>;

async function expectMatches(reader: VectorStore, model: Model, probe: number): Promise<void> {
  expect(reader.size).toBe(model.size);
  expect(await reader.count()).toBe(model.size);
  const ids = [...model.keys()];
  const got = await reader.get(ids);
  got.forEach((rec, i) => {
    expect(rec?.id).toBe(ids[i]);
    expect(Array.from(rec!.vector)).toEqual(Array.from(model.get(ids[i])!.vector));
    expect(rec!.metadata).toEqual(model.get(ids[i])!.metadata);
  });
  expect(await reader.count({ even: true })).toBe([...model.values()].filter((r) => r.metadata.even === true).length);
  // Exact search (flat index below the threshold): the nearest ids of a brute-force ranking.
  const q = vec(probe);
  const hits: QueryHit[] = await reader.query(q, { topK: 5, includeMetadata: false });
  const ranked = ids
    .map((id) => {
      const v = model.get(id)!.vector;
      let d = 0;
      for (let j = 0; j < DIM; j++) d += (v[j] - q[j]) ** 2;
      return { id, d };
    })
    .sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : 1));
  expect(hits.map((h) => h.id)).toEqual(ranked.slice(0, 5).map((r) => r.id));
}

/** Random upserts and deletes through the writer, mirrored in the model. */
async function randomWrites(writer: VectorStore, model: Model, seed: number, ops: number): Promise<void> {
  const r = rng(seed);
  for (let op = 0; op < ops; op++) {
    if (r() < 0.3 && model.size > 0) {
      const ids = [...model.keys()].filter(() => r() < 0.2);
      await writer.delete(ids);
      ids.forEach((id) => model.delete(id));
    } else {
      const batch = Array.from({ length: 1 + Math.floor(r() * 30) }, () => {
        const n = Math.floor(r() * 400);
        return { id: `id-${n}`, vector: vec(seed * 100_000 + op * 1000 + n), metadata: { n, even: n % 2 === 0 } };
      });
      const unique = [...new Map(batch.map((b) => [b.id, b])).values()];
      const gone = [...model.keys()].filter((id) => !unique.some((u) => u.id === id) && r() < 0.05);
      await writer.upsert(unique, { deleteIds: gone });
      unique.forEach((b) => model.set(b.id, { vector: b.vector, metadata: b.metadata }));
      gone.forEach((id) => model.delete(id));
    }
  }
}

describe('read-only followers', () => {
  it('open beside the writer without its lock, follow every write, and refuse writes', async () => {
    const dir = freshDir();
    const writer = await VectorStore.open(dir, { dim: DIM, metric: 'euclidean' });
    const model: Model = new Map();
    await randomWrites(writer, model, 1, 20);
    const readers = await Promise.all([1, 2, 3].map(() => VectorStore.open(dir, { readOnly: true, refreshIntervalMs: 0 })));
    for (const reader of readers) {
      expect(reader.readOnly).toBe(true);
      expect(reader.lsn).toBe(writer.lsn);
      await expectMatches(reader, model, 7);
    }
    // Two writers still exclude each other.
    await expect(VectorStore.open(dir)).rejects.toBeInstanceOf(StoreLockedError);
    await randomWrites(writer, model, 2, 20);
    for (const reader of readers) {
      await reader.refresh();
      expect(reader.lsn).toBe(writer.lsn);
      await expectMatches(reader, model, 8);
    }
    const reader = readers[0];
    for (const attempt of [
      () => reader.upsert({ id: 'x', vector: vec(1) }),
      () => reader.delete(['id-1']),
      () => reader.deleteWhere({}),
      () => reader.flush(),
      () => reader.snapshot(),
    ]) {
      const err = await attempt().catch((e) => e);
      expect(err).toBeInstanceOf(ReadOnlyStoreError);
      expect(err.message).toMatch(/opened read-only/);
    }
    await Promise.all(readers.map((r) => r.close()));
    await writer.close();
  });

  it('follow across snapshots, log truncations and writer restarts, never going back', async () => {
    const dir = freshDir();
    let writer = await VectorStore.open(dir, { dim: DIM, metric: 'euclidean', snapshotBytes: 2048 });
    const model: Model = new Map();
    const reader = await VectorStore.open(dir, { readOnly: true, refreshIntervalMs: 0 }); // before the first snapshot
    const lagging = await VectorStore.open(dir, { readOnly: true, refreshIntervalMs: 0 }); // refreshed rarely
    let lastLsn = 0;
    for (let round = 0; round < 12; round++) {
      await randomWrites(writer, model, 10 + round, 15); // several snapshots per round (snapshotBytes 2 KiB)
      await reader.refresh();
      expect(reader.lsn).toBe(writer.lsn);
      expect(reader.lsn).toBeGreaterThanOrEqual(lastLsn);
      lastLsn = reader.lsn;
      await expectMatches(reader, model, round);
      if (round % 3 === 2) {
        // The lagging reader missed several snapshots and logs: it reloads the newest snapshot.
        await lagging.refresh();
        expect(lagging.lsn).toBe(writer.lsn);
        await expectMatches(lagging, model, round + 100);
      }
      if (round % 4 === 3) {
        await writer.close(); // snapshots; readers keep their state
        await expectMatches(reader, model, round + 200);
        writer = await VectorStore.open(dir, { snapshotBytes: 2048 });
      }
    }
    await reader.close();
    await lagging.close();
    await writer.close();
  });

  it('a graph store: readers follow inserts into the graph and its snapshots', async () => {
    const dir = freshDir();
    const writer = await VectorStore.open(dir, { dim: DIM, metric: 'euclidean', index: { type: 'hnsw', M: 8, efConstruction: 64 }, snapshotBytes: 4096 });
    const model: Model = new Map();
    await randomWrites(writer, model, 30, 10);
    const reader = await VectorStore.open(dir, { readOnly: true, refreshIntervalMs: 0 });
    expect(reader.activeIndex).toBe('hnsw');
    for (let round = 0; round < 4; round++) {
      await randomWrites(writer, model, 31 + round, 10);
      await reader.refresh();
      expect(reader.lsn).toBe(writer.lsn);
      expect(reader.size).toBe(model.size);
      const ids = [...model.keys()];
      expect((await reader.get(ids)).map((r) => r?.id)).toEqual(ids);
      // A few hundred vectors, ef far above: the graph answers exactly.
      const some = ids[round % ids.length];
      const hit = await reader.query(model.get(some)!.vector, { topK: 1, efSearch: 400 });
      expect(hit[0].id).toBe(some);
    }
    await reader.close();
    await writer.close();
  });

  it('the refresh timer follows by itself; waitFor reads your own writes', async () => {
    const dir = freshDir();
    const writer = await VectorStore.open(dir, { dim: DIM, metric: 'euclidean' });
    const reader = await VectorStore.open(dir, { readOnly: true, refreshIntervalMs: 10 });
    const seen: number[] = [];
    reader.on('refresh', ({ lsn }: { lsn: number }) => seen.push(lsn));
    await writer.upsert({ id: 'a', vector: vec(1) });
    const deadline = Date.now() + 5000;
    while (seen.at(-1) !== writer.lsn && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(seen.at(-1)).toBe(writer.lsn);
    expect(reader.lsn).toBe(writer.lsn);
    await writer.upsert({ id: 'b', vector: vec(2) });
    await reader.waitFor(writer.lsn);
    expect((await reader.get(['b']))[0]?.id).toBe('b');
    await expect(reader.waitFor(writer.lsn + 5, { timeoutMs: 50 })).rejects.toThrow(/still short of/);
    await expect(writer.waitFor(writer.lsn + 1)).rejects.toThrow(/past this writer's last write/);
    await reader.close();
    await writer.close();
  });

  it.runIf(process.platform === 'linux')('readers map the snapshot\'s vectors (shared, not copied) and let go of a retired one', async () => {
    const dir = freshDir();
    const writer = await VectorStore.open(dir, { dim: DIM, metric: 'euclidean', index: { type: 'flat' } });
    const model: Model = new Map();
    await randomWrites(writer, model, 50, 10);
    await writer.snapshot();
    const mapsOf = async () => (await fs.readFile('/proc/self/maps', 'utf8')).split('\n').filter((l) => l.includes(dir)).map((l) => l.slice(l.indexOf(dir) + dir.length));
    const reader = await VectorStore.open(dir, { readOnly: true, refreshIntervalMs: 0 });
    expect(await mapsOf()).toEqual(['/snapshot-1/vectors.qvec']);
    await randomWrites(writer, model, 51, 10);
    await writer.snapshot();
    await reader.refresh(); // carries on in the new log at once; the new snapshot loads meanwhile
    await expectMatches(reader, model, 1);
    for (let i = 0; i < 200 && (await mapsOf()).some((m) => m.startsWith('/snapshot-1/')); i++) {
      await new Promise((r) => setTimeout(r, 10));
      await reader.refresh();
    }
    expect(await mapsOf()).toEqual(['/snapshot-2/vectors.qvec']);
    await expectMatches(reader, model, 2);
    await reader.close();
    expect(await mapsOf()).toEqual([]);
    await writer.close();
  });

  it.runIf(process.platform === 'linux')('a change in the directory wakes the reader at once, whatever the interval', async () => {
    const dir = freshDir();
    const writer = await VectorStore.open(dir, { dim: DIM });
    const reader = await VectorStore.open(dir, { readOnly: true, refreshIntervalMs: 600_000 });
    for (let i = 0; i < 5; i++) {
      await writer.upsert({ id: `w${i}`, vector: vec(i) });
      const t0 = Date.now();
      while (reader.lsn < writer.lsn && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 2));
      expect(reader.lsn).toBe(writer.lsn);
      expect(Date.now() - t0).toBeLessThan(2000);
    }
    await reader.close();
    await writer.close();
  });

  it('a reader in a worker thread follows the writer in the main thread', async () => {
    const dir = freshDir();
    const writer = await VectorStore.open(dir, { dim: DIM, metric: 'euclidean' });
    await writer.upsert({ id: 'a', vector: vec(1) });
    // The worker loads the built package (a worker cannot run the TypeScript sources directly).
    const dist = join(process.cwd(), 'dist', 'index.cjs');
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { VectorStore } = require(workerData.dist);
       (async () => {
         const store = await VectorStore.open(workerData.dir, { readOnly: true });
         parentPort.postMessage({ size: store.size, lsn: store.lsn });
         parentPort.on('message', async (lsn) => {
           await store.waitFor(lsn);
           const got = await store.get(['a', 'b']);
           parentPort.postMessage({ size: store.size, ids: got.map((r) => r && r.id) });
           await store.close();
         });
       })().catch((err) => parentPort.postMessage({ error: err.message }));`,
      { eval: true, workerData: { dir, dist } },
    );
    const messages: unknown[] = [];
    const next = () => new Promise((resolve) => worker.once('message', (m) => (messages.push(m), resolve(m))));
    expect(await next()).toEqual({ size: 1, lsn: writer.lsn });
    await writer.upsert({ id: 'b', vector: vec(2) });
    worker.postMessage(writer.lsn);
    expect(await next()).toEqual({ size: 2, ids: ['a', 'b'] });
    await worker.terminate();
    await writer.close();
  });

  it('an error the reader cannot get past rejects refresh() and is emitted, and the reader keeps serving', async () => {
    const dir = freshDir();
    const writer = await VectorStore.open(dir, { dim: DIM, metric: 'euclidean' });
    await writer.upsert({ id: 'a', vector: vec(1) });
    const reader = await VectorStore.open(dir, { readOnly: true, refreshIntervalMs: 5 });
    const errors: Error[] = [];
    reader.on('error', (err: Error) => errors.push(err));
    await writer.close();
    await fs.rm(dir, { recursive: true }); // the store is gone from under the reader
    await expect(reader.refresh()).rejects.toThrow(/ENOENT/);
    const t0 = Date.now();
    while (errors.length === 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
    expect(errors[0]?.message).toMatch(/ENOENT/);
    expect((await reader.get(['a']))[0]?.id).toBe('a'); // still serving its last state
    await reader.close();
  });

  it('readers apply only acknowledged writes: a logged write waits for ACKED (the writer sets it once the write is durable)', async () => {
    const dir = freshDir();
    const writer = await VectorStore.open(dir, { dim: DIM, metric: 'euclidean' });
    await writer.upsert({ id: 'a', vector: vec(1) });
    const reader = await VectorStore.open(dir, { readOnly: true, refreshIntervalMs: 0 });
    expect(reader.lsn).toBe(1);
    const acked = (lsn: number) => {
      const b = Buffer.alloc(16);
      b.writeBigUInt64LE(BigInt(lsn), 0);
      b.writeUInt32LE(crc32(b.subarray(0, 8)), 8);
      return b;
    };
    expect(await fs.readFile(join(dir, 'ACKED'))).toEqual(acked(1));
    await writer.upsert({ id: 'b', vector: vec(2) });
    await writer.upsert({ id: 'c', vector: vec(3) });
    expect(await fs.readFile(join(dir, 'ACKED'))).toEqual(acked(3));
    // As if writes 2 and 3 were in the log with their fsyncs still running: ACKED still says 1.
    await fs.writeFile(join(dir, 'ACKED'), acked(1));
    await reader.refresh();
    expect(reader.lsn).toBe(1);
    expect((await reader.get(['b']))[0]).toBeUndefined();
    // Unreadable ACKED (damaged, or being created): no progress, no error.
    await fs.writeFile(join(dir, 'ACKED'), Buffer.alloc(16, 7));
    await reader.refresh();
    expect(reader.lsn).toBe(1);
    // Write 2 acknowledged, 3 not yet: the reader stops between them.
    await fs.writeFile(join(dir, 'ACKED'), acked(2));
    await reader.refresh();
    expect(reader.lsn).toBe(2);
    expect((await reader.get(['b', 'c'])).map((r) => r?.id)).toEqual(['b', undefined]);
    await fs.writeFile(join(dir, 'ACKED'), acked(3));
    await reader.refresh();
    expect(reader.lsn).toBe(3);
    // No ACKED at all (a store no writer of this version has opened): the log is read ungated.
    await fs.rm(join(dir, 'ACKED'));
    await writer.upsert({ id: 'd', vector: vec(4) }); // the writer keeps its open file: ACKED stays gone
    await reader.refresh();
    expect(reader.lsn).toBe(4);
    await reader.close();
    await writer.close();
    // A writer reopening sets ACKED to everything it recovered.
    const again = await VectorStore.open(dir);
    expect(await fs.readFile(join(dir, 'ACKED'))).toEqual(acked(4));
    await again.close();
  });

  it('bad opens fail clearly and change nothing', async () => {
    const missing = freshDir();
    await expect(VectorStore.open(missing, { readOnly: true })).rejects.toThrow(/no store there \(yet\)/);
    await expect(fs.access(missing)).rejects.toThrow(); // nothing created
    const dir = freshDir();
    const writer = await VectorStore.open(dir, { dim: DIM });
    await expect(VectorStore.open(dir, { readOnly: true, dim: DIM + 1 })).rejects.toThrow(/dim is 9 in the options but the store was created with 8/);
    await expect(VectorStore.open(dir, { readOnly: true, durability: 'none' })).rejects.toThrow(/applies to the writer/);
    await expect(VectorStore.open(dir, { readOnly: true, refreshIntervalMs: -1 })).rejects.toThrow(/refreshIntervalMs/);
    await expect(VectorStore.open(dir, { readOnly: 'yes' as unknown as boolean })).rejects.toThrow(/readOnly: expected true or false/);
    await expect(VectorStore.open(dir, { refreshIntervalMs: 5 })).rejects.toThrow(/applies to read-only stores/);
    await writer.close();
  });

  it('a store still being created (log, no manifest yet) is refused until its manifest is written', async () => {
    const dir = freshDir();
    const writer = await VectorStore.open(dir, { dim: DIM });
    await writer.close();
    const manifest = await fs.readFile(join(dir, 'quiver.json'));
    await fs.rm(join(dir, 'quiver.json'));
    await expect(VectorStore.open(dir, { readOnly: true })).rejects.toThrow(/no store there \(yet\)/);
    await fs.writeFile(join(dir, 'quiver.json'), manifest);
    const reader = await VectorStore.open(dir, { readOnly: true });
    expect(reader.size).toBe(0);
    await reader.close();
  });
});
