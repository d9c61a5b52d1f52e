// Fault injection: writes that fail (full disk, I/O error, a torn write, a
// failed fsync, truncate or rename) reject the operation with a clear error,
// leave the store usable and consistent, and lose nothing acknowledged — checked
// on the live store, on a crash image (a copy of the directory taken right after
// the failure, as if the process had died there), and after a clean reopen.
// Faults are injected at the file layer (test/helpers/fault-fs.ts); a second
// suite fills a real size-limited tmpfs when the machine allows mounting one.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VectorStore } from '../src/index.js';
import { clearFaults, injectedCount, injectFault, installFaultFs, openFilesUnder, type Fault } from './helpers/fault-fs.js';

const DIM = 4;
const root = mkdtempSync(join(tmpdir(), 'quiver-faults-'));
afterEach(() => clearFaults());
beforeAll(() => installFaultFs());

let seq = 0;
const vec = (i: number) => [i, i % 7, 1, -i / 3];
type Model = Map<string, { vector: number[]; metadata: Record<string, number> }>;

async function expectContents(store: VectorStore, model: Model): Promise<void> {
  expect(store.size).toBe(model.size);
  const ids = [...model.keys()];
  const got = await store.get(ids);
  got.forEach((r, i) => {
    expect(r?.id).toBe(ids[i]);
    expect(Array.from(r!.vector)).toEqual(model.get(ids[i])!.vector.map(Math.fround));
    expect(r!.metadata).toEqual(model.get(ids[i])!.metadata);
  });
  const hits = await store.query(vec(3), { topK: model.size + 5 });
  expect(hits.length).toBe(model.size);
}

/** A copy of the directory as a crash would leave it (the dead owner's lock file is stale: dropped). */
function crashImage(dir: string): string {
  const copy = join(root, `crash-${seq++}`);
  cpSync(dir, copy, { recursive: true });
  rmSync(join(copy, 'LOCK'), { force: true });
  return copy;
}

async function freshStore(options: Record<string, unknown> = {}): Promise<{ dir: string; store: VectorStore; model: Model }> {
  const dir = join(root, `s${seq++}`);
  const store = await VectorStore.open(dir, { dim: DIM, metric: 'euclidean', ...options });
  const model: Model = new Map();
  const batch = Array.from({ length: 20 }, (_, i) => ({ id: `base-${i}`, vector: vec(i), metadata: { i } }));
  await store.upsert(batch);
  batch.forEach((r) => model.set(r.id, { vector: r.vector, metadata: r.metadata }));
  return { dir, store, model };
}

async function upsertOk(store: VectorStore, model: Model, ids: string[]): Promise<void> {
  const recs = ids.map((id, k) => ({ id, vector: vec(100 + k), metadata: { i: 100 + k } }));
  await store.upsert(recs);
  recs.forEach((r) => model.set(r.id, { vector: r.vector, metadata: r.metadata }));
}

const walFaults: Array<[string, Fault, RegExp]> = [
  ['disk full on the log write', { op: 'write', path: 'wal-', code: 'ENOSPC' }, /ENOSPC/],
  ['torn write: half the frame, then disk full', { op: 'write', path: 'wal-', code: 'ENOSPC', partial: 0.5 }, /ENOSPC/],
  ['I/O error on the log write', { op: 'write', path: 'wal-', code: 'EIO' }, /EIO/],
  ['fsync of the log fails', { op: 'sync', path: 'wal-', code: 'EIO' }, /EIO/],
  ['quota exceeded', { op: 'write', path: 'wal-', code: 'EDQUOT', partial: 0.9 }, /EDQUOT/],
];

