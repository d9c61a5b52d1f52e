// The write-ahead log, format version 2: a 32-byte header, then frames
// (frames.ts), one logical entry per acknowledged write:
//
//   header: "QVRWAL\0\0" | u32 format version | u32 generation | u64 base LSN | u32 0 | u32 crc32(bytes 0..27)
//
// Entries are numbered by a log sequence number (LSN) that continues across
// generations: the first entry of wal-<g>.log is base LSN + 1, where the base
// is the LSN the snapshot of generation g reflects. Every frame of an entry
// carries its LSN. An entry bigger than one frame is split FIRST / MIDDLE /
// LAST, and only an entry whose LAST frame is intact counts: the write is
// acknowledged after all its frames are written (and fsync'd), so a crash
// leaves each batch all or nothing.
//
// Replay stops cleanly at a torn tail (the file is cut there when the log is
// reopened for writing); damage anywhere else, including frames out of
// sequence, refuses the open with StoreCorruptError and changes nothing.
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { StoreCorruptError } from './errors.js';
import { FileReader } from './file-reader.js';
import { FrameReader, FrameType, encodeFrame } from './frames.js';
import { FORMAT_VERSION, checkHeader } from './layout.js';

export const WAL_MAGIC = Buffer.from('QVRWAL\0\0', 'latin1');
export const WAL_HEADER_BYTES = 32;

export interface WalHeader {
  version: number;
  generation: number;
  baseLsn: number;
}

function encodeHeader(gen: number, baseLsn: number): Buffer {
  const b = Buffer.alloc(WAL_HEADER_BYTES);
  WAL_MAGIC.copy(b, 0);
  b.writeUInt32LE(FORMAT_VERSION, 8);
  b.writeUInt32LE(gen, 12);
  b.writeBigUInt64LE(BigInt(baseLsn), 16);
  b.writeUInt32LE(crc32(b.subarray(0, 28)), 28);
  return b;
}

/**
 * The header of a log file: its version (1 or 2) and, for version 2, generation and base LSN
 * checked. Undefined when the file is shorter than a version-1 header (a crash while the empty
 * log was created).
 */
export async function readWalHeader(r: FileReader, gen: number): Promise<WalHeader | undefined> {
  if (r.size < 16) return undefined;
  const b = Buffer.from(await r.bytes(0, Math.min(WAL_HEADER_BYTES, r.size)));
  if (!b.subarray(0, 8).equals(WAL_MAGIC)) throw new StoreCorruptError(r.path, 0, 'not a quiverdb write-ahead log (bad magic)');
  if (b.readUInt32LE(8) === 1) {
    // A version-1 header has no checksum. If the bytes after it are the checksum of a version-2
    // header, this is a version-2 log whose version byte was damaged (reading it as version 1
    // would take its header for a frame).
    if (b.length === WAL_HEADER_BYTES) {
      const asV2 = Buffer.from(b);
      asV2.writeUInt32LE(2, 8);
      if (crc32(asV2.subarray(0, 28)) === asV2.readUInt32LE(28)) throw new StoreCorruptError(r.path, 8, 'damaged format version (reads 1, the checksum says 2)');
    }
    if (b.readUInt32LE(12) !== gen) throw new StoreCorruptError(r.path, 12, `header says generation ${b.readUInt32LE(12)}, expected ${gen}`);
    return { version: 1, generation: gen, baseLsn: 0 };
  }
  if (r.size < WAL_HEADER_BYTES) return undefined;
  const version = checkHeader(b, 28, 8, r.path);
  const generation = b.readUInt32LE(12);
  if (generation !== gen) throw new StoreCorruptError(r.path, 12, `header says generation ${generation}, expected ${gen}`);
  return { version, generation, baseLsn: Number(b.readBigUInt64LE(16)) };
}

export interface LoggedEntry {
  lsn: number;
  /** Offset of the entry's first frame. */
  offset: number;
  /** The payloads of its frames, in order (copies). */
  parts: Buffer[];
}

/** A point between two entries of a log: the offset of the next entry's first frame, and the LSN before it. */
export interface WalPosition {
  offset: number;
  lsn: number;
}

/** Where replay ended. */
export interface WalTail {
  /** Bytes up to the end of the last complete entry (the log is cut here before appending). */
  validBytes: number;
  fileBytes: number;
  lastLsn: number;
  entries: number;
  /** Set when the file ended in an interrupted write (cut off on reopen). */
  torn?: { offset: number; reason: string };
}

/**
 * The complete entries of a version-2 log, in order, from `from` (the start of the log by
 * default; a follower resumes where it stopped). `tail` is filled in when the iteration ends.
 * Throws StoreCorruptError on damage.
 */
