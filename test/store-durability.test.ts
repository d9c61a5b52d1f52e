// Durable stores: reopen round trips, torn log tails, version and option
// checks, the directory lock across processes, and SIGKILL at random moments
// (every acknowledged write survives, the write in flight is all or nothing).
import { spawn, execFileSync } from 'node:child_process';
import { promises as fs, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { StoreCorruptError, StoreFormatError, StoreLockedError, VectorStore } from '../src/index.js';
import { canonical } from '../src/store/persistence/layout.js';
import { DIM, recordFor } from './fixtures/store-durability-data.js';
import { rng } from './helpers/reference.js';
import { useFixtureBundles } from './helpers/fixture-bundles.js';

const root = mkdtempSync(join(tmpdir(), 'quiver-store-test-'));
afterAll(() => fs.rm(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = () => join(root, `s${dirCount++}`);

async function contents(store: VectorStore): Promise<Map<string, { vector: number[]; metadata: unknown }>> {
  const out = new Map<string, { vector: number[]; metadata: unknown }>();
  for await (const rec of store.list()) out.set(rec.id, { vector: Array.from(rec.vector!), metadata: rec.metadata });
  return out;
}

describe('reopen', () => {
  it('reloads upserts, replacements and deletes, before and after a snapshot', async () => {
    const dir = freshDir();
    const store = await VectorStore.open(dir, { dim: 3, metric: 'cosine' });
    expect(store.directory).toBe(dir);
    await store.upsert([
      { id: 'doc1', vector: [1, 0, 0], metadata: { category: 'science', year: 2021, tags: ['a', 'b'] } },
      { id: 'doc2', vector: [0, 1, 0], metadata: { category: 'math' } },
      { id: 'doc3', vector: [0.7, 0.7, 0], metadata: { category: 'science' } },
    ]);
    await store.delete(['doc2']);
    await store.upsert({ id: 'doc1', vector: [1, 0, 0.1], metadata: { category: 'science', year: 2022 } });
    const before = await contents(store);
    await store.close();

    const again = await VectorStore.open(dir); // dim and metric come from the store
    expect(again.dim).toBe(3);
    expect(again.metric).toBe('cosine');
    expect(await contents(again)).toEqual(before);
    expect((await again.query([0.9, 0.1, 0], { topK: 2, filter: { category: 'science' } })).map((h) => h.id)).toEqual(['doc1', 'doc3']);
    // Writes after a snapshot live in the new log; a crash-like reopen (no close) replays it.
    await again.upsert({ id: 'doc4', vector: [0, 0, 1], metadata: { n: 1 } });
    await again.deleteWhere({ year: 2022 });
    const expected = await contents(again);
    const third = await VectorStore.open(await crashCopy(dir, again), { dim: 3 });
    expect(await contents(third)).toEqual(expected);
    expect(await third.count({ n: 1 })).toBe(1);
    await third.close();
  });

  it('filters are right for writes made while the field indexes are still being rebuilt after open', async () => {
    const dir = freshDir();
    const n = 200_000; // many background chunks (16,384 slots each)
    const meta = (i: number, v = 0) => ({ g: (i + v) % 7, k: `x${i % 3}` });
    let store = await VectorStore.open(dir, { dim: 2, index: { type: 'flat' } });
    await store.upsert({ ids: Array.from({ length: n }, (_, i) => `r${i}`), vectors: new Float32Array(2 * n).fill(1),
      metadata: Array.from({ length: n }, (_, i) => meta(i)) });
    await store.close();
    const model = new Map(Array.from({ length: n }, (_, i) => [`r${i}`, meta(i)]));
    store = await VectorStore.open(dir);
    // Let the background build cover its first chunk, then write both inside and beyond what it covered.
    await new Promise((resolve) => setImmediate(resolve));
    const writes = [
      store.upsert([3, 5, 100_000, 199_990].map((i) => ({ id: `r${i}`, vector: [1, 2], metadata: meta(i, 1) }))),
      store.delete(['r10', 'r150000']),
      store.upsert([{ id: 'new1', vector: [0, 1], metadata: { g: 3, k: 'x9' } }]),
    ];
    await Promise.all(writes);
    for (const i of [3, 5, 100_000, 199_990]) model.set(`r${i}`, meta(i, 1));
    model.delete('r10');
    model.delete('r150000');
    model.set('new1', { g: 3, k: 'x9' });
    for (const f of [{ g: 3 }, { g: 4 }, { k: 'x9' }, { g: { $gte: 5 }, k: 'x1' }, { g: { $ne: 0 } }]) {
      const expected = [...model.values()].filter((m) => Object.entries(f).every(([key, c]) => {
        const v = (m as Record<string, unknown>)[key];
        if (typeof c !== 'object') return v === c;
        const op = c as Record<string, number>;
        return ('$gte' in op ? (v as number) >= op.$gte : true) && ('$ne' in op ? v !== op.$ne : true);
      })).length;
      expect(await store.count(f as never), JSON.stringify(f)).toBe(expected);
    }
    await store.close();
  });

  it('reuses the empty slots of a reloaded snapshot for new records, each exactly once', async () => {
    const dir = freshDir();
    let store = await VectorStore.open(dir, { dim: 2, metric: 'euclidean', index: { type: 'flat' } });
    await store.upsert(Array.from({ length: 10 }, (_, i) => ({ id: `a${i}`, vector: [i, 0], metadata: { i } })));
    await store.delete(['a1', 'a4', 'a5', 'a8']);
    await store.close();
    store = await VectorStore.open(dir);
    await store.upsert(Array.from({ length: 3 }, (_, i) => ({ id: `b${i}`, vector: [0, i + 1], metadata: { b: i } })));
    await store.delete(['a0']);
    await store.upsert(Array.from({ length: 4 }, (_, i) => ({ id: `c${i}`, vector: [i + 1, i + 1], metadata: { c: i } })));
    const ids = ['a2', 'a3', 'a6', 'a7', 'a9', 'b0', 'b1', 'b2', 'c0', 'c1', 'c2', 'c3'];
    expect(store.size).toBe(ids.length);
    const got = await store.get(ids);
    expect(got.map((r) => r?.id)).toEqual(ids);
    expect(Array.from(got[6]!.vector)).toEqual([0, 2]);
    expect(Array.from(got[11]!.vector)).toEqual([4, 4]);
    // Every record is reachable by search exactly once (no two records share a slot).
    const hits = await store.query([0, 0], { topK: 100 });
    expect(hits.map((h) => h.id).sort()).toEqual([...ids].sort());
    expect(await store.count({ c: { $gte: 0 } })).toBe(4);
    await store.close();
  });

  it('durability "none" writes are made durable by flush()', async () => {
    const dir = freshDir();
    const store = await VectorStore.open(dir, { dim: 2, durability: 'none' });
    await store.upsert({ ids: ['a', 'b'], vectors: new Float32Array([1, 2, 3, 4]) });
    await store.flush();
    const again = await VectorStore.open(await crashCopy(dir, store));
    expect(again.size).toBe(2);
    await again.close();
  });

  it('snapshots automatically once the log passes snapshotBytes, and the log restarts', async () => {
    const dir = freshDir();
    const store = await VectorStore.open(dir, { dim: 64, snapshotBytes: 4096 });
    for (let i = 0; i < 30; i++) await store.upsert({ id: `x${i}`, vector: new Float32Array(64).fill(i + 1), metadata: { i } });
    await store.flush();
    const names = await fs.readdir(dir);
    expect(names.some((n) => /^snapshot-[1-9]\d*$/.test(n))).toBe(true);
    const wal = names.find((n) => /^wal-\d+\.log$/.test(n))!;
    expect((await fs.stat(join(dir, wal))).size).toBeLessThan(4096 + 2048);
    const expected = await contents(store);
    const again = await VectorStore.open(await crashCopy(dir, store));
    expect(await contents(again)).toEqual(expected);
    await again.close();
  });

  it('discards a torn log tail (partial frame or garbage) and keeps every whole batch', async () => {
    const dir = freshDir();
    const store = await VectorStore.open(dir, { dim: 2 });
    await store.upsert([{ id: 'a', vector: [1, 0] }]);
    await store.upsert([{ id: 'b', vector: [0, 1] }, { id: 'c', vector: [1, 1] }]);
    const walOf = async (d: string) => join(d, (await fs.readdir(d)).find((n) => n.startsWith('wal-'))!);
    let crashed = await crashCopy(dir, store);
    let wal = await walOf(crashed);
    const full = await fs.readFile(wal);
    // Cut the last frame in half: batch 2 disappears as a whole.
    await fs.writeFile(wal, full.subarray(0, full.length - 20));
    let again = await VectorStore.open(crashed);
    expect((await again.get(['a', 'b', 'c'])).map((r) => r?.id)).toEqual(['a', undefined, undefined]);
    await again.upsert([{ id: 'd', vector: [2, 2] }]);
    crashed = await crashCopy(crashed, again);
    wal = await walOf(crashed);
    // Garbage after whole frames (a zero-filled tail, random bytes) is ignored, and later writes still land.
    await fs.appendFile(wal, Buffer.alloc(64));
    again = await VectorStore.open(crashed);
    expect((await again.get(['a', 'd'])).map((r) => r?.id)).toEqual(['a', 'd']);
    await again.upsert([{ id: 'e', vector: [3, 3] }]);
    crashed = await crashCopy(crashed, again);
    wal = await walOf(crashed);
    await fs.appendFile(wal, Buffer.from([7, 0, 0, 0, 1, 2, 3, 4, 9, 9]));
    again = await VectorStore.open(crashed);
    expect((await again.get(['a', 'd', 'e'])).map((r) => r?.id)).toEqual(['a', 'd', 'e']);
    await again.close();
  });
});

/**
 * The directory as a crash would leave it after the last acknowledged write: a
 * copy taken before close() (which would snapshot), without the lock file.
 */
async function crashCopy(dir: string, store: VectorStore): Promise<string> {
  await store.flush();
  const copy = freshDir();
  await fs.cp(dir, copy, { recursive: true, filter: (src) => !src.endsWith('LOCK') });
  await store.close();
  return copy;
}

describe('upsert with deleteIds', () => {
  it('is logged as one write: a crash image and a reopen both have the upsert and the deletions', async () => {
    const dir = freshDir();
    const store = await VectorStore.open(dir, { dim: 2 });
    await store.upsert([{ id: 'doc#0', vector: [1, 0] }, { id: 'doc#1', vector: [0, 1] }, { id: 'doc#2', vector: [1, 1] }]);
    await store.upsert([{ id: 'doc#0', vector: [2, 0], metadata: { v: 2 } }], { deleteIds: ['doc#1', 'doc#2'] });
    const copy = await crashCopy(dir, store);
    for (const d of [copy, dir]) {
      const reopened = await VectorStore.open(d);
      expect([...(await contents(reopened)).entries()]).toEqual([['doc#0', { vector: [2, 0], metadata: { v: 2 } }]]);
      await reopened.close();
    }
  });
});

describe('store files that are not regular files (defect 13)', () => {
  it('a FIFO, a directory or /dev/zero in place of a store file is refused at once, not read forever', async () => {
    for (const victim of ['wal-0.log', 'quiver.json'] as const) {
      for (const kind of ['fifo', 'dir', 'devzero'] as const) {
        const dir = freshDir();
        const store = await VectorStore.open(dir, { dim: 2 });
        await store.upsert({ id: 'a', vector: [1, 0] });
        await store.flush();
        const copy = await crashCopy(dir, store);
        const path = join(copy, victim);
        await fs.rm(path);
        if (kind === 'fifo') execFileSync('mkfifo', [path]);
        else if (kind === 'dir') await fs.mkdir(path);
        else await fs.symlink('/dev/zero', path);
        const t0 = Date.now();
        const err = await VectorStore.open(copy).catch((e) => e);
        expect(err, `${victim} as ${kind}`).toBeInstanceOf(Error);
        expect(err.message, `${victim} as ${kind}`).toMatch(/not a regular file|not a manifest|EISDIR|illegal operation/);
        expect(Date.now() - t0).toBeLessThan(10_000);
      }
    }
  }, 60_000);
});

describe('options and versions', () => {
  it('rejects reopening with mismatched options, naming them', async () => {
    const dir = freshDir();
    const store = await VectorStore.open(dir, { dim: 4, metric: 'euclidean', index: { type: 'flat' } });
    await store.close();
    await expect(VectorStore.open(dir, { dim: 5 })).rejects.toThrow(/dim is 5 in the options but the store was created with 4/);
    await expect(VectorStore.open(dir, { metric: 'cosine' })).rejects.toThrow(/metric is "cosine" .* created with "euclidean"/);
    await expect(VectorStore.open(dir, { index: { type: 'auto' } })).rejects.toThrow(/index.type/);
    const ok = await VectorStore.open(dir, { dim: 4, metric: 'euclidean', index: { efSearch: 100 } });
    await ok.close();
    await expect(VectorStore.open(freshDir(), {})).rejects.toThrow(/options.dim is required/);
  });

  it('refuses files from a newer format version with a clear error', async () => {
    const dir = freshDir();
    const store = await VectorStore.open(dir, { dim: 2 });
    await store.upsert([{ id: 'a', vector: [1, 0] }]);
    await store.close();
    const manifestPath = join(dir, 'quiver.json');
    const manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8'));
    // As a newer quiverdb would write it: its own checksum over its own fields.
    const newer = { ...manifest, version: 99 };
    newer.checksum = crc32(canonical(newer));
    await fs.writeFile(manifestPath, JSON.stringify(newer));
    const err = await VectorStore.open(dir).catch((e) => e);
    expect(err).toBeInstanceOf(StoreFormatError);
    expect(err.message).toMatch(/newer quiverdb \(store format version 99; this version reads up to \d+\)/);
    // The version field alone changed (checksum left as it was) is damage, not a newer format.
    await fs.writeFile(manifestPath, JSON.stringify({ ...manifest, version: 99 }));
    const damaged = await VectorStore.open(dir).catch((e) => e);
    expect(damaged).toBeInstanceOf(StoreCorruptError);
    expect(damaged.message).toMatch(/damaged format version/);
    // A refused open leaves the directory unlocked.
    await fs.writeFile(manifestPath, JSON.stringify(manifest));
    const again = await VectorStore.open(dir);
    expect(again.size).toBe(1);
    await again.close();
  });
});

const childCommand = useFixtureBundles(['test/fixtures/store-writer.ts', 'test/fixtures/store-open.ts']);

function runChild(args: string[]): { lines: Promise<string[]>; child: ReturnType<typeof spawn> } {
  const { argv, env } = childCommand(args[0], args.slice(1));
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'inherit'], env });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const lines = new Promise<string[]>((resolve) => child.on('close', () => resolve(out.split('\n').filter(Boolean))));
  return { lines, child };
}

