// The durable side of a store opened on a directory: lock, manifest, newest
// snapshot + log replay on open, log appends on every write, snapshots that
// truncate the log, and an orderly close.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Metric } from '../../indexes/input.js';
import type { RecordBatch } from '../records.js';
import { StoreState } from '../store-state.js';
import type { AnnFactory, ResolvedIndexOptions } from '../vector-index.js';
import { fsyncDir } from './files.js';
import {
  FORMAT_NAME, FORMAT_VERSION, StoreFormatError, readManifest, scanDirectory, snapshotDir, walFile, writeManifest, type Manifest,
} from './layout.js';
import { decodeEntry, encodeDelete, encodeUpsert } from './log-entries.js';
import { acquireLock, type DirectoryLock } from './lock.js';
import { readSnapshot, writeSnapshot } from './snapshot.js';
import { WAL_HEADER_BYTES, WalWriter, readWal } from './wal.js';

export interface StorageOptions {
  dim: number | undefined;
  metric: Metric | undefined;
  /** Index options the caller set explicitly (compared with the stored ones). */
  index: Partial<ResolvedIndexOptions>;
  resolvedIndex: ResolvedIndexOptions;
  durability: 'fsync' | 'none';
  snapshotBytes: number;
}

function mismatch(dir: string, name: string, stored: unknown, given: unknown): Error {
  return new RangeError(
    `VectorStore.open(${JSON.stringify(dir)}): ${name} is ${JSON.stringify(given)} in the options but the store was created with ` +
      `${JSON.stringify(stored)}; pass the stored value or omit it`,
  );
}

function checkAgainstManifest(dir: string, m: Manifest, o: StorageOptions): void {
  if (o.dim !== undefined && o.dim !== m.dim) throw mismatch(dir, 'dim', m.dim, o.dim);
  if (o.metric !== undefined && o.metric !== m.metric) throw mismatch(dir, 'metric', m.metric, o.metric);
  for (const key of ['type', 'threshold', 'M', 'efConstruction'] as const) {
    if (o.index[key] !== undefined && o.index[key] !== m.index[key]) throw mismatch(dir, `index.${key}`, m.index[key], o.index[key]);
  }
}

export class Storage {
  #gen: number;
  #wal: WalWriter;

  private constructor(
    readonly dir: string,
    readonly options: StorageOptions,
    readonly manifest: Manifest,
    readonly lock: DirectoryLock,
    gen: number,
    wal: WalWriter,
  ) {
    this.#gen = gen;
    this.#wal = wal;
  }

  get generation(): number {
    return this.#gen;
  }

  get logBytes(): number {
    return this.#wal.bytes;
  }

  /** Opens or creates the store in `dir`; returns the storage and the recovered state. */
  static async open(dir: string, options: StorageOptions, annFactory: AnnFactory | undefined): Promise<{ storage: Storage; state: StoreState }> {
    await fs.mkdir(dir, { recursive: true });
    const lock = await acquireLock(dir);
    try {
      let manifest = await readManifest(dir);
      if (manifest) checkAgainstManifest(dir, manifest, options);
      else manifest = await Storage.#create(dir, options);

      const scan = await scanDirectory(dir);
      const gen = scan.snapshots.length ? scan.snapshots[scan.snapshots.length - 1] : 0;
      const index: ResolvedIndexOptions = { ...options.resolvedIndex, ...manifest.index };
      const state = new StoreState(manifest.dim, manifest.metric, index, annFactory);

      if (gen > 0) {
        const snap = await readSnapshot(join(dir, snapshotDir(gen)), gen, manifest.dim, manifest.metric);
        if (snap.annPath && annFactory) {
          // The graph loads off the JS thread while the id maps are rebuilt here. The graph holds the
          // vectors; vectors.f32 (the portable copy) is only checked, meanwhile, so damage shows at once.
          const ann = Promise.resolve(annFactory.load(snap.annPath, manifest.dim, manifest.metric, index));
          const copy = snap.readVectors();
          ann.catch(() => undefined); // both awaited below; no unhandled rejection if one fails first
          copy.catch(() => undefined);
          state.loadSlots(snap.ids, snap.slots, snap.metadata, undefined);
          await copy;
          const graph = await ann;
          if (graph.size !== snap.ids.length)
            throw new StoreFormatError(`${snap.annPath}: holds ${graph.size} vectors, the snapshot ${snap.ids.length} records`);
          state.index.setAnn(graph);
        } else {
          const vectors = await snap.readVectors();
          try {
            state.loadSlots(snap.ids, snap.slots, snap.metadata, vectors);
          } catch (err) {
            throw new StoreFormatError(`${snapshotDir(gen)}: loading the snapshot failed (${(err as Error).message})`);
          }
        }
      }

      const walPath = join(dir, walFile(gen));
      const contents = await readWal(walPath, gen);
      let wal: WalWriter;
      if (!contents || contents.validBytes < WAL_HEADER_BYTES) {
        wal = await WalWriter.create(walPath, gen);
      } else {
        for (const payload of contents.payloads) {
          const entry = decodeEntry(payload, manifest.dim);
          try {
            if (entry.kind === 'upsert') {
              state.applyUpsert(entry.batch);
              if (entry.deleteIds.length > 0) state.applyDelete(entry.deleteIds);
            } else {
              state.applyDelete(entry.ids);
            }
          } catch (err) {
            throw new StoreFormatError(`${walPath}: replaying a logged write failed (${(err as Error).message})`);
          }
        }
        wal = await WalWriter.reopen(walPath, contents);
      }
      await Storage.#removeLeftovers(dir, gen, scan);
      return { storage: new Storage(dir, options, manifest, lock, gen, wal), state };
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  static async #create(dir: string, o: StorageOptions): Promise<Manifest> {
    if (o.dim === undefined)
      throw new TypeError(`VectorStore.open(${JSON.stringify(dir)}): no store there yet, so options.dim is required to create one`);
    // Leftovers of a creation interrupted before its manifest was written.
    const scan = await scanDirectory(dir);
    for (const g of scan.snapshots) await fs.rm(join(dir, snapshotDir(g)), { recursive: true, force: true });
    for (const g of scan.wals) await fs.rm(join(dir, walFile(g)), { force: true });
    const wal = await WalWriter.create(join(dir, walFile(0)), 0);
    await wal.close();
    await fsyncDir(dir);
    const { type, threshold, M, efConstruction } = o.resolvedIndex;
    const manifest: Manifest = {
      format: FORMAT_NAME, version: FORMAT_VERSION, dim: o.dim, metric: o.metric ?? 'cosine', index: { type, threshold, M, efConstruction },
    };
    await writeManifest(dir, manifest); // the commit point of creation
    return manifest;
  }

  static async #removeLeftovers(dir: string, gen: number, scan: Awaited<ReturnType<typeof scanDirectory>>): Promise<void> {
    let removed = false;
    for (const g of scan.snapshots) if (g !== gen) { await fs.rm(join(dir, snapshotDir(g)), { recursive: true, force: true }); removed = true; }
    for (const g of scan.wals) if (g !== gen) { await fs.rm(join(dir, walFile(g)), { force: true }); removed = true; }
    for (const t of scan.temporary) { await fs.rm(join(dir, t), { recursive: true, force: true }); removed = true; }
    if (removed) await fsyncDir(dir);
  }