describe('a failing log write rejects the batch and loses nothing acknowledged', () => {
  it.each(walFaults)('%s', async (_name, fault, message) => {
    const { dir, store, model } = await freshStore();
    const before = injectedCount();
    injectFault({ ...fault, times: 1 });
    await expect(store.upsert([{ id: 'lost-1', vector: vec(1), metadata: { i: -1 } }, { id: 'base-0', vector: vec(50), metadata: { i: -2 } }]))
      .rejects.toThrow(message);
    expect(injectedCount()).toBe(before + 1);
    // Nothing of the failed batch is visible, the rest is intact.
    await expectContents(store, model);
    expect((await store.get(['lost-1']))[0]).toBeUndefined();
    // The failure is not sticky: the next writes succeed and are durable.
    await upsertOk(store, model, ['after-1', 'after-2']);
    expect(await store.delete(['base-1'])).toBe(1);
    model.delete('base-1');
    await expectContents(store, model);
    // As if the process died now: every acknowledged write is there, the failed one is not.
    const image = crashImage(dir);
    const recovered = await VectorStore.open(image);
    await expectContents(recovered, model);
    await recovered.close();
    await store.close();
    const reopened = await VectorStore.open(dir);
    await expectContents(reopened, model);
    await reopened.close();
  });

  it('delete and deleteWhere failing on the log change nothing', async () => {
    const { store, model } = await freshStore();
    injectFault({ op: 'write', path: 'wal-', code: 'ENOSPC', times: 2 });
    await expect(store.delete(['base-2', 'base-3'])).rejects.toThrow(/ENOSPC/);
    await expect(store.deleteWhere({ i: { $lt: 10 } })).rejects.toThrow(/ENOSPC/);
    await expectContents(store, model);
    expect(await store.deleteWhere({ i: { $lt: 10 } })).toBe(10);
    for (let i = 0; i < 10; i++) model.delete(`base-${i}`);
    await expectContents(store, model);
    await store.close();
  });

  it('when even cutting the torn frame off fails, the log refuses writes with a clear error; reads go on; the crash image is intact', async () => {
    const { dir, store, model } = await freshStore();
    injectFault({ op: 'write', path: 'wal-', code: 'EIO', partial: 0.3, times: 1 });
    injectFault({ op: 'truncate', path: 'wal-', code: 'EIO', times: 1 });
    await expect(store.upsert({ id: 'torn', vector: vec(9) })).rejects.toThrow(/EIO/);
    await expect(store.upsert({ id: 'next', vector: vec(9) })).rejects.toThrow(/unusable|I\/O|EIO/i);
    await expectContents(store, model); // queries and gets still work
    const image = crashImage(dir);
    const recovered = await VectorStore.open(image); // the torn frame is cut off on replay
    await expectContents(recovered, model);
    await upsertOk(recovered, model, ['recovered-write']);
    await recovered.close();
    await store.close().catch(() => undefined);
  });
});

describe('a failing snapshot leaves the previous state recoverable', () => {
  const snapshotFaults: Array<[string, Fault]> = [
    ['disk full writing vectors.qvec', { op: 'write', path: 'vectors.qvec', code: 'ENOSPC', partial: 0.5 }],
    ['I/O error writing records.qrec', { op: 'write', path: 'records.qrec', code: 'EIO' }],
    ['fsync of the snapshot fails', { op: 'sync', path: 'vectors.qvec', code: 'EIO' }],
    ['creating the next log fails', { op: 'open', path: /wal-\d+\.log$/, code: 'ENOSPC' }],
    ['renaming into place fails', { op: 'rename', code: 'EIO' }],
  ];
  it.each(snapshotFaults)('%s', async (_name, fault) => {
    const { dir, store, model } = await freshStore();
    await upsertOk(store, model, ['pre-1']);
    const before = injectedCount();
    injectFault({ ...fault, times: 1 });
    await expect(store.snapshot()).rejects.toThrow(/ENOSPC|EIO/);
    expect(injectedCount()).toBe(before + 1);
    await expectContents(store, model);
    await upsertOk(store, model, ['post-1']); // still writable
    const image = crashImage(dir);
    const recovered = await VectorStore.open(image);
    await expectContents(recovered, model);
    await recovered.close();
    await store.snapshot(); // and a later snapshot succeeds
    await store.close();
    const reopened = await VectorStore.open(dir);
    await expectContents(reopened, model);
    await reopened.close();
  });

  it('automatic snapshots that fail in the background do not fail or lose acknowledged writes', async () => {
    const { dir, store, model } = await freshStore({ snapshotBytes: 2000 });
    injectFault({ op: 'write', path: 'vectors.qvec', code: 'ENOSPC', times: 3 });
    const before = injectedCount();
    for (let b = 0; b < 10; b++) await upsertOk(store, model, Array.from({ length: 5 }, (_, i) => `auto-${b}-${i}`));
    await expectContents(store, model);
    // A failed background snapshot is retried once the log has grown by another quarter, not after every write.
    const failures = injectedCount() - before;
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(failures).toBeLessThan(10);
    clearFaults();
    const image = crashImage(dir);
    const recovered = await VectorStore.open(image);
    await expectContents(recovered, model);
    await recovered.close();
    await store.close();
  });
});