describe('lock', () => {
  it('a second open fails with "locked", in this process and in another, until close', async () => {
    const dir = freshDir();
    const store = await VectorStore.open(dir, { dim: 4 });
    const err = await VectorStore.open(dir).catch((e) => e);
    expect(err).toBeInstanceOf(StoreLockedError);
    expect(err.message).toMatch(/locked by this process/);
    const other = runChild(['test/fixtures/store-open.ts', dir]);
    expect((await other.lines).join('\n')).toMatch(new RegExp(`error StoreLockedError: .*locked by process ${process.pid}`));
    await store.close();
    const after = runChild(['test/fixtures/store-open.ts', dir]);
    expect(await after.lines).toEqual(['opened 0']);
  }, 60_000);

  it('another process holding the store locks this one out; a lock left by a dead process is taken over', async () => {
    const dir = freshDir();
    const holder = runChild(['test/fixtures/store-open.ts', dir, 'hold']);
    await new Promise<void>((resolve) => holder.child.stdout!.once('data', () => resolve()));
    await expect(VectorStore.open(dir)).rejects.toThrow(new RegExp(`locked by process ${holder.child.pid}`));
    holder.child.stdin!.end();
    await holder.lines;
    const store = await VectorStore.open(dir);
    await store.close();
    // Stale lock: the pid of a process that has exited.
    const deadPid = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
    await fs.writeFile(join(dir, 'LOCK'), `${deadPid}\n`);
    const taken = await VectorStore.open(dir);
    expect(await fs.readFile(join(dir, 'LOCK'), 'utf8')).toBe(`${process.pid}\n`);
    await taken.close();
    await expect(fs.access(join(dir, 'LOCK'))).rejects.toThrow();
  }, 60_000);

  it('processes racing for a store with a stale lock: exactly one gets it', async () => {
    const dir = freshDir();
    await (await VectorStore.open(dir, { dim: 4 })).close();
    const deadPid = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
    await fs.writeFile(join(dir, 'LOCK'), `${deadPid}\n`);
    const racers = Array.from({ length: 6 }, () => runChild(['test/fixtures/store-open.ts', dir, 'hold']));
    // Every racer reports once (opened, or locked out) while the winner still holds the store.
    const first = await Promise.all(racers.map(({ child }) =>
      new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d).trim())))));
    for (const { child } of racers) child.stdin!.end();
    await Promise.all(racers.map((r) => r.lines));
    expect(first.filter((l) => l.startsWith('opened'))).toHaveLength(1);
    expect(first.filter((l) => l.startsWith('error StoreLockedError'))).toHaveLength(5);
  }, 60_000);
});

