// A read-only follower of a store that another process (or this one) writes.
// It takes no lock and never changes a file. The protocol (ARCHITECTURE.md,
// "Readers"):
//
// - Open: load the newest committed snapshot, then replay its log.
// - Follow: read the log from where the last look stopped. Only whole entries
//   are applied, each in one step, so a query never sees part of a batch; an
//   entry still being written (a torn tail) is left for the next look.
// - A newer snapshot means the writer switched logs; the old log is final by
//   then. If this follower has read the old log to the LSN the new log starts
//   after, it carries on in the new log at once. It also reloads the new
//   snapshot in the background (so the vectors are mapped and shared again,
//   and the private tail stays small) and swaps it in once it has caught up.
//   A follower that cannot carry on (it fell behind a truncated log, a log was
//   replaced) serves its last state until the reload is in.
// - File lifetimes: the writer retires a generation only after committing the
//   next one, and a follower holds every file it reads open (or mapped), so
//   a retired file stays readable until the follower lets go of it. A file
//   that vanished before it was opened means a newer generation exists: look
//   again.
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreState } from '../store-state.js';
import type { AnnFactory, ResolvedIndexOptions } from '../vector-index.js';
import { readAcked } from './acked.js';
import { StoreCorruptError, StoreFormatError } from './errors.js';
import { FileReader } from './file-reader.js';
import { FORMAT_VERSION, scanDirectory, snapshotDir, walFile, type Manifest } from './layout.js';
import { assembleEntry, decodePart, type DecodedPart, type LogEntry } from './log-entries.js';
import { loadSnapshot } from './storage.js';
import { readWalHeader, readWalEntries, WAL_HEADER_BYTES, type WalPosition, type WalTail } from './wal.js';
import { Yielder } from './yielder.js';

export interface FollowerContext {
  dir: string;
  manifest: Manifest;
  index: ResolvedIndexOptions;
  annFactory: AnnFactory | undefined;
  /** Map the snapshot's vectors read-only (shared through the page cache) instead of copying them. */
  mapVectors: boolean;
}

/** A look at a log found it unreadable where this follower stands: it must reload from a snapshot. */
class ResyncNeeded extends Error {}

/** How many times a load retries when the generation it reads is retired under it. */
const LOAD_ATTEMPTS = 20;

/** Consecutive looks that find the same damage before it is reported (a write in progress is never damage twice). */
const DAMAGE_REPORT_AFTER = 3;

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

async function exists(path: string): Promise<boolean> {
  return fs.stat(path).then(() => true, (err) => (isMissing(err) ? false : Promise.reject(err)));
}

/** Applies one logged write in one step, as the writer did (no query sees it half applied). */
async function applyWhole(state: StoreState, entry: LogEntry): Promise<void> {
  if (entry.kind === 'upsert') {
    await state.applyUpsertAsync(entry.batch);
    if (entry.deleteIds.length > 0) state.applyDelete(entry.deleteIds);
  } else state.applyDelete(entry.ids);
}

/** One log file, read as it grows. Holds the file open, so it stays readable after the writer retires it. */
class LogTail {
  /** Where the next look starts: after the last entry applied. */
  pos: WalPosition;
  #damage: { offset: number; size: number; count: number } | undefined;

  private constructor(
    readonly dir: string, readonly path: string, readonly gen: number, readonly fh: FileHandle, readonly ino: number, readonly baseLsn: number,
  ) {
    this.pos = { offset: WAL_HEADER_BYTES, lsn: baseLsn };
  }

