// A durable store's files: open (load the snapshot, replay the log), logging
// writes, snapshots, close. The layout and formats are in layout.ts, wal.ts,
// snapshot.ts and ARCHITECTURE.md.
//
// Open never changes a file before the whole store has loaded: a damaged,
// missing or inconsistent file refuses the open (StoreCorruptError or
// StoreFormatError) and leaves every file as it was. Only then are leftovers
// of an interrupted snapshot removed and a torn log tail (a write a crash
// interrupted, never acknowledged) cut off.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Metric } from '../../indexes/input.js';
import type { RecordBatch } from '../records.js';
import { StoreState } from '../store-state.js';
import type { AnnFactory, ResolvedIndexOptions } from '../vector-index.js';
import { StoreCorruptError } from './errors.js';
import { FileReader } from './file-reader.js';
import { fsyncDir } from './files.js';
import {
  FORMAT_NAME, FORMAT_VERSION, MANIFEST_FILE, readManifest, scanDirectory, snapshotDir, walFile, writeManifest,
  type DirectoryScan, type Manifest,
} from './layout.js';
import { decodeEntryV1, isSnapshotV1, openSnapshotV1, readWalEntriesV1 } from './legacy-v1.js';
import { assembleEntry, decodePart, deletePartsOf, upsertParts, type DecodedPart, type LogEntry } from './log-entries.js';
import { ACKED_FILE, AckedWriter } from './acked.js';
import { acquireLock, type DirectoryLock } from './lock.js';
import { MappedVectors } from '../../indexes/mapped-vectors.js';
import { MappedFlatIndex } from '../mapped-flat-index.js';
import { VECTORS_DATA_OFFSET, VECTORS_FILE, openSnapshot, writeSnapshot, type SnapshotReader } from './snapshot.js';
import { WAL_HEADER_BYTES, WalWriter, readWalEntries, readWalHeader, type LoggedEntry, type WalTail } from './wal.js';
import { Yielder } from './yielder.js';

export interface StorageOptions {
  dim: number | undefined;
  metric: Metric | undefined;
  /** Index options the caller set explicitly (compared with the stored ones). */
  index: Partial<ResolvedIndexOptions>;
  resolvedIndex: ResolvedIndexOptions;
  durability: 'fsync' | 'none';
  snapshotBytes: number;
}

/** The log may grow to this fraction of the last snapshot before the next (see shouldSnapshot). */
const SNAPSHOT_RATIO = 4;

/** Records applied per slice of a replayed entry (a slice, then a turn of the event loop). */
const REPLAY_SLICE = 4096;

function mismatch(dir: string, name: string, stored: unknown, given: unknown): Error {
  return new RangeError(
    `VectorStore.open(${JSON.stringify(dir)}): ${name} is ${JSON.stringify(given)} in the options but the store was created with ` +
      `${JSON.stringify(stored)}; pass the stored value or omit it`,
  );
}

export function checkAgainstManifest(dir: string, m: Manifest, o: Pick<StorageOptions, 'dim' | 'metric' | 'index'>): void {
  if (o.dim !== undefined && o.dim !== m.dim) throw mismatch(dir, 'dim', m.dim, o.dim);
  if (o.metric !== undefined && o.metric !== m.metric) throw mismatch(dir, 'metric', m.metric, o.metric);
  for (const key of ['type', 'threshold', 'M', 'efConstruction', 'quantization'] as const) {
    if (o.index[key] !== undefined && o.index[key] !== m.index[key]) throw mismatch(dir, `index.${key}`, m.index[key], o.index[key]);
  }
}

/** A log file no longer than a header holds no write. */
async function logHoldsWrites(path: string): Promise<boolean> {
  const st = await fs.stat(path).catch(() => undefined);
  return !!st && st.size > WAL_HEADER_BYTES;
}

/** Applies one logged write in slices, yielding between them (graph inserts run off the JS thread). */
export async function applyEntry(state: StoreState, entry: LogEntry, y: Yielder): Promise<void> {
  const deletes = entry.kind === 'upsert' ? entry.deleteIds : entry.ids;
  if (entry.kind === 'upsert') {
    const { ids, vectors, metadata } = entry.batch;
    const dim = state.index.dim;
    for (let s = 0; s < ids.length; s += REPLAY_SLICE) {
      const e = Math.min(ids.length, s + REPLAY_SLICE);
      const slice: RecordBatch = s === 0 && e === ids.length ? entry.batch
        : { ids: ids.slice(s, e), vectors: vectors.subarray(s * dim, e * dim), metadata: metadata.slice(s, e) };
      await state.applyUpsertAsync(slice);
      await y.maybe();
    }
  }
  for (let s = 0; s < deletes.length; s += REPLAY_SLICE) {
    state.applyDelete(deletes.slice(s, s + REPLAY_SLICE));
    await y.maybe();
  }
}