describe('close() whose snapshot or final fsync fails', () => {
  // S6: the log's file handle was left open (closed later by the GC, with a warning).
  const closeFaults: Array<[string, Fault, Record<string, unknown>]> = [
    ['disk full writing the snapshot', { op: 'write', path: 'vectors.qvec', code: 'ENOSPC' }, {}],
    // The snapshot commits, then closing the old log fsyncs its unsynced frame and fails.
    ['I/O error on the fsync closing the old log (durability none)', { op: 'sync', path: 'wal-0.log', code: 'EIO' }, { durability: 'none' }],
  ];
  it.each(closeFaults)('%s: rejects with the cause, closes every file, releases the lock, loses nothing', async (_name, fault, options) => {
    const { dir, store, model } = await freshStore(options);
    await upsertOk(store, model, ['pre-close']);
    if (options.durability === 'none') await store.flush(); // acknowledged and on disk; the next write is not synced
    if (options.durability === 'none') await upsertOk(store, model, ['unsynced']);
    const before = injectedCount();
    injectFault({ ...fault, times: 1 });
    await expect(store.close()).rejects.toThrow(/ENOSPC|EIO/);
    expect(injectedCount()).toBe(before + 1);
    const open = openFilesUnder(dir);
    if (open) expect(open).toEqual([]);
    await expect(store.upsert({ id: 'after', vector: vec(1) })).rejects.toThrow(/closed/);
    const reopened = await VectorStore.open(dir); // the lock was released
    if (options.durability === 'none') model.delete('unsynced'); // its fsync failed: may or may not have survived
    for (const [id, r] of model) {
      const [got] = await reopened.get([id]);
      expect(Array.from(got!.vector)).toEqual(r.vector.map(Math.fround));
    }
    await reopened.close();
  });
});

// ---- a real full disk: a small tmpfs (needs root and permission to mount; skipped otherwise)

function tryMount(dir: string, size: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const mountPoint = join(root, 'tiny-fs');
const canMount = process.platform === 'linux' && process.getuid?.() === 0 && tryMount(mountPoint, '1m');
afterAll(() => {
  if (canMount) { try { execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' }); } catch { /* already gone */ } }
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!canMount)('a really full disk (1 MiB tmpfs)', () => {
  it('writes fail with ENOSPC once full, the store keeps serving, and works again when space is freed', async () => {
    clearFaults();
    const dir = join(mountPoint, 'store');
    const ballast = join(mountPoint, 'ballast');
    writeFileSync(ballast, Buffer.alloc(256 * 1024));
    const store = await VectorStore.open(dir, { dim: DIM, metric: 'euclidean', snapshotBytes: 1 << 30 });
    const model: Model = new Map();
    let failures = 0;
    let lastError = '';
    for (let b = 0; b < 400 && failures < 3; b++) {
      const recs = Array.from({ length: 50 }, (_, i) => ({ id: `b${b}-${i}-${'x'.repeat(64)}`, vector: vec(b * 50 + i), metadata: { i: b } }));
      try {
        await store.upsert(recs);
        recs.forEach((r) => model.set(r.id, { vector: r.vector, metadata: r.metadata }));
      } catch (err) {
        failures++;
        lastError = String(err);
      }
    }
    expect(failures).toBeGreaterThan(0); // the disk did fill up
    expect(lastError).toMatch(/ENOSPC|no space/i);
    await expectContents(store, model);
    // A crash while the disk is full: every acknowledged write is in the image.
    const image = crashImage(dir);
    const recovered = await VectorStore.open(image);
    await expectContents(recovered, model);
    await recovered.close();
    rmSync(ballast);
    await upsertOk(store, model, ['after-space-freed']);
    await expectContents(store, model);
    // close() writes a snapshot, which may not fit either: whether or not it
    // succeeds, it must release the directory and keep everything acknowledged.
    let closeError: unknown;
    await store.close().catch((err) => { closeError = err; });
    if (closeError) expect(String(closeError)).toMatch(/ENOSPC|no space/i);
    for (let round = 0; round < 2; round++) {
      const reopened = await VectorStore.open(dir);
      await expectContents(reopened, model);
      // Same here: a close whose snapshot does not fit reports ENOSPC, releases the
      // lock (the next round reopens in this same process) and loses nothing.
      await reopened.close().catch((err) => expect(String(err)).toMatch(/ENOSPC|no space/i));
    }
  }, 120_000);
});