  get #sync(): boolean {
    return this.options.durability === 'fsync';
  }

  /** Logs an upsert, with the ids it deletes in the same atomic write. */
  logUpsert(batch: RecordBatch, deleteIds: readonly string[] = []): Promise<void> {
    return this.#wal.append(encodeUpsert(batch, deleteIds), this.#sync);
  }

  logDelete(ids: readonly string[]): Promise<void> {
    return this.#wal.append(encodeDelete(ids), this.#sync);
  }

  /** Forces every logged write to disk. */
  flush(): Promise<void> {
    return this.#wal.sync();
  }

  get shouldSnapshot(): boolean {
    return this.#wal.bytes > this.options.snapshotBytes;
  }

  get hasLoggedWrites(): boolean {
    return this.#wal.frames > 0;
  }

  /**
   * Writes snapshot gen+1 and switches to an empty log: snapshot written and
   * fsync'd, new log created, directory fsync'd, snapshot renamed into place
   * (the commit), directory fsync'd, then the old generation is removed.
   */
  async snapshot(state: StoreState): Promise<void> {
    const next = this.#gen + 1;
    const tmp = join(this.dir, `${snapshotDir(next)}.tmp`);
    const nextWalPath = join(this.dir, walFile(next));
    let nextWal: WalWriter | undefined;
    try {
      await writeSnapshot(tmp, next, state);
      nextWal = await WalWriter.create(nextWalPath, next);
      await fsyncDir(this.dir);
      await fs.rename(tmp, join(this.dir, snapshotDir(next)));
    } catch (err) {
      await nextWal?.close().catch(() => undefined);
      await fs.rm(nextWalPath, { force: true }).catch(() => undefined);
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
    await fsyncDir(this.dir);
    const oldWal = this.#wal, oldGen = this.#gen;
    this.#wal = nextWal;
    this.#gen = next;
    await oldWal.close();
    await fs.rm(join(this.dir, walFile(oldGen)), { force: true });
    if (oldGen > 0) await fs.rm(join(this.dir, snapshotDir(oldGen)), { recursive: true, force: true });
    await fsyncDir(this.dir);
  }

  /**
   * Snapshots if the log holds writes (so the next open is a plain load), then closes the
   * log and releases the directory. The log is closed and the lock released even when the
   * snapshot fails (the log still holds every write); the first error is the one thrown.
   */
  async close(state: StoreState): Promise<void> {
    let error: unknown;
    try {
      if (this.hasLoggedWrites) await this.snapshot(state);
    } catch (err) {
      error = err;
    }
    try {
      await this.#wal.close();
    } catch (err) {
      error ??= err;
    } finally {
      await this.lock.release();
    }
    if (error !== undefined) throw error;
  }
}
