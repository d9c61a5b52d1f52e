// Durable file primitives: fsync'd writes, atomic replace (tmp + fsync +
// rename + fsync of the directory), and directory fsync.
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

/** Makes a directory's entries (creates, renames, deletes) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeFileSynced(path: string, data: string | Uint8Array): Promise<void> {
  const fh = await fs.open(path, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `path` atomically: readers see the old file or the whole new one. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFileSynced(tmp, data);
  await fs.rename(tmp, path);
  await fsyncDir(dirname(path));
}