/**
 * Loads snapshot `gen` into the (empty) state. Returns the snapshot's LSN and format version.
 * With `mapVectors` (read-only stores), a snapshot without a graph has its vectors file mapped
 * read-only, after its checksums are verified, instead of copied into the flat index.
 */
export async function loadSnapshot(
  dir: string, gen: number, manifest: Manifest, state: StoreState, annFactory: AnnFactory | undefined, index: ResolvedIndexOptions, y: Yielder,
  mapVectors = false,
): Promise<{ lsn: number; version: number }> {
  const path = join(dir, snapshotDir(gen));
  const v1 = await isSnapshotV1(path);
  const snap: SnapshotReader = v1 ? await openSnapshotV1(path, gen, manifest.dim, manifest.metric) : await openSnapshot(path, gen, manifest.dim, manifest.metric);
  const { count } = snap.header;
  // The graph loads off the JS thread while the records are read here.
  const ann = snap.annPath && annFactory ? Promise.resolve(annFactory.load(snap.annPath, manifest.dim, manifest.metric, index)) : undefined;
  ann?.catch(() => undefined); // awaited below; no unhandled rejection if the records fail first
  const slots = new Float64Array(count);
  let row = 0;
  state.beginLoad();
  await snap.readRecords((id, slot, metadata) => {
    state.placeRecord(id, slot, metadata);
    slots[row++] = slot;
  }, y);
  if (ann) {
    // The graph holds the vectors; the portable copy is only verified (its checksums), meanwhile.
    await snap.readVectors(() => undefined, y);
    let graph;
    try {
      graph = await ann;
    } catch (err) {
      throw new StoreCorruptError(snap.annPath!, undefined, (err as Error).message);
    }
    if (graph.size !== count) throw new StoreCorruptError(snap.annPath!, undefined, `holds ${graph.size} vectors, the snapshot ${count} records`);
    // As many (unique) labels as records, each a record's slot: the graph holds exactly the records' vectors.
    const labels = graph.labels();
    for (let i = 0; i < labels.length; i++) {
      if (!state.live.has(labels[i])) throw new StoreCorruptError(snap.annPath!, undefined, `holds label ${labels[i]}, which is no record's slot`);
      if ((i & 65535) === 65535) await y.maybe();
    }
    state.index.setAnn(graph);
  } else if (mapVectors && !v1 && !state.index.usesAnn) {
    // Verified (every checksum) before it is mapped; snapshot files are never changed once committed.
    await snap.readVectors(() => undefined, y);
    const mapped = MappedVectors.open(join(path, VECTORS_FILE), { byteOffset: VECTORS_DATA_OFFSET, rows: count, dim: manifest.dim, metric: manifest.metric });
    state.index.setMapped(new MappedFlatIndex(mapped, slots, manifest.dim, manifest.metric));
  } else {
    state.index.reserve(count);
    const dim = manifest.dim;
    await snap.readVectors((first, rows) => state.index.add(slots.subarray(first, first + rows.length / dim), rows), y);
  }
  state.finishLoad();
  return { lsn: snap.header.lsn, version: v1 ? 1 : FORMAT_VERSION };
}

/** The files a Storage holds open for its lifetime: the log being appended to, ACKED and the directory lock. */
interface OpenFiles {
  wal: WalWriter | undefined;
  acked: AckedWriter | undefined;
  lock: DirectoryLock;
}

/**
 * Closes the files of a store that became unreachable without close(). Node closes a
 * FileHandle that is garbage collected while open with a warning ("Closing file descriptor
 * N on garbage collection", and DEP0137); the registry holds each open store's handles
 * strongly, so they are never collected open, and closes them explicitly here once the store
 * is gone. Nothing acknowledged depends on this: every acknowledged write was already written
 * (and fsync'd with durability 'fsync'), and the log is synced once more as it closes.
 */
const unclosed = new FinalizationRegistry<OpenFiles>((files) => {
  void (async () => {
    try {
      await files.wal?.close();
      await files.acked?.close();
    } catch {
      // Nobody is left to report to; the log keeps every write that reached it.
    } finally {
      await files.lock.release().catch(() => undefined);
    }
  })();
});

