// The write-ahead log: a 16-byte header, then length-prefixed, checksummed
// frames, each holding one whole batch:
//
//   header:  "QVRWAL\0\0" | u32 format version | u32 generation      (little-endian)
//   frame:   u32 payload length | u32 crc32(payload) | payload
//
// A frame is acknowledged only once written (and fsync'd, by default). On
// replay the first frame that is short, has a zero or oversized length, or
// fails its checksum marks the torn tail of an interrupted write: it and
// everything after it are discarded and the file is truncated there, so a
// batch is always all or nothing.
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { FORMAT_VERSION, StoreFormatError, checkVersion } from './layout.js';

const MAGIC = Buffer.from('QVRWAL\0\0', 'latin1');
export const WAL_HEADER_BYTES = 16;
const FRAME_HEADER_BYTES = 8;

function header(gen: number): Buffer {
  const b = Buffer.alloc(WAL_HEADER_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(FORMAT_VERSION, 8);
  b.writeUInt32LE(gen, 12);
  return b;
}

export interface WalContents {
  payloads: Buffer[];
  /** Bytes up to the end of the last intact frame. */
  validBytes: number;
  fileBytes: number;
}

/** Reads every intact frame; undefined when the file does not exist. */
export async function readWal(path: string, gen: number): Promise<WalContents | undefined> {
  let data: Buffer;
  try {
    data = await fs.readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // A header cut short can only come from a crash while the (then empty) log was created.
  if (data.length < WAL_HEADER_BYTES) return { payloads: [], validBytes: 0, fileBytes: data.length };
  if (!data.subarray(0, 8).equals(MAGIC)) throw new StoreFormatError(`${path}: not a quiverdb write-ahead log (bad magic)`);
  checkVersion(data.readUInt32LE(8), path);
  if (data.readUInt32LE(12) !== gen)
    throw new StoreFormatError(`${path}: header says generation ${data.readUInt32LE(12)}, expected ${gen}`);
  const payloads: Buffer[] = [];
  let pos = WAL_HEADER_BYTES;
  while (pos + FRAME_HEADER_BYTES <= data.length) {
    const len = data.readUInt32LE(pos);
    const sum = data.readUInt32LE(pos + 4);
    const end = pos + FRAME_HEADER_BYTES + len;
    if (len === 0 || end > data.length) break;
    const payload = data.subarray(pos + FRAME_HEADER_BYTES, end);
    if (crc32(payload) !== sum) break;
    payloads.push(payload);
    pos = end;
  }
  return { payloads, validBytes: pos, fileBytes: data.length };
}

export class WalWriter {
  #fh: FileHandle;
  #end: number;
  #unsynced = false;
  #broken: Error | undefined;
  #closed = false;
  /** Frames appended since this log was created (or reopened with frames in it). */
  frames: number;

  private constructor(fh: FileHandle, end: number, frames: number) {
    this.#fh = fh;
    this.#end = end;
    this.frames = frames;
  }

  /** Creates an empty log (header only), fsync'd. The caller fsyncs the directory. */
  static async create(path: string, gen: number): Promise<WalWriter> {
    const fh = await fs.open(path, 'w+', 0o644);
    try {
      await fh.write(header(gen), 0, WAL_HEADER_BYTES, 0);
      await fh.sync();
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new WalWriter(fh, WAL_HEADER_BYTES, 0);
  }

  /** Opens an existing log for appending after its last intact frame (cutting off a torn tail). */
  static async reopen(path: string, contents: WalContents): Promise<WalWriter> {
    const fh = await fs.open(path, 'r+');
    try {
      if (contents.fileBytes !== contents.validBytes) {
        await fh.truncate(contents.validBytes);
        await fh.sync();
      }
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new WalWriter(fh, contents.validBytes, contents.payloads.length);
  }

  get bytes(): number {
    return this.#end;
  }

  /**
   * Appends one frame; with `sync` it is on disk when this resolves. If the write
   * fails the file is cut back to its previous end, so a later frame never lands
   * behind a torn one; if even that fails, the log refuses further writes.
   */
  async append(payload: Uint8Array, sync: boolean): Promise<void> {
    if (this.#broken) throw new Error(`write-ahead log unusable after an earlier I/O error: ${this.#broken.message}`, { cause: this.#broken });
    const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(crc32(payload), 4);
    frame.set(payload, FRAME_HEADER_BYTES);
    const start = this.#end;
    try {
      let off = 0;
      while (off < frame.length) {
        const { bytesWritten } = await this.#fh.write(frame, off, frame.length - off, start + off);
        off += bytesWritten;
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
    this.#end = start + frame.length;
    this.frames++;
  }

  /** Forces appended frames to disk. */
  async sync(): Promise<void> {
    if (!this.#unsynced) return;
    await this.#fh.sync();
    this.#unsynced = false;
  }

  /** Syncs unsynced frames and closes the file; the file is closed even when the sync fails. Idempotent. */
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