describe('SIGKILL at random moments', () => {
  /** `rounds` children write to one store and are killed at random; returns how the writes in flight ended. */
  async function killRounds(rounds: number, seed: number, indexType?: string) {
    const dir = freshDir();
    const r = rng(seed);
    const batchSize = 20;
    type Entry = { round: number; op: number; j: number };
    const model = new Map<string, Entry>();
    const applyOp = (m: Map<string, Entry>, round: number, op: number) => {
      if (op % 4 === 3) for (let j = 0; j < batchSize / 2; j++) m.delete(recordFor(round, op - 1, j).id);
      else for (let j = 0; j < batchSize; j++) m.set(recordFor(round, op, j).id, { round, op, j });
    };
    const expectedContents = (m: Map<string, Entry>) => {
      const out = new Map<string, { vector: number[]; metadata: unknown }>();
      for (const [id, e] of m) {
        const rec = recordFor(e.round, e.op, e.j);
        out.set(id, { vector: Array.from(rec.vector), metadata: rec.metadata });
      }
      return out;
    };
    let applied = 0, dropped = 0;
    for (let round = 0; round < rounds; round++) {
      // Small snapshot threshold so that kills also land inside snapshots.
      const args = ['test/fixtures/store-writer.ts', dir, String(round), String(batchSize), '32768', ...(indexType ? [indexType] : [])];
      const { child, lines } = runChild(args);
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, r() * 300));
      child.kill('SIGKILL');
      const acks = (await lines).filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4)));
      acks.forEach((op, i) => expect(op).toBe(i));
      for (const op of acks) applyOp(model, round, op);
      const store = await VectorStore.open(dir, { dim: DIM });
      const got = await contents(store);
      const without = expectedContents(model);
      if (JSON.stringify([...got].sort()) !== JSON.stringify([...without].sort())) {
        // The write in flight made it: then all of it must be there.
        const withOp = new Map(model);
        applyOp(withOp, round, acks.length);
        expect([...got].sort()).toEqual([...expectedContents(withOp)].sort());
        applyOp(model, round, acks.length);
        applied++;
      } else dropped++;
      if (indexType) expect(store.activeIndex).toBe('hnsw');
      await store.close();
    }
    expect(applied + dropped).toBe(rounds);
    expect(model.size).toBeGreaterThan(0);
    return { applied, dropped, records: model.size };
  }

  it('keeps every acknowledged write and all or nothing of the write in flight (20 rounds)', async () => {
    const res = await killRounds(20, 2024);
    console.log(`SIGKILL rounds: in-flight write applied ${res.applied}, dropped ${res.dropped}; ${res.records} records`);
  }, 240_000);

  it('does the same for a store whose vectors live in the HNSW graph (8 rounds)', async () => {
    const res = await killRounds(8, 99, 'hnsw');
    console.log(`SIGKILL rounds (hnsw): in-flight write applied ${res.applied}, dropped ${res.dropped}; ${res.records} records`);
  }, 120_000);
});