  /** Opens wal-<gen>.log, or undefined when it is gone (the writer moved on). */
  static async open(dir: string, gen: number): Promise<LogTail | undefined> {
    const path = join(dir, walFile(gen));
    let fh: FileHandle;
    try {
      fh = await fs.open(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new StoreCorruptError(path, undefined, 'not a regular file');
      const header = await readWalHeader(FileReader.over(path, fh, st.size, WAL_HEADER_BYTES), gen);
      if (!header) throw new StoreCorruptError(path, 0, `${st.size} bytes, shorter than a log header`);
      if (header.version < FORMAT_VERSION)
        throw new StoreFormatError(`${path}: store format version ${header.version}; a read-only store needs version ${FORMAT_VERSION} (open the store for writing once to upgrade it)`);
      return new LogTail(dir, path, gen, fh, st.ino, header.baseLsn);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  get lsn(): number {
    return this.pos.lsn;
  }

  /**
   * Applies the entries written since the last look, up to the writer's last acknowledged one
   * (ACKED); returns how many. Damage (a complete frame failing its checksum) is reported only
   * when it persists over several looks, since a frame being written can look damaged for a
   * moment; until then the follower stands still.
   */
  async poll(state: StoreState, dim: number, y: Yielder): Promise<number> {
    const acked = await readAcked(this.dir);
    if (acked === undefined) return 0; // being created: nothing new this time
    const limit = acked ?? Infinity;
    if (limit <= this.pos.lsn) return 0;
    const st = await this.fh.stat();
    if (st.size < this.pos.offset) throw new ResyncNeeded(`${this.path} shrank below what was read (${st.size} < ${this.pos.offset} bytes)`);
    if (st.size === this.pos.offset) return 0;
    const r = FileReader.over(this.path, this.fh, st.size);
    const tail: WalTail = { validBytes: 0, fileBytes: 0, lastLsn: 0, entries: 0 };
    let applied = 0;
    try {
      for await (const logged of readWalEntries(r, { version: FORMAT_VERSION, generation: this.gen, baseLsn: this.baseLsn }, tail, this.pos)) {
        if (logged.lsn > limit) break; // written, not yet acknowledged
        const decoded: DecodedPart[] = [];
        for (const part of logged.parts) {
          decoded.push(decodePart(part, dim));
          await y.maybe();
        }
        await applyWhole(state, assembleEntry(decoded));
        this.pos = { offset: tail.validBytes, lsn: tail.lastLsn };
        applied++;
        await y.maybe();
      }
      this.#damage = undefined;
    } catch (err) {
      if (!(err instanceof StoreCorruptError)) throw err;
      const at = err.offset ?? -1;
      const seen = this.#damage;
      this.#damage = seen && seen.offset === at && seen.size === st.size ? { ...seen, count: seen.count + 1 } : { offset: at, size: st.size, count: 1 };
      if (this.#damage.count >= DAMAGE_REPORT_AFTER && applied === 0) throw err;
    }
    return applied;
  }

  /** Whether the path still names the file this tail reads (not replaced by another file). */
  async isCurrent(): Promise<boolean> {
    const st = await fs.stat(this.path).catch((err) => (isMissing(err) ? undefined : Promise.reject(err)));
    return !!st && st.ino === this.ino;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** A loaded state and the log it follows. */
interface Generation {
  gen: number;
  state: StoreState;
  log: LogTail;
}

/** The newest committed snapshot generation in `dir` (0: none yet). */
async function newestGeneration(dir: string): Promise<number> {
  const scan = await scanDirectory(dir);
  return scan.snapshots.length ? scan.snapshots[scan.snapshots.length - 1] : 0;
}

/**
 * Loads the newest generation: snapshot, then its log to the end. Retries when the writer
 * retires the generation meanwhile (a file of it vanishes); refuses damage like open() does.
 */
async function loadNewest(ctx: FollowerContext): Promise<Generation> {
  let lastError: unknown;
  for (let attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
    const gen = await newestGeneration(ctx.dir);
    let log: LogTail | undefined;
    let state: StoreState | undefined;
    try {
      log = await LogTail.open(ctx.dir, gen);
      if (!log) {
        if ((await newestGeneration(ctx.dir)) !== gen) continue;
        throw new StoreCorruptError(join(ctx.dir, walFile(gen)), undefined, 'missing: the log of the newest snapshot is gone');
      }
      const y = new Yielder();
      const { manifest, index, annFactory } = ctx;
      state = new StoreState(manifest.dim, manifest.metric, index, annFactory);
      let baseLsn = 0;
      if (gen > 0) {
        const loaded = await loadSnapshot(ctx.dir, gen, manifest, state, annFactory, index, y, ctx.mapVectors);
        if (loaded.version < FORMAT_VERSION)
          throw new StoreFormatError(`${ctx.dir}: store format version ${loaded.version}; a read-only store needs version ${FORMAT_VERSION} (open the store for writing once to upgrade it)`);
        baseLsn = loaded.lsn;
      } else {
        state.beginLoad();
        state.finishLoad();
      }
      if (log.baseLsn !== baseLsn)
        throw new StoreCorruptError(log.path, 16, `log starts after LSN ${log.baseLsn}, but the snapshot reflects LSN ${baseLsn}`);
      await log.poll(state, manifest.dim, y);
      return { gen, state, log };
    } catch (err) {
      await log?.close().catch(() => undefined);
      state?.index.release(); // a snapshot mapped before the failure
      lastError = err;
      // Retired while loading (a file vanished, or damage seen in a generation no longer current): look again.
      if (gen === 0 || !(await exists(join(ctx.dir, snapshotDir(gen))))) continue;
      if ((await newestGeneration(ctx.dir)) !== gen) continue;
      throw err;
    }
  }
  throw lastError;
}

/** A reload of the newest snapshot in progress. */
interface Reload {
  gen: number;
  result: Promise<Generation>;
  settled: boolean;
}

export class Follower {
  #current: Generation;
  /** A reload in progress, swapped in once it has caught up. */
  #reload: Reload | undefined;
  #closed = false;

  private constructor(readonly ctx: FollowerContext, current: Generation) {
    this.#current = current;
  }

  static async open(ctx: FollowerContext): Promise<Follower> {
    return new Follower(ctx, await loadNewest(ctx));
  }

  get state(): StoreState {
    return this.#current.state;
  }

  /** The LSN of the last write this follower reflects (it has every write up to it, and no other). */
  get lsn(): number {
    return this.#current.log.lsn;
  }

  get generation(): number {
    return this.#current.gen;
  }

  /**
   * Catches up with the writer: applies what the log gained since the last look, follows a
   * switch to a new log, swaps in a reloaded snapshot once it is ready. Returns true when the
   * state object changed (the caller must take `state` again).
   */
  async refresh(): Promise<boolean> {
    if (this.#closed) return false;
    const cur = this.#current;
    const y = new Yielder();
    const dim = this.ctx.manifest.dim;
    let stuck = false;
    try {
      await cur.log.poll(cur.state, dim, y);
      const newest = await newestGeneration(this.ctx.dir);
      if (newest > cur.log.gen) {
        // A newer snapshot is committed, so the log read so far is final: read its end, then
        // carry on in the next log if it starts where this one ended.
        await cur.log.poll(cur.state, dim, y);
        stuck = !(await this.#carryOn(cur, y));
        // A flat state reloads to map the new snapshot's vectors (and to pick up a graph built meanwhile).
        if (stuck || (this.ctx.mapVectors && !cur.state.index.usesAnn)) this.#startReload(newest);
      } else if (newest < cur.log.gen || !(await cur.log.isCurrent())) {
        // The store went back (restored, repaired) or the log was replaced: only a reload is right.
        stuck = true;
        this.#startReload(newest);
      }
    } catch (err) {
      if (!(err instanceof ResyncNeeded)) throw err;
      stuck = true;
      this.#startReload(await newestGeneration(this.ctx.dir));
    }
    return this.#swapIfReady(stuck);
  }

  /** Moves `cur` to the next log when it starts where `cur`'s ended. False when it cannot. */
  async #carryOn(cur: Generation, y: Yielder): Promise<boolean> {
    const dim = this.ctx.manifest.dim;
    for (let gen = cur.log.gen + 1; ; gen++) {
      const next = await LogTail.open(this.ctx.dir, gen);
      if (!next) return false; // retired already: this follower fell behind more than one snapshot
      if (next.baseLsn !== cur.log.lsn) {
        await next.close();
        return false;
      }
      const old = cur.log;
      cur.log = next;
      cur.gen = gen;
      await old.close();
      await next.poll(cur.state, dim, y);
      if ((await newestGeneration(this.ctx.dir)) <= gen) return true;
      await next.poll(cur.state, dim, y); // final too: a newer snapshot follows it
    }
  }

  #startReload(gen: number): void {
    if (this.#reload && this.#reload.gen >= gen) return;
    const previous = this.#reload;
    const reload: Reload = { gen, result: loadNewest(this.ctx), settled: false };
    reload.result.then(() => (reload.settled = true), () => (reload.settled = true));
    this.#reload = reload;
    if (previous) void previous.result.then(retire, () => undefined);
  }

  /**
   * Swaps in the reloaded generation once it reflects at least what the current one does, or
   * waits for it when the current one cannot follow any more (`stuck`). A failed reload is
   * thrown, and tried again by the next refresh that needs it.
   */
  async #swapIfReady(stuck: boolean): Promise<boolean> {
    const reload = this.#reload;
    if (!reload || (!reload.settled && !stuck)) return false;
    let next: Generation;
    try {
      next = await reload.result;
    } catch (err) {
      if (this.#reload === reload) this.#reload = undefined;
      throw err;
    }
    if (this.#reload !== reload || this.#closed) return false;
    await next.log.poll(next.state, this.ctx.manifest.dim, new Yielder());
    if (next.log.lsn < this.#current.log.lsn && !stuck) return false;
    this.#reload = undefined;
    const old = this.#current;
    this.#current = next;
    await retire(old);
    return true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const reload = this.#reload;
    this.#reload = undefined;
    await retire(this.#current);
    if (reload) await reload.result.then(retire, () => undefined);
  }
}

/** Lets go of a generation no query uses any more: its log file and mapped vectors. */
async function retire(g: Generation): Promise<void> {
  await g.log.close().catch(() => undefined);
  g.state.index.release();
}
