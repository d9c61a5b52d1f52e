// ACKED: the LSN of the writer's last acknowledged write, for read-only stores.
//
//   u64 LSN | u32 crc32(bytes 0..7) | u32 0          (16 bytes, rewritten in place)
//
// A reader sees the log as it is written, before the writer's fsync returns, so
// without this it could show a write an OS crash would still take back. The
// writer sets ACKED after a write is durable and before its promise resolves
// (and to the recovered LSN when it opens), and readers apply log entries only
// up to it. It is not fsync'd: it gates visibility, not durability (the log is
// the record), and after a crash the next writer sets it again as it opens.
// A store without the file (never opened by a writer that keeps it) is read
// ungated.
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export const ACKED_FILE = 'ACKED';
const ACKED_BYTES = 16;

function encode(lsn: number): Buffer {
  const b = Buffer.alloc(ACKED_BYTES);
  b.writeBigUInt64LE(BigInt(lsn), 0);
  b.writeUInt32LE(crc32(b.subarray(0, 8)), 8);
  return b;
}

/** The writer's side: one open file, rewritten in place (never truncated, so a reader never finds it empty after its first write). */
export class AckedWriter {
  private constructor(readonly path: string, readonly fh: FileHandle) {}

  static async open(dir: string, lsn: number): Promise<AckedWriter> {
    const path = join(dir, ACKED_FILE);
    const fh = await fs.open(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    const w = new AckedWriter(path, fh);
    try {
      await w.set(lsn);
    } catch (err) {
      await fh.close();
      throw err;
    }
    return w;
  }

  async set(lsn: number): Promise<void> {
    const b = encode(lsn);
    await this.fh.write(b, 0, ACKED_BYTES, 0);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/**
 * What a reader may apply up to: the LSN in ACKED; `null` when there is no ACKED (read
 * ungated); undefined when it cannot be read right now (being created, damaged): apply nothing new.
 */
export async function readAcked(dir: string): Promise<number | null | undefined> {
  let fh: FileHandle;
  try {
    fh = await fs.open(join(dir, ACKED_FILE), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const b = Buffer.alloc(ACKED_BYTES);
    const { bytesRead } = await fh.read(b, 0, ACKED_BYTES, 0);
    if (bytesRead < 12 || crc32(b.subarray(0, 8)) !== b.readUInt32LE(8)) return undefined;
    const lsn = Number(b.readBigUInt64LE(0));
    return Number.isSafeInteger(lsn) ? lsn : undefined;
  } finally {
    await fh.close();
  }
}