export async function* readWalEntries(
  r: FileReader, header: WalHeader, tail: WalTail, from: WalPosition = { offset: WAL_HEADER_BYTES, lsn: header.baseLsn },
): AsyncGenerator<LoggedEntry> {
  const frames = new FrameReader(r, from.offset);
  let lastLsn = from.lsn;
  let open: LoggedEntry | undefined;
  tail.validBytes = from.offset;
  tail.fileBytes = r.size;
  tail.lastLsn = lastLsn;
  tail.entries = 0;
  for (let f = await frames.next(); f; f = await frames.next()) {
    const outOfSequence = (why: string) => new StoreCorruptError(r.path, f!.offset, `frame out of sequence: ${why}`);
    if (f.type === FrameType.FULL || f.type === FrameType.FIRST) {
      if (open) throw outOfSequence(`entry ${open.lsn} is not finished`);
      if (f.seq !== lastLsn + 1) throw outOfSequence(`LSN ${f.seq}, expected ${lastLsn + 1}`);
      open = { lsn: f.seq, offset: f.offset, parts: [Buffer.from(f.payload)] };
    } else {
      if (!open) throw outOfSequence('a continuation frame with no entry begun');
      if (f.seq !== open.lsn) throw outOfSequence(`LSN ${f.seq} inside entry ${open.lsn}`);
      open.parts.push(Buffer.from(f.payload));
    }
    if (f.type === FrameType.FULL || f.type === FrameType.LAST) {
      const entry = open;
      open = undefined;
      lastLsn = entry.lsn;
      tail.validBytes = f.end;
      tail.lastLsn = lastLsn;
      tail.entries++;
      yield entry;
    }
  }
  if (open) tail.torn = { offset: open.offset, reason: `entry ${open.lsn} ends before its last frame${frames.end?.kind === 'torn' ? ` (${frames.end.reason})` : ''}` };
  else if (frames.end?.kind === 'torn') tail.torn = { offset: frames.end.offset, reason: frames.end.reason };
}

/** Frames of one entry: each payload part in its own frame (FULL, or FIRST ... LAST). */
function entryFrames(lsn: number, parts: readonly Uint8Array[]): Buffer[] {
  if (parts.length === 1) return [encodeFrame(FrameType.FULL, lsn, parts[0])];
  return parts.map((p, i) => encodeFrame(i === 0 ? FrameType.FIRST : i === parts.length - 1 ? FrameType.LAST : FrameType.MIDDLE, lsn, p));
}

export class WalWriter {
  #fh: FileHandle;
  #end: number;
  #lastLsn: number;
  #unsynced = false;
  #broken: Error | undefined;
  #closed = false;
  /** Entries in this log (appended since it was created, or found when it was reopened). */
  entries: number;

  private constructor(fh: FileHandle, end: number, lastLsn: number, entries: number) {
    this.#fh = fh;
    this.#end = end;
    this.#lastLsn = lastLsn;
    this.entries = entries;
  }

  /** Creates an empty log (header only), fsync'd. The caller fsyncs the directory. */
  static async create(path: string, gen: number, baseLsn: number): Promise<WalWriter> {
    const fh = await fs.open(path, 'w+', 0o644);
    try {
      await fh.write(encodeHeader(gen, baseLsn), 0, WAL_HEADER_BYTES, 0);
      await fh.sync();
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new WalWriter(fh, WAL_HEADER_BYTES, baseLsn, 0);
  }

  /** Opens a replayed version-2 log for appending after its last complete entry (cutting off a torn tail). */
  static async reopen(path: string, tail: WalTail): Promise<WalWriter> {
    const fh = await fs.open(path, 'r+');
    try {
      if (tail.fileBytes !== tail.validBytes) {
        await fh.truncate(tail.validBytes);
        await fh.sync();
      }
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new WalWriter(fh, tail.validBytes, tail.lastLsn, tail.entries);
  }

  get bytes(): number {
    return this.#end;
  }

  /** LSN of the last entry written. */
  get lastLsn(): number {
    return this.#lastLsn;
  }

  /**
   * Appends one entry (its payload split in parts, one frame each); with `sync` it is on disk
   * when this resolves. If the write fails the file is cut back to its previous end, so a later
   * entry never lands behind a torn one; if even that fails, the log refuses further writes.
   */
  async append(parts: readonly Uint8Array[], sync: boolean): Promise<number> {
    if (this.#broken) throw new Error(`write-ahead log unusable after an earlier I/O error: ${this.#broken.message}`, { cause: this.#broken });
    if (this.#closed) throw new Error('write-ahead log is closed');
    const lsn = this.#lastLsn + 1;
    const frames = entryFrames(lsn, parts);
    const start = this.#end;
    let pos = start;
    try {
      for (const frame of frames) {
        let off = 0;
        while (off < frame.length) {
          const { bytesWritten } = await this.#fh.write(frame, off, frame.length - off, pos + off);
          off += bytesWritten;
        }
        pos += frame.length;
      }
      if (sync) await this.#fh.sync();
      else this.#unsynced = true;
    } catch (err) {
      try {
        await this.#fh.truncate(start);
      } catch (truncErr) {
        this.#broken = truncErr as Error;
      }
      throw err;
    }
    this.#end = pos;
    this.#lastLsn = lsn;
    this.entries++;
    return lsn;
  }

  /** Forces appended entries to disk. */
  async sync(): Promise<void> {
    if (!this.#unsynced) return;
    await this.#fh.sync();
    this.#unsynced = false;
  }

  /** Syncs unsynced entries and closes the file; the file is closed even when the sync fails. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.sync();
    } finally {
      this.#closed = true;
      await this.#fh.close();
    }
  }
}