export class Storage {
  #gen: number;
  /** Also reachable from `unclosed` until close() or abandon() (see there). */
  #files: OpenFiles;
  #manifest: Manifest;

  private constructor(
    readonly dir: string,
    readonly options: StorageOptions,
    manifest: Manifest,
    readonly lock: DirectoryLock,
    gen: number,
    wal: WalWriter | undefined,
  ) {
    this.#manifest = manifest;
    this.#gen = gen;
    this.#files = { wal, acked: undefined, lock };
    unclosed.register(this, this.#files, this);
  }

  get #wal(): WalWriter | undefined {
    return this.#files.wal;
  }

  set #wal(wal: WalWriter | undefined) {
    this.#files.wal = wal;
  }

  get manifest(): Manifest {
    return this.#manifest;
  }

  get generation(): number {
    return this.#gen;
  }

  get logBytes(): number {
    return this.#wal?.bytes ?? 0;
  }

  /** LSN of the last acknowledged write (0 for a store never written). */
  get lsn(): number {
    return this.#wal?.lastLsn ?? 0;
  }

  /** Opens or creates the store in `dir`; returns the storage and the recovered state. */
  static async open(dir: string, options: StorageOptions, annFactory: AnnFactory | undefined): Promise<{ storage: Storage; state: StoreState }> {
    await fs.mkdir(dir, { recursive: true });
    const lock = await acquireLock(dir);
    try {
      const y = new Yielder();
      let scan = await scanDirectory(dir);
      let manifest = await readManifest(dir);
      if (manifest) checkAgainstManifest(dir, manifest, options);
      else {
        manifest = await Storage.#create(dir, options, scan);
        scan = await scanDirectory(dir);
      }
      const gen = scan.snapshots.length ? scan.snapshots[scan.snapshots.length - 1] : 0;
      const walPath = join(dir, walFile(gen));
      if (!scan.wals.includes(gen))
        throw new StoreCorruptError(walPath, undefined, 'missing: the log of the newest snapshot is gone, so writes acknowledged after it would be lost');
      for (const g of scan.wals)
        if (g > gen && (await logHoldsWrites(join(dir, walFile(g)))))
          throw new StoreCorruptError(join(dir, walFile(g)), undefined, `holds writes, but its snapshot (${snapshotDir(g)}) is missing`);

      const index: ResolvedIndexOptions = { ...options.resolvedIndex, ...manifest.index };
      const state = new StoreState(manifest.dim, manifest.metric, index, annFactory);
      let baseLsn = 0;
      let snapshotVersion = 0;
      let legacy = manifest.version < FORMAT_VERSION;
      if (gen > 0) {
        const loaded = await loadSnapshot(dir, gen, manifest, state, annFactory, index, y);
        baseLsn = loaded.lsn;
        snapshotVersion = loaded.version;
        legacy ||= loaded.version < FORMAT_VERSION;
      } else {
        state.beginLoad();
        state.finishLoad();
      }

      const tail: WalTail = { validBytes: 0, fileBytes: 0, lastLsn: baseLsn, entries: 0 };
      const r = await FileReader.open(walPath);
      let walVersion: number;
      try {
        const header = await readWalHeader(r, gen);
        if (!header) throw new StoreCorruptError(walPath, 0, `${r.size} bytes, shorter than a log header`);
        walVersion = header.version;
        if (header.version >= 2 && header.baseLsn !== baseLsn)
          throw new StoreCorruptError(walPath, 16, `log starts after LSN ${header.baseLsn}, but the snapshot reflects LSN ${baseLsn}`);
        const entries: AsyncGenerator<LoggedEntry> = header.version === 1 ? readWalEntriesV1(r, tail) : readWalEntries(r, header, tail);
        for await (const logged of entries) {
          let entry: LogEntry;
          try {
            if (header.version === 1) entry = decodeEntryV1(logged.parts[0], manifest.dim);
            else {
              const decoded: DecodedPart[] = [];
              for (const part of logged.parts) {
                decoded.push(decodePart(part, manifest.dim));
                await y.maybe();
              }
              entry = assembleEntry(decoded);
            }
            await applyEntry(state, entry, y);
          } catch (err) {
            if (err instanceof StoreCorruptError) throw err;
            throw new StoreCorruptError(walPath, logged.offset, `logged write ${logged.lsn} cannot be replayed (${(err as Error).message})`);
          }
        }
      } finally {
        await r.close();
      }
      if (gen > 0 && walVersion !== snapshotVersion)
        throw new StoreCorruptError(walPath, 8, `format version ${walVersion}, but its snapshot's is ${snapshotVersion} (both are written together)`);
      legacy ||= walVersion < FORMAT_VERSION;

      // Everything loaded: only now is anything changed on disk.
      await Storage.#removeLeftovers(dir, gen, scan);
      const wal = legacy ? undefined : await WalWriter.reopen(walPath, tail);
      const storage = new Storage(dir, options, manifest, lock, gen, wal);
      await storage.#measureSnapshot();
      // A version-1 store is rewritten in the current format at once (the snapshot also upgrades the manifest).
      if (legacy) await storage.snapshot(state, baseLsn + tail.entries);
      // Readers may apply everything recovered: it is all in the log (a torn tail is cut off).
      storage.#files.acked = await Storage.#openAcked(dir, storage.lsn);
      return { storage, state };
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /**
   * ACKED, set to `lsn`. It only gates what readers show, so a failure (a full disk cannot take
   * a new file) does not fail the open: the file is removed if it can be (readers then read the
   * log ungated, as before ACKED existed) and a warning says so.
   */
  static async #openAcked(dir: string, lsn: number): Promise<AckedWriter | undefined> {
    try {
      return await AckedWriter.open(dir, lsn);
    } catch (err) {
      await fs.rm(join(dir, ACKED_FILE), { force: true }).catch(() => undefined);
      process.emitWarning(`quiverdb: cannot write ${join(dir, ACKED_FILE)} (read-only stores of it read the log ungated): ${(err as Error).message}`, 'QuiverStoreWarning');
      return undefined;
    }
  }

  /**
   * Creates the store's first files: an empty log, then the manifest (the commit point). A
   * directory without a manifest is new, or a creation that crashed before the manifest (at
   * most an empty wal-0); anything more is a store whose manifest was lost, and is refused.
   */
  static async #create(dir: string, o: StorageOptions, scan: DirectoryScan): Promise<Manifest> {
    const holdsData = scan.snapshots.length > 0 || scan.wals.some((g) => g !== 0) || (scan.wals.includes(0) && (await logHoldsWrites(join(dir, walFile(0)))));
    if (holdsData)
      throw new StoreCorruptError(join(dir, MANIFEST_FILE), undefined,
        'missing, but the directory holds store data (snapshots or logged writes); restore quiver.json, or run `quiver repair` to rebuild it');
    if (o.dim === undefined)
      throw new TypeError(`VectorStore.open(${JSON.stringify(dir)}): no store there yet, so options.dim is required to create one`);
    const wal = await WalWriter.create(join(dir, walFile(0)), 0, 0);
    await wal.close();
    await fsyncDir(dir);
    const { type, threshold, M, efConstruction, quantization } = o.resolvedIndex;
    const manifest: Manifest = {
      format: FORMAT_NAME, version: FORMAT_VERSION, dim: o.dim, metric: o.metric ?? 'cosine', index: { type, threshold, M, efConstruction, quantization },
    };
    await writeManifest(dir, manifest); // the commit point of creation
    return manifest;
  }

  static async #removeLeftovers(dir: string, gen: number, scan: DirectoryScan): Promise<void> {
    let removed = false;
    for (const g of scan.snapshots) if (g < gen) { await fs.rm(join(dir, snapshotDir(g)), { recursive: true, force: true }); removed = true; }
    for (const g of scan.wals) if (g !== gen) { await fs.rm(join(dir, walFile(g)), { force: true }); removed = true; }
    for (const t of scan.temporary) { await fs.rm(join(dir, t), { recursive: true, force: true }); removed = true; }
    if (removed) await fsyncDir(dir);
  }

  get #sync(): boolean {
    return this.options.durability === 'fsync';
  }

  #log(): WalWriter {
    if (!this.#wal) throw new Error('write-ahead log is not open');
    return this.#wal;
  }

  /** Logs an upsert, with the ids it deletes in the same atomic write. */
  async logUpsert(batch: RecordBatch, deleteIds: readonly string[] = []): Promise<void> {
    await this.#acknowledge(await this.#log().append(await Storage.#encode(upsertParts(batch, deleteIds)), this.#sync));
  }

  async logDelete(ids: readonly string[]): Promise<void> {
    await this.#acknowledge(await this.#log().append(await Storage.#encode(deletePartsOf(ids)), this.#sync));
  }

  /**
   * Tells readers that write `lsn` is durable (ACKED). The write is in the log either way, so a
   * failure here does not fail it: ACKED is dropped instead (readers then read the log ungated,
   * as before ACKED existed, rather than stall at a stale value) and a warning says so.
   */
  async #acknowledge(lsn: number): Promise<void> {
    const acked = this.#files.acked;
    if (!acked) return;
    try {
      await acked.set(lsn);
    } catch (err) {
      this.#files.acked = undefined;
      await acked.close().catch(() => undefined);
      await fs.rm(acked.path, { force: true }).catch(() => undefined);
      process.emitWarning(`quiverdb: cannot update ${acked.path} (read-only stores of it now read the log ungated): ${(err as Error).message}`, 'QuiverStoreWarning');
    }
  }

  /** Collects an entry's parts, yielding to the event loop between them (a large batch takes a while to encode). */
  static async #encode(parts: Generator<Buffer>): Promise<Buffer[]> {
    const y = new Yielder();
    const out: Buffer[] = [];
    for (const p of parts) {
      out.push(p);
      await y.maybe();
    }
    return out;
  }

  /** Forces every logged write to disk. */
  async flush(): Promise<void> {
    await this.#wal?.sync();
  }

  /**
   * Whether the log is due for a snapshot: past snapshotBytes and past a quarter of the last
   * snapshot's size. A snapshot rewrites the whole store, so a fixed threshold would make a
   * bulk load of N bytes write O(N^2 / snapshotBytes); with the ratio it writes O(N), and a
   * reopen replays at most a quarter of the store's size from the log.
   */
  get shouldSnapshot(): boolean {
    return this.logBytes > Math.max(this.options.snapshotBytes, this.#snapshotBytes / SNAPSHOT_RATIO);
  }

  /** Bytes of the current snapshot's files. */
  #snapshotBytes = 0;

  async #measureSnapshot(): Promise<void> {
    let total = 0;
    if (this.#gen > 0) {
      const dir = join(this.dir, snapshotDir(this.#gen));
      for (const name of await fs.readdir(dir)) total += (await fs.stat(join(dir, name))).size;
    }
    this.#snapshotBytes = total;
  }

  get hasLoggedWrites(): boolean {
    return (this.#wal?.entries ?? 0) > 0;
  }

  /**
   * Writes snapshot gen+1 and switches to an empty log: snapshot written and fsync'd, new log
   * created, directory fsync'd, (manifest upgraded if it was older,) snapshot renamed into place
   * (the commit), directory fsync'd, then the old generation is removed.
   */
  async snapshot(state: StoreState, lsn = this.lsn): Promise<void> {
    const next = this.#gen + 1;
    const tmp = join(this.dir, `${snapshotDir(next)}.tmp`);
    const nextWalPath = join(this.dir, walFile(next));
    let nextWal: WalWriter | undefined;
    try {
      await writeSnapshot(tmp, next, lsn, state, new Yielder());
      nextWal = await WalWriter.create(nextWalPath, next, lsn);
      await fsyncDir(this.dir);
      if (this.#manifest.version < FORMAT_VERSION) {
        const upgraded = { ...this.#manifest, version: FORMAT_VERSION };
        await writeManifest(this.dir, upgraded);
        this.#manifest = upgraded;
      }
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
    await this.#measureSnapshot();
    await oldWal?.close();
    await fs.rm(join(this.dir, walFile(oldGen)), { force: true });
    if (oldGen > 0) await fs.rm(join(this.dir, snapshotDir(oldGen)), { recursive: true, force: true });
    await fsyncDir(this.dir);
  }

  /** Closes the log and releases the directory without a snapshot (an open that failed after the files loaded). */
  async abandon(): Promise<void> {
    unclosed.unregister(this);
    try {
      await this.#wal?.close();
      await this.#files.acked?.close();
    } finally {
      await this.lock.release();
    }
  }

  /**
   * Snapshots if the log holds writes (so the next open is a plain load), then closes the
   * log and releases the directory. The log is closed and the lock released even when the
   * snapshot fails (the log still holds every write); the first error is the one thrown.
   */
  async close(state: StoreState): Promise<void> {
    unclosed.unregister(this);
    let error: unknown;
    try {
      if (this.hasLoggedWrites) await this.snapshot(state);
    } catch (err) {
      error = err;
    }
    try {
      await this.#wal?.close();
    } catch (err) {
      error ??= err;
    }
    try {
      await this.#files.acked?.close();
    } catch (err) {
      error ??= err;
    } finally {
      await this.lock.release();
    }
    if (error !== undefined) throw error;
  }
}

